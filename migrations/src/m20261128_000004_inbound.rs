//! Inbound mail: what each stored message was understood to be, its attachments, the IMAP
//! high-water marks, and staff classifications of responses.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    RawSha256,
    Classification,
    MatchedVia,
    SenderFlagged,
    Source,
}

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Id,
    MessageId,
    Filename,
    ContentType,
    Size,
    Sha256,
    Path,
}

#[derive(DeriveIden)]
enum ImapState {
    Table,
    Id,
    Mailbox,
    Uidvalidity,
    LastUid,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Classifications {
    Table,
    Id,
    RequestId,
    MessageId,
    Outcome,
    Exemptions,
    Note,
    ReceivedOn,
    At,
    Actor,
}

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            ColumnDef::new(Messages::RawSha256)
                .string_len(64)
                .null()
                .to_owned(),
            ColumnDef::new(Messages::Classification)
                .string_len(32)
                .null()
                .to_owned(),
            ColumnDef::new(Messages::MatchedVia)
                .string_len(16)
                .null()
                .to_owned(),
            ColumnDef::new(Messages::SenderFlagged)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(Messages::Source).text().null().to_owned(),
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
        // The same bytes are stored once, however often they arrive.
        m.create_index(
            Index::create()
                .name("ux_messages_raw_sha256")
                .table(Messages::Table)
                .col(Messages::RawSha256)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Attachments::Table)
                .col(
                    ColumnDef::new(Attachments::Id)
                        .integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Attachments::MessageId).integer().not_null())
                .col(ColumnDef::new(Attachments::Filename).text().not_null())
                .col(ColumnDef::new(Attachments::ContentType).text().not_null())
                .col(ColumnDef::new(Attachments::Size).big_integer().not_null())
                .col(
                    ColumnDef::new(Attachments::Sha256)
                        .string_len(64)
                        .not_null(),
                )
                .col(ColumnDef::new(Attachments::Path).text().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(Attachments::Table, Attachments::MessageId)
                        .to(Messages::Table, Messages::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_attachments_message")
                .table(Attachments::Table)
                .col(Attachments::MessageId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ImapState::Table)
                .col(
                    ColumnDef::new(ImapState::Id)
                        .integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(ImapState::Mailbox)
                        .string_len(400)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(ImapState::Uidvalidity)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(ImapState::LastUid).big_integer().not_null())
                .col(
                    ColumnDef::new(ImapState::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Classifications::Table)
                .col(
                    ColumnDef::new(Classifications::Id)
                        .integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Classifications::RequestId)
                        .integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Classifications::MessageId).integer().null())
                .col(
                    ColumnDef::new(Classifications::Outcome)
                        .string_len(32)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Classifications::Exemptions)
                        .text()
                        .not_null()
                        .default(""),
                )
                .col(ColumnDef::new(Classifications::Note).text().null())
                .col(ColumnDef::new(Classifications::ReceivedOn).date().null())
                .col(
                    ColumnDef::new(Classifications::At)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Classifications::Actor)
                        .string_len(120)
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Classifications::Table, Classifications::RequestId)
                        .to(Requests::Table, Requests::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Classifications::Table, Classifications::MessageId)
                        .to(Messages::Table, Messages::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_classifications_request")
                .table(Classifications::Table)
                .col(Classifications::RequestId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Classifications::Table.into_iden(),
            ImapState::Table.into_iden(),
            Attachments::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.drop_index(
            Index::drop()
                .name("ux_messages_raw_sha256")
                .table(Messages::Table)
                .to_owned(),
        )
        .await?;
        for col in [
            Messages::Source,
            Messages::SenderFlagged,
            Messages::MatchedVia,
            Messages::Classification,
            Messages::RawSha256,
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
