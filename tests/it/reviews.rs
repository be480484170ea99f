//! The second half of a request's life: a refusal taken to internal review and then to the
//! regulator, on SQLite and PostgreSQL, through the `foi` binary as staff use it.

use crate::common;

use chrono::{DateTime, TimeZone, Utc};
use common::TestDb;
use foi::mail::MailTransport;
use foi::store::{clock_events, requests};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
}

/// A council with an FOI address and one link, and one request to it sent (accepted by the
/// memory transport) on Monday 2 March 2026. `regime` is the authorities file's regime cell.
async fn sent_request(db: &TestDb, regime: &str) -> (foi::AppContext, String) {
    let (transport, _) = MailTransport::memory();
    let mut settings = db.settings();
    settings.mail.outbox.per_minute = 0;
    settings.mail.outbox.per_domain_per_minute = 0;
    let app = foi::AppContext::build(settings)
        .await
        .unwrap()
        .with_transport(transport);
    let csv = format!(
        "name,nation,regime,foi_email\nHarbourside Council,England,{regime},foi@harbourside.example.org\n"
    );
    let rows = foi::import::parse_authorities("a.csv", &csv).unwrap();
    foi::store::authorities::upsert_rows(&app.db, "a.csv", &rows)
        .await
        .unwrap();
    let tsv = "uk_authority\tuk_place\tnation\tchinese_partner\tpartner_province\trelationship\tsince_year\tstatus\n\
               Harbourside Council\tHarbourside\tEngland\tXiamen\tFujian\ttwinning\t1999\tactive\n";
    foi::store::twinnings::import_rows(
        &app.db,
        "t.tsv",
        &foi::import::parse_twinnings("t.tsv", tsv).unwrap(),
    )
    .await
    .unwrap();
    let q = common::Queue::new(&app, at(2026, 3, 2));
    let letter = q
        .queue_one(
            "twinning-agreement",
            "harbourside-council",
            None,
            &Default::default(),
            false,
            false,
        )
        .await
        .unwrap();
    let out = common::run_job(&app, "dispatch", at(2026, 3, 2))
        .await
        .unwrap();
    assert!(out.starts_with("1 sent"), "{out}");
    (app, letter.reference)
}

/// A council's reply to the request, with a PDF.
fn reply(reply_to: &str, id: &str, subject: &str, text: &str) -> Vec<u8> {
    format!(
        "From: Information Governance <foi@harbourside.example.org>\r\nTo: {reply_to}\r\n\
         Subject: {subject}\r\nMessage-ID: <{id}@harbourside.example.org>\r\n\
         Date: Fri, 20 Mar 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n\
         --b\r\nContent-Type: application/pdf; name=\"decision.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"decision.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDwvVHlwZS9DYXRhbG9nPj4KZW5kb2JqCg==\r\n\
         --b--\r\n"
    )
    .into_bytes()
}

/// One titled section of the plain-text digest: its heading line up to the next blank line.
fn section<'a>(digest: &'a str, title: &str) -> &'a str {
    let start = digest
        .find(title)
        .unwrap_or_else(|| panic!("no section {title} in {digest}"));
    let rest = &digest[start..];
    &rest[..rest.find("\n\n").unwrap_or(rest.len())]
}

fn run(db: &TestDb, now: DateTime<Utc>, args: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec!["--now".to_string(), now.to_rfc3339()];
    all.extend(args.iter().map(|a| a.to_string()));
    let out = common::foi(db, &all.iter().map(String::as_str).collect::<Vec<_>>());
    (
        out.status.code(),
        common::stdout(&out),
        common::stderr(&out),
    )
}

