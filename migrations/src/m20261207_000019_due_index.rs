//! The requests with deadlines read from an index that holds every column a deadline needs
//! (BENCHMARKS.md): `foi status`, the digest and the calendar feed read these columns for
//! every open request, and a request's row also holds its letter, so reading them from the
//! table read a page or more for each request (30,000 pages at 100k requests). The index
//! starts with the state, so it also serves every search by state that
//! `ix_requests_state` served, which it replaces.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns of `store::requests::DueFacts`, after the state and the id it is read by.
const COLUMNS: &str =
    "reference, authority_id, campaign_id, regime, response_due, updated_at, deadlines";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        // PostgreSQL carries the other columns in the index without sorting by them.
        let on = match db.get_database_backend() {
            DbBackend::Postgres => format!("requests (state, id) INCLUDE ({COLUMNS})"),
            _ => format!("requests (state, id, {COLUMNS})"),
        };
        crate::index_list::create(m, &[("ix_requests_due", on.as_str())]).await?;
        crate::index_list::drop(m, &[("ix_requests_state", "")]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        crate::index_list::create(m, &[("ix_requests_state", "requests (state)")]).await?;
        crate::index_list::drop(m, &[("ix_requests_due", "")]).await
    }
}
