//! Recording what a council answered: the outcome staff classify, the exemptions cited, and
//! what that does to the request's state and statutory clock.

use crate::calendar::{ClockEventKind, Regime, WorkingCalendar};
use crate::deadlines::{self, DeadlineError};
use crate::domain::{Exemption, Outcome, RequestState};
use crate::settings::Settings;
use crate::store::entities::classification;
use crate::store::requests::{self, RequestModel};
use crate::store::{clock_events, events, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

#[derive(Debug, thiserror::Error)]
pub enum ResponseError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Deadline(#[from] DeadlineError),
    #[error("{0}")]
    Refused(String),
}

impl From<sea_orm::DbErr> for ResponseError {
    fn from(e: sea_orm::DbErr) -> Self {
        ResponseError::Store(e.into())
    }
}

#[derive(Debug, Clone)]
pub struct Classify<'a> {
    pub outcome: Outcome,
    pub exemptions: &'a str,
    pub note: Option<&'a str>,
    /// The date the answer arrived (defaults to today, Europe/London).
    pub received_on: Option<NaiveDate>,
    pub message_id: Option<i32>,
    pub actor: &'a str,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Classified {
    pub reference: String,
    pub state: String,
    pub exemptions: Vec<String>,
    /// Set when the request has no receipt date, so its clock could not be updated.
    pub clock_note: Option<String>,
}

fn clock_kind(outcome: Outcome, regime: Regime) -> Result<Option<ClockEventKind>, ResponseError> {
    Ok(match outcome {
        o if o.is_final() => Some(ClockEventKind::ResponseReceived),
        Outcome::ClarificationRequested => Some(ClockEventKind::ClarificationRequested),
        Outcome::FeesNotice => Some(ClockEventKind::FeesNoticeGiven),
        Outcome::Extended => match regime {
            Regime::Foia => Some(ClockEventKind::PublicInterestExtension),
            Regime::Eir | Regime::Eisr => Some(ClockEventKind::EirExtension),
            Regime::Foisa => {
                return Err(ResponseError::Refused(
                    "FOISA has no extension of time (a Scottish authority must answer within 20 working days); \
                     record the reply as it is, or as a fees notice or clarification if it is one"
                        .into(),
                ))
            }
        },
        _ => None,
    })
}

/// Classifies a request's response. Everything is checked before anything is written, and the
/// writes happen on `db` (pass a transaction to make them all-or-nothing).
pub async fn classify(
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    settings: &Settings,
    request: &RequestModel,
    c: Classify<'_>,
    now: DateTime<Utc>,
) -> Result<Classified, ResponseError> {
    let regime: Regime = request
        .regime
        .parse()
        .map_err(|e| ResponseError::Refused(format!("{}: {e}", request.reference)))?;
    let exemptions = Exemption::parse_list(c.exemptions, regime)
        .map_err(|e| ResponseError::Refused(format!("--exemptions: {e}")))?;
    if !exemptions.is_empty() && !c.outcome.allows_exemptions() {
        return Err(ResponseError::Refused(format!(
            "exemptions are recorded for refused, partially_successful or extended answers, not {}",
            c.outcome
        )));
    }
    let received_on = c
        .received_on
        .unwrap_or_else(|| crate::queue::london_date(now));
    if received_on > crate::queue::london_date(now) {
        return Err(ResponseError::Refused(format!(
            "the response date {received_on} is in the future"
        )));
    }
    let kind = clock_kind(c.outcome, regime)?;
    let has_receipt = clock_events::for_request(db, request.id)
        .await?
        .iter()
        .any(|e| e.kind == ClockEventKind::Received);
    let mut clock_note = None;
    if let Some(kind) = kind {
        if has_receipt {
            deadlines::add_clock_event(
                db,
                cal,
                &settings.deadlines.clock(),
                request,
                kind,
                received_on,
                c.actor,
                Some(&format!("classified as {}", c.outcome)),
                now,
            )
            .await?;
        } else {
            clock_note = Some(format!(
                "{} has no date of receipt, so its deadlines were not updated; record one with \
                 `foi requests clock {} received YYYY-MM-DD`",
                request.reference, request.reference
            ));
        }
    }
    let list: Vec<String> = exemptions.iter().map(|e| e.to_string()).collect();
    classification::ActiveModel {
        request_id: Set(request.id),
        message_id: Set(c.message_id),
        outcome: Set(c.outcome.to_string()),
        exemptions: Set(list.join(",")),
        note: Set(c.note.map(str::to_string)),
        received_on: Set(Some(received_on)),
        at: Set(now),
        actor: Set(c.actor.to_string()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let state: RequestState = c.outcome.state();
    requests::set_state(db, request.id, state, now).await?;
    let mut detail = format!("response of {received_on} classified as {}", c.outcome);
    if !list.is_empty() {
        detail.push_str(&format!(" (exemptions: {})", list.join(", ")));
    }
    if let Some(n) = c.note {
        detail.push_str(&format!(": {n}"));
    }
    events::record(
        db,
        request.id,
        now,
        "classified",
        detail,
        c.actor,
        Some(serde_json::json!({"outcome": c.outcome, "exemptions": list, "received_on": received_on})),
    )
    .await?;
    Ok(Classified {
        reference: request.reference.clone(),
        state: state.to_string(),
        exemptions: list,
        clock_note,
    })
}