/// A refusal citing s.27 and s.43 → a review drafted naming both and arguing the public
/// interest → approved, the review clock starts → upheld → a complaint bundle with the ICO
/// window's end date (six weeks after the review outcome).
async fn a_refusal_goes_to_review_and_then_to_the_regulator(db: TestDb) {
    let (app, reference) = sent_request(&db, "FOIA").await;
    let r = requests::get_by_reference(&app.db, &reference)
        .await
        .unwrap();
    common::Inbox(&app)
        .ingest(
            &reply(
                &r.reply_to,
                "refusal",
                &format!("Your request {reference}"),
                "We hold the agreement but withhold it under sections 27 and 43.",
            ),
            "test",
            at(2026, 3, 20),
        )
        .await
        .unwrap();
    let (code, _, err) = run(
        &db,
        at(2026, 3, 20),
        &[
            "classify",
            &reference,
            "--outcome",
            "refused",
            "--exemptions",
            "s27,s43(2)",
        ],
    );
    assert_eq!(code, Some(0), "{err}");

    // Too early for anything but a review: no complaint to the ICO without one, says foi.
    let (code, out, err) = run(&db, at(2026, 3, 23), &["review", &reference]);
    assert_eq!(code, Some(0), "{err}");
    for needle in [
        "Internal review request",
        "s27 (international relations)",
        "s43(2) (commercial interests)",
        "qualified exemption",
        "public interest favours disclosure",
    ] {
        assert!(out.contains(needle), "{needle} in {out}");
    }
    assert!(!out.contains("I have not received a response"), "{out}");
    let (code, _, err) = run(&db, at(2026, 3, 23), &["review", &reference]);
    assert_eq!(code, Some(1), "one draft at a time");
    assert!(
        err.contains("already has a drafted internal review"),
        "{err}"
    );

    // Monday's digest says the draft is waiting for staff.
    let (code, out, err) = run(&db, at(2026, 3, 23), &["digest", "--preview"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        section(&out, "Drafts waiting for approval").contains(&format!(
            "{reference}  Harbourside Council: internal_review drafted 23 March 2026"
        )),
        "{out}"
    );

    let (code, _, err) = run(&db, at(2026, 3, 23), &["approve", &reference, "--yes"]);
    assert_eq!(code, Some(0), "{err}");
    let r = requests::get_by_reference(&app.db, &reference)
        .await
        .unwrap();
    assert_eq!(r.state, "internal_review");
    let clock = clock_events::rows(&app.db, r.id).await.unwrap();
    assert!(
        clock.iter().any(|c| c.kind == "internal_review_requested"
            && c.date == chrono::NaiveDate::from_ymd_opt(2026, 3, 23).unwrap()),
        "{clock:?}"
    );
    let d = foi::store::requests::deadlines_of(&r).unwrap().unwrap();
    // Twenty working days from Monday 23 March, past Good Friday and Easter Monday.
    assert_eq!(d.review_due, chrono::NaiveDate::from_ymd_opt(2026, 4, 22));
    let out = common::run_job(&app, "dispatch", at(2026, 3, 23))
        .await
        .unwrap();
    assert!(out.starts_with("1 sent"), "{out}");

    // The review upholds the refusal.
    common::Inbox(&app)
        .ingest(
            &reply(
                &r.reply_to,
                "review",
                &format!("Internal review {reference}"),
                "The review upholds the original decision.",
            ),
            "test",
            at(2026, 4, 20),
        )
        .await
        .unwrap();
    // The reply does not end the review by itself: the digest asks staff to record it.
    let (code, out, err) = run(&db, at(2026, 4, 20), &["digest", "--preview"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        section(&out, "Replies during an internal review").contains(&format!(
            "{reference}  Harbourside Council: reply received 20 April 2026"
        )),
        "{out}"
    );
    assert!(
        section(&out, "Drafts waiting for approval").contains("None."),
        "{out}"
    );
    let (code, out, err) = run(
        &db,
        at(2026, 4, 20),
        &[
            "review-outcome",
            &reference,
            "upheld",
            "--received",
            "2026-04-20",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("now review_upheld") && out.contains("2026-06-01"),
        "{out}"
    );

    // Three weeks before the ICO's window closes, the digest warns.
    let (code, out, err) = run(&db, at(2026, 5, 11), &["digest", "--preview"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        section(&out, "Complaint windows closing").contains(&format!(
            "{reference}  Harbourside Council: complain to the Information Commissioner by 1 June 2026 (21 days left)"
        )),
        "{out}"
    );
    assert!(
        section(&out, "Replies during an internal review").contains("None."),
        "{out}"
    );

    let dir = db.dir.path().join("complaints");
    let (code, out, err) = run(
        &db,
        at(2026, 4, 21),
        &[
            "complaint",
            &reference,
            "--out",
            dir.to_str().unwrap(),
            "--submitted",
            "2026-04-21",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("the complaint window ends on 2026-06-01"),
        "{out}"
    );
    let bundle = dir.join(&reference);
    let names: Vec<String> = std::fs::read_dir(&bundle)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    for want in [
        "complaint.txt",
        "1-request.txt",
        "3-review-request.txt",
        "summary.txt",
        "summary.json",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("2-response-") && n.ends_with("decision.pdf")),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("4-review-outcome-") && n.ends_with(".txt")),
        "{names:?}"
    );
    let summary = std::fs::read_to_string(bundle.join("summary.txt")).unwrap();
    for needle in [
        "2026-03-02  request sent",
        "2026-03-20  response received: refused, citing s27 (international relations), s43(2) (commercial interests)",
        "2026-03-23  internal review requested",
        "2026-04-20  review outcome received",
        "2026-06-01  last day to complain to the Information Commissioner",
    ] {
        assert!(summary.contains(needle), "{needle} in {summary}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(json["complaint_window_end"], "2026-06-01");
    let review = std::fs::read_to_string(bundle.join("3-review-request.txt")).unwrap();
    assert!(review.contains("s43(2)"), "{review}");
    assert_eq!(
        requests::get_by_reference(&app.db, &reference)
            .await
            .unwrap()
            .state,
        "complaint"
    );
}

/// Under the EIRs the letter asks for reconsideration; a "not held" answer gets the question
/// the regulators expect: what searches were made. A request that was answered in full has
/// nothing to review.
async fn not_held_under_the_eirs_asks_for_reconsideration_and_the_searches(db: TestDb) {
    let (app, reference) = sent_request(&db, "EIR").await;
    let (code, _, err) = run(&db, at(2026, 3, 20), &["review", &reference]);
    assert_eq!(code, Some(1));
    assert!(err.contains("is sent"), "{err}");
    let (code, _, err) = run(
        &db,
        at(2026, 3, 20),
        &["classify", &reference, "--outcome", "not_held"],
    );
    assert_eq!(code, Some(0), "{err}");
    let grounds = db.dir.path().join("grounds.txt");
    std::fs::write(
        &grounds,
        "The council's own minutes of 2019 mention the agreement.\n",
    )
    .unwrap();
    let (code, out, err) = run(
        &db,
        at(2026, 3, 23),
        &[
            "review",
            &reference,
            "--grounds-file",
            grounds.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    for needle in [
        "Request for reconsideration",
        "reconsider",
        "what searches were made",
        "own minutes of 2019",
    ] {
        assert!(out.contains(needle), "{needle} in {out}");
    }
    let (code, _, err) = run(
        &db,
        at(2026, 3, 23),
        &["complaint", &reference, "--out", "x"],
    );
    assert_eq!(code, Some(0), "the ICO may take it, with a warning: {err}");
    let (code, _, err) = run(
        &db,
        at(2026, 3, 24),
        &["review-outcome", &reference, "upheld"],
    );
    assert_eq!(code, Some(1), "no review was sent yet");
    assert!(err.contains("not waiting for an internal review"), "{err}");
    let r = requests::get_by_reference(&app.db, &reference)
        .await
        .unwrap();
    assert_eq!(r.state, "not_held", "nothing changed");
}

/// A fees notice stops the clock, and the digest says since when and when the request lapses;
/// a review the council lets run past its deadline is listed as late.
async fn the_digest_lists_stopped_clocks_and_late_reviews(db: TestDb) {
    let (app, reference) = sent_request(&db, "FOIA").await;
    let (code, _, err) = run(
        &db,
        at(2026, 3, 9),
        &[
            "requests",
            "clock",
            &reference,
            "fees_notice_given",
            "2026-03-09",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    let (code, out, err) = run(&db, at(2026, 3, 16), &["digest", "--preview"]);
    assert_eq!(code, Some(0), "{err}");
    let stopped = section(&out, "Clocks stopped");
    assert!(
        stopped.contains(&format!(
            "{reference}  Harbourside Council: stopped by an unpaid fees notice since 9 March 2026 (7 days); the request lapses unpaid on"
        )),
        "{out}"
    );

    for args in [
        vec![
            "requests",
            "clock",
            &reference,
            "fee_received",
            "2026-03-16",
        ],
        vec![
            "classify",
            &reference,
            "--outcome",
            "refused",
            "--exemptions",
            "s43(2)",
        ],
        vec![
            "requests",
            "clock",
            &reference,
            "internal_review_requested",
            "2026-03-23",
        ],
    ] {
        let (code, _, err) = run(&db, at(2026, 3, 23), &args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
    }
    let r = requests::get_by_reference(&app.db, &reference)
        .await
        .unwrap();
    assert_eq!(r.state, "internal_review");
    let (code, out, err) = run(&db, at(2026, 4, 21), &["digest", "--preview"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        section(&out, "Internal reviews past their deadline").contains("None."),
        "{out}"
    );
    assert!(section(&out, "Clocks stopped").contains("None."), "{out}");
    let (code, out, err) = run(&db, at(2026, 4, 28), &["digest", "--preview"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        section(&out, "Internal reviews past their deadline").contains(&format!(
            "{reference}  Harbourside Council: asked 23 March 2026, due 22 April 2026, 4 working days late"
        )),
        "{out}"
    );
}

db_tests!(
    a_refusal_goes_to_review_and_then_to_the_regulator,
    the_digest_lists_stopped_clocks_and_late_reviews,
    not_held_under_the_eirs_asks_for_reconsideration_and_the_searches,
);
