//! Storing inbound mail: every message once (by its bytes or its content fingerprint), its raw
//! bytes and attachments kept on disk, filed under every request it names where that can be
//! known, and what it means for each request (response, acknowledgement, bounce, auto-reply)
//! applied in one transaction. What cannot be matched waits in the holding pen for staff.
//!
//! A duplicate is a copy with the same bytes or the same content fingerprint
//! (`ParsedMail::content_sha256`: key header fields and the body, not the trace fields a
//! re-delivery changes). A Message-ID alone never makes a duplicate: a different message that
//! reuses one is stored too, and the shared ID is noted on both timelines' side.

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
    Store(StoreError),
}

impl IngestError {
    /// A storage failure (database or disk): the message was not stored and trying again
    /// later may work, so an MTA must keep it.
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            IngestError::Unavailable(_)
                | IngestError::Disk { .. }
                | IngestError::Store(StoreError::Db(_))
        )
    }
}

impl From<sea_orm::DbErr> for IngestError {
    fn from(e: sea_orm::DbErr) -> Self {
        IngestError::Unavailable(e.to_string())
    }
}

/// A query that failed in the database is the database failing, whichever layer saw it.
impl From<StoreError> for IngestError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Db(e) => IngestError::Unavailable(e.to_string()),
            other => IngestError::Store(other),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Ingested {
    Stored {
        id: i32,
        kind: String,
        /// The first request it was filed under.
        reference: Option<String>,
        /// Every request it was filed under (a reply may name several of ours).
        references: Vec<String>,
        via: Option<String>,
        sender_flagged: bool,
    },
    Duplicate {
        id: i32,
        /// Requests this copy named that the stored one was not yet filed under; it now is.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        added_to: Vec<String>,
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
        let (duplicate, shared) = self.duplicate_of(&mail, message_id.as_deref()).await?;
        if let Some(dup) = duplicate {
            return self.redelivered(dup, &mail, now).await;
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
        let mut warnings = mail.parse_warnings.clone();
        let shared_note = (!shared.is_empty()).then(|| {
            format!(
                "Message-ID {} is also on message {} with different content; both are kept",
                message_id.as_deref().unwrap_or_default(),
                shared
                    .iter()
                    .map(|m| m.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        warnings.extend(shared_note.clone());
        let txn = self.db.begin().await?;
        let (found, via) = self.find_requests(&txn, &mail).await?;
        let flagged = |r: &RequestModel| {
            r.to_address
                .as_deref()
                .is_some_and(|to| inbound::sender_differs(mail.from.as_ref(), to))
        };
        let sender_flagged = found.first().is_some_and(flagged);
        let row = NewInbound {
            request_id: found.first().map(|r| r.id),
            kind: kind.to_string(),
            message_id: message_id.clone(),
            content_sha256: mail.content_sha256.clone(),
            parse_warnings: warnings,
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
                let dup =
                    store::find_duplicate(&self.db, &mail.raw_sha256, &mail.content_sha256).await?;
                return match dup {
                    Some(dup) => self.redelivered(dup, &mail, now).await,
                    None => Err(e.into()),
                };
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
        for r in &found {
            store::link(&txn, stored.id, r.id, via, now).await?;
            apply(
                &txn,
                r,
                &stored,
                &mail,
                &classification,
                flagged(r),
                "ingest",
                now,
            )
            .await?;
            if let Some(note) = &shared_note {
                events::record(
                    &txn,
                    r.id,
                    now,
                    "shared_message_id",
                    format!("message {}: {note}", stored.id),
                    "ingest",
                    Some(serde_json::json!({
                        "message": stored.id,
                        "shares_with": shared.iter().map(|m| m.id).collect::<Vec<_>>(),
                    })),
                )
                .await?;
            }
        }
        txn.commit().await?;
        let references: Vec<String> = found.into_iter().map(|r| r.reference).collect();
        Ok(Ingested::Stored {
            id: stored.id,
            kind: kind.to_string(),
            reference: references.first().cloned(),
            references,
            via: via.map(str::to_string),
            sender_flagged,
        })
    }

    /// The stored message this one is a copy of, if any; else the inbound messages that
    /// merely share its Message-ID.
    async fn duplicate_of(
        &self,
        mail: &ParsedMail,
        message_id: Option<&str>,
    ) -> Result<(Option<MessageModel>, Vec<MessageModel>), IngestError> {
        if let Some(dup) =
            store::find_duplicate(&self.db, &mail.raw_sha256, &mail.content_sha256).await?
        {
            return Ok((Some(dup), Vec::new()));
        }
        let Some(id) = message_id else {
            return Ok((None, Vec::new()));
        };
        let mut shared = Vec::new();
        for m in store::with_message_id(&self.db, id).await? {
            // A copy of one of our own letters that finds its way into the inbox.
            if m.direction == "outbound" {
                return Ok((Some(m), Vec::new()));
            }
            // Stored before fingerprints existed: compare with its raw bytes. If they are
            // gone, storing a possible second copy is safer than dropping a reply.
            if m.content_sha256.is_none() {
                let same = m
                    .raw_path
                    .as_deref()
                    .and_then(|p| std::fs::read(p).ok())
                    .is_some_and(|b| inbound::content_fingerprint(&b) == mail.content_sha256);
                if same {
                    return Ok((Some(m), Vec::new()));
                }
            }
            shared.push(m);
        }
        Ok((None, shared))
    }

    /// A copy of a stored message arrived again. It may name requests the stored copy was
    /// not filed under (another Delivered-To, or the first copy was held as unmatched): it
    /// is filed under those too, with their effects; otherwise nothing happens.
    async fn redelivered(
        &self,
        dup: MessageModel,
        mail: &ParsedMail,
        now: DateTime<Utc>,
    ) -> Result<Ingested, IngestError> {
        let nothing = Ingested::Duplicate {
            id: dup.id,
            added_to: Vec::new(),
        };
        if dup.direction != "inbound" {
            return Ok(nothing);
        }
        let txn = self.db.begin().await?;
        let (found, via) = self.find_requests(&txn, mail).await?;
        let filed = store::request_ids(&txn, &dup).await?;
        let new: Vec<RequestModel> = found
            .into_iter()
            .filter(|r| !filed.contains(&r.id))
            .collect();
        if new.is_empty() {
            txn.rollback().await?;
            return Ok(nothing);
        }
        let classification = inbound::classify(mail);
        for (i, r) in new.iter().enumerate() {
            if i == 0 && dup.request_id.is_none() {
                store::assign(&txn, dup.id, r.id, via.unwrap_or("address"), now).await?;
            } else {
                store::link(&txn, dup.id, r.id, via, now).await?;
            }
            let flagged = r
                .to_address
                .as_deref()
                .is_some_and(|to| inbound::sender_differs(mail.from.as_ref(), to));
            apply(&txn, r, &dup, mail, &classification, flagged, "ingest", now).await?;
        }
        txn.commit().await?;
        Ok(Ingested::Duplicate {
            id: dup.id,
            added_to: new.into_iter().map(|r| r.reference).collect(),
        })
    }

    /// The requests a message belongs to, by the strongest kind of key it has: every one of
    /// our references in its addresses; else the thread (one of our Message-IDs); else every
    /// reference in the subject.
    async fn find_requests(
        &self,
        db: &impl ConnectionTrait,
        mail: &ParsedMail,
    ) -> Result<(Vec<RequestModel>, Option<&'static str>), IngestError> {
        let keys = inbound::match_keys(mail, &self.reply_domain);
        let by_refs = |refs: Vec<String>| async move {
            let mut found: Vec<RequestModel> = Vec::new();
            for r in &refs {
                if let Some(req) = requests::find_by_reference(db, r).await? {
                    if !found.iter().any(|f| f.id == req.id) {
                        found.push(req);
                    }
                }
            }
            Ok::<_, IngestError>(found)
        };
        let found = by_refs(keys.address_refs.clone()).await?;
        if !found.is_empty() {
            return Ok((found, Some("address")));
        }
        if let Some(m) = store::outbound_by_message_ids(db, &keys.thread_ids).await? {
            if let Some(id) = m.request_id {
                if let Some(req) = requests::get_by_id(db, id).await? {
                    return Ok((vec![req], Some("thread")));
                }
            }
        }
        // Our Message-IDs carry the reference, so a thread still matches if the row is gone.
        for id in &keys.thread_ids {
            for r in inbound::find_references(id) {
                if let Some(req) = requests::find_by_reference(db, &r).await? {
                    return Ok((vec![req], Some("thread")));
                }
            }
        }
        let found = by_refs(keys.subject_refs.clone()).await?;
        if !found.is_empty() {
            return Ok((found, Some("subject")));
        }
        Ok((Vec::new(), None))
    }
}

/// The address inside `Name <addr>` (or the value itself), lower-cased, for comparing a
/// bounce's recipient with a letter's.
fn bare_address(s: &str) -> String {
    let s = s.trim();
    let inner = match (s.rfind('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => s.get(a + 1..b).unwrap_or(s),
        _ => s,
    };
    inner
        .trim()
        .trim_start_matches("rfc822;")
        .trim()
        .to_ascii_lowercase()
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
            recipients,
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
            // A bounce fails our letter only when it is about the letter's recipient: a report
            // for someone else (a council's internal forward to an officer who left, say) must
            // not stop the request. A report that names nobody is assumed to be about the
            // letter it quotes, which has one recipient: wrongly failing a delivered letter
            // costs staff a look, wrongly keeping a dead one costs the request its deadline.
            let letter_to = target.as_ref().map(|m| bare_address(&m.to_addr));
            let other_recipient = match &letter_to {
                Some(to) if !recipients.is_empty() => {
                    !recipients.iter().any(|r| bare_address(r) == *to)
                }
                _ => false,
            };
            if other_recipient {
                events::record(
                    db,
                    request.id,
                    now,
                    "bounce_other_recipient",
                    format!(
                        "a delivery failure ({why}) for {}, not for the {}'s recipient {}; \
                         the letter is not marked failed (message {})",
                        recipients.join(", "),
                        target.as_ref().map(|m| m.kind.as_str()).unwrap_or("letter"),
                        letter_to.as_deref().unwrap_or_default(),
                        message.id
                    ),
                    actor,
                    Some(serde_json::json!({"message": message.id})),
                )
                .await?;
                return Ok(());
            }
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
            recipient,
            ..
        } => (
            "delivery_delayed",
            format!(
                "the mail server reports a delay ({}{}{}); not a failure yet",
                status.as_deref().unwrap_or("4.0.0"),
                recipient
                    .as_deref()
                    .map(|r| format!(" for {r}"))
                    .unwrap_or_default(),
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
