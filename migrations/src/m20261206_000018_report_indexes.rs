//! Indexes for the reports at scale (BENCHMARKS.md): the status's counts by campaign and
//! state read from an index that holds both instead of every request's row, and the reports'
//! search for review and complaint events finds each request's own instead of every event of
//! those kinds (which the planner chose by `ix_events_kind_at` once there were many).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, definition).
const INDEXES: [(&str, &str); 2] = [
    (
        "ix_requests_campaign_state",
        "requests (campaign_id, state)",
    ),
    ("ix_events_request_kind", "events (request_id, kind)"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        crate::index_list::create(m, &INDEXES).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        crate::index_list::drop(m, &INDEXES).await
    }
}
