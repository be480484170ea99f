//! Receiving fixes (issue 9):
//! - `messages.message_id` is no longer unique: different messages may share a Message-ID
//!   (public test messages do), and only equal content makes a duplicate. Outbound Message-IDs
//!   stay unique through a partial index, since threads and retries are found by them.
//! - `messages.content_sha256`: the fingerprint duplicates are recognised by (unique);
//! - `messages.parse_warnings`: what the parser had to repair or could not read (JSON array);
//! - `message_requests`: every request an inbound message belongs to (one reply can name two
//!   of our references), filled from the existing `messages.request_id`.
//!
//! PostgreSQL drops the unique constraint by its catalogued name. SQLite cannot drop a
//! column's UNIQUE, so the table is rebuilt (SQLite's documented twelve-step procedure) on
//! one connection with foreign keys off, all in one transaction: dropping the old table with
//! foreign keys on would cascade and delete every attachment.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{sqlx, DatabaseConnection, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    MessageId,
    ParseWarnings,
    ContentSha256,
}

#[derive(DeriveIden)]
enum MessageRequests {
    Table,
    Id,
    MessageId,
    RequestId,
    MatchedVia,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
}

/// The column definition the first migration wrote into SQLite's schema text.
const SQLITE_UNIQUE_MESSAGE_ID: &str = "\"message_id\" varchar(512) NULL UNIQUE";
const SQLITE_PLAIN_MESSAGE_ID: &str = "\"message_id\" varchar(512) NULL";

const OUTBOUND_UNIQUE: &str = "CREATE UNIQUE INDEX ux_messages_outbound_message_id \
     ON messages (message_id) WHERE direction = 'outbound'";

const BACKFILL_LINKS: &str =
    "INSERT INTO message_requests (message_id, request_id, matched_via, created_at) \
     SELECT id, request_id, matched_via, COALESCE(received_at, created_at) FROM messages \
     WHERE direction = 'inbound' AND request_id IS NOT NULL";

/// DDL text for one back end.
trait BuildSql {
    fn build_sql(&self, backend: DbBackend) -> String;
}

impl<S: sea_orm_migration::sea_orm::StatementBuilder> BuildSql for S {
    fn build_sql(&self, backend: DbBackend) -> String {
        backend.build(self).sql
    }
}

/// Statements run before the unique constraint goes.
fn add_columns(b: DbBackend) -> Vec<String> {
    vec![
        Table::alter()
            .table(Messages::Table)
            .add_column(ColumnDef::new(Messages::ParseWarnings).text().null())
            .build_sql(b),
        Table::alter()
            .table(Messages::Table)
            .add_column(
                ColumnDef::new(Messages::ContentSha256)
                    .string_len(64)
                    .null(),
            )
            .build_sql(b),
    ]
}

