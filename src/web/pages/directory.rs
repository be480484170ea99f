//! Authorities and twinning links: view them, set a council's FOI email, and import a CSV
//! or TSV with the CLI's checks (every bad row named with its line and field; nothing
//! written unless every row is good).

use super::super::error::{WebError, WebResult};
use super::super::forms::Upload;
use super::super::WebState;
use super::{done, when};
use crate::domain::EmailAddress;
use crate::services::{self, staff::Session};
use crate::store::authorities::tags_of;
use axum::extract::{Multipart, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde_json::json;

pub async fn authorities(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
) -> WebResult<Html<String>> {
    let list = services::directory::authorities(&state.app, None).await?;
    let data = json!({
        "authorities": list.iter().map(|a| json!({
            "slug": a.slug, "name": a.name, "nation": a.nation, "regime": a.regime,
            "email": a.foi_email, "website": a.website, "tags": tags_of(a).join(" "),
        })).collect::<Vec<_>>(),
    });
    Ok(state
        .views
        .page(&session, "authorities", "authorities", "Authorities", data))
}

pub async fn authority(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(slug): Path<String>,
) -> WebResult<Html<String>> {
    let d = services::directory::authority(&state.app, &slug).await?;
    let a = &d.authority;
    let data = json!({
        "slug": a.slug, "name": a.name, "nation": a.nation, "regime": a.regime,
        "email": a.foi_email, "email_source": a.foi_email_source, "website": a.website,
        "tags": tags_of(a).join(" "), "notes": a.notes,
        "links": d.links.iter().map(|l| json!({
            "id": l.id, "partner_city": l.partner_city, "province": l.partner_province,
            "relationship": l.relationship, "since": l.since_year, "status": l.status,
        })).collect::<Vec<_>>(),
        "requests": d.requests.iter().map(|r| json!({
            "reference": r.reference, "state": r.state.as_str(), "state_label": r.state.as_str().replace('_', " "),
            "template": r.template, "created": when(r.created_at),
        })).collect::<Vec<_>>(),
    });
    Ok(state
        .views
        .page(&session, "authority", "authorities", &a.name.clone(), data))
}

#[derive(serde::Deserialize)]
pub struct EmailForm {
    email: String,
}

pub async fn set_email(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(slug): Path<String>,
    Form(f): Form<EmailForm>,
) -> WebResult<Response> {
    let email =
        EmailAddress::parse(f.email.trim()).map_err(|e| WebError::bad(format!("email: {e}")))?;
    let done = services::set_email::set_email(
        &state.app,
        chrono::Utc::now(),
        &slug,
        &email,
        &session.actor,
    )
    .await?;
    Ok(Redirect::to(&format!("/authorities/{}", done.slug)).into_response())
}

pub async fn twinnings(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
) -> WebResult<Html<String>> {
    let list = services::directory::twinnings(&state.app, None).await?;
    let data = json!({
        "links": list.iter().map(|(l, a)| json!({
            "id": l.id, "authority": a.slug, "authority_name": a.name, "uk_place": l.uk_place,
            "partner_city": l.partner_city, "province": l.partner_province,
            "relationship": l.relationship, "since": l.since_year, "status": l.status,
        })).collect::<Vec<_>>(),
    });
    Ok(state
        .views
        .page(&session, "twinnings", "twinnings", "Twinning links", data))
}

/// A CSV/TSV of authorities or of twinning links, checked whole before anything is written.
pub async fn import(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    multipart: Multipart,
) -> WebResult<Response> {
    let limit = state.app.settings.web.max_upload_bytes as usize;
    let up = Upload::read(multipart, limit).await?;
    let (name, bytes) = up
        .files
        .first()
        .ok_or_else(|| WebError::bad("file: choose a CSV or TSV file to import"))?;
    let name = crate::mail::inbound::safe_filename(name);
    let decoded = crate::import::decode(&name, bytes).map_err(|e| WebError::bad(e.to_string()))?;
    let mut lines = Vec::new();
    if let Some(enc) = decoded.converted_from {
        lines.push(format!("{name} is not UTF-8; it was read as {enc}"));
    }
    match up.field("kind").as_deref() {
        Some("twinnings") => {
            let r = services::imports::twinnings(&state.app, &name, &decoded.text).await?;
            lines.push(format!(
                "{} row(s) read from {name}: {}",
                r.rows,
                serde_json::to_string(&r.summary).unwrap_or_default()
            ));
        }
        Some("authorities") | None => {
            let r = services::imports::authorities(&state.app, &name, &decoded.text).await?;
            lines.push(format!(
                "{} row(s) read from {name}: {} added, {} updated, {} unchanged",
                r.rows, r.summary.created, r.summary.updated, r.summary.unchanged
            ));
        }
        Some(other) => {
            return Err(WebError::bad(format!(
                "kind: '{other}' is not authorities or twinnings"
            )))
        }
    }
    Ok(done(
        &state,
        &session,
        "authorities",
        "Imported",
        lines,
        &[
            ("Authorities", "/authorities".into()),
            ("Links", "/twinnings".into()),
        ],
    )
    .into_response())
}
