//! Schema migrations for `foi`, written with the sea-orm schema builder so the same
//! migration runs on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod index_list;
mod m20261128_000001_create_core;
mod m20261128_000002_clock_and_holidays;
mod m20261128_000003_outbox;
mod m20261128_000004_inbound;
mod m20261128_000005_daemon;
mod m20261203_000006_inbound_fixes;
mod m20261203_000007_chase_periods;
mod m20261204_000008_reading_and_drafts;
mod m20261204_000009_request_channels;
mod m20261204_000010_request_links;
mod m20261204_000011_documents;
mod m20261204_000012_findings;
mod m20261204_000013_staff;
mod m20261204_000015_inline_parts;
mod m20261205_000016_scale_indexes;
mod m20261205_000017_search_vector;
mod m20261206_000018_report_indexes;
mod m20261207_000019_due_index;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_core::Migration),
            Box::new(m20261128_000002_clock_and_holidays::Migration),
            Box::new(m20261128_000003_outbox::Migration),
            Box::new(m20261128_000004_inbound::Migration),
            Box::new(m20261128_000005_daemon::Migration),
            Box::new(m20261203_000006_inbound_fixes::Migration),
            Box::new(m20261203_000007_chase_periods::Migration),
            Box::new(m20261204_000008_reading_and_drafts::Migration),
            Box::new(m20261204_000009_request_channels::Migration),
            Box::new(m20261204_000010_request_links::Migration),
            Box::new(m20261204_000011_documents::Migration),
            Box::new(m20261204_000012_findings::Migration),
            Box::new(m20261204_000013_staff::Migration),
            Box::new(m20261204_000015_inline_parts::Migration),
            Box::new(m20261205_000016_scale_indexes::Migration),
            Box::new(m20261205_000017_search_vector::Migration),
            Box::new(m20261206_000018_report_indexes::Migration),
            Box::new(m20261207_000019_due_index::Migration),
        ]
    }
}
