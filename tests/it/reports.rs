//! The reports on a small fixture campaign built through the services with fixed dates: on
//! time, late, clock-stopped, refused, reviewed and taken-to-the-regulator requests under
//! FOIA, the EIR and FOISA. Every figure is checked against a count made by hand (the working
//! days below follow the FOIA/EIR calendar of England, Wales and Northern Ireland, where St
//! Patrick's Day, 17 March, is a bank holiday; Good Friday 3 April and Easter Monday 6 April
//! 2026; the early May bank holiday 4 May). The exports are read back with a CSV parser, the
//! calendar feed with Python's icalendar, the charts as XML and PNG, and the digest's chart
//! is found inline in the mail that goes out.

use crate::common;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use common::TestDb;
use foi::calendar::ClockEventKind;
use foi::domain::Outcome;
use foi::mail::MailTransport;
use foi::services::{clock, complaint, log_response, review, sent_by_hand};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

/// The day the figures are taken: Monday 11 May 2026.
fn today() -> DateTime<Utc> {
    at(2026, 5, 11)
}

struct Fixture {
    app: foi::AppContext,
    sent: Arc<Mutex<Vec<foi::mail::SentMail>>>,
    /// Reference by name: a1 a2 (Ashford, FOIA), b1 b2 (Bexley, FOIA), c1 c2 (Carlisle, EIR),
    /// d1 (Dundee, FOISA).
    refs: HashMap<&'static str, String>,
}

impl Fixture {
    fn r(&self, name: &str) -> &str {
        &self.refs[name]
    }
}

async fn clock_event(app: &foi::AppContext, reference: &str, kind: ClockEventKind, on: NaiveDate) {
    clock::record(
        app,
        at(2026, on.month(), on.day()),
        clock::RecordClock {
            reference: reference.into(),
            kind,
            date: on,
            note: None,
            actor: "test".into(),
        },
    )
    .await
    .unwrap();
}

use chrono::Datelike;

async fn answer(
    app: &foi::AppContext,
    reference: &str,
    on: NaiveDate,
    outcome: Outcome,
    exemptions: &str,
    document: Option<(&str, &[u8])>,
) {
    log_response::log_response(
        app,
        at(2026, on.month(), on.day()),
        log_response::LogResponse {
            reference: reference.into(),
            received: on,
            outcome,
            exemptions: exemptions.into(),
            note: None,
            documents: document
                .map(|(name, bytes)| log_response::Document {
                    name: name.into(),
                    bytes: bytes.to_vec(),
                })
                .into_iter()
                .collect(),
            actor: "test".into(),
        },
    )
    .await
    .unwrap();
}

async fn review_outcome(app: &foi::AppContext, reference: &str, on: NaiveDate, upheld: bool) {
    review::record_outcome(
        app,
        at(2026, on.month(), on.day()),
        review::ReviewOutcome {
            reference: reference.into(),
            upheld,
            received_on: Some(on),
            note: None,
            actor: "test".into(),
        },
    )
    .await
    .unwrap();
}

