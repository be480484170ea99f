//! Keeping each request's deadlines in step with its clock events and the holiday data.
//! The arithmetic is `calendar::compute` (pure); this file loads its inputs, stores its
//! outputs on the request, and writes a timeline event whenever a date moves, saying from
//! what, to what, and why.

use crate::calendar::{
    compute, ClockError, ClockEvent, ClockEventKind, ClockSettings, Deadlines, HolidayCalendar,
    Regime, WorkingCalendar,
};
use crate::domain::{lifecycle, RequestState};
use crate::store::entities::request;
use crate::store::requests::{self, RequestModel};
use crate::store::{clock_events, events, holidays, StoreError};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

#[derive(Debug, thiserror::Error)]
pub enum DeadlineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{reference}: {source}")]
    Clock {
        reference: String,
        source: ClockError,
    },
    #[error("holiday data: {0}")]
    Calendar(String),
}

impl From<sea_orm::DbErr> for DeadlineError {
    fn from(e: sea_orm::DbErr) -> Self {
        DeadlineError::Store(e.into())
    }
}

/// The calendar in force: the shipped list and rules, with operator imports applied.
pub async fn holiday_calendar(db: &impl ConnectionTrait) -> Result<HolidayCalendar, DeadlineError> {
    let ops = holidays::load(db).await?;
    HolidayCalendar::with_operator(&ops).map_err(|e| DeadlineError::Calendar(e.to_string()))
}

pub async fn working_calendar(db: &impl ConnectionTrait) -> Result<WorkingCalendar, DeadlineError> {
    Ok(WorkingCalendar::new(&holiday_calendar(db).await?))
}

/// One deadline that changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Moved {
    pub what: &'static str,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Each deadline with the words staff read it by.
pub fn fields(d: &Deadlines) -> [(&'static str, Option<NaiveDate>); 8] {
    [
        ("response due", d.response_due),
        ("refusal notice due", d.refusal_notice_due),
        ("very overdue from", d.very_overdue_from),
        ("unpaid fee lapses on", d.fee_lapses_on),
        ("last day to ask for a review", d.review_request_last_day),
        ("review due", d.review_due),
        ("review due at the latest", d.review_due_max),
        ("complaint window ends", d.complaint_window_end),
    ]
}

pub fn diff(old: Option<&Deadlines>, new: &Deadlines) -> Vec<Moved> {
    let new_fields = fields(new);
    match old {
        None => new_fields
            .into_iter()
            .filter(|(_, d)| d.is_some())
            .map(|(what, to)| Moved {
                what,
                from: None,
                to,
            })
            .collect(),
        Some(old) => fields(old)
            .into_iter()
            .zip(new_fields)
            .filter(|((_, a), (_, b))| a != b)
            .map(|((what, from), (_, to))| Moved { what, from, to })
            .collect(),
    }
}

pub fn stored(model: &RequestModel) -> Option<Deadlines> {
    model
        .deadlines
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
}

/// The deadlines computed afresh from the request's clock events (the stored copy may predate
/// fields added since); `None` when its clock has not started.
pub async fn current(
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    settings: &ClockSettings,
    model: &RequestModel,
) -> Result<Option<Deadlines>, DeadlineError> {
    let events = clock_events::for_request(db, model.id).await?;
    if events.is_empty() {
        return Ok(None);
    }
    compute(cal, regime_of(model)?, &events, settings)
        .map(Some)
        .map_err(|source| DeadlineError::Clock {
            reference: model.reference.clone(),
            source,
        })
}

fn regime_of(model: &RequestModel) -> Result<Regime, DeadlineError> {
    model
        .regime
        .parse::<Regime>()
        .map_err(|e| DeadlineError::Store(StoreError::Invalid(format!("{}: {e}", model.reference))))
}

fn show(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "none".into())
}

