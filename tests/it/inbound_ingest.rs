//! Storing inbound mail against real databases: the whole corpus matched to its requests,
//! duplicates stored once (and different messages sharing a Message-ID kept), a reply to two
//! requests filed under both, the holding pen, staff classification, `foi ingest` as an MTA
//! pipe (exit 75 when the database or disk fails, before or during the ingest) and over a
//! Maildir, and the migration that made `messages.message_id` non-unique on a database with
//! data.

use crate::common;
use crate::support::corpus;

use chrono::{DateTime, TimeZone, Utc};
use common::{foi, stderr, stdout, TestDb};
use foi::mail::MailTransport;
use foi::services::dispatch::{self, DispatchOutcome};
use foi::services::ingest::Ingested;
use foi::store::entities::message;
use foi::store::{events, inbound, requests};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::BTreeMap;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
}

/// Where the corpus's bounces say each letter went; every other letter went to Southvale's
/// FOI address. A bounce fails a letter only when it is about the letter's recipient.
const LETTER_TO: &[(u32, &str)] = &[
    (2, "foi@eastdale.example.gov.uk"),
    (4, "foi.old@southvale.example.gov.uk"),
    (5, "freedomofinformation@riverford.example.gov.uk"),
    (8, "foi@lowbridge.example.gov.uk"),
];

/// Sixteen sent requests, foi-2026-0001 … 0016, whose letters carry the Message-IDs (and
/// recipients) the corpus replies to.
async fn sent_requests(app: &foi::Application) {
    sent_requests_n(app, 16).await
}

