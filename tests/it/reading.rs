//! Reading what came back and changing drafts before they go, through the `foi` binary on
//! both databases: `requests show` lists each message with its attachments and recorded
//! outcome; `messages show` gives one message whole (an HTML-only reply as text, the parser's
//! warnings, our own letters); `attachments save` writes files under safe names and never
//! over a file already there; drafts are listed, read and edited (from a file and in
//! `$EDITOR`), and `approve` sends staff's words as they stand and asks before it sends.

use crate::common::{self, foi, stderr, stdout, TestDb};
use crate::support::corpus;

use chrono::{DateTime, Duration, TimeZone, Utc};
use foi::domain::{MessageKind, MessageState};
use foi::mail::MailTransport;
use foi::services::ingest::Ingested;
use foi::store::{events, inbound, messages, requests};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
}

/// The application with a memory transport and no throttling.
async fn context(db: &TestDb) -> foi::AppContext {
    let mut settings = db.settings();
    settings.mail.outbox.per_minute = 0;
    settings.mail.outbox.per_domain_per_minute = 0;
    let (transport, _sent) = MailTransport::memory();
    foi::AppContext::build(settings)
        .await
        .unwrap()
        .with_transport(transport)
        .with_worker("test")
}

/// `n` requests to Southvale (foi-2026-0001 …), sent on Monday 2 March 2026.
async fn sent_requests(app: &foi::AppContext, n: u32) -> Vec<String> {
    let (slug, link) =
        common::council_with_link(app, "Southvale Council", "foi@southvale.example.gov.uk").await;
    let q = common::Queue::new(app, t0());
    let mut refs = Vec::new();
    for _ in 0..n {
        let l = q
            .queue_one(
                "twinning-agreement",
                &slug,
                Some(link),
                &BTreeMap::new(),
                false,
                true,
            )
            .await
            .unwrap();
        refs.push(l.reference);
    }
    let out = common::run_job(app, "dispatch", t0()).await.unwrap();
    assert!(out.starts_with(&format!("{n} sent")), "{out}");
    refs
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(corpus::fixtures_dir().join(name)).unwrap()
}

async fn ingest(app: &foi::AppContext, name: &str) -> i32 {
    let got = common::Inbox(app)
        .ingest(&fixture(name), name, t0() + Duration::days(3))
        .await
        .unwrap();
    match got {
        Ingested::Stored { id, .. } => id,
        other => panic!("{name}: {other:?}"),
    }
}

