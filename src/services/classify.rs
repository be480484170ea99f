//! Recording what a council answered: the outcome staff classify, the exemptions cited, and
//! what that does to the request's state and statutory clock.

use super::lifecycle::advance_from;
use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::{london_date, ClockEventKind, Regime, WorkingCalendar};
use crate::domain::lifecycle::Trigger;
use crate::domain::{EventName, Exemption, Outcome, RequestState};
use crate::settings::Settings;
use crate::store::requests::{self, RequestModel};
use crate::store::{classifications, clock_events, events};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};

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
    pub state: RequestState,
    pub exemptions: Vec<String>,
    /// Set when the request has no receipt date, so its clock could not be updated.
    pub clock_note: Option<String>,
}

fn clock_kind(outcome: Outcome, regime: Regime) -> ServiceResult<Option<ClockEventKind>> {
    Ok(match outcome {
        o if o.is_final() => Some(ClockEventKind::ResponseReceived),
        Outcome::ClarificationRequested => Some(ClockEventKind::ClarificationRequested),
        Outcome::FeesNotice => Some(ClockEventKind::FeesNoticeGiven),
        Outcome::Extended => match regime {
            Regime::Foia => Some(ClockEventKind::PublicInterestExtension),
            Regime::Eir | Regime::Eisr => Some(ClockEventKind::EirExtension),
            Regime::Foisa => {
                return Err(ServiceError::Refused(
                    "FOISA has no extension of time (a Scottish authority must answer within 20 working days); \
                     record the reply as it is, or as a fees notice or clarification if it is one"
                        .into(),
                ))
            }
        },
        _ => None,
    })
}

/// `foi classify REF --outcome O [--exemptions …]`: what the council's answer was.
#[tracing::instrument(skip_all, fields(reference = %reference))]
pub async fn classify(
    app: &AppContext,
    now: DateTime<Utc>,
    reference: &str,
    c: Classify<'_>,
) -> ServiceResult<Classified> {
    let request = requests::get_by_reference(&app.db, reference).await?;
    let cal = app.calendar().await?;
    let txn = app.db.begin().await?;
    let out = classify_in(&txn, &cal, &app.settings, &request, c, now).await?;
    txn.commit().await?;
    Ok(out)
}

/// Classifies a request's response. Everything is checked before anything is written, and the
/// writes happen on `db` (pass a transaction to make them all-or-nothing).
pub async fn classify_in(
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    settings: &Settings,
    request: &RequestModel,
    c: Classify<'_>,
    now: DateTime<Utc>,
) -> ServiceResult<Classified> {
    let regime: Regime = super::deadlines::regime_of(request)?;
    let exemptions = Exemption::parse_list(c.exemptions, regime)
        .map_err(|e| ServiceError::Refused(format!("--exemptions: {e}")))?;
    if !exemptions.is_empty() && !c.outcome.allows_exemptions() {
        return Err(ServiceError::Refused(format!(
            "exemptions are recorded for refused, partially_successful or extended answers, not {}",
            c.outcome
        )));
    }
    let received_on = c.received_on.unwrap_or_else(|| london_date(now));
    if received_on > london_date(now) {
        return Err(ServiceError::Refused(format!(
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
            super::clock::record_in(
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
    classifications::add(
        db,
        request.id,
        c.message_id,
        c.outcome,
        &list,
        c.note,
        received_on,
        c.actor,
        now,
    )
    .await?;
    let current = requests::get_by_id(db, request.id)
        .await?
        .map(|r| r.state)
        .unwrap_or(request.state);
    let state: RequestState = advance_from(
        db,
        request,
        current,
        Trigger::Classified(c.outcome),
        None,
        c.actor,
        now,
    )
    .await?
    .unwrap_or(current);
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
        EventName::Classified,
        detail,
        c.actor,
        Some(serde_json::json!({"outcome": c.outcome, "exemptions": list, "received_on": received_on})),
    )
    .await?;
    Ok(Classified {
        reference: request.reference.clone(),
        state,
        exemptions: list,
        clock_note,
    })
}
