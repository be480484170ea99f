//! Which requests are late and which deadlines fall soon: one rule for `foi status`, the
//! weekly digest and the deadline calendar feed.

use crate::calendar::{Regime, WorkingCalendar};
use crate::domain::RequestState;
use chrono::NaiveDate;
use serde::Serialize;

/// How far ahead "soon" looks: ten working days, two weeks.
pub const SOON_WORKING_DAYS: u32 = 10;

/// The states of a request whose answer is late (the overdue list).
pub const LATE: [RequestState; 2] = [RequestState::Overdue, RequestState::VeryOverdue];

/// The states in which the response's due date is still to come (the upcoming list).
pub const ANSWER_AWAITED: [RequestState; 3] = [
    RequestState::Sent,
    RequestState::Acknowledged,
    RequestState::Extended,
];

/// The furthest day "soon" reaches from `today` under any regime: what a search of stored
/// dates must cover to find every upcoming deadline.
pub fn soon_horizon(cal: &WorkingCalendar, today: NaiveDate) -> Option<NaiveDate> {
    Regime::ALL
        .into_iter()
        .filter_map(|r| cal.add_working_days(r, today, SOON_WORKING_DAYS).ok())
        .max()
}

/// The order of the overdue list: longest past its due date first, then by reference. By
/// date rather than by working days late, so that a database can give the first lines of
/// the list by itself (`store::requests::late_first`); the two differ only between
/// Scottish and other requests around a holiday one of them has.
pub fn overdue_order(a: &OverdueLine, b: &OverdueLine) -> std::cmp::Ordering {
    a.due
        .cmp(&b.due)
        .then_with(|| a.reference.cmp(&b.reference))
}

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
    if !LATE.contains(&r.state) {
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
            DeadlineKind::ResponseDue => ANSWER_AWAITED.contains(&r.state),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::requests::DEADLINES_READ_IN;

    /// The lists read a request's stored deadlines only in `DEADLINES_READ_IN`: every state
    /// in which a deadline other than the response's binds must be there.
    #[test]
    fn the_stored_deadlines_are_read_wherever_a_list_needs_them() {
        for state in RequestState::ALL {
            let needs = [DeadlineKind::ReviewDue, DeadlineKind::ComplaintWindowEnd]
                .into_iter()
                .any(|k| k.open_in(state));
            assert_eq!(needs, DEADLINES_READ_IN.contains(&state), "{state}");
        }
    }

    #[test]
    fn the_overdue_list_puts_the_longest_late_first() {
        let line = |reference: &str, due: (i32, u32, u32)| OverdueLine {
            reference: reference.into(),
            authority: String::new(),
            due: NaiveDate::from_ymd_opt(due.0, due.1, due.2).unwrap(),
            working_days_overdue: 0,
            state: RequestState::Overdue,
        };
        let mut lines = [
            line("foi-b", (2026, 3, 2)),
            line("foi-c", (2026, 1, 5)),
            line("foi-a", (2026, 3, 2)),
        ];
        lines.sort_by(overdue_order);
        let order: Vec<&str> = lines.iter().map(|l| l.reference.as_str()).collect();
        assert_eq!(order, ["foi-c", "foi-a", "foi-b"]);
    }
}
