//! Recording a statutory clock event (`foi requests clock`, and every part of the program
//! that moves a request's clock): checked against the clock first, so an event it cannot
//! accept (a fee paid before its notice, say) is refused and nothing is stored.

use super::deadlines::{refresh, regime_of};
use super::lifecycle::advance_from;
use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::{compute, ClockEvent, ClockEventKind, ClockSettings, Moved, WorkingCalendar};
use crate::domain::lifecycle::{ClockView, Trigger};
use crate::domain::{Channel, RequestState};
use crate::store::requests::{self, RequestModel};
use crate::store::{clock_events, events, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};

/// What recording a clock event changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClockRecorded {
    pub reference: String,
    pub moved: Vec<Moved>,
    /// The request's new state, when the event moved it (a clarification that restarts the
    /// clock puts the request back to waiting for the council, say).
    pub state: Option<RequestState>,
    /// Set when a `received` event meant the letter went out some other way.
    pub sent_by_hand: Option<super::sent_by_hand::SentByHand>,
}

#[derive(Debug, Clone)]
pub struct RecordClock {
    pub reference: String,
    pub kind: ClockEventKind,
    pub date: NaiveDate,
    pub note: Option<String>,
    pub actor: String,
}

/// `foi requests clock REF KIND DATE`.
#[tracing::instrument(skip_all, fields(reference = %input.reference, kind = %input.kind))]
pub async fn record(
    app: &AppContext,
    now: DateTime<Utc>,
    input: RecordClock,
) -> ServiceResult<ClockRecorded> {
    let model = requests::get_by_reference(&app.db, &input.reference).await?;
    // A receipt for a letter foi has not sent means it went out some other way.
    if input.kind == ClockEventKind::Received
        && matches!(
            model.state,
            RequestState::Queued | RequestState::Draft | RequestState::DeliveryFailed
        )
    {
        let done = super::sent_by_hand::record(
            app,
            now,
            super::sent_by_hand::SendByHand {
                reference: input.reference,
                on: input.date,
                // Staff give the date of receipt itself; for a posted letter that is not
                // the day it was posted.
                received: (model.channel == Channel::Post).then_some(input.date),
                portal_reference: None,
                note: input.note,
                actor: input.actor,
            },
        )
        .await?;
        return Ok(ClockRecorded {
            reference: done.reference.clone(),
            state: Some(RequestState::Sent),
            sent_by_hand: Some(done),
            ..Default::default()
        });
    }
    let cal = app.calendar().await?;
    let txn = app.db.begin().await?;
    let recorded = record_in(
        &txn,
        &cal,
        &app.clock_settings(),
        &model,
        input.kind,
        input.date,
        &input.actor,
        input.note.as_deref(),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(recorded)
}

/// Records a clock event inside the caller's transaction, refreshes the deadlines, and moves
/// the request to the state the clock implies.
#[allow(clippy::too_many_arguments)]
pub async fn record_in(
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    settings: &ClockSettings,
    model: &RequestModel,
    kind: ClockEventKind,
    date: NaiveDate,
    actor: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> ServiceResult<ClockRecorded> {
    let regime = regime_of(model)?;
    let mut all = clock_events::for_request(db, model.id).await?;
    all.push(ClockEvent::new(date, kind));
    compute(cal, regime, &all, settings).map_err(|source| ServiceError::Clock {
        reference: model.reference.clone(),
        source,
    })?;
    clock_events::add(db, model.id, kind, date, actor, note, now).await?;
    let detail = match note {
        Some(n) => format!("{kind} on {date}: {n}"),
        None => format!("{kind} on {date}"),
    };
    events::record(db, model.id, now, kind, detail, actor, None).await?;
    let vanished = || StoreError::NotFound(format!("request {} vanished", model.reference));
    let fresh = requests::get_by_id(db, model.id)
        .await?
        .ok_or_else(vanished)?;
    let moved = refresh(
        db,
        cal,
        settings,
        &fresh,
        &format!("{kind} recorded"),
        &|_, _, _| None,
        actor,
        now,
    )
    .await?;
    let fresh = requests::get_by_id(db, model.id)
        .await?
        .ok_or_else(vanished)?;
    let mut state = None;
    if let Some(d) = requests::deadlines_of(&fresh)? {
        let clock = ClockView::of(&d);
        state = advance_from(
            db,
            &fresh,
            fresh.state,
            Trigger::Clock(kind, clock),
            None,
            actor,
            now,
        )
        .await?;
        if let Some(next) = state {
            let why = match (next, d.response_due) {
                (RequestState::Sent | RequestState::Extended, Some(due)) => {
                    format!("the clock is running: the council's answer is due on {due}")
                }
                (RequestState::Sent | RequestState::Extended, None) => {
                    "waiting for the council".to_string()
                }
                _ => format!("{kind} on {date}"),
            };
            events::record(
                db,
                fresh.id,
                now,
                next,
                format!("now {next}: {why}"),
                actor,
                None,
            )
            .await?;
        }
    }
    Ok(ClockRecorded {
        reference: model.reference.clone(),
        moved,
        state,
        sent_by_hand: None,
    })
}