/// Statements run after it.
fn indexes_and_links(b: DbBackend) -> Vec<String> {
    vec![
        Index::create()
            .name("ix_messages_message_id")
            .table(Messages::Table)
            .col(Messages::MessageId)
            .build_sql(b),
        OUTBOUND_UNIQUE.to_string(),
        Index::create()
            .name("ux_messages_content_sha256")
            .table(Messages::Table)
            .col(Messages::ContentSha256)
            .unique()
            .build_sql(b),
        Table::create()
            .table(MessageRequests::Table)
            .col(
                ColumnDef::new(MessageRequests::Id)
                    .integer()
                    .not_null()
                    .auto_increment()
                    .primary_key(),
            )
            .col(
                ColumnDef::new(MessageRequests::MessageId)
                    .integer()
                    .not_null(),
            )
            .col(
                ColumnDef::new(MessageRequests::RequestId)
                    .integer()
                    .not_null(),
            )
            .col(
                ColumnDef::new(MessageRequests::MatchedVia)
                    .string_len(16)
                    .null(),
            )
            .col(
                ColumnDef::new(MessageRequests::CreatedAt)
                    .timestamp_with_time_zone()
                    .not_null(),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(MessageRequests::Table, MessageRequests::MessageId)
                    .to(Messages::Table, Messages::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(MessageRequests::Table, MessageRequests::RequestId)
                    .to(Requests::Table, Requests::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .build_sql(b),
        Index::create()
            .name("ux_message_requests_pair")
            .table(MessageRequests::Table)
            .col(MessageRequests::MessageId)
            .col(MessageRequests::RequestId)
            .unique()
            .build_sql(b),
        Index::create()
            .name("ix_message_requests_request")
            .table(MessageRequests::Table)
            .col(MessageRequests::RequestId)
            .build_sql(b),
        BACKFILL_LINKS.to_string(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        match m.get_database_backend() {
            DbBackend::Postgres => up_postgres(m).await,
            DbBackend::Sqlite => up_sqlite(m).await,
            other => Err(DbErr::Migration(format!(
                "unsupported database backend {other:?}"
            ))),
        }
    }

    /// Back to a unique `message_id`; fails, naming the constraint, if messages now share one.
    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();
        for sql in [
            "DROP TABLE message_requests",
            "DROP INDEX ux_messages_content_sha256",
            "DROP INDEX ux_messages_outbound_message_id",
            "DROP INDEX ix_messages_message_id",
        ] {
            db.execute_unprepared(sql).await?;
        }
        for col in [Messages::ContentSha256, Messages::ParseWarnings] {
            m.alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        // SQLite enforces a unique index exactly like the column constraint it replaces.
        let unique = match backend {
            DbBackend::Postgres => {
                "ALTER TABLE messages ADD CONSTRAINT messages_message_id_key UNIQUE (message_id)"
            }
            _ => "CREATE UNIQUE INDEX messages_message_id_key ON messages (message_id)",
        };
        db.execute_unprepared(unique).await?;
        Ok(())
    }
}

async fn up_postgres(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = m.get_connection();
    for sql in add_columns(DbBackend::Postgres) {
        db.execute_unprepared(&sql).await?;
    }
    // PostgreSQL named the constraint itself (`messages_message_id_key`); ask the catalogue
    // rather than assume.
    let rows = db
        .query_all(sea_orm_migration::sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT c.conname FROM pg_constraint c \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) \
             WHERE c.conrelid = 'messages'::regclass AND c.contype = 'u' \
             AND a.attname = 'message_id' AND array_length(c.conkey, 1) = 1",
        ))
        .await?;
    for row in rows {
        let name: String = row.try_get("", "conname")?;
        db.execute_unprepared(&format!(
            "ALTER TABLE messages DROP CONSTRAINT \"{}\"",
            name.replace('"', "\"\"")
        ))
        .await?;
    }
    for sql in indexes_and_links(DbBackend::Postgres) {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}

async fn up_sqlite(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    // PRAGMA foreign_keys only takes effect outside a transaction and per connection, so the
    // whole migration runs on one connection taken from the pool.
    let pool =
        match m.get_connection() {
            SchemaManagerConnection::Connection(
                db @ DatabaseConnection::SqlxSqlitePoolConnection(_),
            ) => db.get_sqlite_connection_pool(),
            _ => return Err(DbErr::Migration(
                "m20261203_000006_inbound_fixes must run on a SQLite connection pool, not inside \
                 a transaction (it rebuilds the messages table with foreign keys off)"
                    .into(),
            )),
        };
    let mut conn = pool.acquire().await.map_err(sql_err("acquire"))?;
    let result = migrate_sqlite(&mut conn).await;
    match result {
        Ok(()) => {
            sqlx::query("PRAGMA foreign_keys = ON")
                .execute(&mut *conn)
                .await
                .map_err(sql_err("PRAGMA foreign_keys = ON"))?;
            Ok(())
        }
        Err(e) => {
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            // Never hand a connection with foreign keys off back to the pool.
            drop(conn.detach());
            Err(e)
        }
    }
}

async fn run(conn: &mut sqlx::SqliteConnection, sql: &str) -> Result<(), DbErr> {
    sqlx::query(sql)
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(sql_err(sql))
}

/// SQLite's procedure for a change ALTER TABLE cannot make: a new table from the old one's
/// definition without the column's UNIQUE, the rows copied, the old table dropped, the new one
/// renamed, its indexes and triggers made again. Foreign keys must be off (the caller's job).
async fn rebuild_without_unique(
    conn: &mut sqlx::SqliteConnection,
    table_sql: &str,
) -> Result<(), DbErr> {
    let new_sql = table_sql
        .replacen(
            "CREATE TABLE \"messages\"",
            "CREATE TABLE \"messages_rebuilt\"",
            1,
        )
        .replacen(SQLITE_UNIQUE_MESSAGE_ID, SQLITE_PLAIN_MESSAGE_ID, 1);
    if !new_sql.starts_with("CREATE TABLE \"messages_rebuilt\"") {
        return Err(DbErr::Migration(format!(
            "unexpected messages table definition: {table_sql}"
        )));
    }
    let indexes: Vec<(String,)> = sqlx::query_as(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'messages' \
         AND type IN ('index', 'trigger') AND sql IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(sql_err("reading the messages indexes"))?;
    run(conn, &new_sql).await?;
    // Same column order: the new table's text is the old one's.
    run(conn, "INSERT INTO messages_rebuilt SELECT * FROM messages").await?;
    run(conn, "DROP TABLE messages").await?;
    run(conn, "ALTER TABLE messages_rebuilt RENAME TO messages").await?;
    for (sql,) in &indexes {
        run(conn, sql).await?;
    }
    Ok(())
}

async fn migrate_sqlite(conn: &mut sqlx::SqliteConnection) -> Result<(), DbErr> {
    run(conn, "PRAGMA foreign_keys = OFF").await?;
    run(conn, "BEGIN IMMEDIATE").await?;
    for sql in add_columns(DbBackend::Sqlite) {
        run(conn, &sql).await?;
    }
    let (table_sql,): (String,) =
        sqlx::query_as("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'messages'")
            .fetch_one(&mut *conn)
            .await
            .map_err(sql_err("reading the messages table definition"))?;
    if table_sql.matches(SQLITE_UNIQUE_MESSAGE_ID).count() == 1 {
        rebuild_without_unique(conn, &table_sql).await?;
    } else if table_sql.contains(SQLITE_PLAIN_MESSAGE_ID) {
        // Already rebuilt once; `down` put the uniqueness back as an index.
        run(conn, "DROP INDEX IF EXISTS messages_message_id_key").await?;
    } else {
        return Err(DbErr::Migration(format!(
            "the messages table does not have the expected definition of message_id \
             ({SQLITE_UNIQUE_MESSAGE_ID}); found: {table_sql}"
        )));
    }
    for sql in indexes_and_links(DbBackend::Sqlite) {
        run(conn, &sql).await?;
    }
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(sql_err("PRAGMA foreign_key_check"))?;
    if !broken.is_empty() {
        return Err(DbErr::Migration(format!(
            "rebuilding messages would break foreign keys in: {}",
            broken
                .iter()
                .map(|(t,)| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    run(conn, "COMMIT").await
}

fn sql_err(what: &str) -> impl Fn(sqlx::Error) -> DbErr + '_ {
    move |e| DbErr::Migration(format!("m20261203_000006_inbound_fixes: {what}: {e}"))
}
