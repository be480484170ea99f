//! Queries for stored inbound mail: duplicates, the holding pen, attachments, thread lookups,
//! the requests a message belongs to, IMAP high-water marks.

use super::entities::message::{self, Entity as Message};
use super::entities::{attachment, imap_state, message_request};
use super::StoreResult;
use crate::domain::{Direction, MessageKind, MessageState};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

pub use attachment::Model as AttachmentModel;
pub use message::Model as MessageModel;

/// A stored message with the same bytes or the same content fingerprint (see
/// `ParsedMail::content_sha256`): a copy of a message already stored.
pub async fn find_duplicate(
    db: &impl ConnectionTrait,
    raw_sha256: &str,
    content_sha256: &str,
) -> StoreResult<Option<MessageModel>> {
    let cond = Condition::any()
        .add(message::Column::RawSha256.eq(raw_sha256))
        .add(message::Column::ContentSha256.eq(content_sha256));
    Ok(Message::find()
        .filter(cond)
        .order_by_asc(message::Column::Id)
        .one(db)
        .await?)
}

/// Every stored message, in or out, with this Message-ID, oldest first.
pub async fn with_message_id(
    db: &impl ConnectionTrait,
    message_id: &str,
) -> StoreResult<Vec<MessageModel>> {
    Ok(Message::find()
        .filter(message::Column::MessageId.eq(message_id))
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?)
}

/// The warnings stored with a message (see `parse_warnings`), oldest first.
pub fn warnings(m: &MessageModel) -> Vec<String> {
    m.parse_warnings
        .as_deref()
        .and_then(|w| serde_json::from_str(w).ok())
        .unwrap_or_default()
}