async fn fixture(db: &TestDb) -> Fixture {
    let (transport, sent) = MailTransport::memory();
    let mut settings = db.settings();
    common::real_sender(&mut settings);
    settings.mail.outbox.per_minute = 0;
    settings.mail.outbox.per_domain_per_minute = 0;
    settings.digest.recipients = vec!["staff@campaign.example.org".into()];
    let app = foi::AppContext::build(settings)
        .await
        .unwrap()
        .with_transport(transport);
    let csv = "name,nation,regime,foi_email\n\
               Ashford Council,England,FOIA,foi@ashford.example.org\n\
               Bexley Council,England,FOIA,foi@bexley.example.org\n\
               Carlisle Council,England,EIR,foi@carlisle.example.org\n\
               Dundee Council,Scotland,FOISA,foi@dundee.example.org\n";
    let rows = foi::import::parse_authorities("a.csv", csv).unwrap();
    foi::store::authorities::upsert_rows(&app.db, "a.csv", &rows)
        .await
        .unwrap();
    let tsv = "uk_authority\tuk_place\tnation\tchinese_partner\tpartner_province\trelationship\tsince_year\tstatus\n\
               Ashford Council\tAshford\tEngland\tXiamen\tFujian\ttwinning\t1999\tactive\n\
               Bexley Council\tBexley\tEngland\tNingbo\tZhejiang\ttwinning\t2001\tactive\n\
               Carlisle Council\tCarlisle\tEngland\tWuxi\tJiangsu\ttwinning\t2003\tactive\n\
               Dundee Council\tDundee\tScotland\tJinan\tShandong\ttwinning\t2005\tactive\n";
    foi::store::twinnings::import_rows(
        &app.db,
        "t.tsv",
        &foi::import::parse_twinnings("t.tsv", tsv).unwrap(),
    )
    .await
    .unwrap();
    let q = common::Queue::new(&app, at(2026, 3, 2));
    let mut refs = HashMap::new();
    for (name, council) in [
        ("a1", "ashford-council"),
        ("a2", "ashford-council"),
        ("b1", "bexley-council"),
        ("b2", "bexley-council"),
        ("c1", "carlisle-council"),
        ("c2", "carlisle-council"),
        ("d1", "dundee-council"),
    ] {
        let letter = q
            .queue_one(
                "twinning-agreement",
                council,
                None,
                &Default::default(),
                false,
                true,
            )
            .await
            .unwrap();
        // Sent by hand on Monday 2 March 2026, received that day.
        sent_by_hand::record(
            &app,
            at(2026, 3, 2),
            sent_by_hand::SendByHand {
                reference: letter.reference.clone(),
                on: day(3, 2),
                received: None,
                portal_reference: None,
                note: None,
                actor: "test".into(),
            },
        )
        .await
        .unwrap();
        refs.insert(name, letter.reference);
    }
    let f = Fixture { app, sent, refs };
    let app = &f.app;
    // a1: answered in full on 20 March, before the due date (31 March): on time.
    answer(app, f.r("a1"), day(3, 20), Outcome::Successful, "", None).await;
    // a2: refused on 7 April citing s.27 and s.43: 3 working days late (1, 2 and 7 April).
    // Reviewed (upheld), then taken to the ICO.
    answer(
        app,
        f.r("a2"),
        day(4, 7),
        Outcome::Refused,
        "s27, s43",
        Some(("decision.pdf", b"%PDF-1.4 refusal notice")),
    )
    .await;
    clock_event(
        app,
        f.r("a2"),
        ClockEventKind::InternalReviewRequested,
        day(4, 8),
    )
    .await;
    review_outcome(app, f.r("a2"), day(5, 5), true).await;
    let bundle = db.dir.path().join("complaint");
    complaint::prepare(
        app,
        at(2026, 5, 6),
        complaint::PrepareComplaint {
            reference: f.r("a2").into(),
            out: bundle,
            submitted: Some(day(5, 6)),
            actor: "test".into(),
        },
    )
    .await
    .unwrap();
    // b1: a clarification (asked 10 March, given 16 March) restarts the count: due 16 April,
    // so the refusal of 10 April is on time although the first due date was 31 March.
    clock_event(
        app,
        f.r("b1"),
        ClockEventKind::ClarificationRequested,
        day(3, 10),
    )
    .await;
    clock_event(
        app,
        f.r("b1"),
        ClockEventKind::ClarificationReceived,
        day(3, 16),
    )
    .await;
    answer(app, f.r("b1"), day(4, 10), Outcome::Refused, "s40(2)", None).await;
    // b2: never answered: 26 working days overdue on 11 May.
    // c1 (EIR): extended to 40 working days on 20 March (due 30 April); partly answered on
    // 28 April: on time.
    clock_event(app, f.r("c1"), ClockEventKind::EirExtension, day(3, 20)).await;
    answer(
        app,
        f.r("c1"),
        day(4, 28),
        Outcome::PartiallySuccessful,
        "reg12(4)(b)",
        None,
    )
    .await;
    // c2 (EIR): "not held" on 2 April: 2 working days late; reconsidered, overturned.
    answer(app, f.r("c2"), day(4, 2), Outcome::NotHeld, "", None).await;
    clock_event(
        app,
        f.r("c2"),
        ClockEventKind::InternalReviewRequested,
        day(4, 7),
    )
    .await;
    review_outcome(app, f.r("c2"), day(4, 30), false).await;
    // d1 (FOISA): answered on 25 March, before its due date (30 March: St Patrick's Day is
    // a working day in Scotland).
    answer(app, f.r("d1"), day(3, 25), Outcome::Successful, "", None).await;
    // The sweep moves b2 on to very overdue, as the daemon would have.
    common::run_job(app, "sweep", today()).await.unwrap();
    f
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

async fn figures_match_the_hand_count(db: TestDb) {
    let f = fixture(&db).await;
    let report =
        foi::services::stats::stats(&f.app, today(), None, &foi::services::progress::Silent)
            .await
            .unwrap();
    let s = &report.stats;
    let o = &s.overall;
    assert_eq!((o.requests, o.sent, o.answered), (7, 7, 6), "{o:?}");
    assert_eq!((o.answered_on_time, o.answered_late), (4, 2), "{o:?}");
    assert_eq!(o.late_median_working_days, Some(2.5));
    assert_eq!(o.late_worst_working_days, Some(3));
    assert_eq!((o.unanswered, o.unanswered_overdue), (1, 1));
    assert_eq!(
        o.outcomes,
        counts(&[
            ("not_held", 1),
            ("partially_successful", 1),
            ("refused", 2),
            ("successful", 2)
        ])
    );
    assert_eq!(
        o.exemptions,
        counts(&[("reg12(4)(b)", 1), ("s27", 1), ("s40(2)", 1), ("s43", 1)])
    );
    assert_eq!(
        (
            o.internal_reviews,
            o.reviews_upheld,
            o.reviews_overturned,
            o.reviews_pending
        ),
        (2, 1, 1, 0)
    );
    assert_eq!(o.complaints, 1);

    let group = |groups: &[foi::report::Group], key: &str| {
        groups
            .iter()
            .find(|g| g.key == key)
            .unwrap_or_else(|| panic!("no group {key}"))
            .figures
            .clone()
    };
    let foia = group(&s.by_regime, "FOIA");
    assert_eq!(
        (foia.requests, foia.answered_on_time, foia.answered_late),
        (4, 2, 1)
    );
    assert_eq!(
        (foia.late_median_working_days, foia.unanswered_overdue),
        (Some(3.0), 1)
    );
    assert_eq!((foia.reviews_upheld, foia.complaints), (1, 1));
    let eir = group(&s.by_regime, "EIR");
    assert_eq!(
        (eir.requests, eir.answered_on_time, eir.answered_late),
        (2, 1, 1)
    );
    assert_eq!(eir.late_worst_working_days, Some(2));
    assert_eq!((eir.reviews_overturned, eir.exemptions.len()), (1, 1));
    let foisa = group(&s.by_regime, "FOISA");
    assert_eq!(
        (foisa.requests, foisa.answered_on_time, foisa.answered_late),
        (1, 1, 0)
    );
    let england = group(&s.by_nation, "England");
    assert_eq!(
        (
            england.requests,
            england.answered_on_time,
            england.answered_late
        ),
        (6, 3, 2)
    );
    assert_eq!(group(&s.by_nation, "Scotland").requests, 1);

    let ashford = group(&s.by_authority, "ashford-council");
    assert_eq!((ashford.answered_on_time, ashford.answered_late), (1, 1));
    assert_eq!(ashford.exemptions, counts(&[("s27", 1), ("s43", 1)]));
    assert_eq!((ashford.reviews_upheld, ashford.complaints), (1, 1));
    let bexley = group(&s.by_authority, "bexley-council");
    assert_eq!(
        (
            bexley.answered_on_time,
            bexley.answered_late,
            bexley.unanswered_overdue
        ),
        (1, 0, 1)
    );
    assert_eq!(bexley.exemptions, counts(&[("s40(2)", 1)]));
    assert_eq!(s.by_authority[0].name, "Ashford Council");

    // Every figure says what it counts, and the JSON carries it.
    let json = serde_json::to_value(&report).unwrap();
    let defs = json["definitions"].as_array().unwrap();
    let on_time = defs
        .iter()
        .find(|d| d["figure"] == "answered_on_time")
        .unwrap();
    assert!(
        on_time["counts"]
            .as_str()
            .unwrap()
            .contains("due date in force at that moment, counting clock stops"),
        "{on_time}"
    );
    for figure in ["sent", "unanswered", "exemptions", "complaints"] {
        assert!(defs.iter().any(|d| d["figure"] == figure), "{figure}");
    }
    assert_eq!(json["overall"]["answered_late"], 2);

    // The chart of days taken sees the same six answers.
    assert_eq!(report.charts.days.len(), 6);

    // One campaign only: the filter names an existing campaign or fails.
    let err = foi::services::stats::stats(
        &f.app,
        today(),
        Some("no such campaign"),
        &foi::services::progress::Silent,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("no campaign named 'no such campaign'"),
        "{err}"
    );
}

async fn status_lists_the_late_and_what_waits(db: TestDb) {
    use foi::services::status::Lines;
    let f = fixture(&db).await;
    let s = foi::services::status::status(&f.app, today(), None, Lines::All)
        .await
        .unwrap();
    assert_eq!(s.total, 7);
    let by_state: BTreeMap<String, i64> = s
        .counts
        .iter()
        .map(|c| (c.state.to_string(), c.count))
        .collect();
    let expected: BTreeMap<String, i64> = [
        ("complaint", 1),
        ("partially_successful", 1),
        ("refused", 1),
        ("review_overturned", 1),
        ("successful", 2),
        ("very_overdue", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(by_state, expected);
    assert_eq!(s.by_campaign.len(), 1);
    assert_eq!(s.overdue.len(), 1, "{:?}", s.overdue);
    let late = &s.overdue[0];
    assert_eq!(late.reference, f.r("b2"));
    assert_eq!(late.due, day(3, 31));
    assert_eq!(late.working_days_overdue, 26);
    assert_eq!(late.authority, "Bexley Council");
    assert!(s.waiting.replies_to_classify.is_empty());
    assert!(s.waiting.unmatched_mail.is_empty());

    // b1's refusal goes to internal review on 23 April: the review is due on 22 May (20
    // working days; 4 May a bank holiday), nine working days after 11 May, so it is among
    // the next two weeks' deadlines.
    clock_event(
        &f.app,
        f.r("b1"),
        ClockEventKind::InternalReviewRequested,
        day(4, 23),
    )
    .await;
    let s = foi::services::status::status(&f.app, today(), None, Lines::All)
        .await
        .unwrap();
    let soon: Vec<_> = s
        .upcoming
        .iter()
        .map(|u| {
            (
                u.reference.as_str(),
                u.what.as_str(),
                u.due,
                u.working_days_left,
            )
        })
        .collect();
    assert_eq!(soon, vec![(f.r("b1"), "review_due", day(5, 22), 9)]);
    // At a glance (the table, the overview) the same lists, read another way.
    let glance = foi::services::status::status(&f.app, today(), None, Lines::First(50))
        .await
        .unwrap();
    assert_eq!(glance.overdue, s.overdue);
    assert_eq!(glance.upcoming, s.upcoming);
    assert_eq!(glance.totals.overdue, 1);
    // One campaign's view: an unknown one is an error naming it.
    let err = foi::services::status::status(&f.app, today(), Some("other"), Lines::All)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no campaign named 'other'"), "{err}");
}

/// Runs the binary at `today()`.
fn foi_at(db: &TestDb, args: &[&str]) -> String {
    let mut all = vec!["--now".to_string(), today().to_rfc3339()];
    all.extend(args.iter().map(|a| a.to_string()));
    let out = common::foi(db, &all.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        common::stderr(&out)
    );
    common::stdout(&out)
}

async fn exports_read_back(db: TestDb) {
    let f = fixture(&db).await;
    let dir = db.dir.path();
    let csv_path = dir.join("requests.csv");
    foi_at(
        &db,
        &[
            "export",
            "requests",
            "--format",
            "csv",
            "--out",
            csv_path.to_str().unwrap(),
        ],
    );
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let rows: Vec<HashMap<String, String>> = reader.deserialize().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 7);
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["reference"] == f.r(name))
            .unwrap_or_else(|| panic!("no row for {name}"))
    };
    let a2 = row("a2");
    assert_eq!(a2["authority"], "ashford-council");
    assert_eq!(a2["links"], "Xiamen");
    assert_eq!(a2["channel"], "email");
    assert_eq!(a2["regime"], "FOIA");
    assert_eq!(a2["received"], "2026-03-02");
    assert_eq!(a2["due_at_response"], "2026-03-31");
    assert_eq!(a2["responded"], "2026-04-07");
    assert_eq!(a2["on_time"], "false");
    assert_eq!(a2["working_days_late"], "3");
    assert_eq!(a2["outcome"], "refused");
    assert_eq!(a2["exemptions"], "s27; s43");
    assert_eq!(a2["review_requested"], "2026-04-08");
    assert_eq!(a2["review_result"], "upheld");
    assert_eq!(a2["state"], "complaint");
    assert_eq!(a2["complaint"], "true");
    assert!(!a2["complaint_window_end"].is_empty(), "{a2:?}");
    let b1 = row("b1");
    assert_eq!(b1["day_zero"], "2026-03-16");
    assert_eq!(b1["response_due"], "2026-04-16");
    assert_eq!(b1["on_time"], "true");
    let c1 = row("c1");
    assert_eq!(
        (
            c1["working_days_allowed"].as_str(),
            c1["response_due"].as_str()
        ),
        ("40", "2026-04-30")
    );
    let b2 = row("b2");
    assert_eq!(
        (b2["on_time"].as_str(), b2["working_days_overdue"].as_str()),
        ("", "26")
    );

    // JSON: the same rows, on standard output.
    let json: serde_json::Value =
        serde_json::from_str(&foi_at(&db, &["export", "requests", "--format", "json"])).unwrap();
    let arr = json.as_array().unwrap();
    assert_eq!(arr.len(), 7);
    assert!(arr
        .iter()
        .any(|r| r["reference"] == f.r("c2") && r["working_days_late"] == 2));

    // The timeline of one request, as CSV.
    let timeline = foi_at(&db, &["export", "timeline", f.r("a2")]);
    let mut t = csv::Reader::from_reader(timeline.as_bytes());
    let kinds: Vec<String> = t
        .records()
        .map(|r| r.unwrap().get(1).unwrap().to_string())
        .collect();
    for k in [
        "queued",
        "sent",
        "clock:response_received",
        "classified",
        "review_upheld",
        "complaint",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
    }

    // Every response with its attachments, in folders by council and reference.
    let out = dir.join("responses");
    foi_at(
        &db,
        &["export", "responses", "--out", out.to_str().unwrap()],
    );
    let mut index = csv::Reader::from_path(out.join("index.csv")).unwrap();
    let index: Vec<HashMap<String, String>> = index.deserialize().map(|r| r.unwrap()).collect();
    // Six answers, each a message; a2's came with a PDF.
    assert_eq!(index.iter().filter(|r| r["part"] == "message").count(), 6);
    let pdf = index
        .iter()
        .find(|r| r["part"] == "attachment")
        .expect("the PDF in the index");
    assert_eq!(pdf["reference"], f.r("a2"));
    assert!(
        pdf["file"].starts_with(&format!("ashford-council/{}/", f.r("a2"))),
        "{pdf:?}"
    );
    assert_eq!(
        std::fs::read(out.join(&pdf["file"])).unwrap(),
        b"%PDF-1.4 refusal notice"
    );
    // A folder that is not empty is refused, and left as it was.
    let err = common::foi(
        &db,
        &["export", "responses", "--out", out.to_str().unwrap()],
    );
    assert_eq!(err.status.code(), Some(1));
    assert!(
        common::stderr(&err).contains("not an empty folder"),
        "{}",
        common::stderr(&err)
    );

    // The same as one zip file.
    let zip_path = dir.join("responses.zip");
    foi_at(
        &db,
        &[
            "export",
            "responses",
            "--zip",
            "--out",
            zip_path.to_str().unwrap(),
        ],
    );
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let names: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    assert!(names.contains(&"index.csv".to_string()), "{names:?}");
    assert!(names.contains(&pdf["file"]), "{names:?}");
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_name(&pdf["file"]).unwrap(), &mut bytes).unwrap();
    assert_eq!(bytes, b"%PDF-1.4 refusal notice");
}

