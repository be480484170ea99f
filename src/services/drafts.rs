//! Drafts waiting for staff (internal reviews, complaints to the regulator): list them, read
//! one whole, and change its words before it is sent. An edited draft is marked so, and
//! `foi approve` sends staff's words as they stand instead of writing it again.

use super::messages::MessageDetail;
use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::domain::{Direction, EventName, MessageKind, MessageState};
use crate::store::requests::RequestRow;
use crate::store::{events, messages, requests};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use std::collections::HashMap;

#[derive(Debug, Clone, serde::Serialize)]
pub struct DraftLine {
    pub id: i32,
    pub reference: Option<String>,
    /// The authority's slug.
    pub authority: Option<String>,
    pub kind: MessageKind,
    pub created_at: DateTime<Utc>,
    pub to: String,
    pub subject: String,
    pub edited_at: Option<DateTime<Utc>>,
}

/// Every outbound message waiting in `draft`, oldest first.
pub async fn list(app: &AppContext) -> ServiceResult<Vec<DraftLine>> {
    let db = &app.db;
    let drafts = messages::outbound_in_states(db, &[MessageState::Draft]).await?;
    let mut ids: Vec<i32> = drafts.iter().filter_map(|m| m.request_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut models = Vec::with_capacity(ids.len());
    for id in ids {
        models.extend(requests::get_by_id(db, id).await?);
    }
    let ids: Vec<i32> = models.iter().map(|r| r.id).collect();
    let rows: HashMap<i32, RequestRow> = ids
        .into_iter()
        .zip(requests::rows_for(db, models).await?)
        .collect();
    Ok(drafts
        .into_iter()
        .map(|m| {
            let row = m.request_id.and_then(|r| rows.get(&r));
            DraftLine {
                id: m.id,
                reference: row.map(|r| r.reference.clone()),
                authority: row.map(|r| r.authority.clone()),
                kind: m.kind,
                created_at: m.created_at,
                to: m.to_addr,
                subject: m.subject,
                edited_at: m.edited_at,
            }
        })
        .collect())
}

/// One draft, whole.
pub async fn show(app: &AppContext, id: i32) -> ServiceResult<MessageDetail> {
    let m = super::messages::get(app, id).await?;
    if !is_draft(&m) {
        return Err(not_a_draft(&m));
    }
    super::messages::detail(app, m).await
}

#[derive(Debug, Clone)]
pub struct EditDraft {
    pub id: i32,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub actor: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Edited {
    Changed {
        id: i32,
        reference: Option<String>,
        /// `subject`, `body`: what changed.
        changed: Vec<&'static str>,
    },
    /// The text given is the draft's own: nothing was stored.
    Unchanged { id: i32 },
}

pub async fn edit(app: &AppContext, now: DateTime<Utc>, e: EditDraft) -> ServiceResult<Edited> {
    if e.subject.is_none() && e.body.is_none() {
        return Err(ServiceError::refused(format!(
            "draft {}: nothing to change (give a new body or subject)",
            e.id
        )));
    }
    let body = e
        .body
        .as_deref()
        .map(|b| checked_body(e.id, b))
        .transpose()?;
    let subject = e
        .subject
        .as_deref()
        .map(|s| checked_subject(e.id, s))
        .transpose()?;
    let m = super::messages::get(app, e.id).await?;
    if !is_draft(&m) {
        return Err(not_a_draft(&m));
    }
    let mut changed = Vec::new();
    // Editors add or drop a final newline as they please; that alone is no change.
    let new_body = match body {
        Some(b) if b.trim_end() != m.body.trim_end() => {
            changed.push("body");
            b
        }
        _ => m.body.clone(),
    };
    let new_subject = match subject {
        Some(s) if s != m.subject => {
            changed.push("subject");
            s
        }
        _ => m.subject.clone(),
    };
    if changed.is_empty() {
        return Ok(Edited::Unchanged { id: m.id });
    }
    let txn = app.db.begin().await?;
    if !messages::edit_draft(&txn, m.id, &new_subject, &new_body, &e.actor, now).await? {
        txn.rollback().await?;
        return Err(ServiceError::refused(format!(
            "message {} stopped being a draft while it was being edited (approved meanwhile?); \
             nothing was changed (see `foi messages show {}`)",
            m.id, m.id
        )));
    }
    let mut reference = None;
    if let Some(rid) = m.request_id {
        reference = requests::get_by_id(&txn, rid).await?.map(|r| r.reference);
        events::record(
            &txn,
            rid,
            now,
            EventName::DraftEdited,
            format!(
                "staff edited the {} draft (message {}): {}; it will be sent as they wrote it",
                m.kind.as_str().replace('_', " "),
                m.id,
                changed.join(" and ")
            ),
            &e.actor,
            Some(serde_json::json!({"message": m.id, "changed": changed})),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(Edited::Changed {
        id: m.id,
        reference,
        changed,
    })
}

fn is_draft(m: &crate::store::inbound::MessageModel) -> bool {
    m.direction == Direction::Outbound && m.state == MessageState::Draft
}

fn not_a_draft(m: &crate::store::inbound::MessageModel) -> ServiceError {
    let what = match m.direction {
        Direction::Inbound => "an inbound message".to_string(),
        Direction::Outbound => format!(
            "a {} letter, {}",
            m.kind.as_str().replace('_', " "),
            m.state
        ),
    };
    ServiceError::refused(format!(
        "message {} is not a draft (it is {what}): only drafts can be read or edited here \
         (see `foi messages show {}` and `foi drafts list`)",
        m.id, m.id
    ))
}

/// A letter body as staff wrote it, with line ends made `\n`: not empty, and without
/// control characters a mail or the database cannot carry.
fn checked_body(id: i32, body: &str) -> ServiceResult<String> {
    let body = body.replace("\r\n", "\n");
    if body.trim().is_empty() {
        return Err(ServiceError::refused(format!(
            "draft {id}: the new body is empty; the draft was not changed"
        )));
    }
    for (n, line) in body.lines().enumerate() {
        if let Some(c) = line.chars().find(|c| c.is_control() && *c != '\t') {
            return Err(ServiceError::refused(format!(
                "draft {id}: line {} of the new body holds the control character U+{:04X}; \
                 the draft was not changed",
                n + 1,
                u32::from(c)
            )));
        }
    }
    Ok(body)
}

fn checked_subject(id: i32, subject: &str) -> ServiceResult<String> {
    let subject = subject.trim();
    if subject.is_empty() {
        return Err(ServiceError::refused(format!(
            "draft {id}: the new subject is empty; the draft was not changed"
        )));
    }
    if subject.chars().any(char::is_control) {
        return Err(ServiceError::refused(format!(
            "draft {id}: the subject must be one line without control characters; the draft was not changed"
        )));
    }
    Ok(subject.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_checked() {
        assert_eq!(checked_body(1, "Dear\r\nSir\r\n").unwrap(), "Dear\nSir\n");
        assert!(checked_body(1, " \n\t\n").is_err());
        let err = checked_body(1, "ok\nbad\u{0}line").unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("U+0000"), "{err}");
        assert!(checked_subject(1, "a\nb").is_err());
        assert!(checked_subject(1, "  ").is_err());
        assert_eq!(checked_subject(1, " Review ").unwrap(), "Review");
    }
}