async fn sent_requests_n(app: &foi::Application, count: u32) {
    let (_, link) =
        common::council_with_link(app, "Southvale Council", "foi@southvale.example.gov.uk").await;
    let q = common::Queue::new(app, t0());
    for n in 1..=count {
        let l = q
            .queue_one(
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
        let to = LETTER_TO
            .iter()
            .find(|(k, _)| *k == n)
            .map_or("foi@southvale.example.gov.uk", |(_, to)| to);
        message::Entity::update_many()
            .col_expr(
                message::Column::MessageId,
                Expr::value(format!(
                    "<foi-2026-{n:04}.1772445600000.{n:08}@reply.foi.invalid>"
                )),
            )
            .col_expr(message::Column::ToAddr, Expr::value(to))
            .filter(message::Column::RequestId.eq(r.id))
            .exec(&app.db)
            .await
            .unwrap();
    }
    let (transport, _sent) = MailTransport::memory();
    let mut settings = app.settings.clone();
    settings.mail.outbox.per_minute = 0;
    settings.mail.outbox.per_domain_per_minute = 0;
    let outbox = foi::AppContext::build(settings)
        .await
        .unwrap()
        .with_transport(transport)
        .with_worker("test");
    let mut sent = 0;
    while let DispatchOutcome::Sent { .. } =
        dispatch::try_execute_task(&outbox, t0()).await.unwrap()
    {
        sent += 1;
    }
    assert_eq!(sent, count);
}

async fn the_corpus_is_stored_once_and_tied_to_its_requests(db: TestDb) {
    let app = db.app().await;
    sent_requests(&app).await;
    let expected: BTreeMap<String, serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(corpus::fixtures_dir().join("expected.json")).unwrap(),
    )
    .unwrap();
    let ingestor = common::Inbox(&app);
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
            (Ingested::Duplicate { id, .. }, Some(first)) => {
                if first != id {
                    failures.push(format!("{name}: duplicate of {id}, expected {first}"));
                }
            }
            (
                Ingested::Stored {
                    id,
                    kind,
                    reference,
                    references,
                    via,
                    ..
                },
                None,
            ) => {
                stored_ids.insert(group, *id);
                let want_all: Vec<String> = match want.get("references") {
                    Some(v) => serde_json::from_value(v.clone()).unwrap(),
                    None => reference.iter().cloned().collect(),
                };
                if *references != want_all {
                    failures.push(format!(
                        "{name}: references {references:?}, want {want_all:?}"
                    ));
                }
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
            (r.state, events::timeline(&db, r.id).await.unwrap())
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

    let letter = |n: u32| {
        let db = app.db.clone();
        async move {
            let r = requests::get_by_reference(&db, &format!("foi-2026-{n:04}"))
                .await
                .unwrap();
            message::Entity::find()
                .filter(message::Column::RequestId.eq(r.id))
                .filter(message::Column::Direction.eq("outbound"))
                .one(&db)
                .await
                .unwrap()
                .unwrap()
        }
    };
    // A report nested in multipart/mixed keeps its status and recipient (4.4.7, expired).
    let (state, t) = timeline(15).await;
    assert_eq!(letter(15).await.state, "failed");
    assert_eq!(state, "delivery_failed");
    assert!(
        t.iter()
            .any(|e| e.kind == "bounce"
                && e.detail.contains("4.4.7 for foi@southvale.example.gov.uk")),
        "{t:#?}"
    );
    // Bounces for someone the council forwarded our letter to do not fail it.
    let (state, t) = timeline(16).await;
    assert_eq!(letter(16).await.state, "sent");
    assert_eq!(state, "sent");
    let other: Vec<_> = t
        .iter()
        .filter(|e| e.kind == "bounce_other_recipient")
        .collect();
    assert_eq!(other.len(), 2, "{t:#?}");
    assert!(other[0]
        .detail
        .contains("j.whitaker@southvale.example.gov.uk"));
    assert!(other[1]
        .detail
        .contains("records.officer@southvale.example.gov.uk"));
    // One reply to two requests reached both.
    for n in [13, 14] {
        let (state, t) = timeline(n).await;
        assert_eq!(state, "response_received", "foi-2026-{n:04}");
        assert_eq!(
            t.iter().filter(|e| e.kind == "response_received").count(),
            1,
            "{t:#?}"
        );
    }
    // Two different messages with one Message-ID: both kept, the shared ID noted.
    let shared = inbound::with_message_id(&app.db, "<00000000.0000@mail.eastdale.example.gov.uk>")
        .await
        .unwrap();
    assert_eq!(shared.len(), 2, "{shared:#?}");
    let pdf = inbound::attachments(&app.db, shared[1].id).await.unwrap();
    assert_eq!(pdf.len(), 1);
    assert_eq!(pdf[0].filename, "Eastdale agreement 2012.pdf");
    let (_, t) = timeline(10).await;
    assert!(t.iter().any(|e| e.kind == "shared_message_id"), "{t:#?}");
    // An out-of-office marked only by X-POST-MessageClass leaves the chase running.
    let (state, t) = timeline(9).await;
    assert_eq!(state, "sent");
    assert!(
        t.iter()
            .any(|e| e.kind == "auto_reply" && e.detail.contains("X-POST-MessageClass")),
        "{t:#?}"
    );
    // What the parser repaired is kept with the message.
    let r1 = requests::get_by_reference(&app.db, "foi-2026-0001")
        .await
        .unwrap();
    let folded = foi::store::messages::for_request(&app.db, r1.id)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.subject == "Response to FOI request foi-2026-0001")
        .unwrap();
    assert!(
        inbound::warnings(&folded)
            .iter()
            .any(|w| w.contains("folded inside a parameter")),
        "{:?}",
        folded.parse_warnings
    );
    let names: Vec<String> = inbound::attachments(&app.db, folded.id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.filename)
        .collect();
    assert_eq!(names, vec!["Partnership review.pdf"]);
}

