//! Reading one message whole (`foi messages show`; `foi drafts show` for a draft): its header
//! fields, its text, the requests it is filed under, its attachments, the outcome staff
//! recorded for it and what the mail parser had to repair. Also what `foi requests show`
//! lists under each message: its attachments and its outcome.

use super::ServiceResult;
use crate::app::AppContext;
use crate::domain::{Direction, MessageKind, MessageState};
use crate::mail::inbound;
use crate::store::classifications::{self, ClassificationModel};
use crate::store::inbound::{self as stored, AttachmentModel, MessageModel};
use crate::store::{messages, requests, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use std::collections::HashMap;

/// One attachment as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AttachmentLine {
    pub id: i32,
    pub message: i32,
    /// The name as the sender gave it (the safe name for attachments stored before the
    /// original was kept).
    pub name: String,
    /// The safe name `foi attachments save` writes it under.
    pub filename: String,
    pub content_type: String,
    /// In bytes.
    pub size: i64,
}

impl From<AttachmentModel> for AttachmentLine {
    fn from(a: AttachmentModel) -> Self {
        AttachmentLine {
            id: a.id,
            message: a.message_id,
            name: a
                .original_filename
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| a.filename.clone()),
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
        }
    }
}

/// What staff recorded about an answer (`foi classify`, `foi log-response`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutcomeLine {
    pub reference: String,
    pub outcome: String,
    pub exemptions: Vec<String>,
    pub note: Option<String>,
    pub received_on: Option<NaiveDate>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct MessageDetail {
    pub id: i32,
    pub direction: Direction,
    pub kind: MessageKind,
    pub state: MessageState,
    pub from: String,
    pub to: String,
    pub reply_to: Option<String>,
    /// The Date the sender gave (read from the raw message), or for our letters when it was
    /// sent.
    pub date: Option<DateTime<Utc>>,
    pub subject: String,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    /// The references of the requests it is filed under.
    pub requests: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
    /// Set when staff changed a draft (`foi drafts edit`).
    pub edited_at: Option<DateTime<Utc>>,
    pub edited_by: Option<String>,
    pub last_error: Option<String>,
    pub matched_via: Option<String>,
    pub sender_flagged: bool,
    /// Plain text: the letter, or the reply's text part (an HTML-only reply converted).
    pub body: String,
    pub attachments: Vec<AttachmentLine>,
    /// Oldest first; the last is the one in force.
    pub outcomes: Vec<OutcomeLine>,
    pub parse_warnings: Vec<String>,
}

pub async fn show(app: &AppContext, id: i32) -> ServiceResult<MessageDetail> {
    let m = get(app, id).await?;
    detail(app, m).await
}

pub(crate) async fn get(app: &AppContext, id: i32) -> ServiceResult<MessageModel> {
    Ok(stored::get(&app.db, id).await?.ok_or_else(|| {
        StoreError::NotFound(format!(
            "no message {id} (message ids are listed by `foi requests show REF`, `foi inbox unmatched` and `foi drafts list`)"
        ))
    })?)
}

pub(crate) async fn detail(app: &AppContext, m: MessageModel) -> ServiceResult<MessageDetail> {
    let db = &app.db;
    let request_ids = stored::request_ids(db, &m).await?;
    let refs = requests::references_by_id(db, &request_ids).await?;
    let attachments = stored::attachments(db, m.id)
        .await?
        .into_iter()
        .map(AttachmentLine::from)
        .collect();
    let outcomes = outcomes_by_message(db, &request_ids)
        .await?
        .remove(&m.id)
        .unwrap_or_default();
    let parsed = if m.direction == Direction::Inbound {
        read_raw(app, &m)
    } else {
        None
    };
    // The stored text is what the parser made of the message (HTML-only replies converted
    // to text). Should it be empty, what the raw message yields today is the better answer.
    let body = match &parsed {
        Some(p) if m.body.trim().is_empty() => p.text.clone(),
        _ => m.body.clone(),
    };
    let date = match m.direction {
        Direction::Inbound => parsed.as_ref().and_then(|p| p.date),
        Direction::Outbound => m.sent_at,
    };
    Ok(MessageDetail {
        parse_warnings: stored::warnings(&m),
        requests: request_ids
            .iter()
            .filter_map(|r| refs.get(r).cloned())
            .collect(),
        id: m.id,
        direction: m.direction,
        kind: m.kind,
        state: m.state,
        from: m.from_addr,
        to: m.to_addr,
        reply_to: m.reply_to,
        date,
        subject: m.subject,
        message_id: m.message_id,
        in_reply_to: m.in_reply_to,
        created_at: m.created_at,
        sent_at: m.sent_at,
        received_at: m.received_at,
        edited_at: m.edited_at,
        edited_by: m.edited_by,
        last_error: m.last_error,
        matched_via: m.matched_via,
        sender_flagged: m.sender_flagged,
        body,
        attachments,
        outcomes,
    })
}

