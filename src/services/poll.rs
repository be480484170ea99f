//! One poll of the IMAP inbox (`foi inbox poll`, the daemon's `poll` job): the IMAP client
//! fetches what is new, and each message is stored here, through `ingest`, before the
//! high-water mark moves past it.

use super::ingest::{ingest, Ingested};
use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::mail::imap::{poll_once, Kept, Mailbox, PollReport};
use crate::store::inbound;
use chrono::{DateTime, Utc};

struct Store<'a> {
    app: &'a AppContext,
    now: DateTime<Utc>,
}

impl Mailbox for Store<'_> {
    type Error = ServiceError;

    async fn mark(&mut self, key: &str) -> ServiceResult<Option<(u32, u32)>> {
        Ok(inbound::imap_mark(&self.app.db, key).await?)
    }

    async fn set_mark(&mut self, key: &str, uidvalidity: u32, last_uid: u32) -> ServiceResult<()> {
        Ok(inbound::set_imap_mark(&self.app.db, key, uidvalidity, last_uid, self.now).await?)
    }

    async fn keep(&mut self, raw: &[u8], source: &str) -> ServiceResult<Kept> {
        Ok(match ingest(self.app, self.now, raw, source).await? {
            Ingested::Stored { .. } => Kept::Stored,
            Ingested::Duplicate { .. } => Kept::Duplicate,
        })
    }
}

#[tracing::instrument(skip_all)]
pub async fn poll(app: &AppContext, now: DateTime<Utc>) -> ServiceResult<PollReport> {
    poll_once(&app.settings, &mut Store { app, now }).await
}