async fn staff_file_held_mail_and_classify_responses(db: TestDb) {
    let app = db.app().await;
    sent_requests_n(&app, 12).await;
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
    let deadlines = foi::store::requests::deadlines_of(&r7).unwrap().unwrap();
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
    let d8 = foi::store::requests::deadlines_of(&r8).unwrap().unwrap();
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
    let ingestor = common::Inbox(&app);
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

/// `foi ingest` with `raw` on standard input, against this test's database and data folder.
fn ingest_stdin(db: &TestDb, raw: &[u8], extra_env: &[(&str, &str)]) -> std::process::Output {
    let path = db
        .dir
        .path()
        .join(format!("in-{}.eml", foi::files::sha256_hex(raw)));
    std::fs::write(&path, raw).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
        .args(["--now", "2026-03-05T10:00:00Z", "ingest"])
        .current_dir(db.dir.path())
        .envs(db.env())
        .envs(extra_env.iter().copied())
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap()
}

fn reply(n: u32, body: &str) -> Vec<u8> {
    format!(
        "From: Southvale FOI <foi@southvale.example.gov.uk>\r\n\
         To: foi+foi-2026-{n:04}@reply.foi.invalid\r\nSubject: RE: FOI request foi-2026-{n:04}\r\n\
         Date: Thu, 5 Mar 2026 09:00:00 +0000\r\nMessage-ID: <{body}.{n}@southvale.example.gov.uk>\r\n\r\n\
         Dear Requester, we do not hold this information. {body}\r\n"
    )
    .into_bytes()
}

async fn inbound_count(app: &foi::Application) -> usize {
    message::Entity::find()
        .filter(message::Column::Direction.eq("inbound"))
        .all(&app.db)
        .await
        .unwrap()
        .len()
}

/// Every storage failure after the connection was made (a write that fails, a connection
/// cut while the ingest waits, a full or broken disk) exits 75 so the MTA keeps the message,
/// stores nothing half-way, and the retry succeeds.
async fn an_mta_pipe_gets_75_when_storage_fails_mid_ingest(db: TestDb) {
    let app = db.app().await;
    sent_requests_n(&app, 1).await;
    let admin = sea_orm::Database::connect(&db.url).await.unwrap();
    use sea_orm::{ConnectionTrait, TransactionTrait};

    // A write fails after connecting: the timeline table is gone (renamed) when the effect on
    // the request is recorded, after the message row was written in the same transaction.
    admin
        .execute_unprepared("ALTER TABLE events RENAME TO events_away")
        .await
        .unwrap();
    let first = reply(1, "first");
    let out = ingest_stdin(&db, &first, &[]);
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert!(stderr(&out).contains("try again later"), "{}", stderr(&out));
    assert_eq!(inbound_count(&app).await, 0, "nothing stored half-way");
    // The Maildir path: the message stays in new/ for the next run.
    let md = db.dir.path().join("Maildir");
    std::fs::create_dir_all(md.join("new")).unwrap();
    std::fs::write(md.join("new").join("1700000001.m1"), reply(1, "maildir")).unwrap();
    let out = foi(&db, &["ingest", "--maildir", md.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert!(md.join("new").join("1700000001.m1").exists());
    admin
        .execute_unprepared("ALTER TABLE events_away RENAME TO events")
        .await
        .unwrap();
    let out = ingest_stdin(&db, &first, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = foi(&db, &["ingest", "--maildir", md.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!md.join("new").join("1700000001.m1").exists());
    assert_eq!(inbound_count(&app).await, 2);

    // The connection is cut while the ingest waits on the database.
    let second = reply(1, "second");
    let path = db.dir.path().join("second.eml");
    std::fs::write(&path, &second).unwrap();
    let blocker = sea_orm::Database::connect(&db.url).await.unwrap();
    let lock = blocker.begin().await.unwrap();
    if db.is_postgres() {
        lock.execute_unprepared("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
            .await
            .unwrap();
    } else {
        // SQLite has one writer: holding the write lock makes the ingest's write fail once
        // its busy timeout runs out.
        lock.execute_unprepared("UPDATE authorities SET name = name")
            .await
            .unwrap();
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
        .args(["ingest"])
        .current_dir(db.dir.path())
        .envs(db.env())
        .env("FOI__DATABASE__CONNECT_TIMEOUT_SECS", "2")
        .stdin(std::fs::File::open(&path).unwrap())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    if db.is_postgres() {
        // Wait until the ingest's backend waits on the lock, then terminate that backend.
        let mut terminated = false;
        for _ in 0..200 {
            let rows = admin
                .query_all(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity \
                     WHERE datname = current_database() AND wait_event_type = 'Lock'",
                ))
                .await
                .unwrap();
            if !rows.is_empty() {
                terminated = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(terminated, "the ingest never waited on the lock");
    }
    let mut status = None;
    for _ in 0..300 {
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let status = match status {
        Some(s) => s,
        None => {
            let _ = child.kill();
            panic!("foi ingest did not finish");
        }
    };
    let out = child.wait_with_output().unwrap();
    lock.rollback().await.unwrap();
    assert_eq!(status.code(), Some(75), "{}", stderr(&out));
    assert!(stderr(&out).contains("try again later"), "{}", stderr(&out));
    assert_eq!(inbound_count(&app).await, 2, "nothing stored half-way");
    let out = ingest_stdin(&db, &second, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(inbound_count(&app).await, 3);

    // The disk: the data folder's mail/ is a file, so nothing can be kept under it.
    let var = db.dir.path().join("var");
    let mail_dir = var.join("mail");
    let kept = var.join("mail.kept");
    std::fs::rename(&mail_dir, &kept).unwrap();
    std::fs::write(&mail_dir, b"not a folder").unwrap();
    let third = reply(1, "third");
    let out = ingest_stdin(&db, &third, &[]);
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot keep the message on disk"),
        "{}",
        stderr(&out)
    );
    std::fs::write(md.join("new").join("1700000002.m2"), &third).unwrap();
    let out = foi(&db, &["ingest", "--maildir", md.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    assert!(md.join("new").join("1700000002.m2").exists());
    std::fs::remove_file(&mail_dir).unwrap();
    std::fs::rename(&kept, &mail_dir).unwrap();
    let out = foi(&db, &["ingest", "--maildir", md.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(inbound_count(&app).await, 4);
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(corpus::fixtures_dir().join(name)).unwrap()
}

/// Different messages that share a Message-ID are both kept, in either order of arrival;
/// a re-delivery of one of them (other trace fields) is still a duplicate.
async fn a_shared_message_id_does_not_make_a_duplicate(db: TestDb) {
    let app = db.app().await;
    sent_requests_n(&app, 10).await;
    let ingestor = common::Inbox(&app);
    let later = t0() + chrono::Duration::days(17);
    let second = ingestor
        .ingest(
            &fixture("response-shared-message-id-second.eml"),
            "test",
            later,
        )
        .await
        .unwrap();
    let Ingested::Stored { id: second_id, .. } = second else {
        panic!("{second:?}")
    };
    let first = ingestor
        .ingest(
            &fixture("response-shared-message-id-first.eml"),
            "test",
            later,
        )
        .await
        .unwrap();
    let Ingested::Stored { id: first_id, .. } = first else {
        panic!("the earlier reply was dropped: {first:?}")
    };
    let again = ingestor
        .ingest(
            &fixture("response-shared-message-id-first-redelivered.eml"),
            "test",
            later,
        )
        .await
        .unwrap();
    assert_eq!(
        again,
        Ingested::Duplicate {
            id: first_id,
            added_to: vec![]
        }
    );
    let again = ingestor
        .ingest(
            &fixture("response-shared-message-id-second.eml"),
            "test",
            later,
        )
        .await
        .unwrap();
    assert!(matches!(again, Ingested::Duplicate { id, .. } if id == second_id));

    // The reply's PDF is kept, and staff see both messages and the note.
    let pdf = inbound::attachments(&app.db, second_id).await.unwrap();
    assert_eq!(pdf.len(), 1, "{pdf:?}");
    let out = foi(&db, &["requests", "show", "foi-2026-0010", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<i64> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![i64::from(second_id), i64::from(first_id)]);
    let first_json = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == first_id)
        .unwrap();
    assert!(
        first_json["parse_warnings"][0]
            .as_str()
            .unwrap()
            .contains(&format!(
                "also on message {second_id} with different content"
            )),
        "{first_json}"
    );
    assert!(
        v["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "shared_message_id"),
        "{}",
        v["timeline"]
    );
}

/// A reply naming two of our requests belongs to both, however the MTA delivers its copies;
/// a copy that names a request the stored one lacked files it there too; a re-delivery
/// after that changes nothing.
async fn a_reply_to_two_requests_reaches_both(db: TestDb) {
    let app = db.app().await;
    sent_requests_n(&app, 14).await;
    let ingestor = common::Inbox(&app);
    let later = t0() + chrono::Duration::days(15);
    let got = ingestor
        .ingest(
            &fixture("response-two-references-second-copy.eml"),
            "test",
            later,
        )
        .await
        .unwrap();
    let Ingested::Stored { id, references, .. } = got else {
        panic!("{got:?}")
    };
    assert_eq!(references, vec!["foi-2026-0013", "foi-2026-0014"]);
    let got = ingestor
        .ingest(&fixture("response-two-references.eml"), "test", later)
        .await
        .unwrap();
    assert_eq!(
        got,
        Ingested::Duplicate {
            id,
            added_to: vec![]
        }
    );
    for r in ["foi-2026-0013", "foi-2026-0014"] {
        assert_eq!(
            requests::get_by_reference(&app.db, r).await.unwrap().state,
            "response_received",
            "{r}"
        );
        let out = foi(&db, &["requests", "show", r, "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            v["messages"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["id"] == id && m["direction"] == "inbound"),
            "{r}: {}",
            v["messages"]
        );
        let out = foi(&db, &["requests", "show", r]);
        assert!(
            stdout(&out).contains(&format!("#{id:<4} in ")),
            "{r}: {}",
            stdout(&out)
        );
    }

    // The council Bcc'd the second request: only the second copy's Delivered-To names it.
    let bcc = |delivered: &str| {
        format!(
            "Delivered-To: foi+{delivered}@reply.foi.invalid\r\nReceived: from mx by mail for {delivered}\r\n\
             From: Southvale FOI <foi@southvale.example.gov.uk>\r\nTo: foi+foi-2026-0011@reply.foi.invalid\r\n\
             Subject: Your requests\r\nDate: Thu, 19 Mar 2026 09:00:00 +0000\r\n\
             Message-ID: <bcc-both@southvale.example.gov.uk>\r\n\r\nPlease find attached our response.\r\n"
        )
        .into_bytes()
    };
    let got = ingestor
        .ingest(&bcc("foi-2026-0011"), "test", later)
        .await
        .unwrap();
    let Ingested::Stored { id, references, .. } = got else {
        panic!("{got:?}")
    };
    assert_eq!(references, vec!["foi-2026-0011"]);
    assert_eq!(
        requests::get_by_reference(&app.db, "foi-2026-0012")
            .await
            .unwrap()
            .state,
        "sent"
    );
    let got = ingestor
        .ingest(&bcc("foi-2026-0012"), "test", later)
        .await
        .unwrap();
    assert_eq!(
        got,
        Ingested::Duplicate {
            id,
            added_to: vec!["foi-2026-0012".into()]
        }
    );
    assert_eq!(
        requests::get_by_reference(&app.db, "foi-2026-0012")
            .await
            .unwrap()
            .state,
        "response_received"
    );
    let got = ingestor
        .ingest(&bcc("foi-2026-0012"), "test", later)
        .await
        .unwrap();
    assert_eq!(
        got,
        Ingested::Duplicate {
            id,
            added_to: vec![]
        }
    );
    let r12 = requests::get_by_reference(&app.db, "foi-2026-0012")
        .await
        .unwrap();
    let t = events::timeline(&app.db, r12.id).await.unwrap();
    assert_eq!(
        t.iter().filter(|e| e.kind == "response_received").count(),
        1,
        "{t:#?}"
    );
}

/// What the parser repaired or could not read is stored with the message and shown in the
/// holding pen and on the request.
async fn parse_warnings_are_kept_and_shown(db: TestDb) {
    let app = db.app().await;
    sent_requests_n(&app, 1).await;
    let out = ingest_stdin(&db, &fixture("garbage-not-a-mail.eml"), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = foi(&db, &["inbox", "unmatched", "--json"]);
    let pen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        pen[0]["parse_warnings"][0]
            .as_str()
            .unwrap()
            .contains("no mail headers found"),
        "{pen}"
    );
    let out = ingest_stdin(&db, &fixture("response-folded-boundary.eml"), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = foi(&db, &["requests", "show", "foi-2026-0001"]);
    assert!(
        stdout(&out).contains("warning: Content-Type folded inside a parameter"),
        "{}",
        stdout(&out)
    );
    let out = foi(&db, &["requests", "show", "foi-2026-0001", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let inbound_json: Vec<&serde_json::Value> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .collect();
    assert_eq!(inbound_json.len(), 1);
    assert_eq!(
        inbound_json[0]["parse_warnings"].as_array().unwrap().len(),
        1
    );
}

/// The migration that dropped the unique Message-ID runs on a database that already holds
/// mail: nothing is lost (attachments hang on messages by a cascading foreign key), held and
/// filed messages keep their requests, our own Message-IDs stay unique, foreign keys still
/// hold, and inbound mail may now share a Message-ID.
async fn the_inbound_fixes_migration_keeps_existing_mail(db: TestDb) {
    use migration::MigratorTrait;
    use sea_orm::{ConnectionTrait, Statement};
    let settings = db.settings();
    let conn = foi::store::connect(&settings.database).await.unwrap();
    migration::Migrator::up(&conn, Some(5)).await.unwrap();
    let backend = conn.get_database_backend();
    let at = "'2026-03-01T10:00:00+00:00'";
    for sql in [
        format!(
            "INSERT INTO authorities (slug, name, nation, regime, tags, created_at, updated_at) \
             VALUES ('southvale', 'Southvale', 'England', 'FOIA', '', {at}, {at})"
        ),
        format!(
            "INSERT INTO requests (reference, authority_id, template, regime, state, subject, body, \
             reply_to, vars, created_at, updated_at) VALUES ('foi-2026-0001', 1, 't', 'FOIA', \
             'response_received', 's', 'b', 'foi+foi-2026-0001@reply.foi.invalid', '{{}}', {at}, {at})"
        ),
        format!(
            "INSERT INTO messages (request_id, direction, kind, state, message_id, from_addr, \
             to_addr, subject, body, created_at, sent_at, to_domain) VALUES (1, 'outbound', \
             'request', 'sent', '<foi-2026-0001.1.1@reply.foi.invalid>', 'us@foi.invalid', \
             'foi@southvale.example.gov.uk', 'FOI', 'Dear', {at}, {at}, 'southvale.example.gov.uk')"
        ),
        format!(
            "INSERT INTO messages (request_id, direction, kind, state, message_id, from_addr, \
             to_addr, subject, body, created_at, received_at, raw_sha256, matched_via, source) \
             VALUES (1, 'inbound', 'response', 'stored', '<reply@southvale.example.gov.uk>', \
             'foi@southvale.example.gov.uk', 'foi+foi-2026-0001@reply.foi.invalid', 'RE: FOI', \
             'Answer', {at}, {at}, '{}', 'address', 'test')",
            "a".repeat(64)
        ),
        format!(
            "INSERT INTO messages (direction, kind, state, message_id, from_addr, to_addr, \
             subject, body, created_at, received_at, raw_sha256, source) VALUES ('inbound', \
             'response', 'stored', '<held@elsewhere.example.org>', 'x@elsewhere.example.org', \
             'requests@foi.invalid', 'Hello', 'Held', {at}, {at}, '{}', 'test')",
            "b".repeat(64)
        ),
        format!(
            "INSERT INTO attachments (message_id, filename, content_type, size, sha256, path) \
             VALUES (2, 'answer.pdf', 'application/pdf', 3, '{}', '/nowhere/answer.pdf')",
            "c".repeat(64)
        ),
        format!(
            "INSERT INTO classifications (request_id, message_id, outcome, exemptions, at, actor) \
             VALUES (1, 2, 'successful', '', {at}, 'staff')"
        ),
    ] {
        conn.execute_unprepared(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    migration::Migrator::up(&conn, None).await.unwrap();

    let count = |sql: &str| {
        let conn = conn.clone();
        let sql = sql.to_string();
        async move {
            let row = conn
                .query_one(Statement::from_string(backend, sql.clone()))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0)
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM messages").await, 3);
    assert_eq!(
        count("SELECT COUNT(*) FROM attachments").await,
        1,
        "cascade"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM classifications WHERE message_id = 2").await,
        1,
        "set null"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM message_requests WHERE message_id = 2 AND request_id = 1")
            .await,
        1
    );
    assert_eq!(count("SELECT COUNT(*) FROM message_requests").await, 1);
    if !db.is_postgres() {
        let broken = conn
            .query_all(Statement::from_string(
                backend,
                "PRAGMA foreign_key_check".to_string(),
            ))
            .await
            .unwrap();
        assert!(broken.is_empty());
        let fk = conn
            .query_one(Statement::from_string(
                backend,
                "PRAGMA foreign_keys".to_string(),
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            fk.try_get_by_index::<i32>(0).unwrap(),
            1,
            "foreign keys back on"
        );
    }

    // Down to before this migration (past every later one too) and up again: the uniqueness
    // comes back, then goes again, nothing is lost.
    let after_fifth = migration::Migrator::migrations().len() as u32 - 5;
    migration::Migrator::down(&conn, Some(after_fifth))
        .await
        .unwrap();
    let dup_id = format!(
        "INSERT INTO messages (direction, kind, state, message_id, from_addr, to_addr, subject, \
         body, created_at, raw_sha256) VALUES ('inbound', 'response', 'stored', \
         '<held@elsewhere.example.org>', 'a', 'b', 'c', 'd', {at}, '{}')",
        "f".repeat(64)
    );
    assert!(conn.execute_unprepared(&dup_id).await.is_err());
    migration::Migrator::up(&conn, None).await.unwrap();
    assert_eq!(count("SELECT COUNT(*) FROM attachments").await, 1);
    assert_eq!(count("SELECT COUNT(*) FROM message_requests").await, 1);

    // Reads through the application's entities see the old mail where it was.
    let mail = foi::store::messages::for_request(&conn, 1).await.unwrap();
    assert_eq!(mail.iter().map(|m| m.id).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(inbound::unmatched(&conn).await.unwrap().len(), 1);

    // Inbound mail may share a Message-ID now; our own letters may not.
    let inbound_again = format!(
        "INSERT INTO messages (direction, kind, state, message_id, from_addr, to_addr, subject, \
         body, created_at, raw_sha256) VALUES ('inbound', 'response', 'stored', \
         '<reply@southvale.example.gov.uk>', 'a', 'b', 'c', 'd', {at}, '{}')",
        "d".repeat(64)
    );
    conn.execute_unprepared(&inbound_again).await.unwrap();
    let outbound_again = format!(
        "INSERT INTO messages (request_id, direction, kind, state, message_id, from_addr, \
         to_addr, subject, body, created_at) VALUES (1, 'outbound', 'reminder', 'queued', \
         '<foi-2026-0001.1.1@reply.foi.invalid>', 'a', 'b', 'c', 'd', {at})"
    );
    assert!(conn.execute_unprepared(&outbound_again).await.is_err());
    let orphan = format!(
        "INSERT INTO attachments (message_id, filename, content_type, size, sha256, path) \
         VALUES (999, 'x', 'y', 1, '{}', 'z')",
        "e".repeat(64)
    );
    assert!(
        conn.execute_unprepared(&orphan).await.is_err(),
        "foreign keys still hold"
    );
    conn.close().await.unwrap();
}

db_tests!(
    an_over_long_message_id_does_not_block_the_inbox,
    the_corpus_is_stored_once_and_tied_to_its_requests,
    staff_file_held_mail_and_classify_responses,
    an_mta_pipe_gets_75_when_the_database_is_down,
    an_mta_pipe_gets_75_when_storage_fails_mid_ingest,
    a_shared_message_id_does_not_make_a_duplicate,
    a_reply_to_two_requests_reaches_both,
    parse_warnings_are_kept_and_shown,
    the_inbound_fixes_migration_keeps_existing_mail,
);
