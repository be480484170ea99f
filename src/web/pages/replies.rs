//! Replies: classify one, record a postal or portal reply with its documents, record a
//! clock event, and file unmatched mail under a request.

use super::super::error::{WebError, WebResult};
use super::super::forms::{self, Upload};
use super::super::WebState;
use super::{given, when};
use crate::calendar::ClockEventKind;
use crate::domain::Outcome;
use crate::services::{self, staff::Session};
use axum::extract::{Multipart, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde_json::json;

#[derive(serde::Deserialize)]
pub struct ClassifyForm {
    outcome: String,
    exemptions: Option<String>,
    note: Option<String>,
    received: Option<String>,
    message: Option<String>,
}

fn outcome(s: &str) -> Result<Outcome, WebError> {
    Outcome::parse(s).map_err(|e| WebError::bad(format!("outcome: {e}")))
}

pub async fn classify(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(reference): Path<String>,
    Form(f): Form<ClassifyForm>,
) -> WebResult<Response> {
    let message = given(&f.message)
        .map(|m| m.parse::<i32>())
        .transpose()
        .map_err(|_| WebError::bad("message: not a message number"))?;
    let note = given(&f.note);
    let done = services::classify::classify(
        &state.app,
        chrono::Utc::now(),
        &reference,
        services::classify::Classify {
            outcome: outcome(&f.outcome)?,
            exemptions: f.exemptions.as_deref().unwrap_or_default(),
            note: note.as_deref(),
            received_on: forms::date_opt("received", &f.received)?,
            message_id: message,
            actor: &session.actor,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/requests/{}", done.reference)).into_response())
}

#[derive(serde::Deserialize)]
pub struct ClockForm {
    kind: String,
    date: String,
    note: Option<String>,
}

pub async fn clock(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(reference): Path<String>,
    Form(f): Form<ClockForm>,
) -> WebResult<Response> {
    let kind: ClockEventKind = f
        .kind
        .parse()
        .map_err(|e: String| WebError::bad(format!("event: {e}")))?;
    let done = services::clock::record(
        &state.app,
        chrono::Utc::now(),
        services::clock::RecordClock {
            reference,
            kind,
            date: forms::date("date", &f.date)?,
            note: given(&f.note),
            actor: session.actor.clone(),
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/requests/{}", done.reference)).into_response())
}

/// A reply that came by post or through a portal, its documents uploaded; they go to the
/// content-addressed store like an emailed reply's attachments.
pub async fn log_response(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(reference): Path<String>,
    multipart: Multipart,
) -> WebResult<Response> {
    let limit = state.app.settings.web.max_upload_bytes as usize;
    let up = Upload::read(multipart, limit).await?;
    let received = forms::date(
        "received",
        &up.field("received")
            .ok_or_else(|| WebError::bad("received: give the date the reply arrived"))?,
    )?;
    let documents = up
        .files
        .iter()
        .map(|(name, bytes)| services::log_response::Document {
            name: crate::mail::inbound::safe_filename(name),
            bytes: bytes.clone(),
        })
        .collect();
    let done = services::log_response::log_response(
        &state.app,
        chrono::Utc::now(),
        services::log_response::LogResponse {
            reference,
            received,
            outcome: outcome(&up.field("outcome").unwrap_or_default())?,
            exemptions: up.field("exemptions").unwrap_or_default(),
            note: up.field("note"),
            documents,
            actor: session.actor.clone(),
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/requests/{}", done.classified.reference)).into_response())
}

pub async fn unmatched(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
) -> WebResult<Html<String>> {
    let list = services::directory::unmatched(&state.app).await?;
    let data = json!({
        "messages": list.iter().map(|m| json!({
            "id": m.id,
            "from": m.from_addr,
            "subject": m.subject,
            "received": when(m.received_at.unwrap_or(m.created_at)),
            "kind": m.kind.as_str().replace('_', " "),
        })).collect::<Vec<_>>(),
    });
    Ok(state
        .views
        .page(&session, "inbox", "inbox", "Unmatched mail", data))
}

#[derive(serde::Deserialize)]
pub struct AssignForm {
    reference: String,
}

pub async fn assign(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(id): Path<i32>,
    Form(f): Form<AssignForm>,
) -> WebResult<Response> {
    let done = services::assign::assign(
        &state.app,
        chrono::Utc::now(),
        id,
        f.reference.trim(),
        &session.actor,
    )
    .await?;
    Ok(Redirect::to(&format!("/requests/{}", done.reference)).into_response())
}
