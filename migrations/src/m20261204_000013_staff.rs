//! Staff accounts for the web dashboard: users (argon2 password hashes), their sessions (only
//! a hash of each session token is kept, so several daemons share them and a copy of the
//! database logs no one in), and login attempts (for throttling per account and per address).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StaffUsers {
    Table,
    Id,
    Name,
    PasswordHash,
    Disabled,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StaffSessions {
    Table,
    Id,
    TokenHash,
    UserId,
    Csrf,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LoginAttempts {
    Table,
    Id,
    Account,
    Address,
    At,
    Succeeded,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(StaffUsers::Table)
                .col(
                    ColumnDef::new(StaffUsers::Id)
                        .integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(StaffUsers::Name)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(StaffUsers::PasswordHash).text().not_null())
                .col(
                    ColumnDef::new(StaffUsers::Disabled)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new(StaffUsers::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(StaffSessions::Table)
                .col(
                    ColumnDef::new(StaffSessions::Id)
                        .integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(StaffSessions::TokenHash)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(StaffSessions::UserId).integer().not_null())
                .col(
                    ColumnDef::new(StaffSessions::Csrf)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(StaffSessions::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(StaffSessions::ExpiresAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(StaffSessions::Table, StaffSessions::UserId)
                        .to(StaffUsers::Table, StaffUsers::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LoginAttempts::Table)
                .col(
                    ColumnDef::new(LoginAttempts::Id)
                        .integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(LoginAttempts::Account)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(LoginAttempts::Address)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(LoginAttempts::At)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(LoginAttempts::Succeeded)
                        .boolean()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("login_attempts_account_at")
                .table(LoginAttempts::Table)
                .col(LoginAttempts::Account)
                .col(LoginAttempts::At)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("login_attempts_address_at")
                .table(LoginAttempts::Table)
                .col(LoginAttempts::Address)
                .col(LoginAttempts::At)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(LoginAttempts::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(StaffSessions::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(StaffUsers::Table).to_owned())
            .await
    }
}
