//! `foi run`: each enabled job on its own task, sleeping until its next cron time (no busy
//! polling). A failing job logs why and runs again at its next time; the others carry on.
//! A sweep or digest missed while the daemon was down runs once at start-up.

use super::{last_tick, next_after, parse_schedule, registry, run_once, schedule_of, Job};
use crate::app::AppContext;
use crate::store::job_runs;
use chrono::Utc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub async fn run(app: Arc<AppContext>, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
    super::check(&app).map_err(anyhow::Error::msg)?;
    let stopping = Arc::new(AtomicBool::new(false));
    let now = Utc::now();
    let mut tasks = Vec::new();
    for job in registry() {
        let job: Arc<dyn Job> = Arc::from(job);
        let name = job.name();
        let Some(schedule) =
            parse_schedule(schedule_of(&app.settings, job.as_ref())).map_err(anyhow::Error::msg)?
        else {
            tracing::info!(job = name, "disabled (no schedule)");
            continue;
        };
        if let Some(why) = job.unavailable(&app.settings) {
            tracing::info!(job = name, "disabled: {why}");
            continue;
        }
        if job.catches_up() {
            match (
                job_runs::last_run(&app.db, name).await?,
                last_tick(&schedule, now),
            ) {
                (Some(last), Some(tick)) if last < tick => {
                    tracing::info!(job = name, missed = %tick, "catching up a run missed while the daemon was down");
                    log_result(name, run_once(&app, job.as_ref(), now, &stopping).await);
                }
                (None, _) => job_runs::record_run(&app.db, name, now).await?,
                _ => {}
            }
        }
        if let Some(next) = next_after(&schedule, now) {
            tracing::info!(job = name, next = %next, schedule = %schedule_of(&app.settings, job.as_ref()), "scheduled");
        }
        let app = app.clone();
        let stopping = stopping.clone();
        let mut stop = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            // The sleep runs on the monotonic clock and the schedule on the wall clock: never
            // fire the same tick twice if the wall clock lags a little behind.
            let mut last_fired = now;
            loop {
                let now = Utc::now().max(last_fired);
                let Some(next) = next_after(&schedule, now) else {
                    break;
                };
                last_fired = next;
                let wait = (next - now).to_std().unwrap_or(Duration::ZERO);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => break,
                }
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                log_result(
                    name,
                    run_once(&app, job.as_ref(), Utc::now(), &stopping).await,
                );
            }
        }));
    }
    tracing::info!("foi is running; SIGINT or SIGTERM stops it");
    let _ = shutdown.changed().await;
    stopping.store(true, Ordering::SeqCst);
    let grace = stop_grace(&app.settings);
    tracing::info!(
        grace_secs = grace.as_secs(),
        "stopping: finishing the work in flight"
    );
    let deadline = tokio::time::Instant::now() + grace;
    for t in tasks {
        if tokio::time::timeout_at(deadline, t).await.is_err() {
            tracing::warn!("the work in flight did not finish in time; a message being sent may show as uncertain");
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// How long a stop waits for the work in flight. A message handed to the SMTP server must be
/// allowed to finish, or the server may accept it after we have gone and it becomes
/// `uncertain`: lettre applies `mail.smtp.timeout_secs` to each step of a send, and a send can
/// take several steps (connect, TLS, login, the envelope, the data), which the outbox lease is
/// sized for (at least four timeouts).
pub fn stop_grace(settings: &crate::settings::Settings) -> Duration {
    let steps = settings.mail.smtp.timeout_secs.saturating_mul(4);
    Duration::from_secs(steps.min(settings.mail.outbox.lease_secs) + 5)
}

fn log_result(job: &str, r: Result<String, crate::services::ServiceError>) {
    match r {
        Ok(summary) => tracing::info!(job, "{summary}"),
        Err(e) => {
            tracing::error!(job, error = %e, "job failed; it runs again at its next time")
        }
    }
}
