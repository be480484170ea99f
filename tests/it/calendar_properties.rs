//! Properties of the working-day index and the statutory clock.

use std::sync::OnceLock;

use chrono::{Duration, NaiveDate};
use foi::calendar::index::{naive_add_working_days, naive_is_working};
use foi::calendar::{
    compute, count_working_days, explain, CalendarError, ClockEvent, ClockEventKind as K,
    ClockSettings, DisregardedPeriod, HolidayCalendar, ReceiptRule, Regime, WorkingCalendar,
    RANGE_END, RANGE_START,
};
use proptest::prelude::*;

fn holidays() -> &'static HolidayCalendar {
    static H: OnceLock<HolidayCalendar> = OnceLock::new();
    H.get_or_init(HolidayCalendar::standard)
}

fn cal() -> &'static WorkingCalendar {
    static CAL: OnceLock<WorkingCalendar> = OnceLock::new();
    CAL.get_or_init(|| WorkingCalendar::new(holidays()))
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Dates from 2000-01-01 to 2099-12-31, leaving room to count forward.
fn date() -> impl Strategy<Value = NaiveDate> {
    (0i64..36_524).prop_map(|n| RANGE_START + Duration::days(n))
}

/// Dates up to 2094, leaving room for counts of up to two calendar years
/// and for the clock's later deadlines (review windows run 40 working days
/// past the response date; beyond 2100 they are errors by design).
fn early_date() -> impl Strategy<Value = NaiveDate> {
    (0i64..34_700).prop_map(|n| RANGE_START + Duration::days(n))
}

fn regime() -> impl Strategy<Value = Regime> {
    prop_oneof![
        Just(Regime::Foia),
        Just(Regime::Foisa),
        Just(Regime::Eir),
        Just(Regime::Eisr)
    ]
}

fn due(regime: Regime, received: NaiveDate) -> Option<NaiveDate> {
    compute(
        cal(),
        regime,
        &[ClockEvent::new(received, K::Received)],
        &ClockSettings::default(),
    )
    .unwrap()
    .response_due
}

/// Rule f by brute force: step day by day, counting working days outside
/// every disregarded period.
fn naive_with_disregard(
    regime: Regime,
    day_zero: NaiveDate,
    n: u32,
    periods: &[DisregardedPeriod],
) -> NaiveDate {
    let mut d = day_zero;
    let mut k = 0;
    while k < n {
        d += Duration::days(1);
        let disregarded = periods.iter().any(|p| p.start <= d && d <= p.end);
        if naive_is_working(holidays(), regime, d) && !disregarded {
            k += 1;
        }
    }
    d
}

