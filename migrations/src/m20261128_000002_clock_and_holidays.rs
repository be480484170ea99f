//! The statutory clock's inputs (clock events per request), the deadlines computed from them,
//! and operator-supplied bank holidays that correct or extend the shipped list.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClockEvents {
    Table,
    Id,
    RequestId,
    Kind,
    Date,
    Actor,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OperatorHolidays {
    Table,
    Id,
    Division,
    Date,
    Title,
    Source,
    ImportedAt,
}

#[derive(DeriveIden)]
enum HolidayReplacements {
    Table,
    Division,
    Year,
    Source,
    ImportedAt,
}

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
    ResponseDue,
    Deadlines,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ClockEvents::Table)
                .col(
                    ColumnDef::new(ClockEvents::Id)
                        .integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(ClockEvents::RequestId).integer().not_null())
                .col(ColumnDef::new(ClockEvents::Kind).string_len(40).not_null())
                .col(ColumnDef::new(ClockEvents::Date).date().not_null())
                .col(
                    ColumnDef::new(ClockEvents::Actor)
                        .string_len(120)
                        .not_null(),
                )
                .col(ColumnDef::new(ClockEvents::Note).text().null())
                .col(
                    ColumnDef::new(ClockEvents::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ClockEvents::Table, ClockEvents::RequestId)
                        .to(Requests::Table, Requests::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_clock_events_request")
                .table(ClockEvents::Table)
                .col(ClockEvents::RequestId)
                .col(ClockEvents::Date)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OperatorHolidays::Table)
                .col(
                    ColumnDef::new(OperatorHolidays::Id)
                        .integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(OperatorHolidays::Division)
                        .string_len(32)
                        .not_null(),
                )
                .col(ColumnDef::new(OperatorHolidays::Date).date().not_null())
                .col(ColumnDef::new(OperatorHolidays::Title).text().not_null())
                .col(ColumnDef::new(OperatorHolidays::Source).text().not_null())
                .col(
                    ColumnDef::new(OperatorHolidays::ImportedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_operator_holidays_division_date")
                .table(OperatorHolidays::Table)
                .col(OperatorHolidays::Division)
                .col(OperatorHolidays::Date)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(HolidayReplacements::Table)
                .col(
                    ColumnDef::new(HolidayReplacements::Division)
                        .string_len(32)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(HolidayReplacements::Year)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(HolidayReplacements::Source)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(HolidayReplacements::ImportedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(HolidayReplacements::Division)
                        .col(HolidayReplacements::Year),
                )
                .to_owned(),
        )
        .await?;

        m.alter_table(
            Table::alter()
                .table(Requests::Table)
                .add_column(ColumnDef::new(Requests::ResponseDue).date().null())
                .to_owned(),
        )
        .await?;
        // SQLite allows one column per ALTER TABLE statement.
        m.alter_table(
            Table::alter()
                .table(Requests::Table)
                .add_column(ColumnDef::new(Requests::Deadlines).text().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_requests_response_due")
                .table(Requests::Table)
                .col(Requests::ResponseDue)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_requests_response_due")
                .table(Requests::Table)
                .to_owned(),
        )
        .await?;
        for col in [Requests::Deadlines, Requests::ResponseDue] {
            m.alter_table(
                Table::alter()
                    .table(Requests::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        for t in [
            HolidayReplacements::Table.into_iden(),
            OperatorHolidays::Table.into_iden(),
            ClockEvents::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