/// The feed as Python's icalendar reads it: (UID, STATUS, DTSTART, SUMMARY) per event.
fn read_ics(path: &std::path::Path) -> Vec<(String, String, String, String)> {
    let script = "import sys, json, icalendar\n\
        cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n\
        print(json.dumps([[str(e['UID']), str(e['STATUS']), e['DTSTART'].dt.isoformat(), str(e['SUMMARY'])] for e in cal.walk('VEVENT')]))\n";
    let out = std::process::Command::new("/usr/bin/python3")
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .expect("python3 with icalendar (scripts/install-deps.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
    rows.into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone(), r[3].clone()))
        .collect()
}

async fn the_calendar_feed_reads_back(db: TestDb) {
    let f = fixture(&db).await;
    let path = db.dir.path().join("deadlines.ics");
    foi_at(&db, &["calendar", "--out", path.to_str().unwrap()]);
    let first = read_ics(&path);
    let event = |uid_start: &str| {
        first
            .iter()
            .find(|e| e.0.starts_with(uid_start))
            .unwrap_or_else(|| panic!("no event {uid_start} in {first:?}"))
    };
    // The unanswered request's deadline still binds; answered ones are cancelled.
    let b2 = event(&format!("{}.response_due@", f.r("b2")));
    assert_eq!((b2.1.as_str(), b2.2.as_str()), ("CONFIRMED", "2026-03-31"));
    assert!(
        b2.3.contains(f.r("b2")) && b2.3.contains("Bexley Council"),
        "{b2:?}"
    );
    let a1 = event(&format!("{}.response_due@", f.r("a1")));
    assert_eq!(a1.1, "CANCELLED");
    // The review deadline of a request whose review was decided is cancelled too.
    assert_eq!(event(&format!("{}.review_due@", f.r("c2"))).1, "CANCELLED");
    let uids: std::collections::BTreeSet<&String> = first.iter().map(|e| &e.0).collect();
    assert_eq!(uids.len(), first.len(), "one event per deadline");

    // Later, b2 is answered: the export written again keeps every UID, b2's now cancelled.
    answer(&f.app, f.r("b2"), day(5, 12), Outcome::Successful, "", None).await;
    let mut args = vec!["--now".to_string(), at(2026, 5, 12).to_rfc3339()];
    args.extend(["calendar", "--out", path.to_str().unwrap()].map(String::from));
    let out = common::foi(&db, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let second = read_ics(&path);
    let uids2: std::collections::BTreeSet<&String> = second.iter().map(|e| &e.0).collect();
    assert_eq!(uids, uids2);
    let b2 = second
        .iter()
        .find(|e| e.0.starts_with(&format!("{}.response_due@", f.r("b2"))))
        .unwrap();
    assert_eq!(b2.1, "CANCELLED");
}

fn assert_svg(bytes: &[u8]) {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut root = None;
    let mut texts = 0;
    loop {
        match reader.read_event_into(&mut buf).expect("well-formed XML") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref().as_bytes()).into_owned();
                if root.is_none() {
                    root = Some(name.clone());
                }
                if name == "text" {
                    texts += 1;
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    assert_eq!(root.as_deref(), Some("svg"));
    assert!(texts > 3, "the chart has a title and labels");
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut image = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut image).unwrap();
    (info.width, info.height)
}

async fn charts_are_svg_and_png(db: TestDb) {
    let _f = fixture(&db).await;
    let dir = db.dir.path().join("charts");
    foi_at(&db, &["stats", "--chart", dir.to_str().unwrap()]);
    for name in ["responses-over-time", "outcomes-by-council", "days-taken"] {
        assert_svg(&std::fs::read(dir.join(format!("{name}.svg"))).unwrap());
        let (w, h) = png_size(&std::fs::read(dir.join(format!("{name}.png"))).unwrap());
        assert_eq!(w, 900, "{name}");
        assert!(h >= 500, "{name}");
    }
    // The text output says what each figure counts.
    let text = foi_at(&db, &["stats"]);
    assert!(text.contains("What each figure counts:"), "{text}");
    assert!(text.contains("answered_on_time: answered requests whose answer was logged on or before the statutory due date in force at that moment"), "{text}");
}

async fn the_digest_shows_its_chart_inline(db: TestDb) {
    let f = fixture(&db).await;
    let done = foi::services::digest::send(&f.app, today()).await.unwrap();
    assert!(
        matches!(done, foi::services::digest::DigestOutcome::Queued { .. }),
        "{done:?}"
    );
    // The digest goes out with the reminder the sweep wrote.
    let out = common::run_job(&f.app, "dispatch", today()).await.unwrap();
    assert!(out.starts_with("2 sent"), "{out}");
    let sent = f.sent.lock().unwrap();
    let raw = &sent
        .iter()
        .find(|m| m.envelope_to == ["staff@campaign.example.org"])
        .expect("the digest was sent")
        .raw;
    use mail_parser::MimeHeaders;
    let mail = mail_parser::MessageParser::default().parse(raw).unwrap();
    let html = mail.body_html(0).expect("an HTML part").into_owned();
    let cid = html
        .split("src=\"cid:")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the HTML shows an image by cid")
        .to_string();
    let image = mail
        .parts
        .iter()
        .find(|p| p.content_id() == Some(cid.as_str()))
        .unwrap_or_else(|| panic!("no part with Content-ID {cid}"));
    assert_eq!(
        image.content_type().map(|c| (c.ctype(), c.subtype())),
        Some(("image", Some("png")))
    );
    let (w, _) = png_size(image.contents());
    assert_eq!(w, 900);
    let text = String::from_utf8_lossy(raw);
    assert!(text.contains("multipart/related"), "{text}");
}

db_tests!(
    figures_match_the_hand_count,
    status_lists_the_late_and_what_waits,
    exports_read_back,
    the_calendar_feed_reads_back,
    charts_are_svg_and_png,
    the_digest_shows_its_chart_inline,
);
