//! Authorities, twinning links, campaigns, requests, messages and the request timeline.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Authorities {
    Table,
    Id,
    Slug,
    Name,
    Nation,
    Regime,
    FoiEmail,
    FoiEmailSource,
    Website,
    Tags,
    Notes,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Twinnings {
    Table,
    Id,
    AuthorityId,
    UkPlace,
    PartnerCity,
    PartnerProvince,
    Relationship,
    SinceYear,
    Status,
    EndedYear,
    Source,
    Notes,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
    Reference,
    AuthorityId,
    CampaignId,
    TwinningId,
    Template,
    Regime,
    State,
    Subject,
    Body,
    ReplyTo,
    ToAddress,
    Vars,
    CreatedAt,
    UpdatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    RequestId,
    Direction,
    Kind,
    State,
    MessageId,
    InReplyTo,
    FromAddr,
    ToAddr,
    Subject,
    Body,
    RawPath,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    ServerReply,
    CreatedAt,
    SentAt,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    RequestId,
    At,
    Kind,
    Detail,
    Actor,
    Data,
}

fn id(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn ts_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}

fn text_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Authorities::Table)
                .col(id(Authorities::Id))
                .col(
                    ColumnDef::new(Authorities::Slug)
                        .string_len(120)
                        .not_null()
                        .unique_key(),
                )
                .col(text(Authorities::Name))
                .col(
                    ColumnDef::new(Authorities::Nation)
                        .string_len(32)
                        .not_null(),
                )
                .col(ColumnDef::new(Authorities::Regime).string_len(8).not_null())
                .col(text_null(Authorities::FoiEmail))
                .col(text_null(Authorities::FoiEmailSource))
                .col(text_null(Authorities::Website))
                .col(text(Authorities::Tags).default(""))
                .col(text_null(Authorities::Notes))
                .col(ts(Authorities::CreatedAt))
                .col(ts(Authorities::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Twinnings::Table)
                .col(id(Twinnings::Id))
                .col(ColumnDef::new(Twinnings::AuthorityId).integer().not_null())
                .col(text(Twinnings::UkPlace))
                .col(text(Twinnings::PartnerCity))
                .col(text(Twinnings::PartnerProvince))
                .col(text(Twinnings::Relationship))
                .col(ColumnDef::new(Twinnings::SinceYear).integer().null())
                .col(ColumnDef::new(Twinnings::Status).string_len(16).not_null())
                .col(ColumnDef::new(Twinnings::EndedYear).integer().null())
                .col(text_null(Twinnings::Source))
                .col(text_null(Twinnings::Notes))
                .col(ts(Twinnings::CreatedAt))
                .col(ts(Twinnings::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Twinnings::Table, Twinnings::AuthorityId)
                        .to(Authorities::Table, Authorities::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_twinnings_authority_partner")
                .table(Twinnings::Table)
                .col(Twinnings::AuthorityId)
                .col(Twinnings::PartnerCity)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Campaigns::Table)
                .col(id(Campaigns::Id))
                .col(
                    ColumnDef::new(Campaigns::Name)
                        .string_len(200)
                        .not_null()
                        .unique_key(),
                )
                .col(ts(Campaigns::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Requests::Table)
                .col(id(Requests::Id))
                .col(
                    ColumnDef::new(Requests::Reference)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Requests::AuthorityId).integer().not_null())
                .col(ColumnDef::new(Requests::CampaignId).integer().null())
                .col(ColumnDef::new(Requests::TwinningId).integer().null())
                .col(
                    ColumnDef::new(Requests::Template)
                        .string_len(120)
                        .not_null(),
                )
                .col(ColumnDef::new(Requests::Regime).string_len(8).not_null())
                .col(ColumnDef::new(Requests::State).string_len(32).not_null())
                .col(text(Requests::Subject))
                .col(text(Requests::Body))
                .col(text(Requests::ReplyTo))
                .col(text_null(Requests::ToAddress))
                .col(text(Requests::Vars).default("{}"))
                .col(ts(Requests::CreatedAt))
                .col(ts(Requests::UpdatedAt))
                .col(ts_null(Requests::SentAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Requests::Table, Requests::AuthorityId)
                        .to(Authorities::Table, Authorities::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Requests::Table, Requests::CampaignId)
                        .to(Campaigns::Table, Campaigns::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Requests::Table, Requests::TwinningId)
                        .to(Twinnings::Table, Twinnings::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            ("ix_requests_state", vec![Requests::State]),
            ("ix_requests_authority", vec![Requests::AuthorityId]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Requests::Table);
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx.to_owned()).await?;
        }
        // A campaign holds at most one request per authority, link and template: this is
        // what makes a repeated `foi queue --campaign` run a no-op even under a race.
        m.create_index(
            Index::create()
                .name("ux_requests_campaign_link")
                .table(Requests::Table)
                .col(Requests::CampaignId)
                .col(Requests::AuthorityId)
                .col(Requests::TwinningId)
                .col(Requests::Template)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Messages::Table)
                .col(id(Messages::Id))
                .col(ColumnDef::new(Messages::RequestId).integer().null())
                .col(
                    ColumnDef::new(Messages::Direction)
                        .string_len(16)
                        .not_null(),
                )
                .col(ColumnDef::new(Messages::Kind).string_len(32).not_null())
                .col(ColumnDef::new(Messages::State).string_len(32).not_null())
                .col(
                    ColumnDef::new(Messages::MessageId)
                        .string_len(512)
                        .null()
                        .unique_key(),
                )
                .col(text_null(Messages::InReplyTo))
                .col(text(Messages::FromAddr))
                .col(text(Messages::ToAddr))
                .col(text(Messages::Subject))
                .col(text(Messages::Body))
                .col(text_null(Messages::RawPath))
                .col(
                    ColumnDef::new(Messages::Attempts)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ts_null(Messages::NextAttemptAt))
                .col(ts_null(Messages::LeaseUntil))
                .col(text_null(Messages::LastError))
                .col(text_null(Messages::ServerReply))
                .col(ts(Messages::CreatedAt))
                .col(ts_null(Messages::SentAt))
                .col(ts_null(Messages::ReceivedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Messages::Table, Messages::RequestId)
                        .to(Requests::Table, Requests::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_messages_request")
                .table(Messages::Table)
                .col(Messages::RequestId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_messages_state_due")
                .table(Messages::Table)
                .col(Messages::State)
                .col(Messages::NextAttemptAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Events::Table)
                .col(
                    ColumnDef::new(Events::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Events::RequestId).integer().not_null())
                .col(ts(Events::At))
                .col(ColumnDef::new(Events::Kind).string_len(64).not_null())
                .col(text(Events::Detail))
                .col(ColumnDef::new(Events::Actor).string_len(120).not_null())
                .col(text_null(Events::Data))
                .foreign_key(
                    ForeignKey::create()
                        .from(Events::Table, Events::RequestId)
                        .to(Requests::Table, Requests::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_events_request_at")
                .table(Events::Table)
                .col(Events::RequestId)
                .col(Events::At)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Events::Table.into_iden(),
            Messages::Table.into_iden(),
            Requests::Table.into_iden(),
            Campaigns::Table.into_iden(),
            Twinnings::Table.into_iden(),
            Authorities::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
