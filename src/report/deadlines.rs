//! Which requests are late and which deadlines fall soon: one rule for `foi status`, the
//! weekly digest and the deadline calendar feed.

use crate::calendar::{Regime, WorkingCalendar};
use crate::domain::RequestState;
use chrono::NaiveDate;
use serde::Serialize;

/// How far ahead "soon" looks: ten working days, two weeks.
pub const SOON_WORKING_DAYS: u32 = 10;

/// A request's dates, as the deadline lists read them.
#[derive(Debug, Clone)]
pub struct DueRow<'a> {
    pub reference: &'a str,
    pub authority: &'a str,
    pub regime: Regime,
    pub state: RequestState,
    pub response_due: Option<NaiveDate>,
    pub review_due: Option<NaiveDate>,
    pub complaint_window_end: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverdueLine {
    pub reference: String,
    pub authority: String,
    pub due: NaiveDate,
    pub working_days_overdue: i64,
    pub state: RequestState,
}

/// Which deadline a date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    ResponseDue,
    ReviewDue,
    ComplaintWindowEnd,
}

impl DeadlineKind {
    pub const ALL: [DeadlineKind; 3] = [
        DeadlineKind::ResponseDue,
        DeadlineKind::ReviewDue,
        DeadlineKind::ComplaintWindowEnd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::ResponseDue => "response_due",
            DeadlineKind::ReviewDue => "review_due",
            DeadlineKind::ComplaintWindowEnd => "complaint_window_end",
        }
    }

    /// In words, for a list or a calendar event.
    pub fn words(self) -> &'static str {
        match self {
            DeadlineKind::ResponseDue => "response due",
            DeadlineKind::ReviewDue => "internal review due",
            DeadlineKind::ComplaintWindowEnd => "complaint window ends",
        }
    }

    /// The date of this deadline on the row.
    pub fn date(self, r: &DueRow<'_>) -> Option<NaiveDate> {
        match self {
            DeadlineKind::ResponseDue => r.response_due,
            DeadlineKind::ReviewDue => r.review_due,
            DeadlineKind::ComplaintWindowEnd => r.complaint_window_end,
        }
    }

    /// Whether the deadline still binds in this state: the council still owes the answer or
    /// the review, or staff can still complain.
    pub fn open_in(self, state: RequestState) -> bool {
        use RequestState as S;
        match self {
            DeadlineKind::ResponseDue => matches!(
                state,
                S::Sent
                    | S::Acknowledged
                    | S::Extended
                    | S::Overdue
                    | S::VeryOverdue
                    | S::ClarificationRequested
                    | S::FeesNotice
            ),
            DeadlineKind::ReviewDue => state == S::InternalReview,
            DeadlineKind::ComplaintWindowEnd => {
                matches!(state, S::InternalReview | S::ReviewUpheld)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpcomingLine {
    pub reference: String,
    pub authority: String,
    pub what: DeadlineKind,
    pub due: NaiveDate,
    pub working_days_left: i64,
}

/// The request's answer is late: the sweep moved it to overdue or very overdue.
pub fn overdue(r: &DueRow<'_>, cal: &WorkingCalendar, today: NaiveDate) -> Option<OverdueLine> {
    let due = r.response_due?;
    if !matches!(r.state, RequestState::Overdue | RequestState::VeryOverdue) {
        return None;
    }
    Some(OverdueLine {
        reference: r.reference.to_string(),
        authority: r.authority.to_string(),
        due,
        working_days_overdue: cal.working_days_between(r.regime, due, today).unwrap_or(0),
        state: r.state,
    })
}

/// The request's open deadlines that fall from today to ten working days ahead. A response
/// counts only while the council is counting (not while its clock is stopped).
pub fn upcoming(r: &DueRow<'_>, cal: &WorkingCalendar, today: NaiveDate) -> Vec<UpcomingLine> {
    let Ok(horizon) = cal.add_working_days(r.regime, today, SOON_WORKING_DAYS) else {
        return Vec::new();
    };
    DeadlineKind::ALL
        .into_iter()
        .filter(|k| match k {
            DeadlineKind::ResponseDue => matches!(
                r.state,
                RequestState::Sent | RequestState::Acknowledged | RequestState::Extended
            ),
            k => k.open_in(r.state),
        })
        .filter_map(|k| {
            let due = k.date(r)?;
            (due >= today && due <= horizon).then(|| UpcomingLine {
                reference: r.reference.to_string(),
                authority: r.authority.to_string(),
                what: k,
                due,
                working_days_left: cal.working_days_between(r.regime, today, due).unwrap_or(0),
            })
        })
        .collect()
}
