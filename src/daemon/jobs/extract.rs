//! Reads the text of new documents (message texts and attachments), off the ingest path.

use super::Job;
use crate::app::AppContext;
use crate::services::{documents, ServiceError};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use std::sync::atomic::AtomicBool;

pub struct Extract;

impl Job for Extract {
    fn name(&self) -> &'static str {
        "extract"
    }
    fn default_schedule(&self) -> &'static str {
        "30 * * * * *"
    }
    fn run<'a>(
        &'a self,
        app: &'a AppContext,
        now: DateTime<Utc>,
        stopping: &'a AtomicBool,
    ) -> BoxFuture<'a, Result<String, ServiceError>> {
        Box::pin(async move { Ok(documents::run(app, now, stopping, None).await?.to_string()) })
    }
}