/// Sizes as `foi` prints them.
fn human(bytes: usize) -> String {
    match bytes {
        b if b < 1024 => format!("{b} bytes"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

fn json_of(db: &TestDb, args: &[&str]) -> Value {
    let out = foi(db, args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn ok(db: &TestDb, args: &[&str]) -> String {
    let out = foi(db, args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// The attachments a fixture really carries: (safe name, type, bytes).
fn carried(name: &str) -> Vec<(String, String, Vec<u8>)> {
    foi::mail::inbound::parse(&fixture(name))
        .attachments
        .into_iter()
        .map(|a| (a.filename, a.content_type, a.bytes))
        .collect()
}

async fn replies_and_their_attachments_are_listed_and_read(db: TestDb) {
    let app = context(&db).await;
    sent_requests(&app, 6).await;
    let broken = ingest(&app, "response-broken-base64.eml").await;
    let unsafe_names = ingest(&app, "response-attachments-unsafe-names.eml").await;
    let html = ingest(&app, "response-html-only.eml").await;
    let later = (t0() + Duration::days(4)).to_rfc3339();
    ok(
        &db,
        &[
            "--now",
            &later,
            "classify",
            "foi-2026-0006",
            "--outcome",
            "successful",
            "--note",
            "costs given",
        ],
    );

    // `requests show` lists every message with its attachments (name, type, size).
    let v = json_of(&db, &["requests", "show", "foi-2026-0005", "--json"]);
    let mail = v["messages"].as_array().unwrap();
    assert_eq!(mail.len(), 3, "the letter and two replies: {v:#}");
    assert_eq!(mail[0]["direction"], "outbound");
    assert_eq!(mail[0]["kind"], "request");
    assert_eq!(mail[0]["attachments"].as_array().unwrap().len(), 0);
    for (id, fixture_name) in [
        (broken, "response-broken-base64.eml"),
        (unsafe_names, "response-attachments-unsafe-names.eml"),
    ] {
        let line = mail.iter().find(|m| m["id"] == id).unwrap();
        assert_eq!(line["kind"], "response");
        let listed = line["attachments"].as_array().unwrap();
        let want = carried(fixture_name);
        assert_eq!(listed.len(), want.len(), "{fixture_name}: {line:#}");
        for (a, (filename, content_type, bytes)) in listed.iter().zip(&want) {
            assert_eq!(a["filename"], filename.as_str());
            assert_eq!(a["content_type"], content_type.as_str());
            assert_eq!(a["size"], bytes.len() as i64, "{a}");
            assert_eq!(a["message"], id);
        }
    }
    let broken_line = mail.iter().find(|m| m["id"] == broken).unwrap();
    assert_eq!(
        broken_line["attachments"][0]["name"],
        "corrected-figures.pdf"
    );
    assert_eq!(
        broken_line["attachments"][0]["content_type"],
        "application/pdf"
    );
    // The sender's own name is shown; the safe one is what a save writes.
    let evil = mail.iter().find(|m| m["id"] == unsafe_names).unwrap()["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["filename"] == "evil.pdf")
        .unwrap()
        .clone();
    assert!(
        evil["name"].as_str().unwrap().contains(".."),
        "the original name is kept: {evil}"
    );
    let text = ok(&db, &["requests", "show", "foi-2026-0005"]);
    let pdf_size = carried("response-broken-base64.eml")[0].2.len();
    assert!(
        text.contains(&format!(
            "attachment #{} corrected-figures.pdf (application/pdf, ",
            broken_line["attachments"][0]["id"]
        )),
        "{text}"
    );
    assert!(
        text.contains(&human(pdf_size)),
        "{} in {text}",
        human(pdf_size)
    );
    assert!(text.contains("Réponse FOI 2026-0005.pdf"), "{text}");
    assert!(text.contains("warning: "), "{text}");

    // The outcome staff recorded is shown with the answer it is about.
    let v = json_of(&db, &["requests", "show", "foi-2026-0006", "--json"]);
    let mail = v["messages"].as_array().unwrap();
    let reply = mail.iter().find(|m| m["id"] == html).unwrap();
    assert_eq!(reply["outcome"]["outcome"], "successful", "{reply:#}");
    assert_eq!(reply["outcome"]["note"], "costs given");
    assert_eq!(reply["outcome"]["reference"], "foi-2026-0006");
    let letter = mail.iter().find(|m| m["direction"] == "outbound").unwrap();
    assert!(letter["outcome"].is_null(), "{letter:#}");
    let text = ok(&db, &["requests", "show", "foi-2026-0006"]);
    assert!(text.contains("outcome: successful: costs given"), "{text}");

    // An HTML-only reply reads as text, with its header fields and its request.
    let id = html.to_string();
    let text = ok(&db, &["messages", "show", &id]);
    for want in [
        "From:        foi@highcliffe.example.gov.uk",
        "To:          foi+foi-2026-0006@reply.foi.invalid",
        "Date:        2026-03-24 11:11 UTC",
        "Subject:     RE: Freedom of Information request foi-2026-0006",
        "Filed under: foi-2026-0006",
        "Outcome:     successful",
        "the council’s catering costs were:",
        "£12,500",
        "Highcliffe FOI & Records",
    ] {
        assert!(text.contains(want), "{want:?} in {text}");
    }
    for unwanted in ["<p", "<html", "trackOpen", "MsoNormal", "&pound;"] {
        assert!(!text.contains(unwanted), "{unwanted:?} in {text}");
    }
    let v = json_of(&db, &["messages", "show", &id, "--json"]);
    assert_eq!(v["direction"], "inbound");
    assert_eq!(v["kind"], "response");
    assert_eq!(v["state"], "stored");
    assert_eq!(v["requests"], serde_json::json!(["foi-2026-0006"]));
    assert!(
        v["body"].as_str().unwrap().contains("2025/26  £13,020"),
        "{v:#}"
    );
    assert_eq!(v["outcomes"][0]["outcome"], "successful");

    // The parser's warnings and the attachments with their ids.
    let id = broken.to_string();
    let text = ok(&db, &["messages", "show", &id]);
    assert!(text.contains("parse warnings:"), "{text}");
    assert!(text.contains("could not be decoded"), "{text}");
    assert!(
        text.contains("217 fixed penalty notices were issued for fly-tipping in 2025."),
        "{text}"
    );
    assert!(
        text.contains("corrected-figures.pdf (application/pdf"),
        "{text}"
    );
    let v = json_of(&db, &["messages", "show", &id, "--json"]);
    assert!(
        v["parse_warnings"][0]
            .as_str()
            .unwrap()
            .contains("could not be decoded"),
        "{v:#}"
    );
    assert_eq!(v["attachments"].as_array().unwrap().len(), 1);

    // Our own letter: its body is the letter.
    let r = requests::get_by_reference(&app.db, "foi-2026-0005")
        .await
        .unwrap();
    let ours = messages::for_request(&app.db, r.id)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.kind == MessageKind::Request)
        .unwrap();
    let v = json_of(&db, &["messages", "show", &ours.id.to_string(), "--json"]);
    assert_eq!(v["direction"], "outbound");
    assert_eq!(v["state"], "sent");
    assert_eq!(v["body"].as_str().unwrap(), ours.body);
    assert_eq!(v["to"], "foi@southvale.example.gov.uk");
    assert_eq!(v["requests"], serde_json::json!(["foi-2026-0005"]));
    let text = ok(&db, &["messages", "show", &ours.id.to_string()]);
    assert!(text.contains(ours.body.lines().next().unwrap()), "{text}");

    common::fails_with(&db, &["messages", "show", "99999"], "no message 99999");
}

fn files_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

async fn attachments_are_saved_under_safe_names_and_never_overwrite(db: TestDb) {
    let app = context(&db).await;
    sent_requests(&app, 5).await;
    let broken = ingest(&app, "response-broken-base64.eml").await;
    let unsafe_names = ingest(&app, "response-attachments-unsafe-names.eml").await;
    let mut want: Vec<(String, Vec<u8>)> = Vec::new();
    for name in [
        "response-broken-base64.eml",
        "response-attachments-unsafe-names.eml",
    ] {
        want.extend(carried(name).into_iter().map(|(n, _, b)| (n, b)));
    }
    assert!(want.iter().any(|(n, _)| n == "evil.pdf"));

    // Into a folder that does not exist yet, beside a file staff already have there.
    let out = db.dir.path().join("saved").join("foi-2026-0005");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("evil.pdf"), b"staff's own file").unwrap();
    let text = ok(
        &db,
        &[
            "attachments",
            "save",
            "--request",
            "foi-2026-0005",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(
        text.contains(&format!("{} file(s) written", want.len())),
        "{text}"
    );
    let got = files_in(&out);
    assert_eq!(got.len(), want.len() + 1, "{:?}", got.keys());
    assert_eq!(got["evil.pdf"], b"staff's own file", "never overwritten");
    for (name, bytes) in &want {
        let saved_as = if name == "evil.pdf" {
            "evil (2).pdf"
        } else {
            name.as_str()
        };
        assert_eq!(got.get(saved_as), Some(bytes), "{saved_as}");
        assert!(text.contains(saved_as), "{saved_as} in {text}");
    }

    // By id, again: a second copy beside the first.
    let v = json_of(&db, &["messages", "show", &broken.to_string(), "--json"]);
    let pdf = v["attachments"][0]["id"].as_i64().unwrap().to_string();
    let text = ok(
        &db,
        &["attachments", "save", &pdf, "--out", out.to_str().unwrap()],
    );
    assert!(text.contains("corrected-figures (2).pdf"), "{text}");
    let got = files_in(&out);
    assert_eq!(
        got["corrected-figures (2).pdf"],
        got["corrected-figures.pdf"]
    );
    assert_eq!(got.len(), want.len() + 2);

    // A stored file that has gone is named, and nothing is written for the request.
    let v = json_of(
        &db,
        &["messages", "show", &unsafe_names.to_string(), "--json"],
    );
    let passwd = v["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["filename"] == "passwd")
        .unwrap()["id"]
        .as_i64()
        .unwrap() as i32;
    let stored = inbound::attachment(&app.db, passwd).await.unwrap().unwrap();
    std::fs::remove_file(&stored.path).unwrap();
    let elsewhere = db.dir.path().join("elsewhere");
    common::fails_with(
        &db,
        &[
            "attachments",
            "save",
            &pdf,
            &passwd.to_string(),
            "--out",
            elsewhere.to_str().unwrap(),
        ],
        &format!("attachment {passwd} ("),
    );
    let out2 = foi(
        &db,
        &[
            "attachments",
            "save",
            "--request",
            "foi-2026-0005",
            "--out",
            elsewhere.to_str().unwrap(),
        ],
    );
    assert_eq!(out2.status.code(), Some(1));
    assert!(
        stderr(&out2).contains("is missing") && stderr(&out2).contains("nothing was saved"),
        "{}",
        stderr(&out2)
    );
    assert!(
        !elsewhere.exists() || files_in(&elsewhere).is_empty(),
        "nothing half-written"
    );

    common::fails_with(
        &db,
        &["attachments", "save", "424242", "--out", "x"],
        "no attachment 424242",
    );
    common::fails_with(
        &db,
        &[
            "attachments",
            "save",
            "--request",
            "foi-2026-0001",
            "--out",
            "x",
        ],
        "foi-2026-0001 has no attachments",
    );
}

/// Runs `foi` with extra environment variables (an `EDITOR`).
fn foi_env(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
        .args(args)
        .current_dir(db.dir.path())
        .envs(db.env())
        .envs(env.iter().copied())
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap()
}

fn script(db: &TestDb, name: &str, text: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = db.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

async fn drafts_are_read_edited_and_approved_as_edited(db: TestDb) {
    let app = context(&db).await;
    let refs = sent_requests(&app, 2).await;
    let r = requests::get_by_reference(&app.db, &refs[0]).await.unwrap();
    let very = requests::deadlines_of(&r)
        .unwrap()
        .unwrap()
        .very_overdue_from
        .unwrap();
    let sweep_at = Utc.from_utc_datetime(&very.and_hms_opt(6, 0, 0).unwrap());
    let out = common::run_job(&app, "sweep", sweep_at).await.unwrap();
    assert!(out.contains("2 internal reviews"), "{out}");
    let draft_of = |reference: &str| {
        let app = &app;
        let reference = reference.to_string();
        async move {
            let r = requests::get_by_reference(&app.db, &reference)
                .await
                .unwrap();
            messages::for_request(&app.db, r.id)
                .await
                .unwrap()
                .into_iter()
                .find(|m| m.kind == MessageKind::InternalReview)
                .unwrap()
        }
    };
    let drafted = draft_of(&refs[0]).await;
    assert_eq!(drafted.state, MessageState::Draft);
    let id = drafted.id.to_string();

    // Listed and shown.
    let list = json_of(&db, &["drafts", "list", "--json"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:#?}");
    let line = list.iter().find(|d| d["id"] == drafted.id).unwrap();
    assert_eq!(line["reference"], refs[0].as_str());
    assert_eq!(line["authority"], "southvale-council");
    assert_eq!(line["kind"], "internal_review");
    assert_eq!(line["to"], "foi@southvale.example.gov.uk");
    assert_eq!(line["subject"], drafted.subject.as_str());
    assert!(line["edited_at"].is_null());
    let text = ok(&db, &["drafts", "list"]);
    assert!(
        text.contains("REFERENCE") && text.contains(&refs[0]) && text.contains(&refs[1]),
        "{text}"
    );
    let text = ok(&db, &["drafts", "show", &id]);
    assert!(text.contains(drafted.body.trim_end()), "{text}");
    let v = json_of(&db, &["drafts", "show", &id, "--json"]);
    assert_eq!(v["body"].as_str().unwrap(), drafted.body);
    assert_eq!(v["state"], "draft");

    // Edited from a file; the same text again changes nothing; an empty one is refused.
    let ours = "Dear Southvale Council,\n\nOur own words: please review foi-2026-0001.\n\nAda\n";
    let file = db.dir.path().join("review.txt");
    std::fs::write(&file, ours).unwrap();
    let text = ok(
        &db,
        &["drafts", "edit", &id, "--body-file", file.to_str().unwrap()],
    );
    assert!(text.contains("body changed"), "{text}");
    let edited = draft_of(&refs[0]).await;
    assert_eq!(edited.body, ours);
    assert_eq!(edited.state, MessageState::Draft);
    assert!(edited.edited_at.is_some() && edited.edited_by.is_some());
    let timeline = events::timeline(&app.db, r.id).await.unwrap();
    assert!(
        timeline.iter().any(|e| e.kind == "draft_edited"),
        "{timeline:#?}"
    );
    let text = ok(
        &db,
        &["drafts", "edit", &id, "--body-file", file.to_str().unwrap()],
    );
    assert!(text.contains("unchanged"), "{text}");
    std::fs::write(&file, "  \n\n").unwrap();
    common::fails_with(
        &db,
        &["drafts", "edit", &id, "--body-file", file.to_str().unwrap()],
        "empty",
    );
    assert_eq!(draft_of(&refs[0]).await.body, ours);

    // In $EDITOR: the editor gets the body and what it saves is stored; an editor that
    // fails changes nothing.
    let failing = script(&db, "failing-editor.sh", "#!/bin/sh\nexit 3\n");
    let out = foi_env(&db, &["drafts", "edit", &id], &[("EDITOR", &failing)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("exited with"), "{}", stderr(&out));
    assert_eq!(draft_of(&refs[0]).await.body, ours);
    let editor = script(
        &db,
        "editor.sh",
        "#!/bin/sh\ngrep -q 'Our own words' \"$1\" || exit 4\nprintf 'PS. Added in the editor.\\n' >> \"$1\"\n",
    );
    let out = foi_env(&db, &["drafts", "edit", &id], &[("EDITOR", &editor)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let with_ps = format!("{ours}PS. Added in the editor.\n");
    assert_eq!(draft_of(&refs[0]).await.body, with_ps);
    // What staff were shown is what goes: an edit after it was shown stops the approval.
    let approve_at = sweep_at + Duration::days(7);
    let shown = foi::services::approve::prepare(&app, approve_at, &refs[0])
        .await
        .unwrap();
    let mine = shown
        .letters
        .iter()
        .find(|l| l.message == drafted.id)
        .unwrap();
    assert!(mine.edited && mine.body == with_ps, "{shown:#?}");
    let text = ok(
        &db,
        &[
            "drafts",
            "edit",
            &id,
            "--subject",
            "Internal review: our words",
        ],
    );
    assert!(text.contains("subject changed"), "{text}");
    let err = foi::services::approve::approve(&app, approve_at, &shown, "test")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("changed after it was shown"), "{err}");
    assert_eq!(draft_of(&refs[0]).await.state, MessageState::Draft);
    // The queueing statement itself holds only for the draft exactly as approved: never
    // other words, and never over staff's edit.
    for (subject, body, edited) in [
        ("Internal review: our words", "other words", true),
        ("Internal review: our words", with_ps.as_str(), false),
    ] {
        let queued = messages::queue_approved(
            &app.db,
            messages::ApprovedDraft {
                id: drafted.id,
                to: "foi@southvale.example.gov.uk",
                subject,
                body,
                edited,
            },
        )
        .await
        .unwrap();
        assert!(!queued, "{body} {edited}");
    }
    assert_eq!(draft_of(&refs[0]).await.state, MessageState::Draft);
    assert_eq!(draft_of(&refs[0]).await.body, with_ps);

    // No terminal and no --yes: shown, refused, nothing queued.
    let approve_at = approve_at.to_rfc3339();
    let out = foi(&db, &["--now", &approve_at, "approve", &refs[0]]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("PS. Added in the editor."),
        "shown first"
    );
    assert!(stdout(&out).contains("To: foi@southvale.example.gov.uk"));
    let drafts = messages::list_outbound(&app.db, Some(MessageState::Draft))
        .await
        .unwrap();
    assert_eq!(drafts.len(), 2, "nothing was queued");
    assert_eq!(
        requests::get_by_reference(&app.db, &refs[0])
            .await
            .unwrap()
            .state
            .to_string(),
        "very_overdue"
    );

    // With --yes, a week later: staff's words go, not a letter written again for the day.
    let text = ok(&db, &["--now", &approve_at, "approve", "--yes", &refs[0]]);
    assert!(text.contains("queued"), "{text}");
    let sent = draft_of(&refs[0]).await;
    assert_eq!(sent.state, MessageState::Queued);
    assert_eq!(sent.body, with_ps);
    assert_eq!(sent.subject, "Internal review: our words");
    assert_eq!(
        requests::get_by_reference(&app.db, &refs[0])
            .await
            .unwrap()
            .state
            .to_string(),
        "internal_review"
    );

    // Only drafts can be edited; the other draft is still listed.
    std::fs::write(&file, "Too late\n").unwrap();
    common::fails_with(
        &db,
        &["drafts", "edit", &id, "--body-file", file.to_str().unwrap()],
        "not a draft",
    );
    common::fails_with(&db, &["drafts", "show", &id], "not a draft");
    assert_eq!(draft_of(&refs[0]).await.body, with_ps);
    let list = json_of(&db, &["drafts", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["reference"], refs[1].as_str());
}

/// The migration adding `edited_at`/`edited_by` and attachments' original names runs on a
/// database with data: drafts count as not edited, attachments show their stored name.
async fn the_reading_migration_keeps_drafts_and_attachments(db: TestDb) {
    use migration::MigratorTrait;
    use sea_orm::ConnectionTrait;
    let settings = db.settings();
    let conn = foi::store::connect(&settings.database).await.unwrap();
    migration::Migrator::up(&conn, Some(7)).await.unwrap();
    let at = "'2026-03-01T10:00:00+00:00'";
    for sql in [
        format!(
            "INSERT INTO authorities (slug, name, nation, regime, tags, created_at, updated_at) \
             VALUES ('southvale', 'Southvale', 'England', 'FOIA', '', {at}, {at})"
        ),
        format!(
            "INSERT INTO requests (reference, authority_id, template, regime, state, subject, body, \
             reply_to, vars, created_at, updated_at) VALUES ('foi-2026-0001', 1, 't', 'FOIA', \
             'very_overdue', 's', 'b', 'foi+foi-2026-0001@reply.foi.invalid', '{{}}', {at}, {at})"
        ),
        format!(
            "INSERT INTO messages (request_id, direction, kind, state, message_id, from_addr, \
             to_addr, subject, body, created_at, to_domain) VALUES (1, 'outbound', \
             'internal_review', 'draft', '<foi-2026-0001.2.2@reply.foi.invalid>', 'us@foi.invalid', \
             'foi@southvale.example.gov.uk', 'Review', 'Please review', {at}, 'southvale.example.gov.uk')"
        ),
        format!(
            "INSERT INTO messages (request_id, direction, kind, state, from_addr, to_addr, \
             subject, body, created_at, received_at, raw_sha256, matched_via, source) \
             VALUES (1, 'inbound', 'response', 'stored', 'foi@southvale.example.gov.uk', \
             'foi+foi-2026-0001@reply.foi.invalid', 'RE: FOI', 'Answer', {at}, {at}, '{}', \
             'address', 'test')",
            "a".repeat(64)
        ),
        format!(
            "INSERT INTO message_requests (message_id, request_id, matched_via, created_at) \
             VALUES (2, 1, 'address', {at})"
        ),
        format!(
            "INSERT INTO attachments (message_id, filename, content_type, size, sha256, path) \
             VALUES (2, 'answer.pdf', 'application/pdf', 3, '{}', '/nowhere/answer.pdf')",
            "c".repeat(64)
        ),
    ] {
        conn.execute_unprepared(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    migration::Migrator::up(&conn, None).await.unwrap();
    conn.close().await.unwrap();

    let list = json_of(&db, &["drafts", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list:#}");
    assert_eq!(list[0]["reference"], "foi-2026-0001");
    assert!(list[0]["edited_at"].is_null());
    let v = json_of(&db, &["requests", "show", "foi-2026-0001", "--json"]);
    let reply = &v["messages"][1];
    assert_eq!(reply["attachments"][0]["name"], "answer.pdf");
    assert_eq!(reply["attachments"][0]["filename"], "answer.pdf");
    assert_eq!(reply["attachments"][0]["size"], 3);
    // Its file is gone: saving says so.
    common::fails_with(
        &db,
        &["attachments", "save", "1", "--out", "out"],
        "attachment 1 (answer.pdf, message 2): its stored file /nowhere/answer.pdf is missing",
    );
}

db_tests!(
    replies_and_their_attachments_are_listed_and_read,
    attachments_are_saved_under_safe_names_and_never_overwrite,
    drafts_are_read_edited_and_approved_as_edited,
    the_reading_migration_keeps_drafts_and_attachments,
);