// Case count: proptest's default (256), or PROPTEST_CASES for deeper runs.
proptest! {
    #[test]
    fn due_date_is_a_working_day(r in regime(), d in date(), n in 1u32..=60) {
        let due = cal().add_working_days(r, d, n).unwrap();
        prop_assert!(due > d);
        prop_assert!(cal().is_working(r, due).unwrap());
        prop_assert!(cal().non_working_reason(r, due).unwrap().is_none());
    }

    #[test]
    fn later_receipt_never_gives_earlier_due(r in regime(), a in early_date(), gap in 0i64..400) {
        let b = a + Duration::days(gap);
        prop_assert!(due(r, a).unwrap() <= due(r, b).unwrap());
    }

    #[test]
    fn foia_never_earlier_than_foisa(d in early_date(), n in 1u32..=60) {
        // Rule a2's set of non-working days contains rule b2's.
        let foia = cal().add_working_days(Regime::Foia, d, n).unwrap();
        let foisa = cal().add_working_days(Regime::Foisa, d, n).unwrap();
        prop_assert!(foia >= foisa);
        prop_assert!(due(Regime::Foia, d).unwrap() >= due(Regime::Foisa, d).unwrap());
        prop_assert!(due(Regime::Eir, d).unwrap() >= due(Regime::Eisr, d).unwrap());
    }

    #[test]
    fn add_and_between_round_trip(r in regime(), d in early_date(), n in 0u32..=400, gap in 0i64..500) {
        let later = cal().add_working_days(r, d, n).unwrap();
        prop_assert_eq!(cal().working_days_between(r, d, later).unwrap(), i64::from(n));
        prop_assert_eq!(cal().working_days_between(r, later, d).unwrap(), -i64::from(n));

        // Going the other way lands on the last working day on or before x
        // (or back on d when there is none).
        let x = d + Duration::days(gap);
        let k = cal().working_days_between(r, d, x).unwrap();
        let back = cal().add_working_days(r, d, k as u32).unwrap();
        prop_assert!(back <= x);
        prop_assert_eq!(cal().working_days_between(r, back, x).unwrap(), 0);
        prop_assert!(back == d || cal().is_working(r, back).unwrap());
    }

    #[test]
    fn index_agrees_with_spec_row_0_algorithm(r in regime(), d in date(), n in 0u32..=60) {
        prop_assert_eq!(
            cal().add_working_days(r, d, n).unwrap(),
            naive_add_working_days(holidays(), r, d, n).unwrap()
        );
    }

    #[test]
    fn disregarded_periods_agree_with_brute_force(
        r in regime(),
        d in date(),
        n in 1u32..=40,
        spans in proptest::collection::vec((0i64..60, 0i64..15), 0..3),
    ) {
        // Non-overlapping periods starting on or after day 0, as the clock
        // produces them.
        let mut periods = Vec::new();
        let mut cursor = d;
        for (offset, len) in spans {
            let start = cursor + Duration::days(offset);
            let end = start + Duration::days(len);
            periods.push(DisregardedPeriod { start, end });
            cursor = end + Duration::days(1);
        }
        let fast = count_working_days(cal(), r, d, n, &periods, None).unwrap().unwrap();
        prop_assert_eq!(fast, naive_with_disregard(r, d, n, &periods));

        let e = explain(cal(), r, d, n, &periods).unwrap();
        prop_assert_eq!(e.due, fast);
        prop_assert_eq!(e.counted.len() as u32, n);
        prop_assert_eq!(e.counted.last().map(|c| c.date), Some(fast));
        prop_assert_eq!(
            e.counted.len() + e.skipped.len(),
            (fast - d).num_days() as usize
        );
    }

    #[test]
    fn fee_pause_through_clock_matches_brute_force(
        r in regime(),
        d in early_date(),
        notice_after in 0i64..40,
        paid_after in 0i64..30,
    ) {
        let notice = d + Duration::days(notice_after);
        let paid = notice + Duration::days(paid_after);
        let events = [
            ClockEvent::new(d, K::Received),
            ClockEvent::new(notice, K::FeesNoticeGiven),
            ClockEvent::new(paid, K::FeeReceived),
        ];
        let got = compute(cal(), r, &events, &ClockSettings::default()).unwrap();
        let period = DisregardedPeriod { start: notice, end: paid };
        prop_assert_eq!(got.response_due, Some(naive_with_disregard(r, d, 20, &[period])));
        prop_assert!(got.response_due >= due(r, d));
    }

    #[test]
    fn code_of_practice_receipt_is_never_earlier(r in regime(), d in early_date()) {
        let cop = ClockSettings {
            non_working_receipt: ReceiptRule::CodeOfPractice,
            ..ClockSettings::default()
        };
        let events = [ClockEvent::new(d, K::Received)];
        let statutory = compute(cal(), r, &events, &ClockSettings::default()).unwrap();
        let code = compute(cal(), r, &events, &cop).unwrap();
        if cal().is_working(r, d).unwrap() {
            prop_assert_eq!(code.response_due, statutory.response_due);
        } else {
            // Rule i: one more working day.
            prop_assert_eq!(
                code.response_due,
                Some(cal().add_working_days(r, statutory.response_due.unwrap(), 1).unwrap())
            );
        }
    }
}

#[test]
fn out_of_range_dates_are_errors_not_panics() {
    let c = cal();
    for date in [
        ymd(1999, 12, 31),
        ymd(2101, 1, 1),
        NaiveDate::MIN,
        NaiveDate::MAX,
    ] {
        assert_eq!(
            c.add_working_days(Regime::Foia, date, 1),
            Err(CalendarError::DateOutOfRange { date })
        );
        assert!(c.is_working(Regime::Foisa, date).is_err());
        assert!(c
            .working_days_between(Regime::Eir, RANGE_START, date)
            .is_err());
        let err = compute(
            c,
            Regime::Foia,
            &[ClockEvent::new(date, K::Received)],
            &ClockSettings::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("outside the supported range"),
            "{err}"
        );
    }
    assert!(c.add_working_days(Regime::Foia, RANGE_END, 1).is_err());
    assert_eq!(
        c.add_working_days(Regime::Foia, RANGE_END, 0),
        Ok(RANGE_END)
    );
    assert!(c
        .add_working_days(Regime::Foia, RANGE_START, u32::MAX)
        .is_err());
}
