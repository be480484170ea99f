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

/// Serialises queueing on PostgreSQL for the rest of the transaction, so that two staff
/// queueing the same council at once cannot both find it unasked and both write to it. SQLite
/// has one writer: the second transaction fails rather than writing a duplicate.
pub async fn queue_lock(db: &impl ConnectionTrait) -> StoreResult<()> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    db.execute(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtext($1))",
        [Value::from("foi:queue".to_string())],
    ))
    .await?;
    Ok(())
}
