//! `foi requests sent REF --on DATE`: the letter went out some other way (staff sent the
//! written file from their own mail client, say). Its outbox copy is marked sent so no
//! transport sends it again, and the statutory clock starts on that date.

use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::{london_date, ClockEventKind};
use crate::domain::{MessageKind, RequestState};
use crate::store::{events, messages, requests, StoreError};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sea_orm::TransactionTrait;

#[derive(Debug, Clone)]
pub struct SendByHand {
    pub reference: String,
    pub on: NaiveDate,
    pub note: Option<String>,
    pub actor: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SentByHand {
    pub reference: String,
    pub on: NaiveDate,
    pub letters: u64,
    pub response_due: Option<NaiveDate>,
}

#[tracing::instrument(skip_all, fields(reference = %input.reference))]
pub async fn record(
    app: &AppContext,
    now: DateTime<Utc>,
    input: SendByHand,
) -> ServiceResult<SentByHand> {
    let r = requests::get_by_reference(&app.db, &input.reference).await?;
    let on = input.on;
    if on > london_date(now) {
        return Err(ServiceError::refused(format!("--on {on} is in the future")));
    }
    if on < london_date(r.created_at) {
        return Err(ServiceError::refused(format!(
            "--on {on} is before {} was created ({})",
            r.reference,
            london_date(r.created_at)
        )));
    }
    if !matches!(
        r.state,
        RequestState::Draft | RequestState::Queued | RequestState::DeliveryFailed
    ) {
        let when = r
            .sent_at
            .map(|s| format!(" on {}", london_date(s)))
            .unwrap_or_default();
        return Err(ServiceError::refused(format!(
            "{} was already sent{when} and is now {}; to correct its date of receipt, see `foi requests show {}`",
            r.reference, r.state, r.reference
        )));
    }
    let cal = app.calendar().await?;
    let clock = app.clock_settings();
    let actor = input.actor.as_str();
    let txn = app.db.begin().await?;
    if r.state == RequestState::DeliveryFailed {
        super::retry::withdraw_automatic_receipt(&txn, &cal, &clock, &r, actor, now).await?;
    }
    let detail = match &input.note {
        Some(n) => format!("sent by staff outside foi on {on}: {n}"),
        None => format!("sent by staff outside foi on {on}"),
    };
    let letters =
        messages::mark_sent_by_hand(&txn, r.id, MessageKind::Request, &detail, now).await?;
    requests::set_sent_at(&txn, r.id, start_of_london_day(on)).await?;
    events::record(
        &txn,
        r.id,
        now,
        RequestState::Sent,
        detail.clone(),
        actor,
        None,
    )
    .await?;
    let vanished = || StoreError::NotFound(format!("request {} vanished", r.reference));
    let fresh = requests::get_by_id(&txn, r.id)
        .await?
        .ok_or_else(vanished)?;
    super::clock::record_in(
        &txn,
        &cal,
        &clock,
        &fresh,
        ClockEventKind::Received,
        on,
        actor,
        Some(&detail),
        now,
    )
    .await?;
    let fresh = requests::get_by_id(&txn, r.id)
        .await?
        .ok_or_else(vanished)?;
    txn.commit().await?;
    Ok(SentByHand {
        reference: r.reference.clone(),
        on,
        letters,
        response_due: fresh.response_due,
    })
}

fn start_of_london_day(d: NaiveDate) -> DateTime<Utc> {
    let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    chrono_tz::Europe::London
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}
