//! `foi run`: each enabled job on its own task, sleeping until its next cron time (no busy
//! polling). A failing job logs why and runs again at its next time; the others carry on.
//! A sweep or digest missed while the daemon was down runs once at start-up.

use super::jobs::{run_job, Job, JobContext};
use super::{last_tick, next_after, parse_schedule};
use crate::store::daemon_state;
use chrono::Utc;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub async fn run(ctx: Arc<JobContext>, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
    let now = Utc::now();
    let mut tasks = Vec::new();
    for job in Job::ALL {
        let Some(schedule) =
            parse_schedule(ctx.settings.schedule.get(job.as_str())).map_err(anyhow::Error::msg)?
        else {
            tracing::info!(job = %job, "disabled (no schedule)");
            continue;
        };
        if job == Job::Poll && !ctx.settings.inbox.enabled() {
            tracing::info!(job = %job, "disabled: no [inbox] host configured");
            continue;
        }
        if job.catches_up() {
            match (
                daemon_state::last_run(&ctx.db, job.as_str()).await?,
                last_tick(&schedule, now),
            ) {
                (Some(last), Some(tick)) if last < tick => {
                    tracing::info!(job = %job, missed = %tick, "catching up a run missed while the daemon was down");
                    log_result(job, run_job(&ctx, job, now).await);
                }
                (None, _) => daemon_state::record_run(&ctx.db, job.as_str(), now).await?,
                _ => {}
            }
        }
        if let Some(next) = next_after(&schedule, now) {
            tracing::info!(job = %job, next = %next, schedule = %ctx.settings.schedule.get(job.as_str()), "scheduled");
        }
        let ctx = ctx.clone();
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
                if ctx.stopping.load(Ordering::SeqCst) {
                    break;
                }
                log_result(job, run_job(&ctx, job, Utc::now()).await);
            }
        }));
    }
    tracing::info!("foi is running; SIGINT or SIGTERM stops it");
    let _ = shutdown.changed().await;
    ctx.stopping.store(true, Ordering::SeqCst);
    let grace = stop_grace(&ctx.settings);
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

fn log_result(job: Job, r: anyhow::Result<String>) {
    match r {
        Ok(summary) => tracing::info!(job = %job, "{summary}"),
        Err(e) => {
            tracing::error!(job = %job, error = %format!("{e:#}"), "job failed; it runs again at its next time")
        }
    }
}
