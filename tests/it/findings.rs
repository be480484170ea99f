//! The agreements register: facts recorded from a document with their source, one-value
//! fields superseded, the register shown and exported, and the digest's renewal warning in
//! the right week; on SQLite and PostgreSQL, through the `foi` binary as staff use it.

use crate::common;

use chrono::{DateTime, TimeZone, Utc};
use common::TestDb;
use foi::domain::{FindingField, FindingState};
use foi::store::{documents, findings};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
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

fn ok(db: &TestDb, now: DateTime<Utc>, args: &[&str]) -> String {
    let (code, out, err) = run(db, now, args);
    assert_eq!(code, Some(0), "{args:?}: {err}");
    out
}

/// A council with a link, a request about it, and the council's reply read as a document.
/// Returns the council's slug, the request's reference and the document's id.
async fn answered(app: &foi::AppContext) -> (String, String, i32) {
    let (slug, _) =
        common::council_with_link(app, "Harbourside Council", "foi@harbourside.example.org").await;
    let letter = common::Queue::new(app, at(2026, 3, 2))
        .queue_one(
            "twinning-agreement",
            &slug,
            None,
            &Default::default(),
            false,
            false,
        )
        .await
        .unwrap();
    let reply = format!(
        "From: FOI <foi@harbourside.example.org>\r\nTo: {}\r\nSubject: Your request\r\n\
         Message-ID: <a1@harbourside.example.org>\r\nDate: Mon, 16 Mar 2026 10:00:00 +0000\r\n\r\n\
         The agreement with Ningbo was signed on 12 April 2005 and is renewed every five years.\r\n",
        letter.reply_to
    );
    common::Inbox(app)
        .ingest(reply.as_bytes(), "test", at(2026, 3, 16))
        .await
        .unwrap();
    common::run_job(app, "extract", at(2026, 3, 16))
        .await
        .unwrap();
    let doc = documents::all(&app.db).await.unwrap().remove(0);
    (slug, letter.reference, doc.id)
}

