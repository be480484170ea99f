//! `foi outbox retry REF`: the request's failed, uncertain, waiting or written messages go
//! back in the queue on purpose, for a fresh series of attempts with the same Message-ID,
//! addressed to the council's current FOI address. When the request letter never arrived,
//! the receipt recorded at its first send is withdrawn, so the statutory clock starts from
//! the resend. A letter written under the placeholder requester is written again.

use super::lifecycle::advance_from;
use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::{ClockEventKind, ClockSettings, WorkingCalendar};
use crate::domain::lifecycle::Trigger;
use crate::domain::{EventName, MessageKind, RequestState};
use crate::store::requests::{self, RequestModel};
use crate::store::{authorities, clock_events, events, messages, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Retried {
    pub reference: String,
    pub messages: usize,
    /// (old, new) when the letters now go to a corrected address.
    pub readdressed: Option<(String, String)>,
    /// The date of the automatic receipt that was withdrawn because the letter never arrived.
    pub clock_withdrawn: Option<NaiveDate>,
    /// The letter was written again with the requester now configured.
    pub rewritten: bool,
}

fn is_placeholder_address(a: &str) -> bool {
    a.trim_end_matches('.')
        .to_ascii_lowercase()
        .ends_with(".invalid")
}

#[tracing::instrument(skip_all, fields(reference = %reference))]
pub async fn retry(
    app: &AppContext,
    now: DateTime<Utc>,
    reference: &str,
    actor: &str,
) -> ServiceResult<Retried> {
    let r = requests::get_by_reference(&app.db, reference).await?;
    let cal = app.calendar().await?;
    let txn = app.db.begin().await?;
    let done = retry_in(app, &txn, &cal, &r, actor, now).await?;
    txn.commit().await?;
    Ok(done)
}

/// `foi outbox retry --all`: every request with failed, uncertain, waiting or written letters
/// (after SMTP is set up, say), each in its own transaction.
pub async fn retry_all(
    app: &AppContext,
    now: DateTime<Utc>,
    actor: &str,
) -> ServiceResult<Vec<Retried>> {
    let mut out = Vec::new();
    for id in messages::requests_with_retryable(&app.db).await? {
        let Some(r) = requests::get_by_id(&app.db, id).await? else {
            continue;
        };
        out.push(retry(app, now, &r.reference, actor).await?);
    }
    Ok(out)
}

async fn retry_in(
    app: &AppContext,
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    r: &RequestModel,
    actor: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Retried> {
    let msgs = messages::retryable_for_request(db, r.id).await?;
    if msgs.is_empty() {
        return Err(ServiceError::refused(format!(
            "{}: nothing to retry (no failed, uncertain, waiting or written messages)",
            r.reference
        )));
    }
    let authority = authorities::get(db, r.authority_id).await?;
    let current = authority.foi_email.clone();
    let mut readdressed = None;
    let mut rewritten = false;
    for m in &msgs {
        // A letter written under the shipped placeholder requester is written again with the
        // requester now set (same reference and Message-ID), since nobody could answer it.
        if m.kind == MessageKind::Request
            && app.settings.placeholder_keys().is_empty()
            && [m.from_addr.as_str(), m.reply_to.as_deref().unwrap_or("")]
                .iter()
                .any(|a| is_placeholder_address(a))
        {
            let (letter, reply_to) =
                super::queue::rerender(app, db, now, r).await.map_err(|e| {
                    ServiceError::refused(format!(
                        "{}: cannot write the letter again: {e}",
                        r.reference
                    ))
                })?;
            requests::set_letter(db, r.id, &letter.subject, &letter.body, &reply_to, now).await?;
            messages::set_letter(
                db,
                m.id,
                &app.settings.mail.from_address,
                &reply_to,
                &letter.subject,
                &letter.body,
            )
            .await?;
            // It never left (SMTP refused to hand it over), so no council has the old
            // Message-ID, which was on the placeholder domain: give it one on the real one.
            let id =
                crate::mail::new_message_id(&r.reference, &app.settings.mail.reply_domain, now);
            messages::set_message_id(db, m.id, &id).await?;
            rewritten = true;
        }
        let to = match &current {
            Some(c) if m.kind.goes_to_council() => c.clone(),
            _ => m.to_addr.clone(),
        };
        if to != m.to_addr {
            readdressed = Some((m.to_addr.clone(), to.clone()));
        }
        messages::requeue(db, m.id, &to).await?;
    }
    if rewritten {
        events::record(
            db,
            r.id,
            now,
            EventName::Rewritten,
            format!(
                "the letter was written again as {} (it had been written under the placeholder requester)",
                app.settings.requester.name
            ),
            actor,
            None,
        )
        .await?;
    }
    if let Some((old, new)) = &readdressed {
        requests::set_to_address(db, r.id, new, now).await?;
        events::record(
            db,
            r.id,
            now,
            EventName::Readdressed,
            format!(
                "letters now go to {new}, the council's current FOI address (they went to {old})"
            ),
            actor,
            None,
        )
        .await?;
    }
    let mut clock_withdrawn = None;
    if r.state == RequestState::DeliveryFailed {
        clock_withdrawn =
            withdraw_automatic_receipt(db, cal, &app.clock_settings(), r, actor, now).await?;
        advance_from(db, r, r.state, Trigger::Resend, None, actor, now).await?;
    }
    events::record(
        db,
        r.id,
        now,
        EventName::ResendRequested,
        format!(
            "{} message(s) put back in the outbox by staff for a fresh series of attempts (same Message-ID)",
            msgs.len()
        ),
        actor,
        None,
    )
    .await?;
    Ok(Retried {
        reference: r.reference.clone(),
        messages: msgs.len(),
        readdressed,
        clock_withdrawn,
        rewritten,
    })
}

/// A letter that bounced never reached the council, so the date its server accepted it is
/// not the date of receipt. A receipt recorded by hand (staff know better) is kept.
pub(crate) async fn withdraw_automatic_receipt(
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    clock: &ClockSettings,
    r: &RequestModel,
    actor: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Option<NaiveDate>> {
    let automatic: Vec<_> = clock_events::rows(db, r.id)
        .await?
        .into_iter()
        .filter(|e| e.kind == ClockEventKind::Received.as_str() && !is_person(&e.actor))
        .collect();
    let Some(first) = automatic.first().map(|e| e.date) else {
        return Ok(None);
    };
    for e in &automatic {
        clock_events::remove(db, e.id).await?;
    }
    let fresh = requests::get_by_id(db, r.id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("request {} vanished", r.reference)))?;
    events::record(
        db,
        r.id,
        now,
        EventName::ClockWithdrawn,
        format!(
            "the letter accepted for delivery on {first} never arrived, so the statutory clock \
             did not start then; it starts when the resend is accepted"
        ),
        actor,
        None,
    )
    .await?;
    super::deadlines::refresh(
        db,
        cal,
        clock,
        &fresh,
        "the first letter never arrived",
        &|_, _, _| None,
        actor,
        now,
    )
    .await?;
    Ok(Some(first))
}

/// Actors that are people (the CLI, later staff accounts) rather than the program's workers.
fn is_person(actor: &str) -> bool {
    actor == super::CLI || actor.starts_with("staff:")
}
