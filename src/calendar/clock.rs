//! The statutory clock: a pure function from a request's events to its
//! deadlines. No I/O and no "today": callers compare the dates themselves.

use std::fmt;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::months::add_months;
use super::{CalendarError, Regime, WorkingCalendar};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockEventKind {
    // Declaration order is the order same-day events are applied in, which
    // follows a request's life (a fee cannot be paid before its notice).
    Received,
    ClarificationRequested,
    ClarificationReceived,
    FeesNoticeGiven,
    FeeReceived,
    PublicInterestExtension,
    EirExtension,
    ResponseReceived,
    InternalReviewRequested,
    ReviewOutcomeReceived,
}

impl ClockEventKind {
    pub const ALL: [ClockEventKind; 10] = [
        ClockEventKind::Received,
        ClockEventKind::ClarificationRequested,
        ClockEventKind::ClarificationReceived,
        ClockEventKind::FeesNoticeGiven,
        ClockEventKind::FeeReceived,
        ClockEventKind::PublicInterestExtension,
        ClockEventKind::EirExtension,
        ClockEventKind::ResponseReceived,
        ClockEventKind::InternalReviewRequested,
        ClockEventKind::ReviewOutcomeReceived,
    ];

    /// The serde name, so error messages match what callers store.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockEventKind::Received => "received",
            ClockEventKind::ClarificationRequested => "clarification_requested",
            ClockEventKind::ClarificationReceived => "clarification_received",
            ClockEventKind::FeesNoticeGiven => "fees_notice_given",
            ClockEventKind::FeeReceived => "fee_received",
            ClockEventKind::PublicInterestExtension => "public_interest_extension",
            ClockEventKind::EirExtension => "eir_extension",
            ClockEventKind::ResponseReceived => "response_received",
            ClockEventKind::InternalReviewRequested => "internal_review_requested",
            ClockEventKind::ReviewOutcomeReceived => "review_outcome_received",
        }
    }
}

impl std::str::FromStr for ClockEventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        ClockEventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = ClockEventKind::ALL.iter().map(|k| k.as_str()).collect();
                format!("'{s}' is not a clock event (one of: {})", names.join(", "))
            })
    }
}

impl fmt::Display for ClockEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClockEvent {
    pub date: NaiveDate,
    pub kind: ClockEventKind,
}

impl ClockEvent {
    pub fn new(date: NaiveDate, kind: ClockEventKind) -> Self {
        ClockEvent { date, kind }
    }
}

/// How to treat a request that arrives on a non-working day (rule i).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptRule {
    /// The arrival day is day 0 and the next working day is day 1 (ICO,
    /// WhatDoTheyKnow, LTT47).
    #[default]
    Statutory,
    /// The first working day after arrival is the date of receipt, i.e. day
    /// 0, as some councils read the 2018 s.45 Code; one day more.
    CodeOfPractice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClockSettings {
    pub non_working_receipt: ReceiptRule,
    /// Working days after `response_due` from which a request is treated as
    /// very overdue.
    pub very_overdue_after_working_days: u32,
}

impl Default for ClockSettings {
    fn default() -> Self {
        ClockSettings {
            non_working_receipt: ReceiptRule::Statutory,
            very_overdue_after_working_days: 20,
        }
    }
}

/// Every deadline the events imply. `None` means "not (yet) applicable".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    /// Day 0 of the current count, after any clarification restart and the
    /// receipt rule.
    pub day_zero: NaiveDate,
    pub response_due: Option<NaiveDate>,
    pub refusal_notice_due: Option<NaiveDate>,
    pub very_overdue_from: Option<NaiveDate>,
    pub fee_lapses_on: Option<NaiveDate>,
    pub review_request_last_day: Option<NaiveDate>,
    pub review_due: Option<NaiveDate>,
    pub review_due_max: Option<NaiveDate>,
    pub complaint_window_end: Option<NaiveDate>,
    /// 20, or 40 after a public-interest or reg 7 extension.
    pub working_days: u32,
    /// True while an unpaid fees notice or an unanswered request for
    /// clarification stops the count before it reaches `working_days`.
    pub clock_paused: bool,
    /// The date the current count runs from: the date of receipt, or the
    /// day a clarification restarted it. With `working_days` it names one
    /// period in which the council owes an answer, so a chase can be made
    /// once per period however often holiday data moves the due date.
    /// (Absent from deadlines stored before it existed.)
    #[serde(default)]
    pub started: Option<NaiveDate>,
    /// When the internal review (EIR reconsideration) was asked for.
    #[serde(default)]
    pub review_requested: Option<NaiveDate>,
    /// The day the council asked for a clarification that has not been given yet.
    #[serde(default)]
    pub awaiting_clarification: Option<NaiveDate>,
}

