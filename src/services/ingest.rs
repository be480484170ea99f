//! Storing inbound mail (`foi ingest`, a Maildir, the IMAP poll): every message once (by its bytes or its content fingerprint), its raw
//! bytes and attachments kept on disk, filed under every request it names where that can be
//! known, and what it means for each request (response, acknowledgement, bounce, auto-reply)
//! applied in one transaction. What cannot be matched waits in the holding pen for staff.
//!
//! A duplicate is a copy with the same bytes or the same content fingerprint
//! (`ParsedMail::content_sha256`: key header fields and the body, not the trace fields a
//! re-delivery changes). A Message-ID alone never makes a duplicate: a different message that
//! reuses one is stored too, and the shared ID is noted on both timelines' side.

use super::lifecycle::advance_from;
use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::domain::lifecycle::Trigger;
use crate::domain::{Direction, EventKind, EventName, MessageKind, RequestState};
use crate::mail::inbound::{self, Classification, ParsedMail};
use crate::store::events;
use crate::store::inbound::{self as store, MessageModel, NewInbound};
use crate::store::requests::{self, RequestModel};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Ingested {
    Stored {
        id: i32,
        kind: MessageKind,
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

/// Stores one raw message and applies what it means to every request it names.
#[tracing::instrument(skip_all, fields(source = %source, message_id = tracing::field::Empty))]
pub async fn ingest(
    app: &AppContext,
    now: DateTime<Utc>,
    raw: &[u8],
    source: &str,
) -> ServiceResult<Ingested> {
    let data_dir = &app.settings.paths.data_dir;
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
    tracing::Span::current().record("message_id", message_id.as_deref().unwrap_or_default());
    let (duplicate, shared) = duplicate_of(app, &mail, message_id.as_deref()).await?;
    if let Some(dup) = duplicate {
        return redelivered(app, dup, &mail, now).await;
    }
    // Bytes reach the disk before the database row that points at them.
    let disk = |e: std::io::Error| ServiceError::Disk {
        dir: data_dir.display().to_string(),
        message: e.to_string(),
    };
    let raw_path =
        crate::files::store(data_dir, "mail/raw", &mail.raw_sha256, ".eml", raw).map_err(disk)?;
    let mut files = Vec::new();
    for a in &mail.attachments {
        let path =
            crate::files::store(data_dir, "attachments", &a.sha256, "", &a.bytes).map_err(disk)?;
        files.push((a, path));
    }
    let classification = inbound::classify(&mail);
    let kind = MessageKind::parse(classification.kind())
        .map_err(|e| ServiceError::refused(e.to_string()))?;
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
    let txn = app.db.begin().await?;
    let (found, via) = find_requests(app, &txn, &mail).await?;
    let flagged = |r: &RequestModel| {
        r.to_address
            .as_deref()
            .is_some_and(|to| inbound::sender_differs(mail.from.as_ref(), to))
    };
    let sender_flagged = found.first().is_some_and(flagged);
    let row = NewInbound {
        request_id: found.first().map(|r| r.id),
        kind,
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
                store::find_duplicate(&app.db, &mail.raw_sha256, &mail.content_sha256).await?;
            return match dup {
                Some(dup) => redelivered(app, dup, &mail, now).await,
                None => Err(e.into()),
            };
        }
        Err(e) => return Err(e.into()),
    };
    for (a, path) in &files {
        store::add_attachment(
            &txn,
            stored.id,
            store::NewAttachment {
                filename: &a.filename,
                original_filename: a.original_filename.as_deref(),
                content_type: &a.content_type,
                size: a.bytes.len() as i64,
                sha256: &a.sha256,
                path: &path.display().to_string(),
            },
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
                EventName::SharedMessageId,
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
    tracing::info!(id = stored.id, %kind, references = %references.join(","), "stored");
    Ok(Ingested::Stored {
        id: stored.id,
        kind,
        reference: references.first().cloned(),
        references,
        via: via.map(str::to_string),
        sender_flagged,
    })
}

/// The stored message this one is a copy of, if any; else the inbound messages that
/// merely share its Message-ID.
async fn duplicate_of(
    app: &AppContext,
    mail: &ParsedMail,
    message_id: Option<&str>,
) -> ServiceResult<(Option<MessageModel>, Vec<MessageModel>)> {
    if let Some(dup) =
        store::find_duplicate(&app.db, &mail.raw_sha256, &mail.content_sha256).await?
    {
        return Ok((Some(dup), Vec::new()));
    }
    let Some(id) = message_id else {
        return Ok((None, Vec::new()));
    };
    let mut shared = Vec::new();
    for m in store::with_message_id(&app.db, id).await? {
        // A copy of one of our own letters that finds its way into the inbox.
        if m.direction == Direction::Outbound {
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
    app: &AppContext,
    dup: MessageModel,
    mail: &ParsedMail,
    now: DateTime<Utc>,
) -> ServiceResult<Ingested> {
    let nothing = Ingested::Duplicate {
        id: dup.id,
        added_to: Vec::new(),
    };
    if dup.direction != Direction::Inbound {
        return Ok(nothing);
    }
    let txn = app.db.begin().await?;
    let (found, via) = find_requests(app, &txn, mail).await?;
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
    app: &AppContext,
    db: &impl ConnectionTrait,
    mail: &ParsedMail,
) -> ServiceResult<(Vec<RequestModel>, Option<&'static str>)> {
    let keys = inbound::match_keys(mail, &app.settings.mail.reply_domain);
    let by_refs = |refs: Vec<String>| async move {
        let mut found: Vec<RequestModel> = Vec::new();
        for r in &refs {
            if let Some(req) = requests::find_by_reference(db, r).await? {
                if !found.iter().any(|f| f.id == req.id) {
                    found.push(req);
                }
            }
        }
        Ok::<_, ServiceError>(found)
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
) -> ServiceResult<()> {
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
    let (kind, detail, trigger): (EventKind, String, Option<Trigger>) = match classification {
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
                    .filter(|m| m.kind == MessageKind::Request),
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
                    EventName::BounceOtherRecipient,
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
            // Only an undelivered request letter makes the request undelivered (the lifecycle
            // ignores a bounce after the council has answered); a bounced reminder is noted.
            let undelivered = target
                .as_ref()
                .is_some_and(|m| m.kind == MessageKind::Request);
            (
                EventName::Bounce.into(),
                format!(
                    "the {} bounced ({why}); message {}",
                    target.map(|m| m.kind.as_str()).unwrap_or("letter"),
                    message.id
                ),
                undelivered.then_some(Trigger::LetterUndelivered),
            )
        }
        Classification::Bounce {
            permanent: false,
            status,
            diagnostic,
            recipient,
            ..
        } => (
            EventName::DeliveryDelayed.into(),
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
            EventName::AutoReply.into(),
            format!("automatic reply from {from} ({reason}): {}", mail.subject),
            None,
        ),
        Classification::Acknowledgement => (
            RequestState::Acknowledged.into(),
            format!("acknowledgement from {from}{flag}: {}", mail.subject),
            Some(Trigger::Acknowledged),
        ),
        Classification::Response if request.state == RequestState::InternalReview => (
            RequestState::ResponseReceived.into(),
            format!(
                "reply from {from}{flag} during the internal review: {} (message {}); if it is the \
                 review's outcome, record it with `foi review-outcome {} upheld|overturned`",
                mail.subject, message.id, request.reference
            ),
            None,
        ),
        Classification::Response => (
            RequestState::ResponseReceived.into(),
            format!(
                "response from {from}{flag}: {} (message {}; classify it with `foi classify {}`)",
                mail.subject, message.id, request.reference
            ),
            Some(Trigger::ResponseArrived),
        ),
    };
    if let Some(trigger) = trigger {
        let current = requests::get_by_id(db, request.id)
            .await?
            .map(|r| r.state)
            .unwrap_or(request.state);
        advance_from(db, request, current, trigger, None, actor, now).await?;
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
