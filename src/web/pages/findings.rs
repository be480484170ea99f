//! The agreements register side by side across councils, the documents, a document viewer
//! (its text page by page, the suggestions read from it to confirm or reject, and a form to
//! record a fact with its source page), and search across every document.

use super::super::error::{WebError, WebResult};
use super::super::WebState;
use super::{given, when, when_opt};
use crate::domain::{CommitmentArea, FindingField};
use crate::services::findings::{self, Source};
use crate::services::{self, staff::Session};
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde_json::{json, Value};

pub async fn register(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
) -> WebResult<Html<String>> {
    let all = findings::list(&state.app).await?;
    let table = findings::register_rows(&all);
    let suggestions = findings::suggestions(&state.app).await?;
    let data = json!({
        "headers": table.headers,
        "rows": table.rows.iter().zip(&all).map(|(cells, r)| json!({
            "link": r.link_id,
            "cells": cells,
        })).collect::<Vec<_>>(),
        "suggestions": suggestions.iter().map(|(link, f)| fact_view(link, f)).collect::<Vec<_>>(),
        "back": "/findings",
    });
    Ok(state.views.page(
        &session,
        "findings",
        "findings",
        "Agreements register",
        data,
    ))
}

fn fact_view(link: &str, f: &findings::Fact) -> Value {
    json!({
        "id": f.id,
        "link": link,
        "field": findings::field_key(f.field, f.area),
        "value": f.value,
        "source": f.source,
        "document": f.document_id,
        "page": f.page,
        "rule": f.rule,
        "excerpt": f.excerpt,
        "by": f.recorded_by,
        "at": when(f.recorded_at),
    })
}

pub async fn documents(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
) -> WebResult<Html<String>> {
    let docs =
        services::documents::list(&state.app, &services::documents::DocumentFilter::default())
            .await?;
    let data = json!({
        "documents": docs.iter().map(|d| json!({
            "id": d.id,
            "name": d.name,
            "status": d.status.as_str(),
            "reason": d.reason,
            "pages": d.pages,
            "ocr_pages": d.ocr_pages,
            "kind": d.kind.map(|k| k.as_str()),
            "publishable": d.publishable,
            "received": when_opt(d.received_at),
            "references": d.references,
        })).collect::<Vec<_>>(),
    });
    Ok(state
        .views
        .page(&session, "documents", "documents", "Documents", data))
}

pub async fn document(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(id): Path<i32>,
) -> WebResult<Html<String>> {
    let app = &state.app;
    let d = services::documents::show(app, id, None).await?;
    let suggestions: Vec<Value> = findings::suggestions(app)
        .await?
        .iter()
        .filter(|(_, f)| f.document_id == Some(id))
        .map(|(link, f)| fact_view(link, f))
        .collect();
    let mut links = Vec::new();
    for slug in &d.row.authorities {
        let a = services::directory::authority(app, slug).await?;
        for l in a.links {
            links.push(json!({
                "id": l.id,
                "label": format!("{}: {} ({})", a.authority.name, l.partner_city, l.relationship),
            }));
        }
    }
    let fields: Vec<Value> = FindingField::ALL
        .iter()
        .map(|f| json!({"value": f.as_str(), "label": f.as_str().replace('_', " ")}))
        .collect();
    let areas: Vec<Value> = CommitmentArea::ALL
        .iter()
        .map(|a| json!({"value": a.as_str()}))
        .collect();
    let data = json!({
        "id": d.row.id,
        "name": d.row.name,
        "status": d.row.status.as_str(),
        "reason": d.row.reason,
        "references": d.row.references,
        "message": d.row.message_id,
        "attachment": d.row.attachment_id,
        "pages": d.pages.iter().map(|p| json!({"page": p.page, "ocr": p.ocr, "text": p.text})).collect::<Vec<_>>(),
        "page_numbers": d.pages.iter().map(|p| p.page).collect::<Vec<_>>(),
        "suggestions": suggestions,
        "links": links,
        "fields": fields,
        "areas": areas,
        "back": format!("/documents/{id}"),
    });
    Ok(state.views.page(
        &session,
        "document",
        "documents",
        &format!("Document {id}"),
        data,
    ))
}

