//! The JSON API under `/api/`: the same use cases as the pages, for scripts. A session
//! cookie is needed as for the pages (401 JSON without one), and every POST carries the
//! session's CSRF token in the `X-CSRF-Token` header (from `GET /api/session`).

use super::error::WebError;
use super::pages::requests::ListQuery;
use super::WebState;
use crate::domain::{Channel, Outcome};
use crate::services::{self, staff::Session};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Value};
use std::collections::BTreeMap;

type ApiResult = Result<Json<Value>, WebError>;

fn api<E: Into<WebError>>(e: E) -> WebError {
    e.into().json()
}

fn to_json(v: impl serde::Serialize) -> ApiResult {
    serde_json::to_value(v).map(Json).map_err(|e| {
        WebError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).json()
    })
}

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/session", get(session))
        .route("/status", get(status))
        .route("/stats", get(stats))
        .route("/requests", get(requests))
        .route("/requests/{reference}", get(request))
        .route("/requests/{reference}/classify", post(classify))
        .route("/queue", post(queue))
        .route("/drafts", get(drafts))
        .route("/findings", get(findings))
        .route("/search", get(search))
        .route("/authorities", get(authorities))
        .fallback(|| async {
            WebError::new(axum::http::StatusCode::NOT_FOUND, "no such API route").json()
        })
}

async fn session(Extension(s): Extension<Session>) -> Json<Value> {
    Json(json!({ "name": s.name, "csrf": s.csrf }))
}

async fn status(State(state): State<WebState>) -> ApiResult {
    to_json(
        services::status::status(
            &state.app,
            chrono::Utc::now(),
            None,
            services::status::Lines::All,
        )
        .await
        .map_err(api)?,
    )
}

async fn stats(State(state): State<WebState>) -> ApiResult {
    to_json(
        services::stats::stats(
            &state.app,
            chrono::Utc::now(),
            None,
            &services::progress::Silent,
        )
        .await
        .map_err(api)?,
    )
}

async fn requests(State(state): State<WebState>, Query(q): Query<ListQuery>) -> ApiResult {
    let b = q.browse().map_err(WebError::json)?;
    to_json(
        services::dashboard::browse(&state.app, chrono::Utc::now(), &b)
            .await
            .map_err(api)?,
    )
}

async fn request(State(state): State<WebState>, Path(reference): Path<String>) -> ApiResult {
    to_json(
        services::requests::show(&state.app, &reference)
            .await
            .map_err(api)?,
    )
}

#[derive(serde::Deserialize)]
struct ClassifyBody {
    outcome: String,
    #[serde(default)]
    exemptions: String,
    note: Option<String>,
    /// YYYY-MM-DD; default today.
    received: Option<String>,
    message: Option<i32>,
}

async fn classify(
    State(state): State<WebState>,
    Extension(s): Extension<Session>,
    Path(reference): Path<String>,
    Json(b): Json<ClassifyBody>,
) -> ApiResult {
    let outcome =
        Outcome::parse(&b.outcome).map_err(|e| WebError::bad(format!("outcome: {e}")).json())?;
    let received = super::forms::date_opt("received", &b.received).map_err(WebError::json)?;
    to_json(
        services::classify::classify(
            &state.app,
            chrono::Utc::now(),
            &reference,
            services::classify::Classify {
                outcome,
                exemptions: &b.exemptions,
                note: b.note.as_deref(),
                received_on: received,
                message_id: b.message,
                actor: &s.actor,
            },
        )
        .await
        .map_err(api)?,
    )
}

#[derive(serde::Deserialize)]
struct QueueBody {
    template: String,
    authority: String,
    twinning: Option<i32>,
    #[serde(default)]
    via: Option<String>,
    #[serde(default)]
    vars: BTreeMap<String, String>,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    again: bool,
}

async fn queue(
    State(state): State<WebState>,
    Extension(s): Extension<Session>,
    Json(b): Json<QueueBody>,
) -> ApiResult {
    let via = match b.via.as_deref() {
        Some(v) => Channel::parse(v).map_err(|e| WebError::bad(format!("via: {e}")).json())?,
        None => Channel::default(),
    };
    to_json(
        services::queue::one(
            &state.app,
            chrono::Utc::now(),
            services::queue::QueueOne {
                template: b.template,
                authority: b.authority,
                twinning: b.twinning,
                vars: b.vars,
                dry_run: b.dry_run,
                again: b.again,
                via,
                actor: s.actor.clone(),
            },
        )
        .await
        .map_err(api)?,
    )
}

async fn drafts(State(state): State<WebState>) -> ApiResult {
    to_json(services::drafts::list(&state.app).await.map_err(api)?)
}

async fn findings(State(state): State<WebState>) -> ApiResult {
    to_json(services::findings::list(&state.app).await.map_err(api)?)
}

#[derive(serde::Deserialize)]
struct SearchQuery {
    q: String,
    authority: Option<String>,
    campaign: Option<String>,
    limit: Option<u64>,
}

async fn search(State(state): State<WebState>, Query(q): Query<SearchQuery>) -> ApiResult {
    to_json(
        services::search::search(
            &state.app,
            services::search::Search {
                text: q.q,
                authority: q.authority,
                campaign: q.campaign,
                limit: q.limit.unwrap_or(50).min(500),
            },
        )
        .await
        .map_err(api)?,
    )
}

async fn authorities(State(state): State<WebState>) -> ApiResult {
    let list = services::directory::authorities(&state.app, None)
        .await
        .map_err(api)?;
    Ok(Json(Value::Array(
        list.iter()
            .map(|a| {
                json!({
                    "slug": a.slug, "name": a.name, "nation": a.nation, "regime": a.regime,
                    "foi_email": a.foi_email, "website": a.website,
                    "tags": crate::store::authorities::tags_of(a),
                })
            })
            .collect(),
    )))
}
