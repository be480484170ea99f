//! Deadlines stored on requests: clock events, operator holiday imports that move them (with
//! a timeline event saying from what, to what and why), and the `foi deadline` calculator.

use crate::common;

use chrono::{NaiveDate, TimeZone, Utc};
use common::{foi, stderr, stdout, TestDb};
use foi::calendar::{ClockEventKind, HolidayCalendar, OperatorHolidays, WorkingCalendar};
use foi::import::{parse_authorities, parse_twinnings};
use foi::store::{authorities, clock_events, events, requests, twinnings};
use std::collections::BTreeMap;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Two councils, one English (FOIA) and one Scottish (FOISA), each with a request received on
/// Monday 1 June 2026.
async fn two_running_requests(app: &foi::Application) -> (String, String) {
    let csv = "name,nation,foi_email\nTest City Council,England,foi@test-city.example.org\nTest Shire Council,Scotland,foi@test-shire.example.org\n";
    authorities::upsert_rows(&app.db, "a.csv", &parse_authorities("a.csv", csv).unwrap())
        .await
        .unwrap();
    let tsv = "uk_authority\tuk_place\tnation\tchinese_partner\tpartner_province\trelationship\tsince_year\tstatus\n\
               Test City Council\tTest City\tEngland\tNingbo\tZhejiang\ttwinning\t2005\tactive\n\
               Test Shire Council\tTest Shire\tScotland\tDalian\tLiaoning\ttwinning\t1987\tactive\n";
    twinnings::import_rows(&app.db, "t.tsv", &parse_twinnings("t.tsv", tsv).unwrap())
        .await
        .unwrap();
    let now = Utc.with_ymd_and_hms(2026, 5, 29, 9, 0, 0).unwrap();
    let q = common::Queue::new(app, now);
    let links = twinnings::list(&app.db, None, None).await.unwrap();
    let mut refs = Vec::new();
    for (link, authority) in &links {
        let l = q
            .queue_one(
                "twinning-agreement",
                &authority.slug,
                Some(link.id),
                &BTreeMap::new(),
                false,
                false,
            )
            .await
            .unwrap();
        refs.push((authority.nation.clone(), l.reference));
    }
    let cal = app.calendar().await.unwrap();
    let clock = app.settings.deadlines.clock();
    for (_, reference) in &refs {
        let model = requests::get_by_reference(&app.db, reference)
            .await
            .unwrap();
        foi::services::clock::record_in(
            &app.db,
            &cal,
            &clock,
            &model,
            ClockEventKind::Received,
            d("2026-06-01"),
            "test",
            None,
            now,
        )
        .await
        .unwrap();
    }
    let english = refs.iter().find(|(n, _)| n == "England").unwrap().1.clone();
    let scottish = refs
        .iter()
        .find(|(n, _)| n == "Scotland")
        .unwrap()
        .1
        .clone();
    (english, scottish)
}

async fn clock_events_set_deadlines_and_bad_ones_store_nothing(db: TestDb) {
    let app = db.app().await;
    let (english, scottish) = two_running_requests(&app).await;
    let e = requests::get_by_reference(&app.db, &english).await.unwrap();
    // FOIA: 15 June 2026 (Scotland's World Cup day) is a bank holiday in a part of the UK, so
    // it does not count; under FOISA it does not count either (it is Scottish).
    assert_eq!(e.response_due, Some(d("2026-06-30")));
    let s = requests::get_by_reference(&app.db, &scottish)
        .await
        .unwrap();
    assert_eq!(s.response_due, Some(d("2026-06-30")));
    let timeline = events::timeline(&app.db, e.id).await.unwrap();
    assert!(timeline.iter().any(|t| t.kind == "clock:received"));
    assert!(timeline
        .iter()
        .any(|t| t.kind == "deadlines_set" && t.detail.contains("response due 2026-06-30")));

    // A fee "received" with no fees notice is refused, and nothing is stored.
    let cal = app.calendar().await.unwrap();
    let err = foi::services::clock::record_in(
        &app.db,
        &cal,
        &app.settings.deadlines.clock(),
        &e,
        ClockEventKind::FeeReceived,
        d("2026-06-05"),
        "test",
        None,
        Utc::now(),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("fee_received") && err.to_string().contains(&english),
        "{err}"
    );
    assert_eq!(clock_events::rows(&app.db, e.id).await.unwrap().len(), 1);

    // Clarification restarts the clock: the timeline says the due date moved.
    for (kind, date) in [
        (ClockEventKind::ClarificationRequested, "2026-06-03"),
        (ClockEventKind::ClarificationReceived, "2026-06-08"),
    ] {
        let fresh = requests::get_by_reference(&app.db, &english).await.unwrap();
        foi::services::clock::record_in(
            &app.db,
            &cal,
            &app.settings.deadlines.clock(),
            &fresh,
            kind,
            d(date),
            "test",
            None,
            Utc::now(),
        )
        .await
        .unwrap();
    }
    let e = requests::get_by_reference(&app.db, &english).await.unwrap();
    assert_eq!(e.response_due, Some(d("2026-07-07")));
    let timeline = events::timeline(&app.db, e.id).await.unwrap();
    assert!(
        timeline
            .iter()
            .any(|t| t.kind == "deadline_moved" && t.detail.contains("to 2026-07-07")),
        "{timeline:#?}"
    );
}

