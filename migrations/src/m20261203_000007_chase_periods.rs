//! Chases are made once per request, kind and *period* (one spell of waiting for the council),
//! not once per due date: a holiday import that moves a due date by a day must not start the
//! chase again. Existing chases are given the period their request is in now, so an upgrade
//! does not send a second reminder either.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Chases {
    Table,
    RequestId,
    Kind,
    Deadline,
    Period,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Chases::Table)
                .add_column(ColumnDef::new(Chases::Period).string_len(64).null())
                .to_owned(),
        )
        .await?;
        // The period names match `Deadlines::response_period` and `review_period`.
        let backfill = match m.get_database_backend() {
            DbBackend::Postgres => {
                "UPDATE chases SET period = CASE \
                   WHEN kind = 'complaint' THEN COALESCE( \
                     (SELECT 'review:' || MAX(c.date)::text FROM clock_events c \
                       WHERE c.request_id = chases.request_id AND c.kind = 'internal_review_requested'), \
                     'deadline:' || deadline::text) \
                   ELSE COALESCE( \
                     (SELECT 'response:' || (r.deadlines::json->>'day_zero') || ':' || (r.deadlines::json->>'working_days') \
                        FROM requests r WHERE r.id = chases.request_id AND r.deadlines IS NOT NULL), \
                     'deadline:' || deadline::text) \
                 END"
            }
            _ => {
                "UPDATE chases SET period = CASE \
                   WHEN kind = 'complaint' THEN COALESCE( \
                     (SELECT 'review:' || MAX(c.date) FROM clock_events c \
                       WHERE c.request_id = chases.request_id AND c.kind = 'internal_review_requested'), \
                     'deadline:' || deadline) \
                   ELSE COALESCE( \
                     (SELECT 'response:' || json_extract(r.deadlines, '$.day_zero') || ':' || json_extract(r.deadlines, '$.working_days') \
                        FROM requests r WHERE r.id = chases.request_id AND r.deadlines IS NOT NULL), \
                     'deadline:' || deadline) \
                 END"
            }
        };
        m.get_connection().execute_unprepared(backfill).await?;
        // Two chases of one kind may already share a period (the defect this fixes): keep
        // the first, so the unique index can be built.
        m.get_connection()
            .execute_unprepared(
                "DELETE FROM chases WHERE id NOT IN \
                 (SELECT MIN(id) FROM chases GROUP BY request_id, kind, period)",
            )
            .await?;
        m.drop_index(
            Index::drop()
                .name("ux_chases_request_kind_deadline")
                .table(Chases::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_chases_request_kind_period")
                .table(Chases::Table)
                .col(Chases::RequestId)
                .col(Chases::Kind)
                .col(Chases::Period)
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ux_chases_request_kind_period")
                .table(Chases::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Chases::Table)
                .drop_column(Chases::Period)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_chases_request_kind_deadline")
                .table(Chases::Table)
                .col(Chases::RequestId)
                .col(Chases::Kind)
                .col(Chases::Deadline)
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
