//! Marks late requests, sends reminders, drafts escalations.

use super::Job;
use crate::app::AppContext;
use crate::services::{sweep, ServiceError};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use std::sync::atomic::AtomicBool;

pub struct Sweep;

impl Job for Sweep {
    fn name(&self) -> &'static str {
        "sweep"
    }
    fn default_schedule(&self) -> &'static str {
        "0 0 7 * * *"
    }
    fn catches_up(&self) -> bool {
        true
    }
    fn templates(&self) -> &'static [&'static str] {
        sweep::TEMPLATES
    }
    fn run<'a>(
        &'a self,
        app: &'a AppContext,
        now: DateTime<Utc>,
        _stopping: &'a AtomicBool,
    ) -> BoxFuture<'a, Result<String, ServiceError>> {
        Box::pin(async move { Ok(sweep::sweep(app, now).await?.to_string()) })
    }
}
