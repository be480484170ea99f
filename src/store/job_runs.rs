//! When each daemon job last ran.

use super::entities::job_run::{self, Entity as JobRun};
use super::StoreResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

pub async fn last_run(db: &impl ConnectionTrait, job: &str) -> StoreResult<Option<DateTime<Utc>>> {
    Ok(JobRun::find_by_id(job.to_string())
        .one(db)
        .await?
        .map(|r| r.last_run_at))
}

pub async fn record_run(
    db: &impl ConnectionTrait,
    job: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    JobRun::insert(job_run::ActiveModel {
        job: Set(job.to_string()),
        last_run_at: Set(at),
    })
    .on_conflict(
        OnConflict::column(job_run::Column::Job)
            .update_column(job_run::Column::LastRunAt)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}
