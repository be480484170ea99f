//! Storing inbound mail against real databases: the whole corpus matched to its requests,
//! duplicates stored once, the holding pen, staff classification, `foi ingest` as an MTA pipe
//! (exit 75 when the database is down) and over a Maildir.

mod common;
#[path = "support/corpus.rs"]
mod corpus;

use chrono::{DateTime, TimeZone, Utc};
use common::{foi, stderr, stdout, TestDb};
use foi::ingest::{Ingested, Ingestor};
use foi::mail::{DispatchOutcome, MailTransport, Outbox};
use foi::queue::Queuer;
use foi::store::entities::message;
use foi::store::{events, inbound, requests};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::BTreeMap;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
}

/// Twelve sent requests, foi-2026-0001 … 0012, whose letters carry the Message-IDs the corpus
/// replies to.
async fn twelve_sent_requests(app: &foi::Application) {
    let (_, link) =
        common::council_with_link(app, "Southvale Council", "foi@southvale.example.gov.uk").await;
    let q = Queuer {
        settings: &app.settings,
        letters: &app.letters,
        now: t0(),
        actor: "test",
    };
    for n in 1..=12 {
        let l = q
            .queue_one(
                &app.db,
                "twinning-agreement",
                "southvale-council",
                Some(link),
                &BTreeMap::new(),
                false,
                true, // again: the same letter, deliberately
            )
            .await
            .unwrap();
        assert_eq!(l.reference, format!("foi-2026-{n:04}"));
        let r = requests::get_by_reference(&app.db, &l.reference)
            .await
            .unwrap();
        message::Entity::update_many()
            .col_expr(
                message::Column::MessageId,
                Expr::value(format!(
                    "<foi-2026-{n:04}.1772445600000.{n:08}@reply.foi.invalid>"
                )),
            )
            .filter(message::Column::RequestId.eq(r.id))
            .exec(&app.db)
            .await
            .unwrap();
    }
    let (transport, _sent) = MailTransport::memory();
    let mut settings = app.settings.clone();
    settings.mail.outbox.per_minute = 0;
    settings.mail.outbox.per_domain_per_minute = 0;
    let outbox = Outbox::new(app.db.clone(), transport, settings, "test")
        .await
        .unwrap();
    let mut sent = 0;
    while let DispatchOutcome::Sent { .. } = outbox.try_execute_task(t0()).await.unwrap() {
        sent += 1;
    }
    assert_eq!(sent, 12);
}

