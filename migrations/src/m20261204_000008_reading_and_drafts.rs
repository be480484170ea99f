//! Reading what came back, and drafts staff may change (issue 11):
//! - `messages.edited_at`, `messages.edited_by`: a draft staff edited keeps their words, so
//!   `foi approve` must know not to write it again from the template;
//! - `attachments.original_filename`: the name as the sender gave it (decoded), shown to staff
//!   beside the safe name the file is saved under.
//!
//! Only nullable columns are added, one statement each (SQLite alters one column at a time),
//! so the migration runs on a database with data: existing drafts count as not edited, and
//! existing attachments show their stored (safe) name.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    EditedAt,
    EditedBy,
}

#[derive(DeriveIden)]
enum Attachments {
    Table,
    OriginalFilename,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Messages::Table)
                .add_column(
                    ColumnDef::new(Messages::EditedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Messages::Table)
                .add_column(ColumnDef::new(Messages::EditedBy).string_len(200).null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Attachments::Table)
                .add_column(ColumnDef::new(Attachments::OriginalFilename).text().null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Attachments::Table)
                .drop_column(Attachments::OriginalFilename)
                .to_owned(),
        )
        .await?;
        for col in [Messages::EditedBy, Messages::EditedAt] {
            m.alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
