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
    assert!(!shown.contains("2005-04-12"), "superseded: {shown}");

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

db_tests!(facts_are_recorded_with_their_sources);