async fn the_corpus_is_stored_once_and_tied_to_its_requests(db: TestDb) {
    let app = db.app().await;
    twelve_sent_requests(&app).await;
    let expected: BTreeMap<String, serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(corpus::fixtures_dir().join("expected.json")).unwrap(),
    )
    .unwrap();
    let ingestor = Ingestor::new(app.db.clone(), &app.settings);
    let later = t0() + chrono::Duration::days(3);
    let mut failures = Vec::new();
    let mut stored_ids = BTreeMap::new();
    for (name, raw) in corpus::corpus_messages() {
        let want = &expected[&name];
        let got = ingestor
            .ingest(&raw, &format!("test:{name}"), later)
            .await
            .unwrap();
        // A message and its duplicate: whichever comes first is stored, the other is not.
        let group = want["duplicate_of"].as_str().unwrap_or(&name).to_string();
        match (&got, stored_ids.get(&group)) {
            (Ingested::Duplicate { id }, Some(first)) => {
                if first != id {
                    failures.push(format!("{name}: duplicate of {id}, expected {first}"));
                }
            }
            (
                Ingested::Stored {
                    id,
                    kind,
                    reference,
                    via,
                    ..
                },
                None,
            ) => {
                stored_ids.insert(group, *id);
                if kind != want["classification"].as_str().unwrap() {
                    failures.push(format!(
                        "{name}: kind {kind}, want {}",
                        want["classification"]
                    ));
                }
                if reference.as_deref() != want["reference"].as_str() {
                    failures.push(format!(
                        "{name}: reference {reference:?}, want {}",
                        want["reference"]
                    ));
                }
                if via.as_deref() != want["via"].as_str() {
                    failures.push(format!("{name}: via {via:?}, want {}", want["via"]));
                }
                let n = inbound::attachments(&app.db, *id).await.unwrap();
                if n.len() as u64 != want["attachments"].as_u64().unwrap() {
                    failures.push(format!(
                        "{name}: {} attachments, want {}",
                        n.len(),
                        want["attachments"]
                    ));
                }
                for a in &n {
                    assert!(
                        !a.filename.contains('/') && !a.filename.contains('\\'),
                        "{name}: {}",
                        a.filename
                    );
                    assert!(std::path::Path::new(&a.path).exists(), "{name}: {}", a.path);
                }
            }
            (other, first) => failures.push(format!(
                "{name}: got {other:?}, first of its group {first:?}"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Everything again: nothing new is stored.
    for (name, raw) in corpus::corpus_messages() {
        let got = ingestor.ingest(&raw, "again", later).await.unwrap();
        assert!(matches!(got, Ingested::Duplicate { .. }), "{name}: {got:?}");
    }

    // The unmatched ones wait in the holding pen.
    let pen = inbound::unmatched(&app.db).await.unwrap();
    assert_eq!(
        pen.len(),
        expected
            .values()
            .filter(|v| v["reference"].is_null())
            .count()
    );

    // Effects on the requests' timelines.
    let timeline = |n: u32| {
        let db = app.db.clone();
        async move {
            let r = requests::get_by_reference(&db, &format!("foi-2026-{n:04}"))
                .await
                .unwrap();
            (r.state.clone(), events::timeline(&db, r.id).await.unwrap())
        }
    };
    let (state, t) = timeline(2).await;
    assert!(
        t.iter()
            .any(|e| e.kind == "bounce" && e.detail.contains("5.1.1")),
        "{t:#?}"
    );
    let _ = state;
    let (_, t) = timeline(3).await;
    assert!(t.iter().any(|e| e.kind == "acknowledged"), "{t:#?}");
    assert!(t.iter().any(|e| e.kind == "delivery_delayed"), "{t:#?}");
    assert!(
        t.iter()
            .any(|e| e.kind == "response_received" && e.detail.contains("not from the council")),
        "{t:#?}"
    );
    let (state, t) = timeline(9).await;
    assert_eq!(state, "sent", "an out-of-office changes nothing");
    assert!(t.iter().any(|e| e.kind == "auto_reply"), "{t:#?}");
    let (state, _) = timeline(11).await;
    assert_eq!(state, "response_received");
    let r4 = requests::get_by_reference(&app.db, "foi-2026-0004")
        .await
        .unwrap();
    let failed = message::Entity::find()
        .filter(message::Column::RequestId.eq(r4.id))
        .filter(message::Column::Direction.eq("outbound"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        failed.state, "failed",
        "the bounced letter is marked failed"
    );
}

async fn staff_file_held_mail_and_classify_responses(db: TestDb) {
    let app = db.app().await;
    twelve_sent_requests(&app).await;
    let raw = std::fs::read(corpus::fixtures_dir().join("holding-pen-body-reference.eml")).unwrap();
    let path = db.dir.path().join("held.eml");
    std::fs::write(&path, &raw).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
        .args(["--now", "2026-03-05T10:00:00Z", "ingest"])
        .current_dir(db.dir.path())
        .envs(db.env())
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("not matched"), "{}", stdout(&out));

    let out = foi(&db, &["inbox", "unmatched", "--json"]);
    let pen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(pen.as_array().unwrap().len(), 1);
    let id = pen[0]["id"].as_i64().unwrap().to_string();
    let out = foi(
        &db,
        &[
            "--now",
            "2026-03-05T10:00:00Z",
            "inbox",
            "assign",
            &id,
            "foi-2026-0007",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = foi(&db, &["inbox", "unmatched", "--json"]);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
        serde_json::json!([])
    );
    let out = foi(&db, &["inbox", "assign", &id, "foi-2026-0008"]);
    assert_eq!(out.status.code(), Some(1), "already filed");
    let r7 = requests::get_by_reference(&app.db, "foi-2026-0007")
        .await
        .unwrap();
    assert_eq!(r7.state, "response_received");

    // A bad exemption is refused and nothing changes.
    let out = foi(
        &db,
        &[
            "--now",
            "2026-03-05T10:00:00Z",
            "classify",
            "foi-2026-0007",
            "--outcome",
            "refused",
            "--exemptions",
            "s27,s12",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("s12") && stderr(&out).contains("21 to 44"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        requests::get_by_reference(&app.db, "foi-2026-0007")
            .await
            .unwrap()
            .state,
        "response_received"
    );

    let out = foi(
        &db,
        &[
            "--now",
            "2026-03-05T10:00:00Z",
            "classify",
            "foi-2026-0007",
            "--outcome",
            "refused",
            "--exemptions",
            "s27, s43(2)",
            "--note",
            "international relations",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r7 = requests::get_by_reference(&app.db, "foi-2026-0007")
        .await
        .unwrap();
    assert_eq!(r7.state, "refused");
    let deadlines = foi::deadlines::stored(&r7).unwrap();
    assert!(
        deadlines.review_request_last_day.is_some(),
        "the review window opens"
    );
    let t = events::timeline(&app.db, r7.id).await.unwrap();
    assert!(
        t.iter()
            .any(|e| e.kind == "classified" && e.detail.contains("s27, s43(2)")),
        "{t:#?}"
    );

    // An extension feeds the clock: FOIA public-interest extension → 40 working days.
    let out = foi(
        &db,
        &[
            "--now",
            "2026-03-05T10:00:00Z",
            "classify",
            "foi-2026-0008",
            "--outcome",
            "extended",
            "--exemptions",
            "s43",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r8 = requests::get_by_reference(&app.db, "foi-2026-0008")
        .await
        .unwrap();
    let d8 = foi::deadlines::stored(&r8).unwrap();
    assert_eq!(d8.working_days, 40);
    assert!(d8.refusal_notice_due.is_some());

    // A postal reply with a scan.
    let scan = db.dir.path().join("scan.pdf");
    std::fs::write(&scan, b"%PDF-1.4 pretend scan").unwrap();
    let out = foi(
        &db,
        &[
            "--now",
            "2026-03-10T10:00:00Z",
            "log-response",
            "foi-2026-0009",
            "--received",
            "2026-03-09",
            "--outcome",
            "successful",
            "--file",
            scan.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let r9 = requests::get_by_reference(&app.db, "foi-2026-0009")
        .await
        .unwrap();
    assert_eq!(r9.state, "successful");
    let out = foi(
        &db,
        &[
            "log-response",
            "foi-2026-0009",
            "--received",
            "2026-03-09",
            "--outcome",
            "successful",
            "--file",
            "/nonexistent.pdf",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/nonexistent.pdf"),
        "{}",
        stderr(&out)
    );
}

async fn an_mta_pipe_gets_75_when_the_database_is_down(db: TestDb) {
    let raw = std::fs::read(corpus::fixtures_dir().join("response-subject-only.eml")).unwrap();
    let path = db.dir.path().join("m.eml");
    std::fs::write(&path, &raw).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
        .args(["ingest"])
        .current_dir(db.dir.path())
        .envs(db.env())
        .env(
            "FOI__DATABASE__URL",
            "postgres://postgres@127.0.0.1:9/nowhere",
        )
        .env("FOI__DATABASE__CONNECT_TIMEOUT_SECS", "2")
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert!(stderr(&out).contains("try again later"), "{}", stderr(&out));

    // A Maildir: everything in new/ is stored and moved to cur/.
    let md = db.dir.path().join("Maildir");
    std::fs::create_dir_all(md.join("new")).unwrap();
    for name in [
        "response-subject-only.eml",
        "ooo-welsh-bilingual.eml",
        "dsn-delay-4.4.1.eml",
    ] {
        std::fs::copy(
            corpus::fixtures_dir().join(name),
            md.join("new").join(format!("1700000000.{name}")),
        )
        .unwrap();
    }
    let out = foi(
        &db,
        &["ingest", "--maildir", md.to_str().unwrap(), "--json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.as_array().unwrap().len(), 3);
    assert_eq!(std::fs::read_dir(md.join("new")).unwrap().count(), 0);
    let cur: Vec<String> = std::fs::read_dir(md.join("cur"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(cur.len(), 3);
    assert!(cur.iter().all(|n| n.ends_with(":2,S")), "{cur:?}");
    let out = foi(
        &db,
        &["ingest", "--maildir", db.dir.path().to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not a Maildir"), "{}", stderr(&out));
}

async fn an_over_long_message_id_does_not_block_the_inbox(db: TestDb) {
    let app = db.app().await;
    let long = format!("<{}@example.org>", "x".repeat(700));
    let raw = format!("From: a@example.org\r\nTo: b@example.org\r\nSubject: hello\r\nMessage-ID: {long}\r\n\r\nBody\r\n");
    let ingestor = Ingestor::new(app.db.clone(), &app.settings);
    let first = ingestor.ingest(raw.as_bytes(), "test", t0()).await.unwrap();
    assert!(matches!(first, Ingested::Stored { .. }), "{first:?}");
    let again = format!("Received: from relay\r\n{raw}");
    let second = ingestor
        .ingest(again.as_bytes(), "test", t0())
        .await
        .unwrap();
    assert!(
        matches!(second, Ingested::Duplicate { .. }),
        "same Message-ID, different bytes: {second:?}"
    );
}

db_tests!(
    an_over_long_message_id_does_not_block_the_inbox,
    the_corpus_is_stored_once_and_tied_to_its_requests,
    staff_file_held_mail_and_classify_responses,
    an_mta_pipe_gets_75_when_the_database_is_down,
);
