//! Keeping each request's stored deadlines in step with its clock events and the holiday
//! data. The arithmetic is `calendar::compute` (pure); this loads its inputs, stores its
//! outputs on the request, and writes a timeline event whenever a date moves, saying from
//! what, to what, and why.

use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::{compute, moves, ClockSettings, Deadlines, Moved, Regime, WorkingCalendar};
use crate::domain::{EventName, RequestState};
use crate::store::requests::{self, RequestModel};
use crate::store::{clock_events, events, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;

pub fn regime_of(model: &RequestModel) -> ServiceResult<Regime> {
    parse_regime(&model.reference, &model.regime)
}

/// A request's stored regime, or an error naming the request.
pub fn parse_regime(reference: &str, stored: &str) -> ServiceResult<Regime> {
    stored
        .parse::<Regime>()
        .map_err(|e| StoreError::Invalid(format!("{reference}: stored regime: {e}")).into())
}

/// The deadlines computed afresh from the request's clock events (the stored copy may predate
/// fields added since); `None` when its clock has not started.
pub async fn current(
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    settings: &ClockSettings,
    model: &RequestModel,
) -> ServiceResult<Option<Deadlines>> {
    let events = clock_events::for_request(db, model.id).await?;
    if events.is_empty() {
        return Ok(None);
    }
    compute(cal, regime_of(model)?, &events, settings)
        .map(Some)
        .map_err(|source| ServiceError::Clock {
            reference: model.reference.clone(),
            source,
        })
}

/// Why a date moved, for a particular move (which holiday changed, say).
pub type Explain<'a> = &'a (dyn Fn(Regime, NaiveDate, &Moved) -> Option<String> + Sync);

/// Recomputes one request's deadlines from its clock events and stores them. `why` explains
/// what prompted it; `explain` may add detail for a particular move.
#[allow(clippy::too_many_arguments)]
pub async fn refresh(
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    settings: &ClockSettings,
    model: &RequestModel,
    why: &str,
    explain: Explain<'_>,
    actor: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<Moved>> {
    let old = requests::deadlines_of(model)?;
    let Some(new) = current(db, cal, settings, model).await? else {
        // No clock (any more): a receipt that was withdrawn leaves no deadlines behind.
        if old.is_some() {
            requests::set_deadlines(db, model.id, None, now).await?;
            events::record(
                db,
                model.id,
                now,
                EventName::DeadlinesCleared,
                format!("no statutory clock is running: {why}"),
                actor,
                None,
            )
            .await?;
        }
        return Ok(Vec::new());
    };
    let moved = moves(old.as_ref(), &new);
    if old == Some(new) {
        return Ok(moved);
    }
    // Stored even when no date a person reads has moved (a restart on the same due date, say),
    // so the period the sweep chases by is always the current one.
    requests::set_deadlines(db, model.id, Some(&new), now).await?;
    if moved.is_empty() {
        return Ok(moved);
    }
    let show = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_else(|| "none".into());
    let (kind, lines): (EventName, Vec<String>) = if old.is_none() {
        (
            EventName::DeadlinesSet,
            moved
                .iter()
                .map(|m| format!("{} {}", m.what, show(m.to)))
                .collect(),
        )
    } else {
        let regime = regime_of(model)?;
        (
            EventName::DeadlineMoved,
            moved
                .iter()
                .map(|m| {
                    let detail = explain(regime, new.day_zero, m)
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default();
                    format!(
                        "{} moved from {} to {}{detail}",
                        m.what,
                        show(m.from),
                        show(m.to)
                    )
                })
                .collect(),
        )
    };
    let data = serde_json::json!({ "moved": moved, "why": why });
    events::record(
        db,
        model.id,
        now,
        kind,
        format!("{}: {why}", lines.join("; ")),
        actor,
        Some(data),
    )
    .await?;
    Ok(moved)
}

/// Recomputes every request with a clock after the holiday data changed, and says for each
/// moved date which days changed status in between.
#[allow(clippy::too_many_arguments)]
pub async fn refresh_all_after_holiday_change(
    db: &impl ConnectionTrait,
    old: &WorkingCalendar,
    new: &WorkingCalendar,
    settings: &ClockSettings,
    why: &str,
    actor: &str,
    now: DateTime<Utc>,
    progress: &dyn super::progress::Progress,
) -> ServiceResult<Vec<(String, Vec<Moved>)>> {
    let explain = |regime: Regime, day_zero: NaiveDate, m: &Moved| {
        crate::calendar::holiday_reasons(old, new, regime, day_zero, m)
    };
    let mut out = Vec::new();
    let ids = clock_events::request_ids(db).await?;
    progress.start("recomputing deadlines", Some(ids.len() as u64));
    for id in ids {
        progress.advance(1);
        let Some(model) = requests::get_by_id(db, id).await? else {
            continue;
        };
        if model.state == RequestState::Withdrawn {
            continue;
        }
        let moved = refresh(db, new, settings, &model, why, &explain, actor, now).await?;
        if !moved.is_empty() {
            out.push((model.reference.clone(), moved));
        }
    }
    progress.finish();
    Ok(out)
}

/// `foi deadline`: the calculator, on the calendar in force (with the operator's imports),
/// every counted and skipped day explained. `None` when the clock is paused.
pub async fn calculate(
    app: &AppContext,
    regime: Regime,
    events: &[crate::calendar::ClockEvent],
    working_days: u32,
) -> ServiceResult<Option<crate::calendar::Explanation>> {
    let cal = app.calendar().await?;
    crate::calendar::explain_clock_days(
        &cal,
        regime,
        events,
        &app.clock_settings(),
        Some(working_days),
    )
    .map_err(|source| ServiceError::Clock {
        reference: "the calculation".into(),
        source,
    })
}