impl Deadlines {
    /// One period of waiting for the council's answer: it changes when the
    /// count restarts (a clarification) or is extended, never when a
    /// holiday moves the due date.
    pub fn response_period(&self) -> String {
        format!(
            "response:{}:{}",
            self.started.unwrap_or(self.day_zero),
            self.working_days
        )
    }

    /// The council waits for the requester: a clarification it asked for, or a fee. (A stop
    /// asked for after the due date does not pause the count, but it still stops the chase.)
    pub fn stopped(&self) -> bool {
        self.awaiting_clarification.is_some() || self.fee_lapses_on.is_some()
    }

    /// One period of waiting for the review's outcome.
    pub fn review_period(&self) -> Option<String> {
        self.review_requested.map(|d| format!("review:{d}"))
    }
}

/// An inclusive run of days whose working days are disregarded (rule f).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisregardedPeriod {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ClockError {
    #[error("no `received` event: the statutory clock starts on the date of receipt")]
    NoReceipt,

    #[error(
        "two `received` events ({first} and {second}): a request has one date of receipt; \
         record later information as clarification_received"
    )]
    DuplicateReceipt { first: NaiveDate, second: NaiveDate },

    #[error("`{kind}` on {date} is before the request was received on {received}")]
    BeforeReceipt {
        kind: ClockEventKind,
        date: NaiveDate,
        received: NaiveDate,
    },

    #[error("`{kind}` on {date} is outside the supported range 2000-01-01 to 2100-12-31")]
    OutOfRange {
        kind: ClockEventKind,
        date: NaiveDate,
    },

    #[error("`fee_received` on {date} has no fees notice (`fees_notice_given`) before it")]
    FeeWithoutNotice { date: NaiveDate },

    #[error("`fee_received` on {date} is before its fees notice given on {notice}")]
    FeeBeforeNotice { date: NaiveDate, notice: NaiveDate },

    #[error("`fees_notice_given` on {date} while the fees notice of {open} is still unpaid")]
    NoticeWhileUnpaid { date: NaiveDate, open: NaiveDate },

    #[error(
        "`clarification_received` on {date} has no `clarification_requested` before it: \
         only a s.1(3) request for clarification restarts the clock"
    )]
    ClarificationWithoutRequest { date: NaiveDate },

    #[error("`{kind}` on {date} is not available under {regime}: {why}")]
    ExtensionNotAvailable {
        kind: ClockEventKind,
        date: NaiveDate,
        regime: Regime,
        why: &'static str,
    },

    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

/// What the events reduce to, shared by `compute` and `explain_clock`.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub arrived: NaiveDate,
    pub day_zero: NaiveDate,
    pub restarted_by_clarification: bool,
    pub disregarded: Vec<DisregardedPeriod>,
    /// Start of a pause that has not ended (unpaid fees notice or
    /// unanswered clarification request).
    pub open_pause: Option<NaiveDate>,
    pub open_notice: Option<NaiveDate>,
    pub awaiting_clarification: Option<NaiveDate>,
    pub public_interest: bool,
    pub working_days: u32,
    pub response: Option<NaiveDate>,
    pub review_requested: Option<NaiveDate>,
    pub review_outcome: Option<NaiveDate>,
}

