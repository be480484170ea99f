use super::super::error::WebResult;
use super::super::WebState;
use super::requests::row_view;
use crate::services::{dashboard, staff::Session};
use axum::extract::State;
use axum::response::Html;
use axum::Extension;

pub async fn show(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
) -> WebResult<Html<String>> {
    let o = dashboard::overview(&state.app, chrono::Utc::now()).await?;
    let rows = |v: &[dashboard::BrowseRow]| v.iter().map(row_view).collect::<Vec<_>>();
    let data = serde_json::json!({
        "today": o.today.to_string(),
        "total": o.total,
        "by_state": o.by_state.iter().map(|(s, n)| serde_json::json!({"state": s, "label": s.replace('_', " "), "count": n})).collect::<Vec<_>>(),
        "overdue": rows(&o.overdue),
        "due_soon": rows(&o.due_soon),
        "to_classify": rows(&o.to_classify),
        "delivery_failed": rows(&o.delivery_failed),
        "outbox_problems": o.outbox_problems,
        "unmatched": o.unmatched,
        "drafts": o.drafts.iter().map(|d| serde_json::json!({
            "id": d.id,
            "reference": d.reference,
            "kind": d.kind.as_str(),
            "subject": d.subject,
            "created": super::when(d.created_at),
        })).collect::<Vec<_>>(),
        "tasks": o.tasks.iter().map(|t| serde_json::json!({
            "reference": t.reference,
            "authority_name": t.authority_name,
            "kind": t.kind.as_str(),
            "channel": t.channel.as_str(),
            "what": t.what,
            "since": super::when(t.created_at),
        })).collect::<Vec<_>>(),
        "recent": rows(&o.recent),
        "charts": serde_json::Value::Array(vec![]),
    });
    Ok(state
        .views
        .page(&session, "overview", "overview", "Overview", data))
}
