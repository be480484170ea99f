//! The overview: `foi status` (counts by state, overdue requests with working days overdue,
//! deadlines coming, what waits for staff), the reporting charts, and the newest requests.

use super::super::error::WebResult;
use super::super::WebState;
use super::requests::row_view;
use crate::report::charts::Chart;
use crate::services::{dashboard, staff::Session, status};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use serde_json::json;
use status::SHOWN;

fn more(total: usize) -> usize {
    total.saturating_sub(SHOWN)
}

pub async fn show(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
) -> WebResult<Html<String>> {
    let now = chrono::Utc::now();
    let s = status::status(&state.app, now, None, status::Lines::First(SHOWN)).await?;
    let newest = dashboard::browse(&state.app, now, &dashboard::Browse::default()).await?;
    let w = &s.waiting;
    let data = json!({
        "today": s.today.to_string(),
        "total": s.total,
        "by_state": s.counts.iter().map(|c| json!({
            "state": c.state.as_str(), "label": c.state.as_str().replace('_', " "), "count": c.count,
        })).collect::<Vec<_>>(),
        "overdue": s.overdue.iter().take(SHOWN).map(|o| json!({
            "reference": o.reference, "authority_name": o.authority, "due": o.due.to_string(),
            "overdue_days": o.working_days_overdue,
        })).collect::<Vec<_>>(),
        "due_soon": s.upcoming.iter().take(SHOWN).map(|u| json!({
            "reference": u.reference, "authority_name": u.authority, "due": u.due.to_string(),
            "what": format!("{:?}", u.what).chars().fold(String::new(), |mut acc, c| {
                if c.is_uppercase() && !acc.is_empty() { acc.push(' '); }
                acc.push(c.to_ascii_lowercase());
                acc
            }),
            "left": u.working_days_left,
        })).collect::<Vec<_>>(),
        "to_classify": w.replies_to_classify.iter().take(SHOWN).map(|r| json!({
            "reference": r.reference, "authority_name": r.authority, "since": r.since.to_string(),
        })).collect::<Vec<_>>(),
        "drafts": w.drafts.iter().take(SHOWN).map(|d| json!({
            "id": d.id, "reference": d.reference, "kind": d.kind.as_str().replace('_', " "),
            "subject": d.subject,
        })).collect::<Vec<_>>(),
        "unmatched": w.unmatched_mail.len(),
        "problems": w.delivery_problems.iter().take(SHOWN).map(|p| json!({
            "reference": p.reference, "authority_name": p.authority, "state": p.state.as_str(),
            "detail": p.detail,
        })).collect::<Vec<_>>(),
        "written": w.written_not_sent.iter().take(SHOWN).map(|d| json!({
            "reference": d.reference, "authority_name": d.authority, "since": d.created.to_string(),
        })).collect::<Vec<_>>(),
        "tasks": w.open_tasks.iter().take(SHOWN).map(|t| json!({
            "reference": t.reference, "authority_name": t.authority, "what": t.what,
            "since": t.created.to_string(),
        })).collect::<Vec<_>>(),
        "more": json!({
            "overdue": more(s.totals.overdue), "due_soon": more(s.upcoming.len()),
            "to_classify": more(w.replies_to_classify.len()), "drafts": more(s.totals.drafts),
            "problems": more(w.delivery_problems.len()), "written": more(s.totals.written_not_sent),
            "tasks": more(s.totals.open_tasks),
        }),
        "charts": Chart::ALL.iter().map(|c| json!({"name": c.name(), "title": c.title()})).collect::<Vec<_>>(),
        "recent": newest.iter().take(10).map(row_view).collect::<Vec<_>>(),
    });
    Ok(state
        .views
        .page(&session, "overview", "overview", "Overview", data))
}

/// `/charts/NAME.svg`: a reporting chart, shown on the overview through `<img>` (so nothing
/// in it could ever run as part of the page).
pub async fn chart(
    State(state): State<WebState>,
    Extension(_session): Extension<Session>,
    Path(file): Path<String>,
) -> WebResult<Response> {
    let name = file.strip_suffix(".svg").unwrap_or(&file);
    match dashboard::chart_svg(&state.app, chrono::Utc::now(), name).await? {
        Some(svg) => Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()),
        None => Ok((StatusCode::NOT_FOUND, "no such chart").into_response()),
    }
}
