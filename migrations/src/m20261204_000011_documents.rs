//! Findings, first part: the text of every document councils send. A document is an inbound
//! message's own text or one of its attachments; its text is kept per page, with the pages
//! that came from OCR marked. `search_text` is the page folded for search (lower case, accents
//! removed, Chinese characters spaced apart so each is a word), indexed with FTS5 on SQLite and
//! a GIN `tsvector` index on PostgreSQL.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
    MessageId,
    AttachmentId,
    Name,
    ContentType,
    Status,
    Reason,
    Format,
    Pages,
    OcrPages,
    Kind,
    Publishable,
    Attempts,
    LeaseUntil,
    ClaimedBy,
    CreatedAt,
    ExtractedAt,
}

#[derive(DeriveIden)]
enum DocumentPages {
    Table,
    Id,
    DocumentId,
    Page,
    Text,
    Ocr,
    SearchText,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Documents::Table)
                .col(
                    ColumnDef::new(Documents::Id)
                        .integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Documents::MessageId).integer().not_null())
                .col(ColumnDef::new(Documents::AttachmentId).integer().null())
                .col(ColumnDef::new(Documents::Name).text().not_null())
                .col(ColumnDef::new(Documents::ContentType).text().not_null())
                .col(
                    ColumnDef::new(Documents::Status)
                        .string_len(16)
                        .not_null()
                        .default("pending"),
                )
                .col(ColumnDef::new(Documents::Reason).text().null())
                .col(ColumnDef::new(Documents::Format).string_len(16).null())
                .col(
                    ColumnDef::new(Documents::Pages)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(Documents::OcrPages)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ColumnDef::new(Documents::Kind).string_len(32).null())
                .col(
                    ColumnDef::new(Documents::Publishable)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new(Documents::Attempts)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(Documents::LeaseUntil)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(ColumnDef::new(Documents::ClaimedBy).string_len(200).null())
                .col(
                    ColumnDef::new(Documents::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Documents::ExtractedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Documents::Table, Documents::MessageId)
                        .to(Messages::Table, Messages::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Documents::Table, Documents::AttachmentId)
                        .to(Attachments::Table, Attachments::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_documents_status")
                .table(Documents::Table)
                .col(Documents::Status)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_documents_message")
                .table(Documents::Table)
                .col(Documents::MessageId)
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        // One document per attachment, and one for each message's own text: what makes the
        // discovery step safe to run from several daemons at once.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_documents_attachment ON documents (attachment_id) \
             WHERE attachment_id IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_documents_message_text ON documents (message_id) \
             WHERE attachment_id IS NULL",
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DocumentPages::Table)
                .col(
                    ColumnDef::new(DocumentPages::Id)
                        .integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(DocumentPages::DocumentId)
                        .integer()
                        .not_null(),
                )
                .col(ColumnDef::new(DocumentPages::Page).integer().not_null())
                .col(ColumnDef::new(DocumentPages::Text).text().not_null())
                .col(
                    ColumnDef::new(DocumentPages::Ocr)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(ColumnDef::new(DocumentPages::SearchText).text().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(DocumentPages::Table, DocumentPages::DocumentId)
                        .to(Documents::Table, Documents::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_document_pages_page")
                .table(DocumentPages::Table)
                .col(DocumentPages::DocumentId)
                .col(DocumentPages::Page)
                .unique()
                .to_owned(),
        )
        .await?;
        match m.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE INDEX ix_document_pages_search ON document_pages \
                     USING GIN (to_tsvector('simple', search_text))",
                )
                .await?;
            }
            _ => {
                // An external-content FTS5 table kept in step by triggers: the text is stored
                // once, in document_pages.
                for sql in [
                    "CREATE VIRTUAL TABLE document_pages_fts USING fts5(search_text, \
                     content='document_pages', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
                    "CREATE TRIGGER document_pages_ai AFTER INSERT ON document_pages BEGIN \
                     INSERT INTO document_pages_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
                    "CREATE TRIGGER document_pages_ad AFTER DELETE ON document_pages BEGIN \
                     INSERT INTO document_pages_fts(document_pages_fts, rowid, search_text) \
                     VALUES ('delete', old.id, old.search_text); END",
                    "CREATE TRIGGER document_pages_au AFTER UPDATE ON document_pages BEGIN \
                     INSERT INTO document_pages_fts(document_pages_fts, rowid, search_text) \
                     VALUES ('delete', old.id, old.search_text); \
                     INSERT INTO document_pages_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
                ] {
                    db.execute_unprepared(sql).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DbBackend::Sqlite {
            // The triggers first: a trigger naming the dropped FTS table makes the next
            // statement on document_pages fail ("no such table").
            for sql in [
                "DROP TRIGGER IF EXISTS document_pages_ai",
                "DROP TRIGGER IF EXISTS document_pages_ad",
                "DROP TRIGGER IF EXISTS document_pages_au",
                "DROP TABLE IF EXISTS document_pages_fts",
            ] {
                m.get_connection().execute_unprepared(sql).await?;
            }
        }
        m.drop_table(Table::drop().table(DocumentPages::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Documents::Table).to_owned())
            .await?;
        Ok(())
    }
}
