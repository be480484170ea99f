//! Drafted letters: the list, editing one, drafting an internal review, recording a review's
//! outcome, and approving what a request would send (shown first, then sent exactly as shown).

use super::super::error::{WebError, WebResult};
use super::super::forms;
use super::super::WebState;
use super::{done, given, when, when_opt};
use crate::services::{self, approve::Approval, staff::Session};
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde_json::json;

pub async fn list(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
) -> WebResult<Html<String>> {
    let drafts = services::drafts::list(&state.app).await?;
    let data = json!({
        "drafts": drafts.iter().map(|d| json!({
            "id": d.id,
            "reference": d.reference,
            "authority": d.authority,
            "kind": d.kind.as_str().replace('_', " "),
            "created": when(d.created_at),
            "edited": d.edited_at.is_some(),
            "to": d.to,
            "subject": d.subject,
        })).collect::<Vec<_>>(),
    });
    Ok(state
        .views
        .page(&session, "drafts", "drafts", "Drafts", data))
}

pub async fn edit_form(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(id): Path<i32>,
) -> WebResult<Html<String>> {
    let d = services::drafts::show(&state.app, id).await?;
    let data = json!({
        "id": d.id,
        "reference": d.requests.first(),
        "to": d.to,
        "subject": d.subject,
        "body": d.body,
        "kind": d.kind.as_str().replace('_', " "),
        "edited_by": d.edited_by,
        "edited_at": when_opt(d.edited_at),
    });
    Ok(state
        .views
        .page(&session, "draft", "drafts", &format!("Draft {id}"), data))
}

#[derive(serde::Deserialize)]
pub struct EditForm {
    subject: Option<String>,
    body: Option<String>,
}

pub async fn edit(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(id): Path<i32>,
    Form(f): Form<EditForm>,
) -> WebResult<Response> {
    // Browsers send text areas with CRLF line ends; letters are kept with LF.
    let body = f.body.map(|b| b.replace("\r\n", "\n"));
    services::drafts::edit(
        &state.app,
        chrono::Utc::now(),
        services::drafts::EditDraft {
            id,
            subject: given(&f.subject),
            body,
            actor: session.actor.clone(),
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/drafts/{id}")).into_response())
}

#[derive(serde::Deserialize)]
pub struct ReviewForm {
    grounds: Option<String>,
}

pub async fn review(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(reference): Path<String>,
    Form(f): Form<ReviewForm>,
) -> WebResult<Response> {
    let d = services::review::draft(
        &state.app,
        chrono::Utc::now(),
        services::review::DraftReview {
            reference,
            grounds: given(&f.grounds).map(|g| g.replace("\r\n", "\n")),
            actor: session.actor.clone(),
        },
    )
    .await?;
    if d.message.is_some() {
        return Ok(Redirect::to(&format!("/requests/{}/approve", d.reference)).into_response());
    }
    Ok(done(
        &state,
        &session,
        "requests",
        "Internal review drafted",
        vec![d.next.clone()],
        &[("Back to the request", format!("/requests/{}", d.reference))],
    )
    .into_response())
}

#[derive(serde::Deserialize)]
pub struct ReviewOutcomeForm {
    outcome: String,
    received: Option<String>,
    note: Option<String>,
}

pub async fn review_outcome(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(reference): Path<String>,
    Form(f): Form<ReviewOutcomeForm>,
) -> WebResult<Response> {
    let upheld = match f.outcome.as_str() {
        "upheld" => true,
        "overturned" => false,
        other => {
            return Err(WebError::bad(format!(
                "outcome: '{other}' is not upheld or overturned"
            )))
        }
    };
    let r = services::review::record_outcome(
        &state.app,
        chrono::Utc::now(),
        services::review::ReviewOutcome {
            reference,
            upheld,
            received_on: forms::date_opt("received", &f.received)?,
            note: given(&f.note),
            actor: session.actor.clone(),
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/requests/{}", r.reference)).into_response())
}

/// A fingerprint of exactly what was shown, so approving sends that or nothing.
fn fingerprint(a: &Approval) -> String {
    crate::files::sha256_hex(serde_json::to_string(a).unwrap_or_default().as_bytes())
}

pub async fn approval(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(reference): Path<String>,
) -> WebResult<Html<String>> {
    let a = services::approve::prepare(&state.app, chrono::Utc::now(), &reference).await?;
    let data = json!({
        "reference": a.reference,
        "fingerprint": fingerprint(&a),
        "letters": a.letters.iter().map(|l| json!({
            "message": l.message, "to": l.to, "subject": l.subject, "body": l.body, "edited": l.edited,
        })).collect::<Vec<_>>(),
    });
    Ok(state.views.page(
        &session,
        "approval",
        "drafts",
        &format!("Approve {reference}"),
        data,
    ))
}

#[derive(serde::Deserialize)]
pub struct ApproveForm {
    fingerprint: String,
}

pub async fn approve(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(reference): Path<String>,
    Form(f): Form<ApproveForm>,
) -> WebResult<Response> {
    let now = chrono::Utc::now();
    let shown = services::approve::prepare(&state.app, now, &reference).await?;
    if fingerprint(&shown) != f.fingerprint.trim() {
        return Err(WebError::new(
            axum::http::StatusCode::CONFLICT,
            format!(
                "{reference}: the letter changed after it was shown to you (edited meanwhile, or \
                 written again for a new day), so nothing was sent: open it again and read it as \
                 it is now"
            ),
        ));
    }
    let done = services::approve::approve(&state.app, now, &shown, &session.actor).await?;
    Ok(Redirect::to(&format!("/requests/{}", done.reference)).into_response())
}

#[derive(serde::Deserialize)]
pub struct ComplaintForm {
    submitted: Option<String>,
}

/// The complaint to the regulator as a zip of its files (the text, the correspondence, a
/// summary of the dates), downloaded; with a date, also recorded as submitted that day.
pub async fn complaint(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(reference): Path<String>,
    Form(f): Form<ComplaintForm>,
) -> WebResult<Response> {
    let (bundle, bytes) = services::complaint::prepare_zip(
        &state.app,
        chrono::Utc::now(),
        &reference,
        forms::date_opt("submitted", &f.submitted)?,
        &session.actor,
    )
    .await?;
    let name = format!("{}-complaint.zip", bundle.reference);
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/zip".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                super::requests::content_disposition(&name),
            ),
        ],
        bytes,
    )
        .into_response())
}
