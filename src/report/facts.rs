//! What the reports know about one request, and what follows from it on the statutory clock:
//! when it was received and answered, the due date in force when the answer came, how late.
//! Pure: the store fills `RequestFacts`; nothing here reads the database or the clock.

use crate::calendar::{
    compute, ClockEvent, ClockEventKind, ClockSettings, Regime, WorkingCalendar,
};
use crate::domain::{Channel, RequestState};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// One answer staff recorded (`foi classify`, `foi log-response`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recorded {
    pub outcome: String,
    pub exemptions: Vec<String>,
    pub received_on: Option<NaiveDate>,
}

/// A request as the reports read it: its names, its clock events and what staff recorded.
#[derive(Debug, Clone, Serialize)]
pub struct RequestFacts {
    #[serde(skip)]
    pub id: i32,
    pub reference: String,
    pub authority: String,
    pub authority_name: String,
    pub nation: String,
    pub regime: String,
    pub campaign: Option<String>,
    pub channel: Channel,
    pub portal_reference: Option<String>,
    pub state: RequestState,
    pub template: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub link_ids: Vec<i32>,
    pub partner_cities: Vec<String>,
    /// Ordered by date.
    pub clock: Vec<ClockEvent>,
    /// Oldest first.
    pub recorded: Vec<Recorded>,
    /// The internal review's results, in order (true: upheld).
    pub review_results: Vec<bool>,
    /// A complaint to the regulator was made.
    pub complaint: bool,
    /// The deadlines stored with the request (kept in step with its clock events).
    #[serde(skip)]
    pub deadlines: Option<crate::calendar::Deadlines>,
}

/// What the clock says about a request. Every count of days is in working days of its regime.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Assessed {
    /// The date of receipt (the `received` clock event): the request counts as sent.
    pub received: Option<NaiveDate>,
    /// The first substantive answer (`response_received`).
    pub responded: Option<NaiveDate>,
    /// Day 0 of the count in force when the answer came (after a clarification restart).
    pub day_zero: Option<NaiveDate>,
    /// The statutory due date in force when the answer came, counting clock stops.
    pub due_at_response: Option<NaiveDate>,
    /// Working days the count allowed: 20, or 40 after an extension.
    pub working_days_allowed: Option<u32>,
    pub on_time: Option<bool>,
    pub working_days_late: Option<i64>,
    /// Working days from day 0 to the answer.
    pub working_days_taken: Option<i64>,
    /// Working days from day 0 to the due date in force (the limit the chart draws).
    pub working_days_limit: Option<i64>,
    /// Sent, not answered, not withdrawn or lapsed.
    pub unanswered: bool,
    /// The due date in force now, for an unanswered request.
    pub due_now: Option<NaiveDate>,
    pub working_days_overdue: Option<i64>,
    /// The latest substantive outcome (successful, partially_successful, refused, not_held),
    /// or `withdrawn`.
    pub outcome: Option<String>,
    /// Every exemption cited in the request's answers, once each, sorted.
    pub exemptions: Vec<String>,
    pub review_requested: Option<NaiveDate>,
    /// `upheld`, `overturned` or `pending`.
    pub review_result: Option<String>,
}

const FINAL: [&str; 4] = ["successful", "partially_successful", "refused", "not_held"];

/// What a request's clock and records say as of `today` (Europe/London).
pub fn assess(
    f: &RequestFacts,
    cal: &WorkingCalendar,
    settings: &ClockSettings,
    today: NaiveDate,
) -> Assessed {
    let mut a = Assessed::default();
    let regime = f.regime.parse::<Regime>().ok();
    let first = |kind: ClockEventKind| f.clock.iter().find(|e| e.kind == kind).map(|e| e.date);
    a.received = first(ClockEventKind::Received);
    a.responded = first(ClockEventKind::ResponseReceived);
    a.review_requested = first(ClockEventKind::InternalReviewRequested);
    a.outcome = f
        .recorded
        .iter()
        .rev()
        .find(|r| FINAL.contains(&r.outcome.as_str()))
        .map(|r| r.outcome.clone())
        .or_else(|| (f.state == RequestState::Withdrawn).then(|| "withdrawn".to_string()));
    let mut exemptions: Vec<String> = f
        .recorded
        .iter()
        .flat_map(|r| r.exemptions.iter().cloned())
        .collect();
    exemptions.sort();
    exemptions.dedup();
    a.exemptions = exemptions;
    a.review_result = a.review_requested.map(|_| {
        match f.review_results.last() {
            Some(true) => "upheld",
            Some(false) => "overturned",
            None => "pending",
        }
        .to_string()
    });
    let Some(regime) = regime else { return a };
    let between = |from: NaiveDate, to: NaiveDate| cal.working_days_between(regime, from, to).ok();
    if let Some(responded) = a.responded {
        // The clock as it stood when the answer came: every event before it (same-day events
        // that sort before a response, an extension say, count).
        let before: Vec<ClockEvent> = f
            .clock
            .iter()
            .filter(|e| (e.date, e.kind) < (responded, ClockEventKind::ResponseReceived))
            .copied()
            .collect();
        if let Ok(d) = compute(cal, regime, &before, settings) {
            a.day_zero = Some(d.day_zero);
            a.working_days_allowed = Some(d.working_days);
            a.working_days_taken = between(d.day_zero, responded);
            match d.response_due {
                Some(due) => {
                    a.due_at_response = Some(due);
                    a.working_days_limit = between(d.day_zero, due);
                    let late = between(due, responded).unwrap_or(0);
                    a.on_time = Some(late <= 0);
                    a.working_days_late = (late > 0).then_some(late);
                }
                // The clock was stopped (a clarification or a fee awaited): not late.
                None => a.on_time = Some(true),
            }
        }
    } else if a.received.is_some()
        && !matches!(
            f.state,
            RequestState::Withdrawn | RequestState::FeeLapsed | RequestState::Draft
        )
    {
        a.unanswered = true;
        if let Ok(d) = compute(cal, regime, &f.clock, settings) {
            a.day_zero = Some(d.day_zero);
            a.working_days_allowed = Some(d.working_days);
            a.due_now = d.response_due;
            a.working_days_overdue = d
                .response_due
                .and_then(|due| between(due, today))
                .filter(|n| *n > 0);
        }
    }
    a
}
