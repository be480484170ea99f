//! Reading requests: the list (`foi requests list`) and one request whole (`foi requests
//! show`): its letter, deadlines, statutory clock, mail in and out (with each message's
//! attachments and the outcome staff recorded), staff tasks, and timeline.

use super::messages::{attachments_by_message, outcomes_by_message, AttachmentLine, OutcomeLine};
use super::ServiceResult;
use crate::app::AppContext;
use crate::calendar::Deadlines;
use crate::domain::{Direction, MessageKind, MessageState};
use crate::store::events::TimelineEvent;
use crate::store::requests::{self, RequestFilter, RequestRow};
use crate::store::tasks::{self, TaskRow};
use crate::store::{clock_events, events, inbound, messages};
use chrono::{DateTime, NaiveDate, Utc};

/// The requests `filter` names, oldest first, all at once.
pub async fn list(app: &AppContext, filter: &RequestFilter) -> ServiceResult<Vec<RequestRow>> {
    Ok(requests::list(&app.db, filter).await?)
}

/// `foi requests list`: the requests `filter` names, a page at a time (call `next` until it
/// gives None), oldest first.
pub async fn list_pages(
    app: &AppContext,
    filter: &RequestFilter,
) -> ServiceResult<requests::ListPages> {
    Ok(requests::list_pages(&app.db, filter).await?)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ClockLine {
    pub kind: String,
    pub date: NaiveDate,
    pub note: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct MailLine {
    pub id: i32,
    pub direction: Direction,
    pub kind: MessageKind,
    pub state: MessageState,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub message_id: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub received_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub parse_warnings: Vec<String>,
    pub attachments: Vec<AttachmentLine>,
    /// The outcome staff recorded for this answer, the latest if they changed it.
    pub outcome: Option<OutcomeLine>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RequestDetail {
    #[serde(flatten)]
    pub row: RequestRow,
    pub body: String,
    pub deadlines: Option<Deadlines>,
    pub clock: Vec<ClockLine>,
    pub messages: Vec<MailLine>,
    /// Staff tasks (requests not sent by email), open and done.
    pub tasks: Vec<TaskRow>,
    pub timeline: Vec<TimelineEvent>,
}

pub async fn show(app: &AppContext, reference: &str) -> ServiceResult<RequestDetail> {
    let db = &app.db;
    let model = requests::get_by_reference(db, reference).await?;
    let body = model.body.clone();
    let deadlines = requests::deadlines_of(&model)?;
    let id = model.id;
    let row = requests::rows_for(db, vec![model]).await?.remove(0);
    let clock = clock_events::rows(db, id)
        .await?
        .into_iter()
        .map(|c| ClockLine {
            kind: c.kind,
            date: c.date,
            note: c.note,
        })
        .collect();
    let mail = messages::for_request(db, id).await?;
    let ids: Vec<i32> = mail.iter().map(|m| m.id).collect();
    let mut attachments = attachments_by_message(db, &ids).await?;
    let mut outcomes = outcomes_by_message(db, &[id]).await?;
    let messages = mail
        .into_iter()
        .map(|m| MailLine {
            parse_warnings: inbound::warnings(&m),
            attachments: attachments.remove(&m.id).unwrap_or_default(),
            outcome: outcomes.remove(&m.id).and_then(|mut o| o.pop()),
            id: m.id,
            direction: m.direction,
            kind: m.kind,
            state: m.state,
            from: m.from_addr,
            to: m.to_addr,
            subject: m.subject,
            message_id: m.message_id,
            sent_at: m.sent_at,
            received_at: m.received_at,
            created_at: m.created_at,
        })
        .collect();
    Ok(RequestDetail {
        row,
        body,
        deadlines,
        clock,
        messages,
        tasks: tasks::rows_for(db, tasks::for_request(db, id).await?).await?,
        timeline: events::timeline(db, id).await?,
    })
}
