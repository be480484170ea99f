//! The request list (filtered, sorted), a request's page (letter, mail in and out with
//! text and attachments, deadlines with the calculator's explanation, clock, tasks,
//! timeline, and the forms that act on it), one message, and attachment downloads.

use super::super::error::{WebError, WebResult};
use super::super::WebState;
use super::{given, when, when_opt};
use crate::calendar::ClockEventKind;
use crate::domain::{Channel, Direction, RequestState};
use crate::services::dashboard::{self, Browse, BrowseRow, Sort};
use crate::services::{self, staff::Session};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use serde_json::{json, Value};

pub const OUTCOMES: [&str; 8] = [
    "successful",
    "partially_successful",
    "refused",
    "not_held",
    "clarification_requested",
    "fees_notice",
    "extended",
    "withdrawn",
];

pub fn row_view(r: &BrowseRow) -> Value {
    json!({
        "reference": r.row.reference,
        "state": r.row.state.as_str(),
        "state_label": r.row.state.as_str().replace('_', " "),
        "authority": r.row.authority,
        "authority_name": r.row.authority_name,
        "nation": r.nation,
        "campaign": r.row.campaign,
        "channel": r.row.channel.as_str(),
        "partner_city": r.row.partner_city,
        "subject": r.row.subject,
        "created": when(r.row.created_at),
        "sent": when_opt(r.row.sent_at),
        "due": r.row.response_due.map(|d| d.to_string()),
        "overdue_days": r.working_days_overdue,
    })
}

#[derive(Debug, Default, Clone, serde::Deserialize, serde::Serialize)]
pub struct ListQuery {
    pub state: Option<String>,
    pub campaign: Option<String>,
    pub authority: Option<String>,
    pub nation: Option<String>,
    pub channel: Option<String>,
    pub overdue: Option<String>,
    pub sort: Option<String>,
    /// 1 for the first `PER_PAGE` rows.
    pub page: Option<String>,
}

/// Rows a page of the list shows: a campaign holds tens of thousands of requests, and a page
/// of all of them would take the browser longer to draw than anyone would wait.
const PER_PAGE: usize = 200;

impl ListQuery {
    fn page(&self) -> Result<usize, WebError> {
        match given(&self.page) {
            None => Ok(1),
            Some(p) => p.parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                WebError::bad(format!("page: '{p}' is not a page number (1, 2, …)"))
            }),
        }
    }

    /// This list's address at another page, the filters kept.
    fn at_page(&self, page: usize) -> String {
        let mut q = self.clone();
        q.page = Some(page.to_string());
        format!(
            "/requests?{}",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        )
    }
}

impl ListQuery {
    pub fn browse(&self) -> Result<Browse, WebError> {
        Ok(Browse {
            state: given(&self.state)
                .map(|s| RequestState::parse(&s))
                .transpose()
                .map_err(|e| WebError::bad(format!("state: {e}")))?,
            campaign: given(&self.campaign),
            authority: given(&self.authority),
            nation: given(&self.nation),
            channel: given(&self.channel)
                .map(|c| Channel::parse(&c))
                .transpose()
                .map_err(|e| WebError::bad(format!("channel: {e}")))?,
            overdue: given(&self.overdue).is_some_and(|v| v != "0" && v != "false"),
            sort: given(&self.sort)
                .map(|s| Sort::parse(&s))
                .transpose()
                .map_err(|e| WebError::bad(format!("sort: {e}")))?
                .unwrap_or_default(),
        })
    }
}

fn options(all: &[&str], chosen: &Option<String>) -> Vec<Value> {
    all.iter()
        .map(|v| {
            json!({
                "value": v,
                "label": v.replace('_', " "),
                "selected": chosen.as_deref() == Some(*v),
            })
        })
        .collect()
}

