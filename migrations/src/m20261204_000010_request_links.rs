//! One letter per council: a request can be about several twinning links of its council, so
//! the links a request covers get their own table. Every request stored before this was about
//! at most one link (`requests.twinning_id`), which is copied in. `requests.twinning_id` stays:
//! it marks a letter written about that one link (`--per link`, `--twinning`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Twinnings {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RequestTwinnings {
    Table,
    RequestId,
    TwinningId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RequestTwinnings::Table)
                .col(
                    ColumnDef::new(RequestTwinnings::RequestId)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestTwinnings::TwinningId)
                        .integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(RequestTwinnings::RequestId)
                        .col(RequestTwinnings::TwinningId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(RequestTwinnings::Table, RequestTwinnings::RequestId)
                        .to(Requests::Table, Requests::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(RequestTwinnings::Table, RequestTwinnings::TwinningId)
                        .to(Twinnings::Table, Twinnings::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_request_twinnings_twinning")
                .table(RequestTwinnings::Table)
                .col(RequestTwinnings::TwinningId)
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO request_twinnings (request_id, twinning_id) \
                 SELECT r.id, r.twinning_id FROM requests r \
                 WHERE r.twinning_id IS NOT NULL \
                 AND EXISTS (SELECT 1 FROM twinnings t WHERE t.id = r.twinning_id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RequestTwinnings::Table).to_owned())
            .await?;
        Ok(())
    }
}
