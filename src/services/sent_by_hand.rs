//! `foi requests sent REF --on DATE`: the request went to the council some other way than
//! foi's outbox. An email letter was sent by hand (staff sent the written file from their own
//! mail client, say): its outbox copy is marked sent so no transport sends it again. A
//! request for a council's web form was submitted there (`--portal-ref` keeps the case number
//! the form gave), or a letter was posted. The staff task to submit it is done, and the
//! statutory clock starts on the date of receipt.

use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::{london_date, ClockEventKind, WorkingCalendar};
use crate::domain::{parse_portal_reference, Channel, MessageKind, RequestState, TaskKind};
use crate::store::requests::RequestModel;
use crate::store::{events, messages, requests, tasks, StoreError};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};

#[derive(Debug, Clone, Default)]
pub struct SendByHand {
    pub reference: String,
    /// The day it was sent, submitted or posted.
    pub on: NaiveDate,
    /// For a posted letter, the day the council received it, when known.
    pub received: Option<NaiveDate>,
    /// The case number the council's web form gave.
    pub portal_reference: Option<String>,
    pub note: Option<String>,
    pub actor: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SentByHand {
    pub reference: String,
    pub channel: Channel,
    pub on: NaiveDate,
    /// The date of receipt the statutory clock counts from (day 0).
    pub received: NaiveDate,
    pub portal_reference: Option<String>,
    /// Outbox letters marked sent (email requests).
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
    if input.on < london_date(r.created_at) {
        return Err(ServiceError::refused(format!(
            "--on {} is before {} was created ({}); for a request made before foi knew of it, use `foi requests add --on DATE`",
            input.on,
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
    let txn = app.db.begin().await?;
    let done = record_in(app, &txn, &cal, &r, &input, now).await?;
    txn.commit().await?;
    Ok(done)
}

/// Records the sending inside the caller's transaction (`foi requests add --on` makes the
/// request in the same one). The caller has checked the request may still be sent.
pub(super) async fn record_in(
    app: &AppContext,
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    r: &RequestModel,
    input: &SendByHand,
    now: DateTime<Utc>,
) -> ServiceResult<SentByHand> {
    let on = input.on;
    let today = london_date(now);
    if on > today {
        return Err(ServiceError::refused(format!("--on {on} is in the future")));
    }
    let portal_reference = match &input.portal_reference {
        Some(_) if r.channel != Channel::Portal => {
            return Err(ServiceError::refused(format!(
                "--portal-ref is the case number a council's web form gives, and {} goes {}; \
                 leave it out",
                r.reference,
                r.channel.how()
            )))
        }
        Some(p) => Some(
            parse_portal_reference(p)
                .map_err(|e| ServiceError::refused(format!("--portal-ref: {e}")))?,
        ),
        None => None,
    };
    let regime = super::deadlines::regime_of(r)?;
    // Day 0 is the day the council receives the request (rule a3). A web form or an email
    // arrives the day it is sent; a posted letter later, and counting from the day it was
    // posted would chase the council early (rule i2).
    let (received, assumed) = match (r.channel, input.received) {
        (Channel::Post, Some(d)) => {
            if d < on {
                return Err(ServiceError::refused(format!(
                    "--received {d} is before the letter was posted (--on {on})"
                )));
            }
            if d > today {
                return Err(ServiceError::refused(format!(
                    "--received {d} is in the future"
                )));
            }
            (d, false)
        }
        (Channel::Post, None) => (cal.add_working_days(regime, on, 2)?, true),
        (_, Some(_)) => {
            return Err(ServiceError::refused(format!(
                "--received is for letters sent by post; {} went {}, so it was received the day it was sent",
                r.reference,
                r.channel.how()
            )))
        }
        (_, None) => (on, false),
    };
    let actor = input.actor.as_str();
    if r.state == RequestState::DeliveryFailed {
        super::retry::withdraw_automatic_receipt(db, cal, &app.clock_settings(), r, actor, now)
            .await?;
    }
    let mut detail = match r.channel {
        Channel::Email => format!("sent by staff outside foi on {on}"),
        Channel::Portal => format!(
            "submitted through the council's web form on {on}{}",
            portal_reference
                .as_deref()
                .map(|p| format!(", case ref {p}"))
                .unwrap_or_default()
        ),
        Channel::Post if assumed => format!(
            "posted to the council on {on}; taken as received on {received}, the second working day after posting"
        ),
        Channel::Post => format!("posted to the council on {on}, received on {received}"),
    };
    if let Some(n) = &input.note {
        detail = format!("{detail}: {n}");
    }
    let letters = messages::mark_sent_by_hand(db, r.id, MessageKind::Request, &detail, now).await?;
    requests::set_sent_at(db, r.id, start_of_london_day(on)).await?;
    if let Some(p) = &portal_reference {
        requests::set_portal_reference(db, r.id, p, now).await?;
    }
    let submit: Vec<i32> = tasks::open_for_request(db, r.id)
        .await?
        .into_iter()
        .filter(|t| t.kind == TaskKind::Submit)
        .map(|t| t.id)
        .collect();
    tasks::close(db, &submit, now, actor, input.note.as_deref()).await?;
    events::record(
        db,
        r.id,
        now,
        RequestState::Sent,
        detail.clone(),
        actor,
        None,
    )
    .await?;
    let vanished = || StoreError::NotFound(format!("request {} vanished", r.reference));
    let fresh = requests::get_by_id(db, r.id).await?.ok_or_else(vanished)?;
    super::clock::record_in(
        db,
        cal,
        &app.clock_settings(),
        &fresh,
        ClockEventKind::Received,
        received,
        actor,
        Some(&detail),
        now,
    )
    .await?;
    let fresh = requests::get_by_id(db, r.id).await?.ok_or_else(vanished)?;
    Ok(SentByHand {
        reference: r.reference.clone(),
        channel: r.channel,
        on,
        received,
        portal_reference: fresh.portal_reference,
        letters,
        response_due: fresh.response_due,
    })
}

/// Midnight at the start of a London day, as a UTC instant.
pub(super) fn start_of_london_day(d: NaiveDate) -> DateTime<Utc> {
    let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    chrono_tz::Europe::London
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}
