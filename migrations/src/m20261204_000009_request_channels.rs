//! Requests not sent by email: each request records how it goes to the council (`email`,
//! `portal` or `post`) and, for a council's web form, the case number the form gave. Letters
//! foi cannot send itself become staff tasks. Every request stored before this went by email,
//! which the column's default says.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
    Channel,
    PortalReference,
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
    RequestId,
    Kind,
    Subject,
    Text,
    CreatedAt,
    DoneAt,
    DoneBy,
    Note,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Requests::Table)
                .add_column(
                    ColumnDef::new(Requests::Channel)
                        .string_len(16)
                        .not_null()
                        .default("email"),
                )
                .to_owned(),
        )
        .await?;
        // SQLite adds one column per ALTER TABLE.
        m.alter_table(
            Table::alter()
                .table(Requests::Table)
                .add_column(
                    ColumnDef::new(Requests::PortalReference)
                        .string_len(200)
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Tasks::Table)
                .col(
                    ColumnDef::new(Tasks::Id)
                        .integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Tasks::RequestId).integer().not_null())
                .col(ColumnDef::new(Tasks::Kind).string_len(32).not_null())
                .col(ColumnDef::new(Tasks::Subject).text().not_null())
                .col(ColumnDef::new(Tasks::Text).text().not_null())
                .col(
                    ColumnDef::new(Tasks::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Tasks::DoneAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(ColumnDef::new(Tasks::DoneBy).string_len(200).null())
                .col(ColumnDef::new(Tasks::Note).text().null())
                .foreign_key(
                    ForeignKey::create()
                        .from(Tasks::Table, Tasks::RequestId)
                        .to(Requests::Table, Requests::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_tasks_request")
                .table(Tasks::Table)
                .col(Tasks::RequestId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Tasks::Table).to_owned())
            .await?;
        for column in [Requests::PortalReference, Requests::Channel] {
            m.alter_table(
                Table::alter()
                    .table(Requests::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
