//! The daemon: the registered jobs (dispatch, poll, sweep, digest) on cron schedules in
//! Europe/London time. Each job can also be run once (`foi run --once JOB`), with the clock
//! set by `--now`, which is how tests walk a request through weeks in milliseconds.

pub mod jobs;
mod scheduler;

pub use jobs::{find, registry, Job};
pub use scheduler::{run, stop_grace};

use crate::app::AppContext;
use crate::services::ServiceError;
use crate::settings::Settings;
use crate::store::job_runs;
use chrono::{DateTime, Utc};
use std::sync::atomic::AtomicBool;

pub use crate::domain::schedule::{last_tick, next_after, parse_schedule};

/// A job's cron expression: `[schedule]` NAME, or the job's own default.
pub fn schedule_of<'a>(settings: &'a Settings, job: &dyn Job) -> &'a str {
    settings
        .schedule
        .get(job.name())
        .map(String::as_str)
        .unwrap_or(job.default_schedule())
}

/// What the daemon checks before it starts: every `[schedule]` key names a job, and every
/// template a job writes with is there (named, with the file, when one is missing).
pub fn check(app: &AppContext) -> Result<(), String> {
    let jobs = registry();
    for key in app.settings.schedule.keys() {
        if !jobs.iter().any(|j| j.name() == key) {
            let names: Vec<&str> = jobs.iter().map(|j| j.name()).collect();
            return Err(format!(
                "configuration key schedule.{key}: there is no job called {key} ({})",
                names.join(", ")
            ));
        }
    }
    for job in &jobs {
        for t in job.templates() {
            app.letters.get(t).map_err(|e| {
                format!(
                    "the {} job writes with the template {t}, which cannot be used: {e}",
                    job.name()
                )
            })?;
        }
    }
    Ok(())
}

/// Runs one job now and records that it ran; the line it returns goes to the log.
pub async fn run_once(
    app: &AppContext,
    job: &dyn Job,
    now: DateTime<Utc>,
    stopping: &AtomicBool,
) -> Result<String, ServiceError> {
    let span = tracing::info_span!("job", job = job.name());
    let summary = tracing::Instrument::instrument(job.run(app, now, stopping), span).await?;
    job_runs::record_run(&app.db, job.name(), now).await?;
    Ok(summary)
}