async fn facts_are_recorded_with_their_sources(db: TestDb) {
    let app = db.app().await;
    let (slug, reference, doc) = answered(&app).await;
    let link = format!("{slug}:ningbo");
    let source = format!("{doc}:1");
    let day = at(2026, 3, 17);

    // Bad input says what and where, and stores nothing.
    for (args, needle) in [
        (
            vec![
                "findings",
                "set",
                &link,
                "--signed-on",
                "12/04/2005",
                "--source",
                &source,
            ],
            "signed_on: '12/04/2005' is not a date such as 2005-04-12",
        ),
        (
            vec![
                "findings", "set", &link, "--term", "5 years", "--source", "999:1",
            ],
            "no document 999",
        ),
        (
            vec![
                "findings",
                "set",
                &link,
                "--term",
                "5 years",
                "--source",
                &format!("{doc}:7"),
            ],
            "has 1 page(s) of text",
        ),
        (
            vec![
                "findings",
                "set",
                &format!("{slug}:Atlantis"),
                "--term",
                "5 years",
                "--source",
                &source,
            ],
            "has no link with 'Atlantis' (its links: Ningbo)",
        ),
        (
            vec!["findings", "set", &link, "--source", &source],
            "nothing to record",
        ),
        (
            vec![
                "findings", "set", &link, "--status", "dormant", "--source", &source,
            ],
            "status: 'dormant' is not one of active, lapsed, suspended, ended, unknown",
        ),
    ] {
        let (code, _, err) = run(&db, day, &args);
        assert_eq!(code, Some(1), "{args:?}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let (code, _, err) = run(&db, day, &["findings", "set", &link, "--term", "5 years"]);
    assert_eq!(code, Some(2), "--source is required: {err}");
    assert!(findings::in_state(&app.db, FindingState::Confirmed)
        .await
        .unwrap()
        .is_empty());

    let out = ok(
        &db,
        day,
        &[
            "findings",
            "set",
            &link,
            "--signed-on",
            "2005-04-12",
            "--renewal-cycle",
            "every 5 years",
            "--next-renewal",
            "2027-02-01",
            "--commitment",
            "education=student exchanges",
            "--organisation",
            "Harbourside–Ningbo Friendship Association",
            "--source",
            &source,
        ],
    );
    assert_eq!(out.matches("recorded ").count(), 5, "{out}");
    // A later reading of the signing date supersedes the first; both stay on record.
    ok(
        &db,
        day,
        &[
            "findings",
            "set",
            &link,
            "--signed-on",
            "2005-04-13",
            "--source",
            &format!(
                "message:{}",
                documents::get(&app.db, doc).await.unwrap().message_id
            ),
            "--note",
            "the minutes give the 13th",
        ],
    );
    let superseded = findings::in_state(&app.db, FindingState::Superseded)
        .await
        .unwrap();
    assert_eq!(superseded.len(), 1);
    assert_eq!(superseded[0].field, FindingField::SignedOn);
    assert_eq!(superseded[0].value, "2005-04-12");

    let shown = ok(&db, day, &["findings", "show", &link]);
    for needle in [
        "Harbourside Council – Ningbo, Zhejiang",
        &format!("requests:  {reference} (response_received)"),
        &format!("document {doc}: message text [untagged] 1 page(s)"),
        "signed on: 2005-04-13  [message ",
        &format!("next renewal: 2027-02-01  [document {doc} (message text), page 1, {reference}]"),
        "education: student exchanges",
        "organisations: Harbourside–Ningbo Friendship Association",
    ] {
        assert!(shown.contains(needle), "{needle:?} not in\n{shown}");
    }
    assert!(
        !shown.contains("signed on: 2005-04-12"),
        "superseded: {shown}"
    );

    // The register as CSV: one row per link, every column with its source.
    ok(
        &db,
        day,
        &["documents", "tag", &doc.to_string(), "agreement"],
    );
    let csv = ok(&db, day, &["findings", "list", "--csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    let col = |name: &str| {
        let i = headers.iter().position(|h| h == name).unwrap();
        rows[0][i].to_string()
    };
    assert_eq!(col("council"), "Harbourside Council");
    assert_eq!(col("partner"), "Ningbo");
    assert_eq!(col("next renewal"), format!("2027-02-01 [doc {doc} p.1]"));
    assert_eq!(
        col("education"),
        format!("student exchanges [doc {doc} p.1]")
    );
    assert_eq!(
        col("documents"),
        format!("message text (agreement, doc {doc})")
    );
    assert_eq!(col("requests"), format!("{reference} (response_received)"));
    let json: serde_json::Value =
        serde_json::from_str(&ok(&db, day, &["findings", "list", "--json"])).unwrap();
    assert_eq!(
        json[0]["facts"]["renewal_cycle"][0]["value"],
        "every 5 years"
    );

    // The digest warns twelve weeks ahead of the renewal (1 February 2027), not before.
    let too_early = foi::services::digest::preview(&app, at(2026, 11, 8), false)
        .await
        .unwrap()
        .body;
    assert!(
        too_early.contains("Agreements renewing in the next 12 weeks (a renewal is when the council decides again)\nNone."),
        "{too_early}"
    );
    let digest = foi::services::digest::preview(&app, at(2026, 11, 9), false)
        .await
        .unwrap()
        .body;
    assert!(
        digest.contains(
            "- Harbourside Council – Ningbo: renews 1 February 2027 (12 weeks away), from document"
        ),
        "{digest}"
    );
}

/// A made-up agreement in a reply: foi proposes the dates, term, cycle, money and the
/// watch-list name; staff confirm or reject; nothing is proposed twice; the digest names the
/// first mention of a watched name.
async fn suggestions_from_an_agreement_wait_for_staff(db: TestDb) {
    let mut settings = db.settings();
    let watch = db.dir.path().join("watch-list.txt");
    std::fs::write(
        &watch,
        "# names the campaign follows\nHarbourside Friendship Association\n友好协会\n",
    )
    .unwrap();
    settings.findings.watch_list = watch.clone();
    let app = foi::AppContext::build(settings).await.unwrap();
    let (slug, reference, doc) = {
        let (slug, _) =
            common::council_with_link(&app, "Harbourside Council", "foi@harbourside.example.org")
                .await;
        let letter = common::Queue::new(&app, at(2026, 3, 2))
            .queue_one(
                "twinning-agreement",
                &slug,
                None,
                &Default::default(),
                false,
                false,
            )
            .await
            .unwrap();
        let reply = format!(
            "From: FOI <foi@harbourside.example.org>\r\nTo: {}\r\nSubject: Your request\r\n\
             Message-ID: <a2@harbourside.example.org>\r\nDate: Mon, 16 Mar 2026 10:00:00 +0000\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n\
             The Friendship Agreement was signed on 12 April 2005 in Ningbo. It shall be valid for \
             five years and renewed every five years. The next renewal is due on 12 April 2030. \
             The Council will contribute £12,500 towards the exchange, and the Harbourside \
             Friendship Association will facilitate visits. 宁波友好协会负责接待。\r\n",
            letter.reply_to
        );
        common::Inbox(&app)
            .ingest(reply.as_bytes(), "test", at(2026, 3, 16))
            .await
            .unwrap();
        let out = common::run_job(&app, "extract", at(2026, 3, 16))
            .await
            .unwrap();
        assert!(
            out.contains("suggestion(s) for the register") && out.contains("2 watch-list hit(s)"),
            "{out}"
        );
        let doc = documents::all(&app.db).await.unwrap().remove(0).id;
        (slug, letter.reference, doc)
    };
    let suggested = findings::in_state(&app.db, FindingState::Suggested)
        .await
        .unwrap();
    let mut got: Vec<(String, String)> = suggested
        .iter()
        .map(|f| (f.field.to_string(), f.value.clone()))
        .collect();
    got.sort();
    for want in [
        ("money", "£12,500"),
        ("next_renewal", "2030-04-12"),
        ("organisation", "Harbourside Friendship Association"),
        ("organisation", "友好协会"),
        ("renewal_cycle", "5 years"),
        ("signed_on", "2005-04-12"),
        ("term", "5 years"),
    ] {
        assert!(
            got.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} not in {got:?}"
        );
    }
    assert!(suggested
        .iter()
        .all(|f| f.document_id == Some(doc) && f.page == Some(1)));
    // Suggestions are not facts: the register shows none until staff confirm.
    let day = at(2026, 3, 17);
    let link = format!("{slug}:Ningbo");
    let shown = ok(&db, day, &["findings", "show", &link]);
    assert!(
        !shown.contains("signed on:") && shown.contains("suggestions waiting (7)"),
        "{shown}"
    );
    let listed = ok(&db, day, &["findings", "suggestions"]);
    assert!(
        listed.contains("signed_on: 2005-04-12")
            && listed.contains("date near signed")
            && listed.contains("signed on 12 April 2005"),
        "{listed}"
    );
    let id_of = |field: &str| {
        suggested
            .iter()
            .find(|f| f.field.as_str() == field)
            .unwrap()
            .id
            .to_string()
    };
    ok(&db, day, &["findings", "confirm", &id_of("signed_on")]);
    ok(&db, day, &["findings", "reject", &id_of("money")]);
    let (code, _, err) = run(&db, day, &["findings", "reject", &id_of("money")]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("is rejected, not a suggestion waiting"),
        "{err}"
    );
    let shown = ok(&db, day, &["findings", "show", &link]);
    assert!(
        shown.contains(&format!(
            "signed on: 2005-04-12  [document {doc} (message text), page 1, {reference}]"
        )) && shown.contains("suggestions waiting (5)"),
        "{shown}"
    );
    // Read again: nothing proposed twice, the rejected one stays rejected.
    foi::services::documents::extract_now(&app, day, true, &[], &foi::services::progress::Silent)
        .await
        .unwrap();
    assert_eq!(
        findings::in_state(&app.db, FindingState::Suggested)
            .await
            .unwrap()
            .len(),
        5
    );
    assert_eq!(
        findings::in_state(&app.db, FindingState::Rejected)
            .await
            .unwrap()
            .len(),
        1
    );
    // The digest of that week names the first mention of each watched name.
    let digest = foi::services::digest::preview(&app, at(2026, 3, 17), false)
        .await
        .unwrap()
        .body;
    assert!(
        digest.contains(&format!(
            "- first mention of Harbourside Friendship Association, in Harbourside Council's reply of 16 March 2026 ({reference}): message text (document {doc}), page 1"
        )) && digest.contains("Suggestions for the agreements register waiting for a decision: 5"),
        "{digest}"
    );
    // Search shows the watched names on the page it finds.
    let hits = foi::services::search::search(
        &app,
        foi::services::search::Search {
            text: "exchange".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        hits[0].watch,
        vec![
            "Harbourside Friendship Association".to_string(),
            "友好协会".to_string()
        ]
    );
    // A broken watch list stops the job with the file and line, and reads nothing.
    std::fs::write(&watch, "Good name\n!!!\n").unwrap();
    let err = common::run_job(&app, "extract", at(2026, 3, 18))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("watch-list.txt:2"), "{err}");
}

db_tests!(
    facts_are_recorded_with_their_sources,
    suggestions_from_an_agreement_wait_for_staff,
);