pub async fn list(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Query(q): Query<ListQuery>,
) -> WebResult<Html<String>> {
    let b = q.browse()?;
    let page = q.page()?;
    let rows = dashboard::browse(&state.app, chrono::Utc::now(), &b).await?;
    let pages = rows.len().div_ceil(PER_PAGE).max(1);
    let page = page.min(pages);
    let first = (page - 1) * PER_PAGE;
    let states: Vec<&str> = RequestState::ALL.iter().map(|s| s.as_str()).collect();
    let channels: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    let sorts: Vec<&str> = Sort::ALL.iter().map(|(_, n)| *n).collect();
    let data = json!({
        "rows": rows.iter().skip(first).take(PER_PAGE).map(row_view).collect::<Vec<_>>(),
        "count": rows.len(),
        "paged": pages > 1,
        "page": page,
        "pages": pages,
        "from": (first + 1).min(rows.len()),
        "to": (first + PER_PAGE).min(rows.len()),
        "previous": (page > 1).then(|| q.at_page(page - 1)),
        "next": (page < pages).then(|| q.at_page(page + 1)),
        "states": options(&states, &q.state),
        "channels": options(&channels, &q.channel),
        "nations": options(&["England", "Wales", "Scotland", "Northern Ireland"], &q.nation),
        "sorts": options(&sorts, &q.sort),
        "campaign": given(&q.campaign).unwrap_or_default(),
        "authority": given(&q.authority).unwrap_or_default(),
        "overdue": b.overdue,
    });
    Ok(state
        .views
        .page(&session, "requests", "requests", "Requests", data))
}

pub async fn show(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(reference): Path<String>,
) -> WebResult<Html<String>> {
    let app = &state.app;
    let d = services::requests::show(app, &reference).await?;
    let explanation = dashboard::explain_response(app, &d.row.reference).await?;
    let mut messages = Vec::new();
    for m in &d.messages {
        let full = services::messages::show(app, m.id).await?;
        messages.push(json!({
            "id": m.id,
            "inbound": m.direction == Direction::Inbound,
            "kind": m.kind.as_str().replace('_', " "),
            "state": m.state.as_str(),
            "from": m.from,
            "to": m.to,
            "subject": m.subject,
            "when": when(m.sent_at.or(m.received_at).unwrap_or(m.created_at)),
            "body": full.body,
            "attachments": m.attachments.iter().map(|a| json!({
                "id": a.id, "name": a.name, "size": a.size, "content_type": a.content_type,
            })).collect::<Vec<_>>(),
            "outcome": m.outcome.as_ref().map(|o| json!({
                "outcome": o.outcome.replace('_', " "),
                "exemptions": o.exemptions.join(", "),
                "note": o.note,
                "by": o.recorded_by,
            })),
            "warnings": m.parse_warnings,
        }));
    }
    let deadlines: Vec<Value> = d
        .deadlines
        .as_ref()
        .map(|dl| {
            dl.named()
                .into_iter()
                .filter_map(|(what, date)| {
                    date.map(|d| json!({"what": what, "date": format!("{} {}", d, d.format("%a"))}))
                })
                .collect()
        })
        .unwrap_or_default();
    let explain = explanation.map(|e| {
        let mut days: Vec<(chrono::NaiveDate, String)> = e
            .counted
            .iter()
            .map(|c| (c.date, format!("day {}", c.ordinal)))
            .chain(
                e.skipped
                    .iter()
                    .map(|s| (s.date, format!("skipped: {}", s.reason))),
            )
            .collect();
        days.sort();
        json!({
            "regime": e.regime.as_str(),
            "day_zero": e.day_zero.to_string(),
            "working_days": e.working_days,
            "due": e.due.to_string(),
            "notes": e.notes,
            "days": days.into_iter().map(|(d, what)| json!({"date": format!("{} {}", d, d.format("%a")), "what": what})).collect::<Vec<_>>(),
        })
    });
    let responses: Vec<Value> = d
        .messages
        .iter()
        .filter(|m| m.direction == Direction::Inbound)
        .map(|m| json!({"id": m.id, "label": format!("#{} {}", m.id, m.subject)}))
        .collect();
    let reviewable = matches!(
        d.row.state,
        RequestState::Refused
            | RequestState::PartiallySuccessful
            | RequestState::NotHeld
            | RequestState::Overdue
            | RequestState::VeryOverdue
    );
    let has_draft = d
        .messages
        .iter()
        .any(|m| m.state == crate::domain::MessageState::Draft);
    let data = json!({
        "reference": d.row.reference,
        "state": d.row.state.as_str(),
        "state_label": d.row.state.as_str().replace('_', " "),
        "regime": d.row.regime,
        "authority": d.row.authority,
        "authority_name": d.row.authority_name,
        "campaign": d.row.campaign,
        "channel": d.row.channel.as_str(),
        "portal_reference": d.row.portal_reference,
        "partner_city": d.row.partner_city,
        "to": d.row.to_address,
        "reply_to": d.row.reply_to,
        "subject": d.row.subject,
        "body": d.body,
        "created": when(d.row.created_at),
        "sent": when_opt(d.row.sent_at),
        "deadlines": deadlines,
        "paused": d.deadlines.as_ref().is_some_and(|dl| dl.clock_paused),
        "explain": explain,
        "clock": d.clock.iter().map(|c| json!({"date": c.date.to_string(), "kind": c.kind.replace('_', " "), "note": c.note})).collect::<Vec<_>>(),
        "messages": messages,
        "responses": responses,
        "tasks": d.tasks.iter().map(|t| json!({
            "id": t.id, "kind": t.kind.as_str(), "what": t.what, "open": t.done_at.is_none(),
            "done": when_opt(t.done_at), "by": t.done_by, "subject": t.subject, "text": t.text,
        })).collect::<Vec<_>>(),
        "timeline": d.timeline.iter().map(|e| json!({
            "at": when(e.at), "kind": e.kind.as_str().replace('_', " "), "detail": e.detail, "actor": e.actor,
        })).collect::<Vec<_>>(),
        "outcomes": OUTCOMES.iter().map(|o| json!({"value": o, "label": o.replace('_', " ")})).collect::<Vec<_>>(),
        "clock_kinds": ClockEventKind::ALL.iter().map(|k| json!({"value": k.as_str(), "label": k.as_str().replace('_', " ")})).collect::<Vec<_>>(),
        "today": crate::calendar::london_date(chrono::Utc::now()).to_string(),
        "reviewable": reviewable,
        "has_draft": has_draft,
        "review_pending": d.row.state == RequestState::InternalReview,
        "complaint_possible": reviewable
            || matches!(
                d.row.state,
                RequestState::InternalReview
                    | RequestState::ReviewUpheld
                    | RequestState::ReviewOverturned
                    | RequestState::Complaint
            ),
    });
    let title = d.row.reference.clone();
    Ok(state
        .views
        .page(&session, "request", "requests", &title, data))
}