pub(crate) fn plan(
    cal: &WorkingCalendar,
    regime: Regime,
    events: &[ClockEvent],
    settings: &ClockSettings,
) -> Result<Plan, ClockError> {
    // Events usually arrive in order (they are stored and read by date): copy only to sort.
    let sorted: std::borrow::Cow<'_, [ClockEvent]> =
        if events.is_sorted_by_key(|e| (e.date, e.kind)) {
            std::borrow::Cow::Borrowed(events)
        } else {
            let mut v = events.to_vec();
            v.sort_by_key(|e| (e.date, e.kind));
            std::borrow::Cow::Owned(v)
        };

    for e in sorted.iter() {
        if cal.is_working(regime, e.date).is_err() {
            return Err(ClockError::OutOfRange {
                kind: e.kind,
                date: e.date,
            });
        }
    }
    let mut receipts = sorted.iter().filter(|e| e.kind == ClockEventKind::Received);
    let received = receipts.next().ok_or(ClockError::NoReceipt)?.date;
    if let Some(second) = receipts.next() {
        return Err(ClockError::DuplicateReceipt {
            first: received,
            second: second.date,
        });
    }
    if let Some(early) = sorted.iter().find(|e| e.date < received) {
        return Err(ClockError::BeforeReceipt {
            kind: early.kind,
            date: early.date,
            received,
        });
    }

    let mut arrived = received;
    let mut restarted = false;
    let mut disregarded = Vec::new();
    let mut open_notice: Option<NaiveDate> = None;
    let mut awaiting_clarification: Option<NaiveDate> = None;
    let mut public_interest = false;
    let mut extended = false;
    let mut response = None;
    let mut review_requested = None;
    let mut review_outcome = None;

    for (i, e) in sorted.iter().enumerate() {
        use ClockEventKind as K;
        match e.kind {
            K::Received => {}
            K::ClarificationRequested => {
                awaiting_clarification.get_or_insert(e.date);
            }
            // Rule e: the date of receipt becomes the day the clarification
            // arrives, so the count restarts from zero and earlier
            // disregarded periods no longer matter.
            K::ClarificationReceived => {
                if awaiting_clarification.take().is_none() {
                    return Err(ClockError::ClarificationWithoutRequest { date: e.date });
                }
                arrived = e.date;
                restarted = true;
                disregarded.clear();
            }
            K::FeesNoticeGiven => {
                if let Some(open) = open_notice {
                    return Err(ClockError::NoticeWhileUnpaid { date: e.date, open });
                }
                open_notice = Some(e.date);
            }
            // Rule f: both the notice day and the payment day are inside the
            // disregarded period.
            K::FeeReceived => match open_notice.take() {
                Some(notice) => disregarded.push(DisregardedPeriod {
                    start: notice,
                    end: e.date,
                }),
                None => {
                    let later = sorted[i..]
                        .iter()
                        .find(|l| l.kind == K::FeesNoticeGiven)
                        .map(|l| l.date);
                    return Err(match later {
                        Some(notice) => ClockError::FeeBeforeNotice {
                            date: e.date,
                            notice,
                        },
                        None => ClockError::FeeWithoutNotice { date: e.date },
                    });
                }
            },
            // Rule d: FOIA s.10(3) only; FOISA and the EIRs have none (rows
            // b1, c1, c3).
            K::PublicInterestExtension => {
                if regime != Regime::Foia {
                    return Err(ClockError::ExtensionNotAvailable {
                        kind: e.kind,
                        date: e.date,
                        regime,
                        why: "the public-interest extension exists only under FOIA s.10(3)",
                    });
                }
                public_interest = true;
                extended = true;
            }
            // Rules c2, c3: reg 7 extension to 40 working days.
            K::EirExtension => {
                if !matches!(regime, Regime::Eir | Regime::Eisr) {
                    return Err(ClockError::ExtensionNotAvailable {
                        kind: e.kind,
                        date: e.date,
                        regime,
                        why: "the reg 7 extension exists only under the EIR and EISR",
                    });
                }
                extended = true;
            }
            K::ResponseReceived => response = Some(e.date),
            K::InternalReviewRequested => review_requested = Some(e.date),
            K::ReviewOutcomeReceived => review_outcome = Some(e.date),
        }
    }

    // Rule i: under the Code-of-Practice reading a non-working arrival day is
    // replaced by the next working day as day 0.
    let day_zero = match settings.non_working_receipt {
        ReceiptRule::CodeOfPractice if !cal.is_working(regime, arrived)? => {
            cal.add_working_days(regime, arrived, 1)?
        }
        _ => arrived,
    };

    let open_pause = match (open_notice, awaiting_clarification) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };

    Ok(Plan {
        arrived,
        day_zero,
        restarted_by_clarification: restarted,
        disregarded,
        open_pause,
        open_notice,
        awaiting_clarification,
        public_interest,
        working_days: if extended { 40 } else { 20 },
        response,
        review_requested,
        review_outcome,
    })
}

