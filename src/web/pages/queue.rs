//! Queueing letters: choose a template and councils (or every twinning link, as a
//! campaign), preview the letters as they would be written, then queue them.

use super::super::error::{WebError, WebResult};
use super::super::WebState;
use crate::domain::Channel;
use crate::letters::TemplateKind;
use crate::services::queue::{self, Per, QueueCampaign, QueueOne, QueuedLetter};
use crate::services::{self, staff::Session};
use axum::extract::State;
use axum::response::Html;
use axum::{Extension, Form};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// What the form holds (repeated `authority` fields: one per council ticked).
#[derive(Debug, Default)]
struct QueueInput {
    template: String,
    authorities: Vec<String>,
    all_links: bool,
    campaign: String,
    per: Per,
    via: Channel,
    again: bool,
    action: String,
}

impl QueueInput {
    fn parse(pairs: Vec<(String, String)>) -> Result<QueueInput, WebError> {
        let mut q = QueueInput::default();
        for (k, v) in pairs {
            let v = v.trim().to_string();
            match k.as_str() {
                "template" => q.template = v,
                "authority" if !v.is_empty() => q.authorities.push(v),
                "all_links" => q.all_links = v == "1",
                "campaign" => q.campaign = v,
                "per" => q.per = Per::parse(&v).map_err(|e| WebError::bad(format!("per: {e}")))?,
                "via" => {
                    q.via = Channel::parse(&v).map_err(|e| WebError::bad(format!("via: {e}")))?
                }
                "again" => q.again = v == "1",
                "action" => q.action = v,
                _ => {}
            }
        }
        if q.template.is_empty() {
            return Err(WebError::bad("template: choose a letter template"));
        }
        if !q.all_links && q.authorities.is_empty() {
            return Err(WebError::bad(
                "authorities: tick at least one council, or choose every twinning link",
            ));
        }
        if q.all_links && q.campaign.is_empty() {
            return Err(WebError::bad(
                "campaign: a campaign over every twinning link needs a name",
            ));
        }
        Ok(q)
    }
}

async fn form_data(state: &WebState, q: &QueueInput) -> WebResult<Value> {
    let authorities = services::directory::authorities(&state.app, None).await?;
    let templates: Vec<Value> = state
        .app
        .letters
        .templates()
        // Letters that open a request: follow-ups (reminders, reviews, complaints) quote
        // the earlier letter's subject, so they need a request already made.
        .filter(|t| t.kind == TemplateKind::Letter && !t.requires.iter().any(|r| r == "request.subject"))
        .map(|t| {
            json!({"name": t.name, "description": t.description, "selected": t.name == q.template})
        })
        .collect();
    Ok(json!({
        "templates": templates,
        "authorities": authorities.iter().map(|a| json!({
            "slug": a.slug,
            "name": a.name,
            "nation": a.nation,
            "email": a.foi_email,
            "checked": q.authorities.contains(&a.slug),
        })).collect::<Vec<_>>(),
        "all_links": q.all_links,
        "campaign": q.campaign,
        "per_link": q.per == Per::Link,
        "channels": Channel::ALL.iter().map(|c| json!({"value": c.as_str(), "selected": *c == q.via})).collect::<Vec<_>>(),
        "again": q.again,
        "previews": Value::Null,
        "queued": Value::Null,
        "errors": Vec::<String>::new(),
        "count": 0,
        "notes": Vec::<String>::new(),
    }))
}

pub async fn form(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
) -> WebResult<Html<String>> {
    let data = form_data(&state, &QueueInput::default()).await?;
    Ok(state
        .views
        .page(&session, "queue", "queue", "Queue letters", data))
}

fn letter_view(l: &QueuedLetter) -> Value {
    json!({
        "reference": l.reference,
        "authority": l.authority,
        "partner_city": l.partner_city,
        "channel": l.channel.as_str(),
        "to": l.to,
        "subject": l.subject,
        "body": l.body,
        "stored": l.stored,
    })
}

/// Preview (nothing stored) or queue, as the button pressed says.
pub async fn submit(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Html<String>> {
    let q = QueueInput::parse(pairs)?;
    let dry_run = q.action != "queue";
    let now = chrono::Utc::now();
    let mut letters = Vec::new();
    let mut errors = Vec::new();
    let mut notes = Vec::new();
    if q.all_links {
        let out = queue::campaign(
            &state.app,
            now,
            QueueCampaign {
                campaign: q.campaign.clone(),
                template: q.template.clone(),
                vars: BTreeMap::new(),
                dry_run,
                per: q.per,
                via: q.via,
                actor: session.actor.clone(),
                ..Default::default()
            },
        )
        .await?;
        for h in &out.already_held {
            notes.push(format!(
                "{} ({}) is already asked about in {}",
                h.authority, h.partner_city, h.reference
            ));
        }
        for (slug, name) in &out.no_address {
            notes.push(format!(
                "{name} ({slug}) left out: no FOI email address known"
            ));
        }
        letters = out.queued;
    } else {
        // One letter per council ticked; each is checked (and, queueing, stored) on its own,
        // and a council refused is named without holding the others back.
        for slug in &q.authorities {
            let r = queue::one(
                &state.app,
                now,
                QueueOne {
                    template: q.template.clone(),
                    authority: slug.clone(),
                    twinning: None,
                    vars: BTreeMap::new(),
                    dry_run,
                    again: q.again,
                    via: q.via,
                    actor: session.actor.clone(),
                },
            )
            .await;
            match r {
                Ok(l) => letters.push(l),
                Err(e) => errors.push(format!("{slug}: {}", WebError::from(e).message)),
            }
        }
    }
    let mut data = form_data(&state, &q).await?;
    let views: Vec<Value> = letters.iter().map(letter_view).collect();
    data["errors"] = json!(errors);
    data["notes"] = json!(notes);
    data["count"] = json!(views.len());
    if dry_run {
        data["previews"] = json!(views);
    } else {
        data["queued"] = json!(views);
    }
    let title = if dry_run {
        "Preview letters"
    } else {
        "Letters queued"
    };
    Ok(state.views.page(&session, "queue", "queue", title, data))
}
