//! What the daemon needs to act once and only once: when each job last ran (to catch up after
//! downtime), which chases were made for which deadline, which weekly digests went out, and
//! an HTML alternative for staff mail.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    Job,
    LastRunAt,
}

#[derive(DeriveIden)]
enum Chases {
    Table,
    Id,
    RequestId,
    Kind,
    Deadline,
    MessageId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Digests {
    Table,
    IsoWeek,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    HtmlBody,
}

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(JobRuns::Table)
                .col(
                    ColumnDef::new(JobRuns::Job)
                        .string_len(32)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(JobRuns::LastRunAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Chases::Table)
                .col(
                    ColumnDef::new(Chases::Id)
                        .integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Chases::RequestId).integer().not_null())
                .col(ColumnDef::new(Chases::Kind).string_len(32).not_null())
                .col(ColumnDef::new(Chases::Deadline).date().not_null())
                .col(ColumnDef::new(Chases::MessageId).integer().null())
                .col(
                    ColumnDef::new(Chases::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Chases::Table, Chases::RequestId)
                        .to(Requests::Table, Requests::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Chases::Table, Chases::MessageId)
                        .to(Messages::Table, Messages::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        // One chase of a kind per deadline: a restart, or a second daemon, cannot send another.
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
        m.create_table(
            Table::create()
                .table(Digests::Table)
                .col(
                    ColumnDef::new(Digests::IsoWeek)
                        .string_len(10)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Digests::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Messages::Table)
                .add_column(ColumnDef::new(Messages::HtmlBody).text().null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Messages::Table)
                .drop_column(Messages::HtmlBody)
                .to_owned(),
        )
        .await?;
        for t in [
            Digests::Table.into_iden(),
            Chases::Table.into_iden(),
            JobRuns::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