/// The raw message parsed again with the pure parser, when its file is still there.
fn read_raw(app: &AppContext, m: &MessageModel) -> Option<inbound::ParsedMail> {
    let (recorded, sha) = (m.raw_path.as_deref()?, m.raw_sha256.as_deref()?);
    let path = crate::files::locate(
        &app.settings.paths.data_dir,
        "mail/raw",
        sha,
        ".eml",
        recorded,
    )?;
    let raw = std::fs::read(path).ok()?;
    Some(inbound::parse(&raw))
}

/// The attachments of these messages, by message id.
pub(crate) async fn attachments_by_message(
    db: &impl ConnectionTrait,
    message_ids: &[i32],
) -> ServiceResult<HashMap<i32, Vec<AttachmentLine>>> {
    let mut out: HashMap<i32, Vec<AttachmentLine>> = HashMap::new();
    for a in stored::attachments_of(db, message_ids).await? {
        out.entry(a.message_id).or_default().push(a.into());
    }
    Ok(out)
}

/// What staff recorded about the answers filed under these requests, by the message each
/// is about, oldest first. `foi log-response` names its message; `foi classify` names none,
/// and classifies the answer staff have in front of them: the latest response filed under
/// the request by the time it was recorded.
pub(crate) async fn outcomes_by_message(
    db: &impl ConnectionTrait,
    request_ids: &[i32],
) -> ServiceResult<HashMap<i32, Vec<OutcomeLine>>> {
    let recorded = classifications::for_requests(db, request_ids).await?;
    if recorded.is_empty() {
        return Ok(HashMap::new());
    }
    let refs = requests::references_by_id(db, request_ids).await?;
    let mut responses: HashMap<i32, Vec<MessageModel>> = HashMap::new();
    for &r in request_ids {
        let list = messages::for_request(db, r)
            .await?
            .into_iter()
            .filter(|m| m.direction == Direction::Inbound && m.kind == MessageKind::Response)
            .collect();
        responses.insert(r, list);
    }
    let mut out: HashMap<i32, Vec<OutcomeLine>> = HashMap::new();
    for c in recorded {
        let about = c.message_id.or_else(|| {
            responses
                .get(&c.request_id)
                .and_then(|list| answered_by(list, c.at))
        });
        if let Some(message) = about {
            let reference = refs.get(&c.request_id).cloned().unwrap_or_default();
            out.entry(message)
                .or_default()
                .push(outcome_line(c, reference));
        }
    }
    Ok(out)
}

/// The latest response that had arrived by `at`.
fn answered_by(responses: &[MessageModel], at: DateTime<Utc>) -> Option<i32> {
    responses
        .iter()
        .map(|m| (m.received_at.unwrap_or(m.created_at), m.id))
        .filter(|(arrived, _)| *arrived <= at)
        .max()
        .map(|(_, id)| id)
}

fn outcome_line(c: ClassificationModel, reference: String) -> OutcomeLine {
    OutcomeLine {
        reference,
        outcome: c.outcome,
        exemptions: c
            .exemptions
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .collect(),
        note: c.note,
        received_on: c.received_on,
        recorded_at: c.at,
        recorded_by: c.actor,
    }
}
