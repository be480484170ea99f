//! Every row of tests/fixtures/deadline-examples.tsv, mapped by hand to clock
//! events, plus the other dates each row's explanation mentions.

use chrono::NaiveDate;
use foi::calendar::{
    compute, explain_clock, ClockEvent, ClockEventKind as K, ClockSettings, Deadlines,
    HolidayCalendar, OperatorHolidays, ReceiptRule, Regime, WorkingCalendar,
};
use std::sync::OnceLock;

const FIXTURE: &str = include_str!("../fixtures/deadline-examples.tsv");

fn cal() -> &'static WorkingCalendar {
    static CAL: OnceLock<WorkingCalendar> = OnceLock::new();
    CAL.get_or_init(|| WorkingCalendar::new(&HolidayCalendar::standard()))
}

fn ymd(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

struct Row {
    regime_text: String,
    received: NaiveDate,
    expected_due: NaiveDate,
    explanation: String,
}

fn rows() -> Vec<Row> {
    FIXTURE
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "fixture row has {} fields: {l}", f.len());
            Row {
                regime_text: f[0].to_string(),
                received: ymd(f[1]),
                expected_due: ymd(f[2]),
                explanation: f[3].to_string(),
            }
        })
        .collect()
}

/// How each fixture row's regime column translates to events. Dates the row
/// does not give (when clarification was asked for, when the extension was
/// claimed) are chosen inside the first 20 working days; they do not move
/// the due date.
struct Case {
    regime: Regime,
    events: &'static [(&'static str, K)],
}

const CASES: &[Case] = &[
    // "FOIA" (docs/deadline-rules.md, worked example)
    Case {
        regime: Regime::Foia,
        events: &[("2024-03-26", K::Received)],
    },
    // "FOISA": same dates, Easter Monday is a Scottish working day
    Case {
        regime: Regime::Foisa,
        events: &[("2024-03-26", K::Received)],
    },
    // "FOIA", received on a Saturday (rule i, statutory reading)
    Case {
        regime: Regime::Foia,
        events: &[("2025-06-07", K::Received)],
    },
    // "FOIA; s.10(3) public-interest extension, ICO max = 40 working days"
    Case {
        regime: Regime::Foia,
        events: &[
            ("2025-03-03", K::Received),
            ("2025-03-31", K::PublicInterestExtension),
        ],
    },
    // "FOIA; clarification requested under s.1(3) and received 2025-03-10"
    Case {
        regime: Regime::Foia,
        events: &[
            ("2025-03-03", K::Received),
            ("2025-03-04", K::ClarificationRequested),
            ("2025-03-10", K::ClarificationReceived),
        ],
    },
    // "FOIA; fees notice given 2025-03-10, fee received 2025-03-14 (s.10(2))"
    Case {
        regime: Regime::Foia,
        events: &[
            ("2025-03-03", K::Received),
            ("2025-03-10", K::FeesNoticeGiven),
            ("2025-03-14", K::FeeReceived),
        ],
    },
];

fn events(case: &Case) -> Vec<ClockEvent> {
    case.events
        .iter()
        .map(|&(d, kind)| ClockEvent::new(ymd(d), kind))
        .collect()
}

fn deadlines(case: &Case, settings: &ClockSettings) -> Deadlines {
    compute(cal(), case.regime, &events(case), settings).unwrap()
}

