use crate::settings::DatabaseSettings;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

impl DbKind {
    pub fn of(db: &impl ConnectionTrait) -> Self {
        match db.get_database_backend() {
            DbBackend::Postgres => DbKind::Postgres,
            _ => DbKind::Sqlite,
        }
    }
}

/// Opens the pool. For SQLite the file and its folder are created on first use, and each
/// connection waits for the write lock instead of failing with "database is locked".
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let mut url = settings.url.trim().to_string();
    if url.starts_with("sqlite:") {
        let path = sqlite_path(&url);
        if let Some(parent) = Path::new(&path).parent() {
            if !parent.as_os_str().is_empty() && path != ":memory:" {
                std::fs::create_dir_all(parent).map_err(|e| {
                    DbErr::Custom(format!(
                        "cannot create the folder {} for the SQLite database: {e}",
                        parent.display()
                    ))
                })?;
            }
        }
        if !url.contains("mode=") {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str("mode=rwc");
        }
    }
    let timeout = Duration::from_secs(settings.connect_timeout_secs.max(1));
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(settings.max_connections)
        .min_connections(1)
        .connect_timeout(timeout)
        .acquire_timeout(timeout)
        .sqlx_logging(false);
    opts.map_sqlx_sqlite_opts(move |o| {
        o.busy_timeout(timeout)
            .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
            .foreign_keys(true)
            // SQLite runs on a thread of its own and hands rows over one by one; with room
            // for a few thousand it steps on instead of waiting for each to be taken, which
            // made reading tens of thousands of rows (the status, the reports) several times
            // slower than SQLite itself.
            .row_buffer_size(4096)
            // A checkpoint copies the log into the database but leaves the file its size:
            // after one large write (a campaign queued, a bulk load) every later start would
            // still read a log of that size. Cut it back to 64 MiB after each checkpoint.
            .pragma("journal_size_limit", "67108864")
    });
    Database::connect(opts).await
}

fn sqlite_path(url: &str) -> String {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    rest.split('?').next().unwrap_or("").to_string()
}

/// Applies pending migrations; says how many there were.
pub async fn migrate(db: &DatabaseConnection) -> Result<usize, DbErr> {
    let pending = Migrator::get_pending_migrations(db).await?.len();
    if pending > 0 {
        Migrator::up(db, None).await?;
    }
    Ok(pending)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct MigrationInfo {
    pub name: String,
    pub applied: bool,
}

pub async fn migration_status(db: &DatabaseConnection) -> Result<Vec<MigrationInfo>, DbErr> {
    let applied: Vec<String> = Migrator::get_applied_migrations(db)
        .await?
        .into_iter()
        .map(|m| m.name().to_string())
        .collect();
    Ok(Migrator::migrations()
        .iter()
        .map(|m| MigrationInfo {
            name: m.name().to_string(),
            applied: applied.iter().any(|a| a == m.name()),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_sqlite_file() {
        assert_eq!(sqlite_path("sqlite://var/foi.db?mode=rwc"), "var/foi.db");
        assert_eq!(sqlite_path("sqlite:/tmp/x.db"), "/tmp/x.db");
    }
}
