//! Day-by-day account of a deadline, for `foi deadline --explain` and
//! `--json`: which days counted, which were skipped and why.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::clock::{self, count_working_days, ClockError, ClockEvent, ClockSettings};
use super::{CalendarError, DisregardedPeriod, Regime, WorkingCalendar};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountedDay {
    pub ordinal: u32,
    pub date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedDay {
    pub date: NaiveDate,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    pub regime: Regime,
    /// The date of receipt: day 0, never counted (the counting convention).
    pub day_zero: NaiveDate,
    pub working_days: u32,
    pub due: NaiveDate,
    pub counted: Vec<CountedDay>,
    pub skipped: Vec<SkippedDay>,
    /// How the events shaped the count (restarts, extensions, receipt rule).
    pub notes: Vec<String>,
}

/// Explain working day `n` after `day_zero`, with `disregarded` periods
/// (rule f) left out of the count.
pub fn explain(
    cal: &WorkingCalendar,
    regime: Regime,
    day_zero: NaiveDate,
    n: u32,
    disregarded: &[DisregardedPeriod],
) -> Result<Explanation, CalendarError> {
    if let Some(p) = disregarded.iter().find(|p| p.end < p.start) {
        return Err(CalendarError::InvalidPeriod {
            start: p.start,
            end: p.end,
        });
    }
    let due = count_working_days(cal, regime, day_zero, n, disregarded, None)?
        .ok_or(CalendarError::DateOutOfRange { date: day_zero })?;

    let fees_reason = format!(
        "disregarded: fees-notice period {}",
        regime.fees_provision()
    );
    let mut counted = Vec::with_capacity(n as usize);
    let mut skipped = Vec::new();
    let mut d = day_zero;
    while d < due {
        d += Duration::days(1);
        if let Some(reason) = cal.non_working_reason(regime, d)? {
            skipped.push(SkippedDay { date: d, reason });
        } else if disregarded.iter().any(|p| p.start <= d && d <= p.end) {
            skipped.push(SkippedDay {
                date: d,
                reason: fees_reason.clone(),
            });
        } else {
            counted.push(CountedDay {
                ordinal: counted.len() as u32 + 1,
                date: d,
            });
        }
    }
    Ok(Explanation {
        regime,
        day_zero,
        working_days: n,
        due,
        counted,
        skipped,
        notes: Vec::new(),
    })
}

/// Explain the response deadline that `clock::compute` gives for these
/// events. `None` while the clock is paused (there is no due date).
pub fn explain_clock(
    cal: &WorkingCalendar,
    regime: Regime,
    events: &[ClockEvent],
    settings: &ClockSettings,
) -> Result<Option<Explanation>, ClockError> {
    explain_clock_days(cal, regime, events, settings, None)
}

/// As `explain_clock`, counting `working_days` instead of the regime's period when given
/// (the calculator's `--working-days`, for periods other than 20 or 40).
pub fn explain_clock_days(
    cal: &WorkingCalendar,
    regime: Regime,
    events: &[ClockEvent],
    settings: &ClockSettings,
    working_days: Option<u32>,
) -> Result<Option<Explanation>, ClockError> {
    let mut p = clock::plan(cal, regime, events, settings)?;
    if let Some(n) = working_days {
        p.working_days = n;
    }
    let reached = count_working_days(
        cal,
        regime,
        p.day_zero,
        p.working_days,
        &p.disregarded,
        p.open_pause,
    )?;
    if reached.is_none() {
        return Ok(None);
    }
    let mut out = explain(cal, regime, p.day_zero, p.working_days, &p.disregarded)?;
    if p.restarted_by_clarification {
        out.notes.push(format!(
            "clarification received on {}: the date of receipt becomes that day and the count \
             restarts from zero",
            p.arrived
        ));
    }
    if p.day_zero != p.arrived {
        out.notes.push(format!(
            "arrived on non-working day {}; under the Code-of-Practice reading the date of \
             receipt is the next working day, {}",
            p.arrived, p.day_zero
        ));
    }
    if p.public_interest {
        let refusal = count_working_days(cal, regime, p.day_zero, 20, &p.disregarded, None)?;
        if let Some(refusal) = refusal {
            out.notes.push(format!(
                "public-interest extension (s.10(3)): the s.17(1) refusal notice is still due by \
                 working day 20, {refusal}"
            ));
        }
    } else if p.working_days == 40 {
        out.notes
            .push("extended to 40 working days for complexity and volume (reg 7)".to_string());
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{ClockEventKind as K, HolidayCalendar};

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn worked_example_and_json_shape() {
        let cal = WorkingCalendar::new(&HolidayCalendar::standard());
        let e = explain(&cal, Regime::Foia, ymd(2024, 3, 26), 20, &[]).unwrap();
        assert_eq!(e.due, ymd(2024, 4, 25));
        assert_eq!(e.counted.len(), 20);
        assert_eq!(e.counted[0].date, ymd(2024, 3, 27));
        assert_eq!(e.counted[19].ordinal, 20);
        let weekdays: Vec<_> = e
            .skipped
            .iter()
            .filter(|s| s.reason != "Saturday" && s.reason != "Sunday")
            .map(|s| (s.date, s.reason.as_str()))
            .collect();
        assert_eq!(
            weekdays,
            vec![
                (ymd(2024, 3, 29), "Good Friday"),
                (
                    ymd(2024, 4, 1),
                    "England and Wales / Northern Ireland bank holiday (Easter Monday) counts under FOIA s.10(6)"
                ),
            ]
        );
        let json: serde_json::Value = serde_json::to_value(&e).unwrap();
        assert_eq!(json["due"], "2024-04-25");
        assert_eq!(json["skipped"][0]["date"], "2024-03-29");
        assert_eq!(json["skipped"][0]["reason"], "Good Friday");
    }

    #[test]
    fn fee_period_reason_and_paused_clock() {
        let cal = WorkingCalendar::new(&HolidayCalendar::standard());
        let events = [
            ClockEvent::new(ymd(2025, 3, 3), K::Received),
            ClockEvent::new(ymd(2025, 3, 10), K::FeesNoticeGiven),
        ];
        let settings = ClockSettings::default();
        assert_eq!(
            explain_clock(&cal, Regime::Foisa, &events, &settings),
            Ok(None)
        );
        let paid = [
            events[0],
            events[1],
            ClockEvent::new(ymd(2025, 3, 14), K::FeeReceived),
        ];
        let e = explain_clock(&cal, Regime::Foisa, &paid, &settings)
            .unwrap()
            .unwrap();
        assert!(e
            .skipped
            .iter()
            .any(|s| s.date == ymd(2025, 3, 10)
                && s.reason == "disregarded: fees-notice period s.10(3)"));
        let bad = DisregardedPeriod {
            start: ymd(2025, 3, 14),
            end: ymd(2025, 3, 10),
        };
        assert!(explain(&cal, Regime::Foia, ymd(2025, 3, 3), 20, &[bad]).is_err());
    }
}