pub async fn message(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(id): Path<i32>,
) -> WebResult<Html<String>> {
    let m = services::messages::show(&state.app, id).await?;
    let data = json!({
        "id": m.id,
        "inbound": m.direction == Direction::Inbound,
        "kind": m.kind.as_str().replace('_', " "),
        "state": m.state.as_str(),
        "from": m.from,
        "to": m.to,
        "date": when_opt(m.date),
        "subject": m.subject,
        "requests": m.requests,
        "body": m.body,
        "attachments": m.attachments.iter().map(|a| json!({
            "id": a.id, "name": a.name, "size": a.size, "content_type": a.content_type,
        })).collect::<Vec<_>>(),
        "warnings": m.parse_warnings,
        "edited_by": m.edited_by,
        "last_error": m.last_error,
    });
    Ok(state.views.page(
        &session,
        "message",
        "requests",
        &format!("Message {id}"),
        data,
    ))
}

/// The attachment's bytes, always as a download under its safe name: a council's HTML or
/// SVG is never opened in the dashboard's origin.
pub async fn attachment(
    State(state): State<WebState>,
    Extension(_session): Extension<Session>,
    Path(id): Path<i32>,
) -> WebResult<Response> {
    let (_, name, bytes) = services::attachments::read(&state.app, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, content_disposition(&name)),
        ],
        bytes,
    )
        .into_response())
}

/// `attachment; filename="…"` with an ASCII fallback and the UTF-8 name (RFC 6266/5987).
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}
