//! Queries on `messages`: the durable outbox (enqueue, claim with a lease, record outcomes) and,
//! later, the stored inbound mail.

use super::entities::message::{self, Entity as Message};
use super::StoreResult;
use crate::domain::{Direction, MessageKind, MessageState as St};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, Set, Statement, Value,
};
use std::collections::HashMap;

pub use message::Model as MessageModel;

#[derive(Debug, Clone)]
pub struct NewOutbound {
    pub request_id: Option<i32>,
    pub kind: MessageKind,
    pub from_addr: String,
    pub to_addr: String,
    pub reply_to: String,
    pub subject: String,
    pub body: String,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Option<String>,
    pub auto_submitted: bool,
    pub html_body: Option<String>,
    /// Images the HTML shows by `cid:` (already stored under the data folder).
    pub inline: Vec<crate::mail::InlineRef>,
    /// `Queued` to send, or `Draft` to wait for a person (`foi approve`).
    pub state: St,
}

impl NewOutbound {
    /// A letter or staff mail to queue, with its Message-ID fixed now so every later attempt
    /// sends the very same message.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: MessageKind,
        from_addr: &str,
        to_addr: &str,
        reply_to: &str,
        subject: String,
        body: String,
        message_id: String,
    ) -> Self {
        NewOutbound {
            request_id: None,
            kind,
            from_addr: from_addr.to_string(),
            to_addr: to_addr.to_string(),
            reply_to: reply_to.to_string(),
            subject,
            body,
            message_id,
            in_reply_to: None,
            references: None,
            auto_submitted: false,
            html_body: None,
            inline: Vec::new(),
            state: St::Queued,
        }
    }

    pub fn for_request(mut self, id: i32) -> Self {
        self.request_id = Some(id);
        self
    }

    /// In the thread of these earlier Message-IDs (oldest first).
    pub fn threaded(mut self, earlier: &[String]) -> Self {
        self.in_reply_to = earlier.first().cloned();
        self.references = (!earlier.is_empty()).then(|| earlier.join(" "));
        self
    }

    pub fn auto_submitted(mut self, yes: bool) -> Self {
        self.auto_submitted = yes;
        self
    }

    pub fn html(mut self, body: String) -> Self {
        self.html_body = Some(body);
        self
    }

    /// With images the HTML part refers to by Content-ID.
    pub fn inline(mut self, parts: Vec<crate::mail::InlineRef>) -> Self {
        self.inline = parts;
        self
    }

    pub fn state(mut self, state: St) -> Self {
        self.state = state;
        self
    }
}