/// The dates listed after "Non-weekend days skipped:" with their bracketed
/// reasons, e.g. "2025-03-10 Mon (disregarded: fees-notice period s.10(2))".
fn fixture_skipped(explanation: &str) -> Vec<(NaiveDate, String)> {
    let Some(start) = explanation.find("Non-weekend days skipped:") else {
        return Vec::new();
    };
    let text = &explanation[start..];
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 16 <= text.len() {
        let candidate = &text[i..];
        let is_entry = candidate.len() > 16
            && candidate.is_char_boundary(10)
            && NaiveDate::parse_from_str(&candidate[..10], "%Y-%m-%d").is_ok()
            && candidate[10..].starts_with(' ')
            && candidate.get(14..16) == Some(" (");
        if !is_entry {
            i += 1;
            continue;
        }
        let date = ymd(&candidate[..10]);
        let mut depth = 0;
        let mut end = i + 15;
        for (j, &b) in bytes.iter().enumerate().skip(i + 15) {
            match b {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = j;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push((date, text[i + 16..end].to_string()));
        i = end;
    }
    out
}

fn check_row(index: usize) {
    let rows = rows();
    let row = &rows[index];
    let case = &CASES[index];
    assert!(
        row.regime_text.starts_with(case.regime.as_str()),
        "row {index}: table says {} but fixture says {:?}",
        case.regime,
        row.regime_text
    );
    assert_eq!(
        ymd(case.events[0].0),
        row.received,
        "row {index}: receipt date"
    );

    let d = deadlines(case, &ClockSettings::default());
    assert_eq!(
        d.response_due,
        Some(row.expected_due),
        "row {index}: {}",
        row.regime_text
    );
    assert!(!d.clock_paused);

    // The explanation's skipped weekdays must be exactly ours.
    let explained = explain_clock(cal(), case.regime, &events(case), &ClockSettings::default())
        .unwrap()
        .unwrap();
    assert_eq!(explained.due, row.expected_due);
    assert_eq!(explained.counted.len() as u32, d.working_days);
    let ours: Vec<NaiveDate> = explained
        .skipped
        .iter()
        .filter(|s| s.reason != "Saturday" && s.reason != "Sunday")
        .map(|s| s.date)
        .collect();
    let theirs = fixture_skipped(&row.explanation);
    assert_eq!(
        ours,
        theirs.iter().map(|(d, _)| *d).collect::<Vec<_>>(),
        "row {index}: skipped weekdays"
    );
    for (date, reason) in theirs.iter().filter(|(_, r)| r.starts_with("disregarded")) {
        let mine = explained.skipped.iter().find(|s| s.date == *date).unwrap();
        assert_eq!(&mine.reason, reason, "row {index}: reason for {date}");
    }
    let day1 = format!(
        "day 1 = {}",
        explained.counted[0].date.format("%a %Y-%m-%d")
    );
    assert!(
        row.explanation.contains(&day1),
        "row {index}: expected {day1:?}"
    );
}

#[test]
fn covers_every_fixture_row() {
    assert_eq!(rows().len(), CASES.len());
}

#[test]
fn row_0_foia_easter_2024() {
    check_row(0);
}

#[test]
fn row_1_foisa_easter_2024() {
    check_row(1);
}

#[test]
fn row_2_foia_saturday_receipt() {
    check_row(2);
    // The contested Code-of-Practice reading (rule i) named in the rule.
    let cop = ClockSettings {
        non_working_receipt: ReceiptRule::CodeOfPractice,
        ..ClockSettings::default()
    };
    let d = deadlines(&CASES[2], &cop);
    assert_eq!(d.day_zero, ymd("2025-06-09"));
    assert_eq!(d.response_due, Some(ymd("2025-07-07")));
}

#[test]
fn row_3_foia_public_interest_extension() {
    check_row(3);
    let d = deadlines(&CASES[3], &ClockSettings::default());
    assert_eq!(d.working_days, 40);
    // "The s.17(1) refusal notice is still due by working day 20, which is
    // Tue 2025-04-01".
    assert_eq!(d.refusal_notice_due, Some(ymd("2025-04-01")));
}

#[test]
fn row_4_foia_clarification_restarts() {
    check_row(4);
    // "Without clarification the due date would have been Tue 2025-04-01."
    let plain = Case {
        regime: Regime::Foia,
        events: &[("2025-03-03", K::Received)],
    };
    assert_eq!(
        deadlines(&plain, &ClockSettings::default()).response_due,
        Some(ymd("2025-04-01"))
    );
    assert_eq!(
        deadlines(&CASES[4], &ClockSettings::default()).day_zero,
        ymd("2025-03-10")
    );
}

#[test]
fn row_5_foia_fees_notice_pauses() {
    check_row(5);
    let disregarded = fixture_skipped(&rows()[5].explanation)
        .into_iter()
        .filter(|(_, r)| r == "disregarded: fees-notice period s.10(2)")
        .count();
    assert_eq!(disregarded, 5, "fixture parser found the fee days");
    // "Without the fee step the due date would be Tue 2025-04-01."
    let unpaid_free = Case {
        regime: Regime::Foia,
        events: &[("2025-03-03", K::Received)],
    };
    assert_eq!(
        deadlines(&unpaid_free, &ClockSettings::default()).response_due,
        Some(ymd("2025-04-01"))
    );
    // Paid, so nothing lapses; unpaid, the clock stops and lapses 3 months on.
    assert_eq!(
        deadlines(&CASES[5], &ClockSettings::default()).fee_lapses_on,
        None
    );
    let unpaid = Case {
        regime: Regime::Foia,
        events: &[
            ("2025-03-03", K::Received),
            ("2025-03-10", K::FeesNoticeGiven),
        ],
    };
    let d = deadlines(&unpaid, &ClockSettings::default());
    assert!(d.clock_paused);
    assert_eq!(d.response_due, None);
    assert_eq!(d.fee_lapses_on, Some(ymd("2025-06-10")));
}

#[test]
fn operator_json_correction_moves_a_deadline() {
    // Suppose the Scottish 2030 St Andrew's Day substitute were moved by
    // proclamation from Mon 2 Dec to Fri 29 Nov: a GOV.UK JSON feed for
    // scotland 2030 replaces the whole generated list for that year.
    let standard = HolidayCalendar::standard();
    let mut events = Vec::new();
    for h in standard.holidays_in(2030, Some(foi::calendar::Division::Scotland)) {
        let (date, title) = if h.title.starts_with("St Andrew") {
            (
                "2030-11-29".to_string(),
                "St Andrew’s Day (moved)".to_string(),
            )
        } else {
            (h.date.to_string(), h.title.clone())
        };
        events
            .push(serde_json::json!({"title": title, "date": date, "notes": "", "bunting": true}));
    }
    let feed = serde_json::json!({"scotland": {"division": "scotland", "events": events}});
    let ops = OperatorHolidays::from_govuk_json(&feed.to_string()).unwrap();
    assert_eq!(ops.replace, vec![(foi::calendar::Division::Scotland, 2030)]);
    let corrected = HolidayCalendar::with_operator(&ops).unwrap();
    assert_ne!(corrected.fingerprint(), standard.fingerprint());

    let before = WorkingCalendar::new(&standard);
    let after = WorkingCalendar::new(&corrected);
    // Received on the new holiday itself: it is day 0 either way, but Mon
    // 2 Dec becomes a working day, so the deadline comes one working day
    // sooner under both calendar families.
    let received = ymd("2030-11-29");
    for regime in [Regime::Foisa, Regime::Foia] {
        assert!(before.is_working(regime, received).unwrap());
        assert!(!after.is_working(regime, received).unwrap());
        assert!(!before.is_working(regime, ymd("2030-12-02")).unwrap());
        assert!(after.is_working(regime, ymd("2030-12-02")).unwrap());
        let old_due = before.add_working_days(regime, received, 20).unwrap();
        let new_due = after.add_working_days(regime, received, 20).unwrap();
        assert_eq!(
            new_due,
            before.add_working_days(regime, received, 19).unwrap()
        );
        assert!(new_due < old_due, "{regime}: {new_due} vs {old_due}");
    }
}

#[test]
fn operator_ics_addition_moves_a_deadline() {
    let ics = "BEGIN:VCALENDAR\r\nX-WR-CALNAME:Northern Ireland extra\r\nBEGIN:VEVENT\r\n\
               DTSTART;VALUE=DATE:20250401\r\nSUMMARY:Hypothetical extra day\r\nEND:VEVENT\r\n\
               END:VCALENDAR\r\n";
    let ops = OperatorHolidays::from_ics(ics, None).unwrap();
    assert!(ops.replace.is_empty());
    let cal = WorkingCalendar::new(&HolidayCalendar::with_operator(&ops).unwrap());
    let received = ymd("2025-03-03");
    // An NI-only day counts under FOIA (rule a2) but not under FOISA (rule b2).
    assert_eq!(
        cal.add_working_days(Regime::Foia, received, 20).unwrap(),
        ymd("2025-04-02")
    );
    assert_eq!(
        cal.add_working_days(Regime::Foisa, received, 20).unwrap(),
        ymd("2025-03-31")
    );
    assert_eq!(
        cal.non_working_reason(Regime::Foia, ymd("2025-04-01"))
            .unwrap()
            .as_deref(),
        Some("Northern Ireland bank holiday (Hypothetical extra day) counts under FOIA s.10(6)")
    );
}