/// Files `message` under `request` as well (a no-op when it already is).
pub async fn link(
    db: &impl ConnectionTrait,
    message: i32,
    request: i32,
    via: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    message_request::Entity::insert(message_request::ActiveModel {
        message_id: Set(message),
        request_id: Set(request),
        matched_via: Set(via.map(str::to_string)),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            message_request::Column::MessageId,
            message_request::Column::RequestId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .do_nothing()
    .exec(db)
    .await?;
    Ok(())
}

/// The requests `message` is filed under: its first request and every linked one.
pub async fn request_ids(db: &impl ConnectionTrait, m: &MessageModel) -> StoreResult<Vec<i32>> {
    let mut ids: Vec<i32> = m.request_id.into_iter().collect();
    for l in message_request::Entity::find()
        .filter(message_request::Column::MessageId.eq(m.id))
        .order_by_asc(message_request::Column::Id)
        .all(db)
        .await?
    {
        if !ids.contains(&l.request_id) {
            ids.push(l.request_id);
        }
    }
    Ok(ids)
}

#[derive(Debug, Clone)]
pub struct NewInbound {
    pub request_id: Option<i32>,
    pub kind: MessageKind,
    pub message_id: Option<String>,
    pub content_sha256: String,
    pub parse_warnings: Vec<String>,
    pub in_reply_to: Option<String>,
    pub from_addr: String,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
    pub raw_path: Option<String>,
    pub raw_sha256: String,
    pub matched_via: Option<String>,
    pub sender_flagged: bool,
    pub source: String,
    pub received_at: DateTime<Utc>,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    m: NewInbound,
) -> Result<MessageModel, sea_orm::DbErr> {
    message::ActiveModel {
        request_id: Set(m.request_id),
        direction: Set(Direction::Inbound),
        kind: Set(m.kind),
        state: Set(MessageState::Stored),
        message_id: Set(m.message_id),
        in_reply_to: Set(m.in_reply_to),
        from_addr: Set(m.from_addr),
        to_addr: Set(m.to_addr),
        subject: Set(m.subject),
        body: Set(m.body),
        raw_path: Set(m.raw_path),
        attempts: Set(0),
        created_at: Set(m.received_at),
        received_at: Set(Some(m.received_at)),
        raw_sha256: Set(Some(m.raw_sha256)),
        classification: Set(Some(m.kind)),
        matched_via: Set(m.matched_via),
        sender_flagged: Set(m.sender_flagged),
        source: Set(Some(m.source)),
        content_sha256: Set(Some(m.content_sha256)),
        parse_warnings: Set((!m.parse_warnings.is_empty())
            .then(|| serde_json::to_string(&m.parse_warnings).unwrap_or_default())),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// An attachment to keep with a stored message; its bytes are already on disk at `path`.
#[derive(Debug, Clone)]
pub struct NewAttachment<'a> {
    /// The safe name (see `mail::inbound::safe_filename`).
    pub filename: &'a str,
    /// The name as the sender gave it, when it had one.
    pub original_filename: Option<&'a str>,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub path: &'a str,
}

pub async fn add_attachment(
    db: &impl ConnectionTrait,
    message_id: i32,
    a: NewAttachment<'_>,
) -> StoreResult<AttachmentModel> {
    Ok(attachment::ActiveModel {
        message_id: Set(message_id),
        filename: Set(a.filename.to_string()),
        original_filename: Set(a.original_filename.map(str::to_string)),
        content_type: Set(a.content_type.to_string()),
        size: Set(a.size),
        sha256: Set(a.sha256.to_string()),
        path: Set(a.path.to_string()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn attachments(
    db: &impl ConnectionTrait,
    message_id: i32,
) -> StoreResult<Vec<AttachmentModel>> {
    Ok(attachment::Entity::find()
        .filter(attachment::Column::MessageId.eq(message_id))
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await?)
}

/// The attachments of any of these messages, by message then in the order they came.
pub async fn attachments_of(
    db: &impl ConnectionTrait,
    message_ids: &[i32],
) -> StoreResult<Vec<AttachmentModel>> {
    if message_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(attachment::Entity::find()
        .filter(attachment::Column::MessageId.is_in(message_ids.iter().copied()))
        .order_by_asc(attachment::Column::MessageId)
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await?)
}

pub async fn attachment(
    db: &impl ConnectionTrait,
    id: i32,
) -> StoreResult<Option<AttachmentModel>> {
    Ok(attachment::Entity::find_by_id(id).one(db).await?)
}

/// The outbound message (ours) with one of these Message-IDs, newest first.
pub async fn outbound_by_message_ids(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> StoreResult<Option<MessageModel>> {
    if ids.is_empty() {
        return Ok(None);
    }
    Ok(Message::find()
        .filter(message::Column::Direction.eq(Direction::Outbound))
        .filter(message::Column::MessageId.is_in(ids.to_vec()))
        .filter(message::Column::RequestId.is_not_null())
        .order_by_desc(message::Column::Id)
        .one(db)
        .await?)
}

pub async fn latest_sent_outbound(
    db: &impl ConnectionTrait,
    request_id: i32,
) -> StoreResult<Option<MessageModel>> {
    Ok(Message::find()
        .filter(message::Column::Direction.eq(Direction::Outbound))
        .filter(message::Column::RequestId.eq(request_id))
        .filter(message::Column::State.eq(MessageState::Sent))
        .order_by_desc(message::Column::Id)
        .one(db)
        .await?)
}

/// Inbound messages filed under a request that arrived since `from` (the digest's week).
pub async fn filed_since(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
) -> StoreResult<Vec<MessageModel>> {
    Ok(Message::find()
        .filter(message::Column::Direction.eq(Direction::Inbound))
        .filter(message::Column::ReceivedAt.gte(from))
        .filter(message::Column::RequestId.is_not_null())
        // In the order received: by id, SQLite would walk every message ever stored rather
        // than the index of the dates.
        .order_by_asc(message::Column::ReceivedAt)
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?)
}

pub async fn unmatched(db: &impl ConnectionTrait) -> StoreResult<Vec<MessageModel>> {
    Ok(Message::find()
        .filter(message::Column::Direction.eq(Direction::Inbound))
        .filter(message::Column::RequestId.is_null())
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> StoreResult<Option<MessageModel>> {
    Ok(Message::find_by_id(id).one(db).await?)
}

/// Files a held message under `request_id` (as its first request).
pub async fn assign(
    db: &impl ConnectionTrait,
    id: i32,
    request_id: i32,
    via: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    Message::update_many()
        .col_expr(message::Column::RequestId, Expr::value(request_id))
        .col_expr(message::Column::MatchedVia, Expr::value(via))
        .filter(message::Column::Id.eq(id))
        .exec(db)
        .await?;
    link(db, id, request_id, Some(via), now).await
}

pub async fn mark_outbound_failed(
    db: &impl ConnectionTrait,
    id: i32,
    error: &str,
) -> StoreResult<()> {
    Message::update_many()
        .col_expr(message::Column::State, Expr::value(MessageState::Failed))
        .col_expr(message::Column::LastError, Expr::value(error))
        .filter(message::Column::Id.eq(id))
        .filter(message::Column::State.eq(MessageState::Sent))
        .exec(db)
        .await?;
    Ok(())
}

/// The IMAP high-water mark for one mailbox (`host/user/folder`).
pub async fn imap_mark(
    db: &impl ConnectionTrait,
    mailbox: &str,
) -> StoreResult<Option<(u32, u32)>> {
    Ok(imap_state::Entity::find()
        .filter(imap_state::Column::Mailbox.eq(mailbox))
        .one(db)
        .await?
        .map(|m| (m.uidvalidity as u32, m.last_uid as u32)))
}

pub async fn set_imap_mark(
    db: &impl ConnectionTrait,
    mailbox: &str,
    uidvalidity: u32,
    last_uid: u32,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    match imap_state::Entity::find()
        .filter(imap_state::Column::Mailbox.eq(mailbox))
        .one(db)
        .await?
    {
        Some(m) => {
            let mut am: imap_state::ActiveModel = m.into();
            am.uidvalidity = Set(uidvalidity as i64);
            am.last_uid = Set(last_uid as i64);
            am.updated_at = Set(now);
            am.update(db).await?;
        }
        None => {
            imap_state::ActiveModel {
                mailbox: Set(mailbox.to_string()),
                uidvalidity: Set(uidvalidity as i64),
                last_uid: Set(last_uid as i64),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// When each of `request_ids` received a council's response: the replies filed under it
/// (as its first request or linked to it), as [`super::messages::for_request`] finds them,
/// in a few queries rather than one per request.
pub async fn response_times(
    db: &impl ConnectionTrait,
    request_ids: &[i32],
) -> StoreResult<std::collections::HashMap<i32, Vec<DateTime<Utc>>>> {
    use sea_orm::QuerySelect;
    let mut out: std::collections::HashMap<i32, Vec<DateTime<Utc>>> = Default::default();
    let response = || {
        Message::find()
            .filter(message::Column::Direction.eq(Direction::Inbound))
            .filter(message::Column::Kind.eq(MessageKind::Response))
    };
    for chunk in request_ids.chunks(super::requests::IN_CHUNK) {
        let own: Vec<(i32, Option<i32>, Option<DateTime<Utc>>)> = response()
            .select_only()
            .column(message::Column::Id)
            .column(message::Column::RequestId)
            .column(message::Column::ReceivedAt)
            .filter(message::Column::RequestId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        let mut seen: std::collections::HashSet<(i32, i32)> = Default::default();
        for (id, request, at) in own {
            if let Some(request) = request {
                seen.insert((id, request));
                out.entry(request).or_default().extend(at);
            }
        }
        let links = message_request::Entity::find()
            .filter(message_request::Column::RequestId.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        let ids: Vec<i32> = links.iter().map(|l| l.message_id).collect();
        let mut when: std::collections::HashMap<i32, Option<DateTime<Utc>>> = Default::default();
        for ids in ids.chunks(super::requests::IN_CHUNK) {
            let rows: Vec<(i32, Option<DateTime<Utc>>)> = response()
                .select_only()
                .column(message::Column::Id)
                .column(message::Column::ReceivedAt)
                .filter(message::Column::Id.is_in(ids.iter().copied()))
                .into_tuple()
                .all(db)
                .await?;
            when.extend(rows);
        }
        for l in links {
            if let Some(at) = when.get(&l.message_id) {
                if seen.insert((l.message_id, l.request_id)) {
                    out.entry(l.request_id).or_default().extend(*at);
                }
            }
        }
    }
    Ok(out)
}
