//! Locks that make a singleton job run in one daemon at a time.

use super::StoreResult;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

/// On PostgreSQL, a transaction-scoped advisory lock so that a singleton job runs in one
/// daemon at a time; on SQLite (one writer) there is nothing to take.
pub async fn try_job_lock(db: &impl ConnectionTrait, job: &str) -> StoreResult<bool> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(true);
    }
    let row = db
        .query_one(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked",
            [Value::from(format!("foi:{job}"))],
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get("", "locked")?,
        None => false,
    })
}
