//! One file per group of pages. Each handler parses its input, calls a service, and gives
//! the template what it shows.

pub mod directory;
pub mod drafts;
pub mod findings;
pub mod overview;
pub mod queue;
pub mod replies;
pub mod requests;

use super::views::error_page;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

pub async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        error_page(StatusCode::NOT_FOUND, "there is no such page"),
    )
        .into_response()
}

/// A moment as staff read it: London time, to the minute.
pub fn when(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::London)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

pub fn when_opt(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(when)
}

/// An empty form field is no value.
pub fn given(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The page after a form did its work: what happened, and where to go next.
pub fn done(
    state: &super::WebState,
    session: &crate::services::staff::Session,
    nav: &str,
    heading: &str,
    lines: Vec<String>,
    links: &[(&str, String)],
) -> axum::response::Html<String> {
    state.views.page(
        session,
        "done",
        nav,
        heading,
        serde_json::json!({
            "heading": heading,
            "lines": lines,
            "links": links.iter().map(|(t, h)| serde_json::json!({"text": t, "href": h})).collect::<Vec<_>>(),
        }),
    )
}