/// Recomputes one request's deadlines from its clock events and stores them. `why` explains
/// what prompted it; `explain` may add detail for a particular move (e.g. which holiday).
#[allow(clippy::too_many_arguments)]
pub async fn refresh(
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    settings: &ClockSettings,
    model: &RequestModel,
    why: &str,
    explain: &(dyn Fn(Regime, NaiveDate, &Moved) -> Option<String> + Sync),
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Moved>, DeadlineError> {
    let events = clock_events::for_request(db, model.id).await?;
    if events.is_empty() {
        // No clock (any more): a receipt that was withdrawn leaves no deadlines behind.
        if model.deadlines.is_some() {
            let mut am: request::ActiveModel = model.clone().into();
            am.response_due = Set(None);
            am.deadlines = Set(None);
            am.updated_at = Set(now);
            am.update(db).await?;
            events::record(
                db,
                model.id,
                now,
                "deadlines_cleared",
                format!("no statutory clock is running: {why}"),
                actor,
                None,
            )
            .await?;
        }
        return Ok(Vec::new());
    }
    let regime = regime_of(model)?;
    let new = compute(cal, regime, &events, settings).map_err(|source| DeadlineError::Clock {
        reference: model.reference.clone(),
        source,
    })?;
    let old = stored(model);
    let moved = diff(old.as_ref(), &new);
    if old == Some(new) {
        return Ok(moved);
    }
    // Stored even when no date a person reads has moved (a restart on the same due date, say),
    // so the period the sweep chases by is always the current one.
    let mut am: request::ActiveModel = model.clone().into();
    am.response_due = Set(new.response_due);
    am.deadlines = Set(Some(serde_json::to_string(&new).unwrap_or_default()));
    am.updated_at = Set(now);
    am.update(db).await?;
    if moved.is_empty() {
        return Ok(moved);
    }
    let (kind, lines): (&str, Vec<String>) = if old.is_none() {
        (
            "deadlines_set",
            moved
                .iter()
                .map(|m| format!("{} {}", m.what, show(m.to)))
                .collect(),
        )
    } else {
        (
            "deadline_moved",
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

/// What recording a clock event changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClockRecorded {
    pub moved: Vec<Moved>,
    /// The request's new state, when the event moved it (a clarification that restarts the
    /// clock puts the request back to waiting for the council, say).
    pub state: Option<RequestState>,
}

/// Records a clock event after checking that the clock accepts it (a fee paid before its
/// notice, say, is refused and nothing is stored), then refreshes the deadlines and moves the
/// request to the state the clock implies.
#[allow(clippy::too_many_arguments)]
pub async fn add_clock_event(
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    settings: &ClockSettings,
    model: &RequestModel,
    kind: ClockEventKind,
    date: NaiveDate,
    actor: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ClockRecorded, DeadlineError> {
    let regime = regime_of(model)?;
    let mut events = clock_events::for_request(db, model.id).await?;
    events.push(ClockEvent::new(date, kind));
    compute(cal, regime, &events, settings).map_err(|source| DeadlineError::Clock {
        reference: model.reference.clone(),
        source,
    })?;
    clock_events::add(db, model.id, kind, date, actor, note, now).await?;
    let detail = match note {
        Some(n) => format!("{kind} on {date}: {n}"),
        None => format!("{kind} on {date}"),
    };
    events::record(
        db,
        model.id,
        now,
        &format!("clock:{kind}"),
        detail,
        actor,
        None,
    )
    .await?;
    let fresh = request::Entity::find_by_id(model.id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("request {} vanished", model.reference)))?;
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
    let fresh = request::Entity::find_by_id(model.id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("request {} vanished", model.reference)))?;
    let current = RequestState::parse(&fresh.state)
        .map_err(|e| StoreError::Invalid(format!("{}: stored state {e}", fresh.reference)))?;
    let mut state = None;
    if let Some(d) = stored(&fresh) {
        if let Some(next) = lifecycle::state_after_clock_event(current, kind, &d) {
            requests::set_state(db, fresh.id, next, now).await?;
            let why = match next {
                RequestState::Sent | RequestState::Extended => match d.response_due {
                    Some(due) => {
                        format!("the clock is running: the council's answer is due on {due}")
                    }
                    None => "waiting for the council".to_string(),
                },
                _ => format!("{kind} on {date}"),
            };
            events::record(
                db,
                fresh.id,
                now,
                next.as_str(),
                format!("now {next}: {why}"),
                actor,
                None,
            )
            .await?;
            state = Some(next);
        }
    }
    Ok(ClockRecorded { moved, state })
}

/// Recomputes every request with a running clock after the holiday data changed, and says
/// for each moved date which days changed status in between.
pub async fn refresh_all_after_holiday_change(
    db: &impl ConnectionTrait,
    old: &WorkingCalendar,
    new: &WorkingCalendar,
    settings: &ClockSettings,
    why: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(String, Vec<Moved>)>, DeadlineError> {
    // The days whose status changed between day 0 and the later of the two dates are the
    // ones that moved it.
    let explain = |regime: Regime, day_zero: NaiveDate, m: &Moved| -> Option<String> {
        let end = m.from?.max(m.to?);
        let mut notes = Vec::new();
        let mut d = day_zero + Duration::days(1);
        while d <= end {
            let was = old.is_working(regime, d).ok()?;
            let is = new.is_working(regime, d).ok()?;
            if was != is {
                notes.push(match new.non_working_reason(regime, d).ok().flatten() {
                    Some(reason) => format!("{d} is now a non-working day: {reason}"),
                    None => format!("{d} is now a working day"),
                });
            }
            d += Duration::days(1);
        }
        (!notes.is_empty()).then(|| notes.join("; "))
    };
    let mut out = Vec::new();
    for id in clock_events::request_ids(db).await? {
        let Some(model) = request::Entity::find_by_id(id).one(db).await? else {
            continue;
        };
        if model.state == "withdrawn" {
            continue;
        }
        let moved = refresh(db, new, settings, &model, why, &explain, actor, now).await?;
        if !moved.is_empty() {
            out.push((model.reference.clone(), moved));
        }
    }
    Ok(out)
}