fn govuk_json_for_scotland_2026(extra: Option<(&str, &str)>) -> String {
    let cal = HolidayCalendar::standard();
    let mut events: Vec<serde_json::Value> = cal
        .holidays_in(2026, Some(foi::calendar::Division::Scotland))
        .iter()
        .map(|h| serde_json::json!({"title": h.title, "date": h.date.to_string(), "notes": "", "bunting": true}))
        .collect();
    if let Some((date, title)) = extra {
        events
            .push(serde_json::json!({"title": title, "date": date, "notes": "", "bunting": false}));
    }
    serde_json::json!({"scotland": {"division": "scotland", "events": events}}).to_string()
}

async fn a_holiday_import_moves_open_deadlines_and_says_why(db: TestDb) {
    let app = db.app().await;
    let (english, scottish) = two_running_requests(&app).await;

    // Re-importing what is already in force changes nothing.
    let same = db.dir.path().join("same.json");
    std::fs::write(&same, govuk_json_for_scotland_2026(None)).unwrap();
    let out = foi(&db, &["holidays", "import", same.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("unchanged"), "{}", stdout(&out));

    // A (hypothetical) new Scottish bank holiday on Monday 22 June 2026 moves both requests.
    let json = db.dir.path().join("bank-holidays.json");
    std::fs::write(
        &json,
        govuk_json_for_scotland_2026(Some(("2026-06-22", "Test proclamation day"))),
    )
    .unwrap();
    let out = foi(&db, &["holidays", "import", json.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("2 request(s) had deadlines moved"),
        "{}",
        stdout(&out)
    );

    for reference in [&english, &scottish] {
        let r = requests::get_by_reference(&app.db, reference)
            .await
            .unwrap();
        assert_eq!(r.response_due, Some(d("2026-07-01")), "{reference}");
        let moved: Vec<_> = events::timeline(&app.db, r.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "deadline_moved")
            .collect();
        assert_eq!(moved.len(), 1, "{reference}: {moved:#?}");
        let detail = &moved[0].detail;
        assert!(
            detail.contains("response due moved from 2026-06-30 to 2026-07-01"),
            "{detail}"
        );
        assert!(
            detail.contains("2026-06-22 is now a non-working day"),
            "{detail}"
        );
        assert!(detail.contains("Test proclamation day"), "{detail}");
        assert!(detail.contains("bank holiday data changed"), "{detail}");
    }

    let out = foi(
        &db,
        &[
            "holidays",
            "list",
            "--year",
            "2026",
            "--division",
            "scotland",
            "--json",
        ],
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["date"] == "2026-06-22" && h["source"] == "operator"));

    // The calculator uses the corrected calendar too.
    let out = foi(
        &db,
        &["deadline", "--regime", "foisa", "--received", "2026-06-01"],
    );
    assert_eq!(stdout(&out).lines().next(), Some("2026-07-01"));
}

async fn a_bad_holiday_file_changes_nothing(db: TestDb) {
    let app = db.app().await;
    let (english, _) = two_running_requests(&app).await;
    let ics = db.dir.path().join("holidays.ics");
    std::fs::write(
        &ics,
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260622\r\nSUMMARY:Test day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .unwrap();
    // No division in the file and none given.
    let out = foi(&db, &["holidays", "import", ics.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("holidays.ics"), "{}", stderr(&out));
    let broken = db.dir.path().join("broken.json");
    std::fs::write(&broken, "{\"scotland\": {\"division\": \"scotland\", \"events\": [{\"title\": \"X\", \"date\": \"2026-02-30\"}]}}").unwrap();
    let out = foi(&db, &["holidays", "import", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("broken.json") && stderr(&out).contains("2026-02-30"),
        "{}",
        stderr(&out)
    );
    let r = requests::get_by_reference(&app.db, &english).await.unwrap();
    assert_eq!(r.response_due, Some(d("2026-06-30")));
    assert!(foi::store::holidays::load(&app.db)
        .await
        .unwrap()
        .holidays
        .is_empty());

    // With the division given, the .ics adds the day.
    let out = foi(
        &db,
        &[
            "holidays",
            "import",
            ics.to_str().unwrap(),
            "--division",
            "northern-ireland",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r = requests::get_by_reference(&app.db, &english).await.unwrap();
    assert_eq!(
        r.response_due,
        Some(d("2026-07-01")),
        "FOIA counts Northern Ireland's days"
    );
}

/// A GOV.UK-format file that covers a year only in part would replace that year's holidays:
/// without --replace it lists what it would remove and changes nothing.
async fn a_holiday_import_that_removes_days_needs_replace(db: TestDb) {
    let app = db.app().await;
    let (english, _) = two_running_requests(&app).await;
    let before = foi(
        &db,
        &[
            "holidays",
            "list",
            "--year",
            "2027",
            "--division",
            "scotland",
            "--json",
        ],
    );
    let before: serde_json::Value = serde_json::from_slice(&before.stdout).unwrap();
    let n = before.as_array().unwrap().len();
    assert!(n >= 8, "{before}");
    let json = db.dir.path().join("bank-holidays.json");
    std::fs::write(
        &json,
        serde_json::json!({"scotland": {"division": "scotland", "events": [
            {"title": "New Year's Day", "date": "2027-01-01", "notes": "", "bunting": true}
        ]}})
        .to_string(),
    )
    .unwrap();
    let out = foi(&db, &["holidays", "import", json.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("would remove {} bank holiday(s)", n - 1))
            && err.contains("--replace"),
        "{err}"
    );
    assert!(
        err.contains("2027-01-04 scotland"),
        "each day is listed: {err}"
    );
    let after = foi(
        &db,
        &[
            "holidays",
            "list",
            "--year",
            "2027",
            "--division",
            "scotland",
            "--json",
        ],
    );
    let after: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(after, before, "nothing changed");
    assert!(foi::store::holidays::load(&app.db)
        .await
        .unwrap()
        .holidays
        .is_empty());

    let out = foi(
        &db,
        &["holidays", "import", json.to_str().unwrap(), "--replace"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("removed {} bank holiday(s)", n - 1)),
        "{}",
        stdout(&out)
    );
    let after = foi(
        &db,
        &[
            "holidays",
            "list",
            "--year",
            "2027",
            "--division",
            "scotland",
            "--json",
        ],
    );
    let after: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(after.as_array().unwrap().len(), 1);
    // The 2026 request is untouched by a 2027 change.
    let r = requests::get_by_reference(&app.db, &english).await.unwrap();
    assert_eq!(r.response_due, Some(d("2026-06-30")));
}

/// The migration that keys chases by period of waiting gives the chases already made the
/// period their request is in, so an upgrade does not send a second reminder.
async fn the_chase_period_migration_keeps_chases_made(db: TestDb) {
    use migration::MigratorTrait;
    use sea_orm::ConnectionTrait;
    let settings = db.settings();
    let conn = foi::store::connect(&settings.database).await.unwrap();
    migration::Migrator::up(&conn, Some(6)).await.unwrap();
    let at = "'2026-04-01T06:00:00+00:00'";
    let deadlines = r#"{"day_zero":"2026-03-02","response_due":"2026-03-31","refusal_notice_due":null,"very_overdue_from":"2026-04-29","fee_lapses_on":null,"review_request_last_day":null,"review_due":null,"review_due_max":null,"complaint_window_end":null,"working_days":20,"clock_paused":false}"#;
    for sql in [
        format!(
            "INSERT INTO authorities (slug, name, nation, regime, tags, created_at, updated_at) \
             VALUES ('southvale', 'Southvale', 'England', 'FOIA', '', {at}, {at})"
        ),
        format!(
            "INSERT INTO requests (reference, authority_id, template, regime, state, subject, body, \
             reply_to, vars, created_at, updated_at, response_due, deadlines) VALUES ('foi-2026-0001', 1, \
             't', 'FOIA', 'overdue', 's', 'b', 'foi+foi-2026-0001@reply.foi.invalid', '{{}}', {at}, {at}, \
             '2026-03-31', '{deadlines}')"
        ),
        format!(
            "INSERT INTO chases (request_id, kind, deadline, created_at) \
             VALUES (1, 'reminder', '2026-03-31', {at})"
        ),
    ] {
        conn.execute_unprepared(&sql).await.unwrap();
    }
    // Upgraded as the program does it at start.
    conn.close().await.unwrap();
    let conn = foi::app::connect_and_migrate(&settings).await.unwrap();
    let period = foi::store::requests::get_by_reference(&conn, "foi-2026-0001")
        .await
        .unwrap();
    let period = foi::store::requests::deadlines_of(&period)
        .unwrap()
        .unwrap()
        .response_period();
    assert_eq!(period, "response:2026-03-02:20");
    let now = Utc.with_ymd_and_hms(2026, 4, 2, 6, 0, 0).unwrap();
    // The due date has moved a day since (new holiday data): the same period, no new chase.
    let claimed = foi::store::chases::claim(
        &conn,
        1,
        foi::domain::MessageKind::Reminder,
        &period,
        d("2026-04-01"),
        now,
    )
    .await
    .unwrap();
    assert!(!claimed, "the chase made before the upgrade still counts");
    let claimed = foi::store::chases::claim(
        &conn,
        1,
        foi::domain::MessageKind::InternalReview,
        &period,
        d("2026-04-01"),
        now,
    )
    .await
    .unwrap();
    assert!(claimed, "another kind is another chase");
}

db_tests!(
    the_chase_period_migration_keeps_chases_made,
    a_holiday_import_that_removes_days_needs_replace,
    clock_events_set_deadlines_and_bad_ones_store_nothing,
    a_holiday_import_moves_open_deadlines_and_says_why,
    a_bad_holiday_file_changes_nothing,
);

#[test]
fn the_calculator_prints_the_due_date_first_and_explains() {
    let db = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
            .args(args)
            .current_dir(db.path())
            .env(
                "FOI__DATABASE__URL",
                format!("sqlite://{}/foi.db", db.path().display()),
            )
            .output()
            .unwrap()
    };
    let out = run(&[
        "deadline",
        "--regime",
        "foia",
        "--received",
        "2024-03-26",
        "--explain",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().next(), Some("2024-04-25"));
    assert!(
        text.contains("2024-04-01 Mon  skipped") && text.contains("Easter Monday"),
        "{text}"
    );
    assert!(text.contains("day  20"), "{text}");

    let out = run(&["deadline", "--regime", "foisa", "--received", "2024-03-26"]);
    assert_eq!(stdout(&out).trim(), "2024-04-24");

    // St Andrew's Day 2025 falls on a Sunday; its substitute, Monday 1 December, is a Scottish
    // bank holiday and so a non-working day under FOIA too.
    let out = run(&[
        "deadline",
        "--regime",
        "foia",
        "--received",
        "2025-11-24",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let skipped = v["skipped"].as_array().unwrap();
    let dec1 = skipped
        .iter()
        .find(|s| s["date"] == "2025-12-01")
        .expect("1 Dec 2025 skipped");
    assert!(
        dec1["reason"]
            .as_str()
            .unwrap()
            .contains("Scottish bank holiday"),
        "{dec1}"
    );
    assert!(
        dec1["reason"].as_str().unwrap().contains("FOIA s.10(6)"),
        "{dec1}"
    );
    assert_eq!(v["due"], "2025-12-23");

    let out = run(&[
        "deadline",
        "--regime",
        "foia",
        "--received",
        "2025-03-03",
        "--fees-notice",
        "2025-03-10",
        "--fee-paid",
        "2025-03-14",
    ]);
    assert_eq!(stdout(&out).trim(), "2025-04-08");
    let out = run(&[
        "deadline",
        "--regime",
        "foia",
        "--received",
        "2025-03-03",
        "--clarified",
        "2025-03-10",
    ]);
    assert_eq!(stdout(&out).trim(), "2025-04-08");
    let out = run(&[
        "deadline",
        "--regime",
        "foia",
        "--received",
        "2025-03-03",
        "--working-days",
        "40",
    ]);
    assert_eq!(stdout(&out).trim(), "2025-05-01");

    let out = run(&[
        "deadline",
        "--regime",
        "foia",
        "--received",
        "2025-03-03",
        "--fees-notice",
        "2025-03-14",
        "--fee-paid",
        "2025-03-10",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("before its fees notice"),
        "{}",
        stderr(&out)
    );
    for bad in [
        vec!["deadline", "--regime", "foib", "--received", "2025-03-03"],
        vec!["deadline", "--regime", "foia", "--received", "2025-02-30"],
        vec![
            "deadline",
            "--regime",
            "foia",
            "--received",
            "2025-03-03",
            "--fees-notice",
            "2025-03-10",
        ],
    ] {
        let out = run(&bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
    let out = run(&["deadline", "--regime", "foia", "--received", "1999-03-03"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

#[test]
fn operator_overrides_change_the_working_calendar() {
    let json = govuk_json_for_scotland_2026(Some(("2026-06-22", "Test proclamation day")));
    let ops = OperatorHolidays::from_govuk_json(&json).unwrap();
    let cal = WorkingCalendar::new(&HolidayCalendar::with_operator(&ops).unwrap());
    assert!(!cal
        .is_working(foi::calendar::Regime::Foia, d("2026-06-22"))
        .unwrap());
    assert!(!cal
        .is_working(foi::calendar::Regime::Foisa, d("2026-06-22"))
        .unwrap());
}