pub(crate) fn domain_of(addr: &str) -> String {
    addr.rsplit_once('@')
        .map(|(_, d)| d.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

pub async fn enqueue(
    db: &impl ConnectionTrait,
    m: NewOutbound,
    now: DateTime<Utc>,
) -> StoreResult<MessageModel> {
    Ok(outbound_row(m, now).insert(db).await?)
}

/// [`enqueue`] for many messages, in a few multi-row INSERTs (a campaign's letters).
pub async fn enqueue_many(
    db: &impl ConnectionTrait,
    ms: Vec<NewOutbound>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    super::bulk::insert_all(db, ms.into_iter().map(|m| outbound_row(m, now)).collect()).await?;
    Ok(())
}

fn outbound_row(m: NewOutbound, now: DateTime<Utc>) -> message::ActiveModel {
    message::ActiveModel {
        request_id: Set(m.request_id),
        direction: Set(Direction::Outbound),
        kind: Set(m.kind),
        state: Set(m.state),
        message_id: Set(Some(m.message_id)),
        in_reply_to: Set(m.in_reply_to),
        from_addr: Set(m.from_addr),
        to_domain: Set(domain_of(&m.to_addr)),
        to_addr: Set(m.to_addr),
        subject: Set(m.subject),
        body: Set(m.body),
        raw_path: Set(None),
        attempts: Set(0),
        next_attempt_at: Set(None),
        lease_until: Set(None),
        last_error: Set(None),
        server_reply: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        received_at: Set(None),
        reply_to: Set(Some(m.reply_to)),
        references_hdr: Set(m.references),
        auto_submitted: Set(m.auto_submitted),
        claimed_by: Set(None),
        html_body: Set(m.html_body),
        inline_parts: Set(
            (!m.inline.is_empty()).then(|| serde_json::to_string(&m.inline).unwrap_or_default())
        ),
        ..Default::default()
    }
}

/// Claims the next due outbound message for `worker` until `lease_until`, skipping the
/// domains in `skip_domains` (throttled). PostgreSQL takes the row with FOR UPDATE SKIP
/// LOCKED so concurrent workers pass over each other's rows; SQLite has one writer at a time,
/// so the single UPDATE … RETURNING is already exclusive.
pub async fn claim(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    worker: &str,
    skip_domains: &[String],
    include_written: bool,
) -> StoreResult<Option<MessageModel>> {
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = vec![lease_until.into(), worker.to_string().into(), now.into()];
    let p = |i: usize| match backend {
        DbBackend::Postgres => format!("${i}"),
        _ => "?".to_string(),
    };
    let mut skip = String::new();
    if !skip_domains.is_empty() {
        let marks: Vec<String> = (0..skip_domains.len()).map(|i| p(4 + i)).collect();
        skip = format!(" AND to_domain NOT IN ({})", marks.join(", "));
        values.extend(skip_domains.iter().map(|d| Value::from(d.clone())));
    }
    let lock = if backend == DbBackend::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let (states, due) = claimable(include_written, &p(3));
    let sql = format!(
        "UPDATE messages SET state = 'sending', lease_until = {}, attempts = attempts + 1, claimed_by = {} \
         WHERE state IN {states} AND id = (\
           SELECT id FROM messages WHERE direction = 'outbound' AND state IN {states} AND {due}{skip} \
           ORDER BY id LIMIT 1{lock}) \
         RETURNING id",
        p(1),
        p(2),
    );
    let row = db
        .query_one(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let Some(row) = row else { return Ok(None) };
    let id: i32 = row.try_get("", "id")?;
    Ok(Message::find_by_id(id).one(db).await?)
}

/// The states a worker may claim (written as the partial indexes of migration 16 are, so the
/// claim finds its row through them), and the condition for one due at `now_param`. A delivering
/// transport also takes request letters the file transport wrote out while their request
/// still waits to go (never reminders or staff mail written long ago).
fn claimable(include_written: bool, now_param: &str) -> (&'static str, String) {
    let queued =
        format!("(state IN ('queued', 'retry') AND (next_attempt_at IS NULL OR next_attempt_at <= {now_param}))");
    if include_written {
        (
            "('queued', 'retry', 'written')",
            format!(
                "({queued} OR (state = 'written' AND kind = 'request' AND request_id IN \
                 (SELECT id FROM requests WHERE state = 'queued')))"
            ),
        )
    } else {
        ("('queued', 'retry')", queued)
    }
}

/// Applies an outcome only while `worker` still holds the message (or it was marked
/// uncertain after its lease ran out): a late worker never overwrites someone else's result.
async fn finish(
    db: &impl ConnectionTrait,
    id: i32,
    worker: &str,
    set: Vec<(message::Column, sea_orm::sea_query::SimpleExpr)>,
) -> StoreResult<bool> {
    let mut q = Message::update_many();
    for (col, value) in set {
        q = q.col_expr(col, value);
    }
    let res = q
        .filter(message::Column::Id.eq(id))
        .filter(message::Column::ClaimedBy.eq(worker))
        .filter(message::Column::State.is_in([St::Sending, St::Uncertain]))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn mark_sent(
    db: &impl ConnectionTrait,
    id: i32,
    worker: &str,
    now: DateTime<Utc>,
    reply: &str,
) -> StoreResult<bool> {
    finish(
        db,
        id,
        worker,
        vec![
            (message::Column::State, Expr::value(St::Sent)),
            (message::Column::SentAt, Expr::value(now)),
            (message::Column::ServerReply, Expr::value(reply.to_string())),
            (
                message::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            ),
            (
                message::Column::LastError,
                Expr::value(Option::<String>::None),
            ),
        ],
    )
    .await
}

/// The file transport wrote the message out: nothing was emailed.
pub async fn mark_written(
    db: &impl ConnectionTrait,
    id: i32,
    worker: &str,
    reply: &str,
) -> StoreResult<bool> {
    finish(
        db,
        id,
        worker,
        vec![
            (message::Column::State, Expr::value(St::Written)),
            (message::Column::ServerReply, Expr::value(reply.to_string())),
            (
                message::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            ),
            (
                message::Column::LastError,
                Expr::value(Option::<String>::None),
            ),
        ],
    )
    .await
}

pub async fn mark_retry(
    db: &impl ConnectionTrait,
    id: i32,
    worker: &str,
    at: DateTime<Utc>,
    error: &str,
) -> StoreResult<bool> {
    finish(
        db,
        id,
        worker,
        vec![
            (message::Column::State, Expr::value(St::Retry)),
            (message::Column::NextAttemptAt, Expr::value(at)),
            (message::Column::LastError, Expr::value(error.to_string())),
            (
                message::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            ),
        ],
    )
    .await
}

pub async fn mark_failed(
    db: &impl ConnectionTrait,
    id: i32,
    worker: &str,
    error: &str,
) -> StoreResult<bool> {
    finish(
        db,
        id,
        worker,
        vec![
            (message::Column::State, Expr::value(St::Failed)),
            (message::Column::LastError, Expr::value(error.to_string())),
            (
                message::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            ),
        ],
    )
    .await
}

/// Messages whose lease ran out while `sending`: their worker died mid-send, so nobody knows
/// whether the server took them. They become `uncertain` and wait for a person.
pub async fn expire_leases(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> StoreResult<Vec<MessageModel>> {
    let stale = Message::find()
        .filter(message::Column::State.eq(St::Sending))
        .filter(message::Column::LeaseUntil.lt(now))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for m in stale {
        let res = Message::update_many()
            .col_expr(message::Column::State, Expr::value(St::Uncertain))
            .col_expr(
                message::Column::LastError,
                Expr::value(format!(
                    "the worker holding this message stopped before recording the server's answer (lease ended {})",
                    m.lease_until.map(|t| t.to_rfc3339()).unwrap_or_default()
                )),
            )
            .filter(message::Column::Id.eq(m.id))
            .filter(message::Column::State.eq(St::Sending))
            .exec(db)
            .await?;
        if res.rows_affected == 1 {
            out.push(m);
        }
    }
    Ok(out)
}

/// A request's messages that a person may put back in the queue: failed, uncertain, waiting
/// for a retry, or only written to a file.
pub async fn retryable_for_request(
    db: &impl ConnectionTrait,
    request_id: i32,
) -> StoreResult<Vec<MessageModel>> {
    Ok(Message::find()
        .filter(message::Column::RequestId.eq(request_id))
        .filter(message::Column::Direction.eq(Direction::Outbound))
        .filter(message::Column::State.is_in([St::Uncertain, St::Failed, St::Retry, St::Written]))
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?)
}

/// Requests with messages a person may put back in the queue, oldest first.
pub async fn requests_with_retryable(db: &impl ConnectionTrait) -> StoreResult<Vec<i32>> {
    use sea_orm::QuerySelect;
    let mut ids: Vec<i32> = Message::find()
        .select_only()
        .column(message::Column::RequestId)
        .filter(message::Column::Direction.eq(Direction::Outbound))
        .filter(message::Column::RequestId.is_not_null())
        .filter(message::Column::State.is_in([St::Uncertain, St::Failed, St::Retry, St::Written]))
        .distinct()
        .into_tuple::<Option<i32>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

/// Puts one message back in the queue on purpose, addressed to `to`: a fresh series of
/// attempts, due now, with the same Message-ID.
pub async fn requeue(db: &impl ConnectionTrait, id: i32, to: &str) -> StoreResult<()> {
    Message::update_many()
        .col_expr(message::Column::State, Expr::value(St::Queued))
        .col_expr(message::Column::Attempts, Expr::value(0))
        .col_expr(
            message::Column::NextAttemptAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            message::Column::ClaimedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(message::Column::ToAddr, Expr::value(to.to_string()))
        .col_expr(message::Column::ToDomain, Expr::value(domain_of(to)))
        .filter(message::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Unsent letters to a council (not yet accepted by any server), for re-addressing them.
pub async fn unsent_to(
    db: &impl ConnectionTrait,
    request_id: i32,
    to: &str,
) -> StoreResult<Vec<MessageModel>> {
    Ok(Message::find()
        .filter(message::Column::RequestId.eq(request_id))
        .filter(message::Column::Direction.eq(Direction::Outbound))
        .filter(message::Column::ToAddr.eq(to))
        .filter(message::Column::State.is_in([
            St::Queued,
            St::Retry,
            St::Draft,
            St::Written,
            St::Failed,
            St::Uncertain,
        ]))
        .all(db)
        .await?)
}

/// Gives a message that never left a new Message-ID (one on the configured reply domain).
pub async fn set_message_id(
    db: &impl ConnectionTrait,
    id: i32,
    message_id: &str,
) -> StoreResult<()> {
    Message::update_many()
        .col_expr(
            message::Column::MessageId,
            Expr::value(message_id.to_string()),
        )
        .filter(message::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces an unsent message's letter.
pub async fn set_letter(
    db: &impl ConnectionTrait,
    id: i32,
    from: &str,
    reply_to: &str,
    subject: &str,
    body: &str,
) -> StoreResult<()> {
    Message::update_many()
        .col_expr(message::Column::FromAddr, Expr::value(from.to_string()))
        .col_expr(message::Column::ReplyTo, Expr::value(reply_to.to_string()))
        .col_expr(message::Column::Subject, Expr::value(subject.to_string()))
        .col_expr(message::Column::Body, Expr::value(body.to_string()))
        .filter(message::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Re-addresses one message (keeping its state).
pub async fn set_recipient(db: &impl ConnectionTrait, id: i32, to: &str) -> StoreResult<()> {
    Message::update_many()
        .col_expr(message::Column::ToAddr, Expr::value(to.to_string()))
        .col_expr(message::Column::ToDomain, Expr::value(domain_of(to)))
        .filter(message::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks a request's unsent letters as sent outside foi (staff sent the written file from
/// their own mail client, say), so no transport sends them again.
pub async fn mark_sent_by_hand(
    db: &impl ConnectionTrait,
    request_id: i32,
    kind: MessageKind,
    note: &str,
    at: DateTime<Utc>,
) -> StoreResult<u64> {
    let res = Message::update_many()
        .col_expr(message::Column::State, Expr::value(St::Sent))
        .col_expr(message::Column::SentAt, Expr::value(at))
        .col_expr(message::Column::ServerReply, Expr::value(note.to_string()))
        .col_expr(
            message::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(message::Column::RequestId.eq(request_id))
        .filter(message::Column::Direction.eq(Direction::Outbound))
        .filter(message::Column::Kind.eq(kind))
        .filter(message::Column::State.is_in([
            St::Queued,
            St::Retry,
            St::Written,
            St::Failed,
            St::Uncertain,
        ]))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// What was sent in the last minute, for throttling.
#[derive(Debug, Default)]
pub struct RecentSends {
    pub total: usize,
    pub per_domain: HashMap<String, usize>,
    pub oldest: Option<DateTime<Utc>>,
}

pub async fn recent_sends(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> StoreResult<RecentSends> {
    use sea_orm::QuerySelect;
    let since = now - Duration::seconds(60);
    let rows: Vec<(String, i64, Option<DateTime<Utc>>)> = Message::find()
        .select_only()
        .column(message::Column::ToDomain)
        .column_as(message::Column::Id.count(), "n")
        .column_as(message::Column::SentAt.min(), "oldest")
        .filter(message::Column::Direction.eq(Direction::Outbound))
        .filter(message::Column::State.eq(St::Sent))
        .filter(message::Column::SentAt.gt(since))
        .group_by(message::Column::ToDomain)
        .into_tuple()
        .all(db)
        .await?;
    let mut out = RecentSends::default();
    for (domain, n, oldest) in rows {
        out.total += n as usize;
        out.per_domain.insert(domain, n as usize);
        out.oldest = match (out.oldest, oldest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(out)
}

pub async fn due_exists(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    include_written: bool,
) -> StoreResult<bool> {
    let backend = db.get_database_backend();
    let p = match backend {
        DbBackend::Postgres => "$1",
        _ => "?",
    };
    let (states, due) = claimable(include_written, p);
    let row = db
        .query_one(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT 1 AS due FROM messages WHERE direction = 'outbound' AND state IN {states} AND {due} LIMIT 1"
            ),
            [Value::from(now)],
        ))
        .await?;
    Ok(row.is_some())
}

/// Outbound messages in any of `states` (delivery problems, say), oldest first.
pub async fn outbound_in_states(
    db: &impl ConnectionTrait,
    states: &[St],
) -> StoreResult<Vec<MessageModel>> {
    Ok(Message::find()
        .filter(message::Column::Direction.eq(Direction::Outbound))
        .filter(message::Column::State.is_in(states.iter().copied()))
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?)
}

/// An outbound letter named in a list (the status, the dashboard): what it is, and the
/// request and council it is for, without its text.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct LetterLine {
    pub id: i32,
    pub request_id: Option<i32>,
    pub kind: MessageKind,
    pub state: St,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub reference: Option<String>,
    pub authority: Option<String>,
}

/// The outbound letters in any of `states`, oldest first, each with its request's reference
/// and council, in one query: the file transport alone can leave thousands written, and
/// a list of them needs neither their text nor whole requests. With `campaign`, only that
/// campaign's (letters of no request are then left out).
pub async fn letter_lines(
    db: &impl ConnectionTrait,
    states: &[St],
    campaign: Option<i32>,
) -> StoreResult<Vec<LetterLine>> {
    use sea_orm::FromQueryResult;
    let sql = format!(
        "SELECT {LETTER_LINE} {} ORDER BY m.id",
        letters_where(states, campaign, false)
    );
    Ok(
        LetterLine::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
            .all(db)
            .await?,
    )
}

/// The first `limit` letters to councils (of a request) in any of `states`, oldest first,
/// and how many there are: thousands of drafts at scale, of which a glance shows a few.
pub async fn request_letter_lines(
    db: &impl ConnectionTrait,
    states: &[St],
    campaign: Option<i32>,
    limit: u64,
) -> StoreResult<(Vec<LetterLine>, u64)> {
    use sea_orm::FromQueryResult;
    let from = letters_where(states, campaign, true);
    let backend = db.get_database_backend();
    let count = db
        .query_one(Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n {from}"),
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    let sql = format!("SELECT {LETTER_LINE} {from} ORDER BY m.id LIMIT {limit}");
    let rows = LetterLine::find_by_statement(Statement::from_string(backend, sql))
        .all(db)
        .await?;
    Ok((rows, u64::try_from(count).unwrap_or(0)))
}

/// The columns of a [`LetterLine`].
const LETTER_LINE: &str = "m.id, m.request_id, m.kind, m.state, m.subject, m.created_at, \
     m.last_error, r.reference, a.name AS authority";

/// `FROM … WHERE …` of the outbound letters in `states` (of `campaign`; only those of a
/// request with `of_requests`). The states are this program's own constants and the campaign
/// an integer: written into the text, the statement is the same on both databases.
fn letters_where(states: &[St], campaign: Option<i32>, of_requests: bool) -> String {
    let states = states
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let scope = campaign
        .map(|c| format!(" AND r.campaign_id = {c}"))
        .unwrap_or_default();
    let of_requests = if of_requests {
        " AND m.request_id IS NOT NULL"
    } else {
        ""
    };
    format!(
        "FROM messages m LEFT JOIN requests r ON r.id = m.request_id \
         LEFT JOIN authorities a ON a.id = r.authority_id \
         WHERE m.direction = 'outbound' AND m.state IN ({states}){scope}{of_requests}"
    )
}

/// Drafts waiting for staff on one request, of one kind.
pub async fn drafts(
    db: &impl ConnectionTrait,
    request_id: i32,
    kind: MessageKind,
) -> StoreResult<Vec<MessageModel>> {
    Ok(Message::find()
        .filter(message::Column::RequestId.eq(request_id))
        .filter(message::Column::State.eq(St::Draft))
        .filter(message::Column::Kind.eq(kind))
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?)
}

/// Puts drafts in the queue (staff approved them).
pub async fn queue_drafts(db: &impl ConnectionTrait, ids: &[i32]) -> StoreResult<()> {
    Message::update_many()
        .col_expr(message::Column::State, Expr::value(St::Queued))
        .filter(message::Column::Id.is_in(ids.iter().copied()))
        .filter(message::Column::State.eq(St::Draft))
        .exec(db)
        .await?;
    Ok(())
}

/// A draft as staff approved it, to queue.
#[derive(Debug, Clone, Copy)]
pub struct ApprovedDraft<'a> {
    pub id: i32,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// Staff edited it: it goes as it stands. Otherwise `subject` and `body` are the letter
    /// written again, stored as it is queued.
    pub edited: bool,
}

/// Queues one approved draft in a single statement that holds only while the draft is still
/// exactly what staff approved: still a draft, to the same address, and either edited with
/// the same words or still unedited (so a concurrent edit is never overwritten nor sent
/// unseen). Returns whether it was queued.
pub async fn queue_approved(db: &impl ConnectionTrait, d: ApprovedDraft<'_>) -> StoreResult<bool> {
    let mut q = Message::update_many()
        .col_expr(message::Column::State, Expr::value(St::Queued))
        .filter(message::Column::Id.eq(d.id))
        .filter(message::Column::Direction.eq(Direction::Outbound))
        .filter(message::Column::State.eq(St::Draft))
        .filter(message::Column::ToAddr.eq(d.to));
    q = if d.edited {
        q.filter(message::Column::EditedAt.is_not_null())
            .filter(message::Column::Subject.eq(d.subject))
            .filter(message::Column::Body.eq(d.body))
    } else {
        q.col_expr(message::Column::Subject, Expr::value(d.subject.to_string()))
            .col_expr(message::Column::Body, Expr::value(d.body.to_string()))
            .filter(message::Column::EditedAt.is_null())
    };
    Ok(q.exec(db).await?.rows_affected == 1)
}

/// Stores staff's own words in a draft and marks it edited, only while it is still a draft
/// (another person may have approved it meanwhile). Returns whether it was.
pub async fn edit_draft(
    db: &impl ConnectionTrait,
    id: i32,
    subject: &str,
    body: &str,
    by: &str,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let res = Message::update_many()
        .col_expr(message::Column::Subject, Expr::value(subject.to_string()))
        .col_expr(message::Column::Body, Expr::value(body.to_string()))
        .col_expr(message::Column::EditedAt, Expr::value(at))
        .col_expr(message::Column::EditedBy, Expr::value(by.to_string()))
        .filter(message::Column::Id.eq(id))
        .filter(message::Column::Direction.eq(Direction::Outbound))
        .filter(message::Column::State.eq(St::Draft))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn list_outbound(
    db: &impl ConnectionTrait,
    state_filter: Option<St>,
) -> StoreResult<Vec<MessageModel>> {
    let mut q = Message::find()
        .filter(message::Column::Direction.eq(Direction::Outbound))
        .order_by_asc(message::Column::Id);
    if let Some(s) = state_filter {
        q = q.filter(message::Column::State.eq(s));
    }
    Ok(q.all(db).await?)
}

pub async fn for_request(
    db: &impl ConnectionTrait,
    request_id: i32,
) -> StoreResult<Vec<MessageModel>> {
    use super::entities::message_request;
    use sea_orm::sea_query::{Query, UnionType};
    let linked = Query::select()
        .column(message_request::Column::MessageId)
        .from(message_request::Entity)
        .and_where(message_request::Column::RequestId.eq(request_id))
        .to_owned();
    // One id list from both indexes: `request_id = ? OR id IN (…)` made PostgreSQL read every
    // message (50 ms a call at 100k requests, once per letter the sweep wrote).
    let ids = Query::select()
        .column(message::Column::Id)
        .from(message::Entity)
        .and_where(message::Column::RequestId.eq(request_id))
        .union(UnionType::Distinct, linked)
        .to_owned();
    Ok(Message::find()
        .filter(message::Column::Id.in_subquery(ids))
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?)
}