/// Working day `n` after `day_zero`, not counting working days inside
/// `disregarded` (rule f). Returns `None` when an open-ended pause starting
/// at `open_from` stops the count first. O(number of periods).
pub fn count_working_days(
    cal: &WorkingCalendar,
    regime: Regime,
    day_zero: NaiveDate,
    n: u32,
    disregarded: &[DisregardedPeriod],
    open_from: Option<NaiveDate>,
) -> Result<Option<NaiveDate>, CalendarError> {
    // Most requests have no pause: no list of periods to build.
    if disregarded.is_empty() && open_from.is_none() {
        return cal.add_working_days(regime, day_zero, n).map(Some);
    }
    let mut periods: Vec<(NaiveDate, Option<NaiveDate>)> =
        disregarded.iter().map(|p| (p.start, Some(p.end))).collect();
    if let Some(start) = open_from {
        periods.push((start, None));
    }
    periods.sort();

    let mut position = day_zero;
    let mut remaining = n;
    for (start, end) in periods {
        if end.is_some_and(|end| end <= position) {
            continue;
        }
        // Working days strictly between the position and the pause.
        let before = if start > position {
            cal.working_days_between(regime, position, start - Duration::days(1))?
        } else {
            0
        };
        if before >= i64::from(remaining) {
            break;
        }
        remaining -= before as u32;
        match end {
            Some(end) => position = end,
            None => return Ok(None),
        }
    }
    cal.add_working_days(regime, position, remaining).map(Some)
}

