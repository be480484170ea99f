//! Sends what is due in the outbox.

use super::Job;
use crate::app::AppContext;
use crate::services::{dispatch, ServiceError};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use std::sync::atomic::AtomicBool;

pub struct Dispatch;

impl Job for Dispatch {
    fn name(&self) -> &'static str {
        "dispatch"
    }
    fn default_schedule(&self) -> &'static str {
        "0 * * * * *"
    }
    fn run<'a>(
        &'a self,
        app: &'a AppContext,
        now: DateTime<Utc>,
        stopping: &'a AtomicBool,
    ) -> BoxFuture<'a, Result<String, ServiceError>> {
        Box::pin(async move { Ok(dispatch::drain(app, now, None, stopping).await?.to_string()) })
    }
}
