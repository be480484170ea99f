//! Which deadlines changed between two computations of a request's clock, in the words staff
//! read them by. Pure.

use super::{Deadlines, Regime, WorkingCalendar};
use chrono::{Duration, NaiveDate};

/// One deadline that changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Moved {
    pub what: &'static str,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Deadlines {
    /// Each deadline with the words staff read it by.
    pub fn named(&self) -> [(&'static str, Option<NaiveDate>); 8] {
        [
            ("response due", self.response_due),
            ("refusal notice due", self.refusal_notice_due),
            ("very overdue from", self.very_overdue_from),
            ("unpaid fee lapses on", self.fee_lapses_on),
            ("last day to ask for a review", self.review_request_last_day),
            ("review due", self.review_due),
            ("review due at the latest", self.review_due_max),
            ("complaint window ends", self.complaint_window_end),
        ]
    }
}

/// The deadlines that differ between `old` (none: every date is new) and `new`.
pub fn moves(old: Option<&Deadlines>, new: &Deadlines) -> Vec<Moved> {
    let new_fields = new.named();
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
        Some(old) => old
            .named()
            .into_iter()
            .zip(new_fields)
            .filter(|((_, a), (_, b))| a != b)
            .map(|((what, from), (_, to))| Moved { what, from, to })
            .collect(),
    }
}

/// Why a date moved when the holiday data changed: the days between day 0 and the later of
/// the two dates whose status changed.
pub fn holiday_reasons(
    old: &WorkingCalendar,
    new: &WorkingCalendar,
    regime: Regime,
    day_zero: NaiveDate,
    m: &Moved,
) -> Option<String> {
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
}
