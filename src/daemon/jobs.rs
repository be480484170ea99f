//! One run of one job, shared by the scheduler and `foi run --once`.

use crate::letters::LetterRegistry;
use crate::mail::{DispatchOutcome, MailTransport, Outbox};
use crate::settings::Settings;
use crate::store::daemon_state;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Job {
    Dispatch,
    Poll,
    Sweep,
    Digest,
}

impl Job {
    pub const ALL: [Job; 4] = [Job::Dispatch, Job::Poll, Job::Sweep, Job::Digest];

    pub fn as_str(self) -> &'static str {
        match self {
            Job::Dispatch => "dispatch",
            Job::Poll => "poll",
            Job::Sweep => "sweep",
            Job::Digest => "digest",
        }
    }

    /// Jobs that act on deadlines or the calendar week: missed runs are caught up once.
    pub fn catches_up(self) -> bool {
        matches!(self, Job::Sweep | Job::Digest)
    }
}

impl FromStr for Job {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Job::ALL
            .into_iter()
            .find(|j| j.as_str() == s.trim())
            .ok_or_else(|| format!("'{s}' is not a job (dispatch, poll, sweep, digest)"))
    }
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What every job needs, built once when the daemon starts.
pub struct JobContext {
    pub settings: Settings,
    pub db: DatabaseConnection,
    pub letters: LetterRegistry,
    pub transport: MailTransport,
    pub worker: String,
    /// Set on SIGINT/SIGTERM: the dispatch loop finishes the message in flight and stops.
    pub stopping: Arc<AtomicBool>,
}

/// Runs one job now and says what it did, in a line for the log.
pub async fn run_job(ctx: &JobContext, job: Job, now: DateTime<Utc>) -> anyhow::Result<String> {
    let summary = match job {
        Job::Dispatch => {
            let outbox = Outbox::new(
                ctx.db.clone(),
                ctx.transport.clone(),
                ctx.settings.clone(),
                &ctx.worker,
            )
            .await?;
            let stale = outbox.recover(now).await?;
            let (mut sent, mut written, mut retry, mut failed) = (0, 0, 0, 0);
            let mut held = String::new();
            // `now` is when the job started; each step reads the clock afresh so leases, send
            // times and the sending window stay true on a long run.
            let started = std::time::Instant::now();
            while !ctx.stopping.load(Ordering::SeqCst) {
                let step_now =
                    now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
                match outbox.try_execute_task(step_now).await? {
                    DispatchOutcome::Idle => break,
                    DispatchOutcome::Sent { .. } => sent += 1,
                    DispatchOutcome::Written { .. } => written += 1,
                    DispatchOutcome::WillRetry { .. } => retry += 1,
                    DispatchOutcome::Failed { .. } => failed += 1,
                    DispatchOutcome::Superseded { .. } => {}
                    DispatchOutcome::Throttled { until } => {
                        held = format!("; throttled until {}", until.format("%H:%M:%S"));
                        break;
                    }
                    DispatchOutcome::Closed { opens } => {
                        held = format!(
                            "; outside the sending window until {}",
                            opens.format("%Y-%m-%d %H:%M")
                        );
                        break;
                    }
                }
            }
            let files = if written > 0 {
                format!(", {written} written to files (not emailed)")
            } else {
                String::new()
            };
            format!(
                "{sent} sent, {retry} to retry, {failed} failed, {} uncertain{files}{held}",
                stale.len()
            )
        }
        Job::Poll => {
            if !ctx.settings.inbox.enabled() {
                "no inbox configured".to_string()
            } else {
                crate::mail::imap::poll_once(&ctx.db, &ctx.settings, now)
                    .await?
                    .to_string()
            }
        }
        Job::Sweep => super::sweep(ctx, now).await?.to_string(),
        Job::Digest => super::digest::send_digest(ctx, now).await?,
    };
    daemon_state::record_run(&ctx.db, job.as_str(), now).await?;
    Ok(summary)
}
