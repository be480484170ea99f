//! `foi inbox assign ID REF`: staff file a message from the holding pen under a request; it
//! then counts as that request's mail, with the effect it would have had if it had matched.

use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::domain::{Direction, MessageKind};
use crate::mail::inbound;
use crate::store::{inbound as store, requests};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Assigned {
    pub message: i32,
    pub reference: String,
    pub kind: MessageKind,
}

#[tracing::instrument(skip_all, fields(message = message, reference = %reference))]
pub async fn assign(
    app: &AppContext,
    now: DateTime<Utc>,
    message: i32,
    reference: &str,
    actor: &str,
) -> ServiceResult<Assigned> {
    let m = store::get(&app.db, message)
        .await?
        .filter(|m| m.direction == Direction::Inbound)
        .ok_or_else(|| {
            ServiceError::refused(format!(
                "no inbound message {message} (see `foi inbox unmatched`)"
            ))
        })?;
    if let Some(id) = m.request_id {
        let r = requests::get_by_id(&app.db, id)
            .await?
            .map(|r| r.reference)
            .unwrap_or_default();
        return Err(ServiceError::refused(format!(
            "message {message} is already filed under {r}"
        )));
    }
    let request = requests::get_by_reference(&app.db, reference).await?;
    let raw = match &m.raw_path {
        Some(p) => std::fs::read(p).map_err(|e| ServiceError::Disk {
            dir: p.clone(),
            message: format!("cannot read the stored message: {e}"),
        })?,
        None => Vec::new(),
    };
    let mail = inbound::parse(&raw);
    let classification = inbound::classify(&mail);
    let flagged = request
        .to_address
        .as_deref()
        .is_some_and(|to| inbound::sender_differs(mail.from.as_ref(), to));
    let txn = app.db.begin().await?;
    store::assign(&txn, m.id, request.id, "staff", now).await?;
    super::ingest::apply(
        &txn,
        &request,
        &m,
        &mail,
        &classification,
        flagged,
        actor,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Assigned {
        message,
        reference: request.reference,
        kind: m.kind,
    })
}
