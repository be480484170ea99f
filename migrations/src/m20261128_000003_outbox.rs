//! Columns the outbox needs on `messages`: the reply address and thread headers it sends with,
//! the recipient's domain (for per-domain throttling) and which worker holds the lease.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    ReplyTo,
    ReferencesHdr,
    AutoSubmitted,
    ToDomain,
    ClaimedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite allows one column per ALTER TABLE statement.
        let columns = [
            ColumnDef::new(Messages::ReplyTo).text().null().to_owned(),
            ColumnDef::new(Messages::ReferencesHdr)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(Messages::AutoSubmitted)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(Messages::ToDomain)
                .string_len(255)
                .not_null()
                .default("")
                .to_owned(),
            ColumnDef::new(Messages::ClaimedBy)
                .string_len(120)
                .null()
                .to_owned(),
        ];
        for mut col in columns {
            m.alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(&mut col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            Messages::ClaimedBy,
            Messages::ToDomain,
            Messages::AutoSubmitted,
            Messages::ReferencesHdr,
            Messages::ReplyTo,
        ] {
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
