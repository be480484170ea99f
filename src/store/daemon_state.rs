//! The daemon's memory: when each job last ran, the chases made per deadline, the weekly
//! digests sent. Unique keys make "once" hold across restarts and between two daemons.

use super::StoreResult;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

fn p(backend: DbBackend, i: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${i}"),
        _ => "?".into(),
    }
}

pub async fn last_run(db: &impl ConnectionTrait, job: &str) -> StoreResult<Option<DateTime<Utc>>> {
    let b = db.get_database_backend();
    let row = db
        .query_one(Statement::from_sql_and_values(
            b,
            format!("SELECT last_run_at FROM job_runs WHERE job = {}", p(b, 1)),
            [Value::from(job.to_string())],
        ))
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get("", "last_run_at")?),
        None => None,
    })
}

pub async fn record_run(
    db: &impl ConnectionTrait,
    job: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let b = db.get_database_backend();
    db.execute(Statement::from_sql_and_values(
        b,
        format!(
            "INSERT INTO job_runs (job, last_run_at) VALUES ({}, {}) \
             ON CONFLICT (job) DO UPDATE SET last_run_at = EXCLUDED.last_run_at",
            p(b, 1),
            p(b, 2)
        ),
        [Value::from(job.to_string()), Value::from(at)],
    ))
    .await?;
    Ok(())
}

/// Claims a chase (a reminder, review or complaint) for one period of waiting. False when it
/// was already made: the unique key decides, so two daemons cannot both win, and a due date
/// that moves within the period does not make it again. `deadline` is kept for the record.
pub async fn claim_chase(
    db: &impl ConnectionTrait,
    request_id: i32,
    kind: &str,
    period: &str,
    deadline: NaiveDate,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let b = db.get_database_backend();
    let conflict = " ON CONFLICT (request_id, kind, period) DO NOTHING";
    let res = db
        .execute(Statement::from_sql_and_values(
            b,
            format!(
                "INSERT INTO chases (request_id, kind, period, deadline, created_at) VALUES ({}, {}, {}, {}, {}){conflict}",
                p(b, 1),
                p(b, 2),
                p(b, 3),
                p(b, 4),
                p(b, 5)
            ),
            [
                Value::from(request_id),
                Value::from(kind.to_string()),
                Value::from(period.to_string()),
                Value::from(deadline),
                Value::from(now),
            ],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

pub async fn set_chase_message(
    db: &impl ConnectionTrait,
    request_id: i32,
    kind: &str,
    period: &str,
    message_id: i32,
) -> StoreResult<()> {
    let b = db.get_database_backend();
    db.execute(Statement::from_sql_and_values(
        b,
        format!(
            "UPDATE chases SET message_id = {} WHERE request_id = {} AND kind = {} AND period = {}",
            p(b, 1),
            p(b, 2),
            p(b, 3),
            p(b, 4)
        ),
        [
            Value::from(message_id),
            Value::from(request_id),
            Value::from(kind.to_string()),
            Value::from(period.to_string()),
        ],
    ))
    .await?;
    Ok(())
}

/// Claims the digest for an ISO week; false when it was already sent.
pub async fn claim_digest(
    db: &impl ConnectionTrait,
    iso_week: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let b = db.get_database_backend();
    let res = db
        .execute(Statement::from_sql_and_values(
            b,
            format!(
                "INSERT INTO digests (iso_week, created_at) VALUES ({}, {}) ON CONFLICT (iso_week) DO NOTHING",
                p(b, 1),
                p(b, 2)
            ),
            [Value::from(iso_week.to_string()), Value::from(now)],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

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
