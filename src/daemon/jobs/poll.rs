//! Polls the IMAP inbox.

use super::Job;
use crate::app::AppContext;
use crate::services::{poll, ServiceError};
use crate::settings::Settings;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use std::sync::atomic::AtomicBool;

pub struct Poll;

impl Job for Poll {
    fn name(&self) -> &'static str {
        "poll"
    }
    fn default_schedule(&self) -> &'static str {
        "0 */5 * * * *"
    }
    fn unavailable(&self, settings: &Settings) -> Option<&'static str> {
        (!settings.inbox.enabled()).then_some("no [inbox] host configured")
    }
    fn run<'a>(
        &'a self,
        app: &'a AppContext,
        now: DateTime<Utc>,
        _stopping: &'a AtomicBool,
    ) -> BoxFuture<'a, Result<String, ServiceError>> {
        Box::pin(async move {
            if !app.settings.inbox.enabled() {
                return Ok("no inbox configured".to_string());
            }
            Ok(poll::poll(app, now).await?.to_string())
        })
    }
}
