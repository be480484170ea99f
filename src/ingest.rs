//! Storing inbound mail: every message once (by bytes or Message-ID), its raw bytes and
//! attachments kept on disk, tied to its request where that can be known, and what it means
//! for the request (response, acknowledgement, bounce, auto-reply) applied in one transaction.
//! What cannot be matched waits in the holding pen for staff.

use crate::mail::inbound::{self, Classification, ParsedMail};
use crate::settings::Settings;
use crate::store::inbound::{self as store, MessageModel, NewInbound};
use crate::store::requests::{self, RequestModel};
use crate::store::{events, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The database could not be reached or written: the caller should try again later
    /// (an MTA pipe exits 75 so the MTA keeps the message).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("cannot keep the message on disk under {dir}: {message}")]
    Disk { dir: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for IngestError {
    fn from(e: sea_orm::DbErr) -> Self {
        IngestError::Unavailable(e.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Ingested {
    Stored {
        id: i32,
        kind: String,
        reference: Option<String>,
        via: Option<String>,
        sender_flagged: bool,
    },
    Duplicate {
        id: i32,
    },
}

pub struct Ingestor {
    db: DatabaseConnection,
    data_dir: PathBuf,
    reply_domain: String,
}

impl Ingestor {
    pub fn new(db: DatabaseConnection, settings: &Settings) -> Self {
        Ingestor {
            db,
            data_dir: settings.paths.data_dir.clone(),
            reply_domain: settings.mail.reply_domain.clone(),
        }
    }

    pub async fn ingest(
        &self,
        raw: &[u8],
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Ingested, IngestError> {
        let mail = inbound::parse(raw);
        // A Message-ID longer than the column would stop the inbox at this message for good:
        // keep a stable digest of it instead.
        let message_id = mail.message_id.clone().map(|id| {
            if id.len() > 500 {
                format!(
                    "<{}@long-message-id.invalid>",
                    crate::files::sha256_hex(id.as_bytes())
                )
            } else {
                id
            }
        });
        if let Some(dup) =
            store::find_duplicate(&self.db, &mail.raw_sha256, message_id.as_deref()).await?
        {
            return Ok(Ingested::Duplicate { id: dup.id });
        }
        // Bytes reach the disk before the database row that points at them.
        let disk = |e: std::io::Error| IngestError::Disk {
            dir: self.data_dir.display().to_string(),
            message: e.to_string(),
        };
        let raw_path =
            crate::files::store(&self.data_dir, "mail/raw", &mail.raw_sha256, ".eml", raw)
                .map_err(disk)?;
        let mut files = Vec::new();
        for a in &mail.attachments {
            let path = crate::files::store(&self.data_dir, "attachments", &a.sha256, "", &a.bytes)
                .map_err(disk)?;
            files.push((a, path));
        }
        let classification = inbound::classify(&mail);
        let kind = classification.kind();
        let txn = self.db.begin().await?;
        let (request, via) = self.find_request(&txn, &mail).await?;
        let sender_flagged = match &request {
            Some(r) => r
                .to_address
                .as_deref()
                .is_some_and(|to| inbound::sender_differs(mail.from.as_ref(), to)),
            None => false,
        };
        let row = NewInbound {
            request_id: request.as_ref().map(|r| r.id),
            kind: kind.to_string(),
            message_id: message_id.clone(),
            in_reply_to: mail.in_reply_to.first().cloned(),
            from_addr: mail
                .from
                .as_ref()
                .map(|a| a.address.clone())
                .unwrap_or_default(),
            to_addr: mail
                .to
                .iter()
                .map(|a| a.address.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            subject: mail.subject.clone(),
            body: mail.text.clone(),
            raw_path: Some(raw_path.display().to_string()),
            raw_sha256: mail.raw_sha256.clone(),
            matched_via: via.map(str::to_string),
            sender_flagged,
            source: source.to_string(),
            received_at: now,
        };
        let stored = match store::insert(&txn, row).await {
            Ok(m) => m,
            Err(e)
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) =>
            {
                // Another process stored the same message between our check and our insert.
                txn.rollback().await?;
                let dup = store::find_duplicate(&self.db, &mail.raw_sha256, message_id.as_deref())
                    .await?;
                return Ok(Ingested::Duplicate {
                    id: dup.map(|d| d.id).unwrap_or(0),
                });
            }
            Err(e) => return Err(e.into()),
        };
        for (a, path) in &files {
            store::add_attachment(
                &txn,
                stored.id,
                &a.filename,
                &a.content_type,
                a.bytes.len() as i64,
                &a.sha256,
                &path.display().to_string(),
            )
            .await?;
        }
        if let Some(r) = &request {
            apply(
                &txn,
                r,
                &stored,
                &mail,
                &classification,
                sender_flagged,
                "ingest",
                now,
            )
            .await?;
        }
        txn.commit().await?;
        Ok(Ingested::Stored {
            id: stored.id,
            kind: kind.to_string(),
            reference: request.map(|r| r.reference),
            via: via.map(str::to_string),
            sender_flagged,
        })
    }

    /// In order: a reference in an address, a thread header naming one of our Message-IDs,
    /// the reference in the subject.
    async fn find_request(
        &self,
        db: &impl ConnectionTrait,
        mail: &ParsedMail,
    ) -> Result<(Option<RequestModel>, Option<&'static str>), IngestError> {
        let keys = inbound::match_keys(mail, &self.reply_domain);
        for r in &keys.address_refs {
            if let Some(req) = requests::find_by_reference(db, r).await? {
                return Ok((Some(req), Some("address")));
            }
        }
        if let Some(m) = store::outbound_by_message_ids(db, &keys.thread_ids).await? {
            if let Some(id) = m.request_id {
                if let Some(req) = requests::get_by_id(db, id).await? {
                    return Ok((Some(req), Some("thread")));
                }
            }
        }
        // Our Message-IDs carry the reference, so a thread still matches if the row is gone.
        for id in &keys.thread_ids {
            for r in inbound::find_references(id) {
                if let Some(req) = requests::find_by_reference(db, &r).await? {
                    return Ok((Some(req), Some("thread")));
                }
            }
        }
        for r in &keys.subject_refs {
            if let Some(req) = requests::find_by_reference(db, r).await? {
                return Ok((Some(req), Some("subject")));
            }
        }
        Ok((None, None))
    }
}

/// What a matched message does to its request, with a timeline event either way.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    db: &impl ConnectionTrait,
    request: &RequestModel,
    message: &MessageModel,
    mail: &ParsedMail,
    classification: &Classification,
    sender_flagged: bool,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), IngestError> {
    use crate::domain::RequestState as S;
    let from = mail
        .from
        .as_ref()
        .map(|a| a.address.clone())
        .unwrap_or_else(|| "an unknown sender".into());
    let flag = if sender_flagged {
        " (note: not from the council's FOI address domain)"
    } else {
        ""
    };
    let state: S = S::parse(&request.state).unwrap_or(S::Sent);
    let (kind, detail, new_state) = match classification {
        Classification::Bounce {
            permanent: true,
            status,
            diagnostic,
            recipient,
            original_message_id,
        } => {
            let mut ids: Vec<String> = original_message_id.iter().cloned().collect();
            ids.extend(mail.in_reply_to.iter().cloned());
            // The bounced letter is the one whose Message-ID the report quotes; without one,
            // only the request letter itself is assumed (never a later reminder).
            let target = match store::outbound_by_message_ids(db, &ids).await? {
                Some(m) if m.request_id == Some(request.id) => Some(m),
                _ => store::latest_sent_outbound(db, request.id)
                    .await?
                    .filter(|m| m.kind == "request"),
            };
            let why = format!(
                "{}{}{}",
                status.as_deref().unwrap_or("5.0.0"),
                recipient
                    .as_deref()
                    .map(|r| format!(" for {r}"))
                    .unwrap_or_default(),
                diagnostic
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            );
            if let Some(m) = &target {
                store::mark_outbound_failed(db, m.id, &format!("bounced: {why}")).await?;
            }
            // Only an undelivered request letter makes the request undelivered; a bounced
            // reminder, or a bounce after the council has answered, is noted for staff.
            let undelivered = target.as_ref().is_some_and(|m| m.kind == "request")
                && matches!(
                    state,
                    S::Queued | S::Sent | S::Acknowledged | S::Overdue | S::VeryOverdue
                );
            (
                "bounce",
                format!(
                    "the {} bounced ({why}); message {}",
                    target.map(|m| m.kind).unwrap_or_else(|| "letter".into()),
                    message.id
                ),
                undelivered.then_some(S::DeliveryFailed),
            )
        }
        Classification::Bounce {
            permanent: false,
            status,
            diagnostic,
            ..
        } => (
            "delivery_delayed",
            format!(
                "the mail server reports a delay ({}{}); not a failure yet",
                status.as_deref().unwrap_or("4.0.0"),
                diagnostic
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ),
            None,
        ),
        Classification::AutoReply { reason } => (
            "auto_reply",
            format!("automatic reply from {from} ({reason}): {}", mail.subject),
            None,
        ),
        Classification::Acknowledgement => (
            "acknowledged",
            format!("acknowledgement from {from}{flag}: {}", mail.subject),
            matches!(
                state,
                S::Sent | S::Overdue | S::VeryOverdue | S::DeliveryFailed
            )
            .then_some(S::Acknowledged),
        ),
        Classification::Response => (
            "response_received",
            format!(
                "response from {from}{flag}: {} (message {}; classify it with `foi classify {}`)",
                mail.subject, message.id, request.reference
            ),
            (state != S::Withdrawn).then_some(S::ResponseReceived),
        ),
    };
    if let Some(s) = new_state {
        requests::set_state(db, request.id, s, now).await?;
    }
    events::record(
        db,
        request.id,
        now,
        kind,
        detail,
        actor,
        Some(serde_json::json!({"message": message.id})),
    )
    .await?;
    Ok(())
}