#[derive(serde::Deserialize)]
pub struct FactForm {
    link: String,
    field: String,
    area: Option<String>,
    value: String,
    page: Option<String>,
    note: Option<String>,
}

pub async fn record_fact(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(id): Path<i32>,
    Form(f): Form<FactForm>,
) -> WebResult<Response> {
    let field = FindingField::parse(&f.field).map_err(|e| WebError::bad(format!("field: {e}")))?;
    let area = given(&f.area)
        .map(|a| CommitmentArea::parse(&a))
        .transpose()
        .map_err(|e| WebError::bad(format!("area: {e}")))?;
    let page = given(&f.page)
        .map(|p| p.parse::<i32>())
        .transpose()
        .map_err(|_| WebError::bad("page: not a page number"))?;
    findings::set(
        &state.app,
        chrono::Utc::now(),
        findings::SetFacts {
            link: f.link.clone(),
            facts: vec![(
                field,
                area.filter(|_| field == FindingField::Commitment),
                f.value.clone(),
            )],
            source: Source::Document { id, page },
            note: given(&f.note),
            actor: session.actor.clone(),
        },
    )
    .await?;
    Ok(Redirect::to("/findings").into_response())
}

#[derive(serde::Deserialize)]
pub struct DecideForm {
    decision: String,
    back: Option<String>,
}

pub async fn decide(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Path(id): Path<i32>,
    Form(f): Form<DecideForm>,
) -> WebResult<Response> {
    let confirm = match f.decision.as_str() {
        "confirm" => true,
        "reject" => false,
        other => {
            return Err(WebError::bad(format!(
                "decision: '{other}' is not confirm or reject"
            )))
        }
    };
    findings::decide(
        &state.app,
        chrono::Utc::now(),
        id,
        confirm,
        None,
        &session.actor,
    )
    .await?;
    let back = match given(&f.back) {
        Some(b) if b.starts_with("/documents/") => b,
        _ => "/findings".into(),
    };
    Ok(Redirect::to(&back).into_response())
}

#[derive(serde::Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    authority: Option<String>,
}

pub async fn search(
    State(state): State<WebState>,
    Extension(session): Extension<Session>,
    Query(q): Query<SearchQuery>,
) -> WebResult<Html<String>> {
    let text = given(&q.q).unwrap_or_default();
    let hits = if text.is_empty() {
        Vec::new()
    } else {
        services::search::search(
            &state.app,
            services::search::Search {
                text: text.clone(),
                authority: given(&q.authority),
                campaign: None,
                limit: 50,
            },
        )
        .await?
    };
    let data = json!({
        "q": text,
        "authority": given(&q.authority).unwrap_or_default(),
        "searched": !text.is_empty(),
        "count": hits.len(),
        "hits": hits.iter().map(|h| json!({
            "document": h.document,
            "name": h.name,
            "page": h.page,
            "ocr": h.ocr,
            "authority_name": h.authority_name,
            "references": h.references,
            "snippet": snippet_parts(&h.snippet),
            "watch": h.watch,
        })).collect::<Vec<_>>(),
    });
    Ok(state
        .views
        .page(&session, "search", "search", "Search", data))
}

/// The snippet as pieces, the matched ones marked: escaped by the template, piece by piece.
fn snippet_parts(s: &crate::search::Snippet) -> Value {
    let chars: Vec<char> = s.text.chars().collect();
    let mut parts = Vec::new();
    let mut at = 0;
    let mut marks = s.highlights.clone();
    marks.sort();
    for (start, end) in marks {
        let (start, end) = (start.min(chars.len()), end.min(chars.len()));
        if start < at {
            continue;
        }
        if start > at {
            parts.push(json!({"text": chars[at..start].iter().collect::<String>(), "mark": false}));
        }
        parts.push(json!({"text": chars[start..end].iter().collect::<String>(), "mark": true}));
        at = end;
    }
    if at < chars.len() {
        parts.push(json!({"text": chars[at..].iter().collect::<String>(), "mark": false}));
    }
    Value::Array(parts)
}
