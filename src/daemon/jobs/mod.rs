//! The daemon's jobs, registered in one place. Adding a job is one new file here and one
//! line in `registry()`: its name is its key in `[schedule]`, and the templates it writes
//! with are checked when the daemon starts.

mod digest;
mod dispatch;
mod extract;
mod poll;
mod sweep;

use crate::app::AppContext;
use crate::services::ServiceError;
use crate::settings::Settings;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use std::sync::atomic::AtomicBool;

pub trait Job: Send + Sync {
    /// Its name: `foi run --once NAME`, and its key in `[schedule]`.
    fn name(&self) -> &'static str;
    /// The cron schedule when `[schedule]` does not name one.
    fn default_schedule(&self) -> &'static str;
    /// Jobs that act on deadlines or the calendar week: a run missed while the daemon was
    /// down is caught up once at start.
    fn catches_up(&self) -> bool {
        false
    }
    /// Why the job cannot run with these settings (the poll needs an inbox), if it cannot.
    fn unavailable(&self, _settings: &Settings) -> Option<&'static str> {
        None
    }
    /// The letter templates it writes with.
    fn templates(&self) -> &'static [&'static str] {
        &[]
    }
    /// One run; the line it returns goes to the log.
    fn run<'a>(
        &'a self,
        app: &'a AppContext,
        now: DateTime<Utc>,
        stopping: &'a AtomicBool,
    ) -> BoxFuture<'a, Result<String, ServiceError>>;
}

pub fn registry() -> Vec<Box<dyn Job>> {
    vec![
        Box::new(dispatch::Dispatch),
        Box::new(poll::Poll),
        Box::new(sweep::Sweep),
        Box::new(digest::Digest),
        Box::new(extract::Extract),
    ]
}

/// The registered job called `name`, or an error listing them.
pub fn find(name: &str) -> Result<Box<dyn Job>, String> {
    let jobs = registry();
    let names: Vec<&str> = jobs.iter().map(|j| j.name()).collect();
    let list = names.join(", ");
    registry()
        .into_iter()
        .find(|j| j.name() == name.trim())
        .ok_or_else(|| format!("'{name}' is not a job ({list})"))
}