/// Compute every deadline for a request (every rule of docs/deadline-rules.md).
///
/// Not modelled: the Keeper of the Records of Scotland's 30 working days
/// (rules b1, g3) and the 2020 FOISA emergency 60-day limit (rule b3, historic).
/// A later deadline that would fall after 2100-12-31 is an error rather than
/// `None`, so a missing date always means "not applicable".
pub fn compute(
    cal: &WorkingCalendar,
    regime: Regime,
    events: &[ClockEvent],
    settings: &ClockSettings,
) -> Result<Deadlines, ClockError> {
    let p = plan(cal, regime, events, settings)?;
    let count = |n| count_working_days(cal, regime, p.day_zero, n, &p.disregarded, p.open_pause);

    // Rules a1, b1, c1; 40 under rules c2, c3, d.
    let response_due = count(p.working_days)?;
    // Rule d: the s.17(1) refusal notice is still due by working day 20.
    let refusal_notice_due = if p.public_interest { count(20)? } else { None };
    let very_overdue_from = response_due
        .map(|d| cal.add_working_days(regime, d, settings.very_overdue_after_working_days))
        .transpose()?;
    // Rule f: the duty lapses if the fee is not paid within three months
    // beginning with the notice day, i.e. on the corresponding date.
    let fee_lapses_on = p.open_notice.map(|n| add_months(n, 3)).transpose()?;

    // Rules g1–g4: 40 working days to ask for a review. Under FOISA (s.20(5))
    // and by reg 11(2)/reg 16 under the EIRs the period also runs from the
    // response deadline when no response came; the FOIA Code has no such rule.
    let review_from = p.response.or(if regime == Regime::Foia {
        None
    } else {
        response_due
    });
    let review_request_last_day = review_from
        .map(|d| cal.add_working_days(regime, d, 40))
        .transpose()?;

    let (review_days, review_max_days) = match regime {
        Regime::Foia => (20, Some(40)), // rule g1 (Code of Practice)
        Regime::Foisa => (20, None),    // rule g3, s.21(1)
        Regime::Eir => (40, None),      // rule g2, reg 11(4)
        Regime::Eisr => (20, None),     // rule g4, reg 16
    };
    let review_due = p
        .review_requested
        .map(|d| cal.add_working_days(regime, d, review_days))
        .transpose()?;
    let review_due_max = match (p.review_requested, review_max_days) {
        (Some(d), Some(n)) => Some(cal.add_working_days(regime, d, n)?),
        _ => None,
    };

    let complaint_window_end = if regime.is_scottish() {
        // Rule h2: six months from the review outcome, or from the end of the
        // s.21(1) period when there was none.
        p.review_outcome
            .or(review_due)
            .map(|d| add_months(d, 6))
            .transpose()?
    } else {
        // Rule h1: ICO policy of six weeks, a calendar period.
        p.review_outcome.map(|d| d + Duration::days(42))
    };

    Ok(Deadlines {
        day_zero: p.day_zero,
        response_due,
        refusal_notice_due,
        very_overdue_from,
        fee_lapses_on,
        review_request_last_day,
        review_due,
        review_due_max,
        complaint_window_end,
        working_days: p.working_days,
        clock_paused: response_due.is_none(),
        started: Some(p.arrived),
        review_requested: p.review_requested,
        awaiting_clarification: p.awaiting_clarification,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::HolidayCalendar;
    use ClockEventKind as K;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn cal() -> WorkingCalendar {
        WorkingCalendar::new(&HolidayCalendar::standard())
    }

    fn ev(date: NaiveDate, kind: ClockEventKind) -> ClockEvent {
        ClockEvent::new(date, kind)
    }

    fn run(regime: Regime, events: &[ClockEvent]) -> Result<Deadlines, ClockError> {
        compute(&cal(), regime, events, &ClockSettings::default())
    }

    #[test]
    fn plain_request() {
        let d = run(Regime::Foia, &[ev(ymd(2025, 3, 3), K::Received)]).unwrap();
        assert_eq!(d.response_due, Some(ymd(2025, 4, 1)));
        assert_eq!(d.working_days, 20);
        assert!(!d.clock_paused);
        assert_eq!(d.refusal_notice_due, None);
        assert_eq!(d.review_request_last_day, None);
        // 20 working days after 1 Apr 2025, skipping Good Friday and
        // Easter Monday.
        assert_eq!(d.very_overdue_from, Some(ymd(2025, 5, 1)));
    }

    #[test]
    fn unpaid_fee_pauses_and_lapses_after_three_months() {
        let d = run(
            Regime::Foia,
            &[
                ev(ymd(2025, 3, 3), K::Received),
                ev(ymd(2025, 3, 10), K::FeesNoticeGiven),
            ],
        )
        .unwrap();
        assert!(d.clock_paused);
        assert_eq!(d.response_due, None);
        assert_eq!(d.very_overdue_from, None);
        assert_eq!(d.fee_lapses_on, Some(ymd(2025, 6, 10)));

        let d = run(
            Regime::Foia,
            &[
                ev(ymd(2024, 11, 1), K::Received),
                ev(ymd(2024, 11, 29), K::FeesNoticeGiven),
            ],
        )
        .unwrap();
        assert_eq!(d.fee_lapses_on, Some(ymd(2025, 2, 28)));
    }

    #[test]
    fn late_fees_notice_does_not_hide_a_missed_deadline() {
        // The notice comes after working day 20, so nothing it disregards
        // can move the due date.
        let d = run(
            Regime::Foia,
            &[
                ev(ymd(2025, 3, 3), K::Received),
                ev(ymd(2025, 4, 2), K::FeesNoticeGiven),
            ],
        )
        .unwrap();
        assert_eq!(d.response_due, Some(ymd(2025, 4, 1)));
        assert!(!d.clock_paused);
        assert_eq!(d.fee_lapses_on, Some(ymd(2025, 7, 2)));
    }

    #[test]
    fn pending_clarification_pauses() {
        let d = run(
            Regime::Foisa,
            &[
                ev(ymd(2025, 3, 3), K::Received),
                ev(ymd(2025, 3, 5), K::ClarificationRequested),
            ],
        )
        .unwrap();
        assert!(d.clock_paused);
        assert_eq!(d.response_due, None);
        assert_eq!(d.fee_lapses_on, None);
    }

    #[test]
    fn extensions() {
        let d = run(
            Regime::Eir,
            &[
                ev(ymd(2025, 3, 3), K::Received),
                ev(ymd(2025, 3, 20), K::EirExtension),
            ],
        )
        .unwrap();
        assert_eq!(d.working_days, 40);
        assert_eq!(d.response_due, Some(ymd(2025, 5, 1)));
        assert_eq!(d.refusal_notice_due, None);

        for regime in [Regime::Foisa, Regime::Eir, Regime::Eisr] {
            let err = run(
                regime,
                &[
                    ev(ymd(2025, 3, 3), K::Received),
                    ev(ymd(2025, 3, 4), K::PublicInterestExtension),
                ],
            )
            .unwrap_err();
            assert!(err.to_string().contains("only under FOIA s.10(3)"), "{err}");
        }
        for regime in [Regime::Foia, Regime::Foisa] {
            let err = run(
                regime,
                &[
                    ev(ymd(2025, 3, 3), K::Received),
                    ev(ymd(2025, 3, 4), K::EirExtension),
                ],
            )
            .unwrap_err();
            assert!(err.to_string().contains("not available under"), "{err}");
        }
    }

    #[test]
    fn review_and_complaint_windows() {
        let received = ev(ymd(2025, 3, 3), K::Received);
        let response = ev(ymd(2025, 3, 31), K::ResponseReceived);
        let review = ev(ymd(2025, 4, 7), K::InternalReviewRequested);
        let outcome = ev(ymd(2025, 5, 30), K::ReviewOutcomeReceived);
        let all = [received, response, review, outcome];

        let foia = run(Regime::Foia, &all).unwrap();
        assert_eq!(foia.review_request_last_day, Some(ymd(2025, 5, 30)));
        assert_eq!(foia.review_due, Some(ymd(2025, 5, 8)));
        assert_eq!(foia.review_due_max, Some(ymd(2025, 6, 6)));
        assert_eq!(foia.complaint_window_end, Some(ymd(2025, 7, 11)));

        let eir = run(Regime::Eir, &all).unwrap();
        assert_eq!(eir.review_due, Some(ymd(2025, 6, 6)));
        assert_eq!(eir.review_due_max, None);

        let foisa = run(Regime::Foisa, &all).unwrap();
        // Easter Monday 21 Apr is a Scottish working day.
        assert_eq!(foisa.review_due, Some(ymd(2025, 5, 7)));
        assert_eq!(foisa.complaint_window_end, Some(ymd(2025, 11, 30)));

        // No review outcome: the SIC window runs from the s.21(1) deadline.
        let pending = run(Regime::Eisr, &all[..3]).unwrap();
        assert_eq!(pending.review_due, Some(ymd(2025, 5, 7)));
        assert_eq!(pending.complaint_window_end, Some(ymd(2025, 11, 7)));
        assert_eq!(
            run(Regime::Foia, &all[..3]).unwrap().complaint_window_end,
            None
        );

        // No response yet: FOISA's review window runs from the deadline.
        let silent = run(Regime::Foisa, &[received]).unwrap();
        assert_eq!(silent.response_due, Some(ymd(2025, 3, 31)));
        assert_eq!(silent.review_request_last_day, Some(ymd(2025, 5, 29)));
    }

    #[test]
    fn validation_errors() {
        let r = ymd(2025, 3, 3);
        assert_eq!(run(Regime::Foia, &[]), Err(ClockError::NoReceipt));
        let err = run(
            Regime::Foia,
            &[ev(r, K::Received), ev(ymd(2025, 3, 1), K::ResponseReceived)],
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("`response_received` on 2025-03-01 is before"),
            "{err}"
        );
        let err = run(
            Regime::Foia,
            &[ev(r, K::Received), ev(ymd(2025, 3, 5), K::FeeReceived)],
        )
        .unwrap_err();
        assert_eq!(
            err,
            ClockError::FeeWithoutNotice {
                date: ymd(2025, 3, 5)
            }
        );
        let err = run(
            Regime::Foia,
            &[
                ev(r, K::Received),
                ev(ymd(2025, 3, 5), K::FeeReceived),
                ev(ymd(2025, 3, 7), K::FeesNoticeGiven),
            ],
        )
        .unwrap_err();
        assert_eq!(
            err,
            ClockError::FeeBeforeNotice {
                date: ymd(2025, 3, 5),
                notice: ymd(2025, 3, 7)
            }
        );
        let err = run(
            Regime::Foia,
            &[
                ev(r, K::Received),
                ev(ymd(2025, 3, 5), K::FeesNoticeGiven),
                ev(ymd(2025, 3, 7), K::FeesNoticeGiven),
            ],
        )
        .unwrap_err();
        assert!(matches!(err, ClockError::NoticeWhileUnpaid { .. }));
        let err = run(
            Regime::Foia,
            &[
                ev(r, K::Received),
                ev(ymd(2025, 3, 5), K::ClarificationReceived),
            ],
        )
        .unwrap_err();
        assert!(matches!(
            err,
            ClockError::ClarificationWithoutRequest { .. }
        ));
        let err = run(Regime::Foia, &[ev(r, K::Received), ev(r, K::Received)]).unwrap_err();
        assert!(matches!(err, ClockError::DuplicateReceipt { .. }));
        let err = run(Regime::Foia, &[ev(ymd(1999, 12, 1), K::Received)]).unwrap_err();
        assert!(err.to_string().contains("1999-12-01 is outside"), "{err}");
        let err = run(Regime::Foia, &[ev(ymd(2100, 12, 20), K::Received)]).unwrap_err();
        assert!(err.to_string().contains("runs past 2100-12-31"), "{err}");
    }

    #[test]
    fn serde_names() {
        let e = ev(ymd(2025, 3, 3), K::FeesNoticeGiven);
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#"{"date":"2025-03-03","kind":"fees_notice_given"}"#);
        let s: ClockSettings =
            serde_json::from_str(r#"{"non_working_receipt":"code_of_practice"}"#).unwrap();
        assert_eq!(s.non_working_receipt, ReceiptRule::CodeOfPractice);
        assert_eq!(s.very_overdue_after_working_days, 20);
    }
}
