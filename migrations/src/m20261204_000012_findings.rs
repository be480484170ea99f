//! The agreements register: facts about each twinning link, each citing a document and page
//! or a message, and suggestions read from documents that staff confirm or reject; and the
//! watch list's hits in documents.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Twinnings {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Findings {
    Table,
    Id,
    TwinningId,
    Field,
    Area,
    Value,
    State,
    DocumentId,
    Page,
    MessageId,
    Rule,
    Excerpt,
    Note,
    CreatedAt,
    CreatedBy,
    DecidedAt,
    DecidedBy,
}

#[derive(DeriveIden)]
enum WatchHits {
    Table,
    Id,
    DocumentId,
    Page,
    Term,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let ts = |c: Findings| {
            ColumnDef::new(c)
                .timestamp_with_time_zone()
                .not_null()
                .to_owned()
        };
        m.create_table(
            Table::create()
                .table(Findings::Table)
                .col(
                    ColumnDef::new(Findings::Id)
                        .integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Findings::TwinningId).integer().not_null())
                .col(ColumnDef::new(Findings::Field).string_len(32).not_null())
                .col(ColumnDef::new(Findings::Area).string_len(32).null())
                .col(ColumnDef::new(Findings::Value).text().not_null())
                .col(ColumnDef::new(Findings::State).string_len(16).not_null())
                .col(ColumnDef::new(Findings::DocumentId).integer().null())
                .col(ColumnDef::new(Findings::Page).integer().null())
                .col(ColumnDef::new(Findings::MessageId).integer().null())
                .col(ColumnDef::new(Findings::Rule).string_len(64).null())
                .col(ColumnDef::new(Findings::Excerpt).text().null())
                .col(ColumnDef::new(Findings::Note).text().null())
                .col(ts(Findings::CreatedAt))
                .col(
                    ColumnDef::new(Findings::CreatedBy)
                        .string_len(200)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Findings::DecidedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(ColumnDef::new(Findings::DecidedBy).string_len(200).null())
                .foreign_key(
                    ForeignKey::create()
                        .from(Findings::Table, Findings::TwinningId)
                        .to(Twinnings::Table, Twinnings::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Findings::Table, Findings::DocumentId)
                        .to(Documents::Table, Documents::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Findings::Table, Findings::MessageId)
                        .to(Messages::Table, Messages::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_findings_link_state")
                .table(Findings::Table)
                .col(Findings::TwinningId)
                .col(Findings::State)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WatchHits::Table)
                .col(
                    ColumnDef::new(WatchHits::Id)
                        .integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(WatchHits::DocumentId).integer().not_null())
                .col(ColumnDef::new(WatchHits::Page).integer().not_null())
                .col(ColumnDef::new(WatchHits::Term).text().not_null())
                .col(
                    ColumnDef::new(WatchHits::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(WatchHits::Table, WatchHits::DocumentId)
                        .to(Documents::Table, Documents::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_watch_hits_page_term")
                .table(WatchHits::Table)
                .col(WatchHits::DocumentId)
                .col(WatchHits::Page)
                .col(WatchHits::Term)
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(WatchHits::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Findings::Table).to_owned())
            .await?;
        Ok(())
    }
}
