//! Emails staff the weekly digest.

use super::Job;
use crate::app::AppContext;
use crate::services::{digest, ServiceError};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use std::sync::atomic::AtomicBool;

pub struct Digest;

impl Job for Digest {
    fn name(&self) -> &'static str {
        "digest"
    }
    fn default_schedule(&self) -> &'static str {
        "0 0 8 * * Mon"
    }
    fn catches_up(&self) -> bool {
        true
    }
    fn templates(&self) -> &'static [&'static str] {
        digest::TEMPLATES
    }
    fn run<'a>(
        &'a self,
        app: &'a AppContext,
        now: DateTime<Utc>,
        _stopping: &'a AtomicBool,
    ) -> BoxFuture<'a, Result<String, ServiceError>> {
        Box::pin(async move { Ok(digest::send(app, now).await?.to_string()) })
    }
}
