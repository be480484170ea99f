//! Requests not sent by email: queued for a council's web form or the post (no outbox letter),
//! recorded as submitted with the council's case number, chased through staff tasks when late
//! (never by email), listed in the digest, closed with `foi requests chased`, and answered by
//! email matched on the reference in the subject. Also requests made before foi existed
//! (`foi requests add`), and the migration that adds channels to a database with requests.

use crate::common;

use chrono::{DateTime, NaiveDate, Utc};
use common::{fails_with, run_job, TestDb};
use foi::domain::{Channel, RequestState, TaskKind};
use foi::mail::MailTransport;
use foi::services::ingest::Ingested;
use foi::store::{events, messages, requests, tasks};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Runs `foi` and returns its standard output, failing the test if it did not succeed.
fn run(db: &TestDb, args: &[&str]) -> String {
    let out = common::foi(db, args);
    assert!(out.status.success(), "{args:?}: {}", common::stderr(&out));
    common::stdout(&out)
}

/// A daemon over the memory transport, so a test sees any mail that would leave.
async fn daemon(
    db: &TestDb,
) -> (
    foi::AppContext,
    std::sync::Arc<std::sync::Mutex<Vec<foi::mail::SentMail>>>,
) {
    let mut settings = db.settings();
    settings.mail.outbox.per_minute = 0;
    settings.mail.outbox.per_domain_per_minute = 0;
    settings.digest.recipients = vec!["staff@campaign.example.org".into()];
    let (transport, sent) = MailTransport::memory();
    let ctx = foi::AppContext::build(settings)
        .await
        .unwrap()
        .with_transport(transport)
        .with_worker("daemon");
    (ctx, sent)
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn queued_reference(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("queued "))
        .unwrap_or_else(|| panic!("no reference in {stdout}"))
        .trim()
        .to_string()
}

async fn timeline_details(ctx: &foi::AppContext, id: i32, kind: &str) -> Vec<String> {
    events::timeline(&ctx.db, id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.detail)
        .collect()
}

async fn portal_request_from_queue_to_reply(db: TestDb) {
    let (ctx, sent) = daemon(&db).await;
    let (slug, _) = common::council_with_link(&ctx, "Southvale Council", "").await;

    // By email, a council without an address is refused as before, pointing at --via.
    fails_with(
        &db,
        &[
            "queue",
            "--template",
            "twinning-agreement",
            "--authority",
            &slug,
        ],
        "--via portal",
    );
    // A file that already exists is not overwritten, and nothing is queued.
    let taken = db.dir.path().join("taken.txt");
    std::fs::write(&taken, "keep me").unwrap();
    fails_with(
        &db,
        &[
            "queue",
            "--template",
            "twinning-agreement",
            "--authority",
            &slug,
            "--via",
            "portal",
            "--out",
            taken.to_str().unwrap(),
        ],
        "--out",
    );
    assert_eq!(std::fs::read_to_string(&taken).unwrap(), "keep me");
    assert!(requests::all(&ctx.db).await.unwrap().is_empty());

    let file = db.dir.path().join("southvale.txt");
    let out = run(
        &db,
        &[
            "--now",
            "2026-03-02T09:00:00Z",
            "queue",
            "--template",
            "twinning-agreement",
            "--authority",
            &slug,
            "--via",
            "portal",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    let reference = queued_reference(&out);
    assert!(
        out.contains("through the council's web form")
            && out.contains("Dear Freedom of Information Officer")
            && out.contains(&format!(
                "foi requests sent {reference} --on DATE --portal-ref"
            )),
        "{out}"
    );
    let r = requests::get_by_reference(&ctx.db, &reference)
        .await
        .unwrap();
    assert_eq!(r.channel, Channel::Portal);
    assert_eq!(r.state, RequestState::Queued);
    assert_eq!(r.to_address, None);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("Subject: {}\n\n{}", r.subject, r.body),
        "--out holds the letter to paste"
    );
    assert!(
        messages::list_outbound(&ctx.db, None)
            .await
            .unwrap()
            .is_empty(),
        "nothing goes into the outbox"
    );
    let listed: serde_json::Value =
        serde_json::from_str(&run(&db, &["tasks", "list", "--json"])).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["kind"], "submit");
    assert_eq!(listed[0]["text"], r.body.as_str());

    // Submitted through the form on Monday 2 March: due Tuesday 31 March (St Patrick's Day
    // skipped).
    let said = run(
        &db,
        &[
            "--now",
            "2026-03-03T10:00:00Z",
            "requests",
            "sent",
            &reference,
            "--on",
            "2026-03-02",
            "--portal-ref",
            "SV-12345",
        ],
    );
    assert!(
        said.contains("case ref SV-12345") && said.contains("response due 2026-03-31"),
        "{said}"
    );
    let r = requests::get_by_reference(&ctx.db, &reference)
        .await
        .unwrap();
    assert_eq!(r.state, RequestState::Sent);
    assert_eq!(r.portal_reference.as_deref(), Some("SV-12345"));
    assert_eq!(r.response_due, Some(day("2026-03-31")));
    let sent_events = timeline_details(&ctx, r.id, "sent").await;
    assert!(
        sent_events
            .iter()
            .any(|d| d
                == "submitted through the council's web form on 2026-03-02, case ref SV-12345"),
        "{sent_events:?}"
    );
    assert!(tasks::open(&ctx.db).await.unwrap().is_empty(), "submitted");
    // That week's digest lists the request sent once, though the timeline has two `sent`
    // events (the submission and the clock's start).
    assert!(sent_events.len() >= 2, "{sent_events:?}");
    let week = foi::services::digest::preview(&ctx, at("2026-03-04T07:00:00Z"), false)
        .await
        .unwrap()
        .body;
    let section = week
        .split("Requests sent")
        .nth(1)
        .and_then(|s| s.split("Responses received").next())
        .unwrap_or_default();
    assert_eq!(section.matches(reference.as_str()).count(), 1, "{week}");

    // Late: one task with the reminder to paste, no email; a second sweep makes no second.
    let out = run_job(&ctx, "sweep", at("2026-04-01T06:00:00Z"))
        .await
        .unwrap();
    assert!(
        out.starts_with("1 newly overdue")
            && out.contains("0 reminders")
            && out.contains("1 staff tasks"),
        "{out}"
    );
    run_job(&ctx, "dispatch", at("2026-04-01T06:00:00Z"))
        .await
        .unwrap();
    assert!(sent.lock().unwrap().is_empty(), "nothing is emailed");
    assert!(messages::list_outbound(&ctx.db, None)
        .await
        .unwrap()
        .is_empty());
    let open = tasks::open(&ctx.db).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].kind, TaskKind::Reminder);
    assert!(
        open[0].text.contains("31 March 2026") && open[0].text.contains("SV-12345"),
        "{}",
        open[0].text
    );
    let out = run_job(&ctx, "sweep", at("2026-04-02T06:00:00Z"))
        .await
        .unwrap();
    assert!(!out.contains("staff tasks"), "{out}");
    assert_eq!(tasks::open(&ctx.db).await.unwrap().len(), 1);
    assert_eq!(tasks::for_request(&ctx.db, r.id).await.unwrap().len(), 2);

    // The digest lists the task with the text to paste, as of the day it is read.
    let monday = at("2026-04-06T07:00:00Z");
    let listed = foi::services::tasks::list(&ctx, monday).await.unwrap();
    assert_eq!(listed.len(), 1);
    let digest = foi::services::digest::preview(&ctx, monday, false)
        .await
        .unwrap()
        .body;
    assert!(
        digest.contains(&format!("- {reference}  Southvale Council: paste the overdue reminder into the council's web form"))
            && digest.contains("Case reference: SV-12345"),
        "{digest}"
    );
    for line in listed[0].text.lines().filter(|l| !l.trim().is_empty()) {
        assert!(digest.contains(line), "{line:?} not in\n{digest}");
    }
    let html = foi::services::digest::preview(&ctx, monday, true)
        .await
        .unwrap()
        .body;
    assert!(
        html.contains(&reference) && html.contains("SV-12345"),
        "{html}"
    );
    let out = run_job(&ctx, "digest", monday).await.unwrap();
    assert!(out.contains("queued for 1 recipient"), "{out}");

    // Staff pasted it: the task is done and the timeline says so; there is nothing left.
    let said = run(
        &db,
        &[
            "--now",
            "2026-04-07T10:00:00Z",
            "requests",
            "chased",
            &reference,
            "--on",
            "2026-04-07",
            "--note",
            "pasted into the form",
        ],
    );
    assert!(said.contains("(reminder) done on 2026-04-07"), "{said}");
    assert!(tasks::open(&ctx.db).await.unwrap().is_empty());
    let done = tasks::for_request(&ctx.db, r.id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.kind == TaskKind::Reminder)
        .unwrap();
    assert_eq!(done.done_by.as_deref(), Some("cli"));
    assert_eq!(done.note.as_deref(), Some("pasted into the form"));
    assert!(done.done_at.is_some());
    let chased = timeline_details(&ctx, r.id, "chased").await;
    assert_eq!(
        chased,
        vec![
            "the overdue reminder sent through the council's web form on 2026-04-07 \
             (case ref SV-12345): pasted into the form"
                .to_string()
        ]
    );
    fails_with(
        &db,
        &["requests", "chased", &reference],
        "has no open task to chase",
    );

    // The council answers by email from its case system, to the requester's own address:
    // only the subject names the request.
    let reply = format!(
        "From: Information Governance <casework@southvale.example.gov.uk>\r\n\
         To: Campaign <ada@campaign.example.org>\r\n\
         Subject: Your request {reference} (our case SV-12345)\r\n\
         Message-ID: <response-1@southvale.example.gov.uk>\r\n\
         Date: Wed, 8 Apr 2026 10:00:00 +0100\r\n\r\n\
         Please find attached the agreement you asked for.\r\n"
    );
    let got = common::Inbox(&ctx)
        .ingest(reply.as_bytes(), "test", at("2026-04-08T09:00:00Z"))
        .await
        .unwrap();
    match got {
        Ingested::Stored {
            references, via, ..
        } => {
            assert_eq!(references, vec![reference.clone()]);
            assert_eq!(via.as_deref(), Some("subject"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        requests::get_by_reference(&ctx.db, &reference)
            .await
            .unwrap()
            .state,
        RequestState::ResponseReceived
    );
}

async fn postal_requests_and_requests_made_outside_foi(db: TestDb) {
    let (ctx, sent) = daemon(&db).await;
    let (northvale, _) =
        common::council_with_link(&ctx, "Northvale Council", "foi@northvale.example.gov.uk").await;
    let (eastvale, _) = common::council_with_link(&ctx, "Eastvale Council", "").await;
    let (westvale, _) = common::council_with_link(&ctx, "Westvale Council", "").await;
    common::council_with_link(&ctx, "Southvale Council", "").await;

    // A campaign by post for the councils without an address; the email campaign then takes
    // the rest.
    let file = db.dir.path().join("letters.txt");
    let now = "2026-03-02T09:00:00Z";
    let out = run(
        &db,
        &[
            "--now",
            now,
            "queue",
            "--campaign",
            "spring",
            "--template",
            "twinning-agreement",
            "--all-twinned",
            "--via",
            "post",
            "--without-address",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.contains("queued 3 request(s)"), "{out}");
    assert!(
        out.contains("skipped, has an FOI email address (1") && out.contains(&northvale),
        "{out}"
    );
    let letters = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        letters
            .matches("Dear Freedom of Information Officer")
            .count(),
        3
    );
    assert_eq!(
        letters.matches('\u{c}').count(),
        2,
        "a page break between letters"
    );
    let out = run(
        &db,
        &[
            "--now",
            now,
            "queue",
            "--campaign",
            "spring",
            "--template",
            "twinning-agreement",
            "--all-twinned",
        ],
    );
    assert!(
        out.contains("queued 1 request(s)")
            && out.contains("already asked with this template, skipped: 3 link(s)"),
        "{out}"
    );
    let outbox = messages::list_outbound(&ctx.db, None).await.unwrap();
    assert_eq!(outbox.len(), 1, "only the email request is in the outbox");
    assert_eq!(outbox[0].to_addr, "foi@northvale.example.gov.uk");
    let by_slug = |slug: &str| {
        let slug = slug.to_string();
        let db = ctx.db.clone();
        async move {
            let rows = requests::list(
                &db,
                &requests::RequestFilter {
                    authority_slug: Some(slug),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            assert_eq!(rows.len(), 1);
            requests::get_by_reference(&db, &rows[0].reference)
                .await
                .unwrap()
        }
    };
    let posted = by_slug(&eastvale).await;
    assert_eq!(posted.channel, Channel::Post);

    // Posted on Monday 2 March: taken as received on Wednesday 4 March, the second working
    // day after, so due Thursday 2 April (not 31 March, which would chase early).
    fails_with(
        &db,
        &[
            "--now",
            "2026-03-03T10:00:00Z",
            "requests",
            "sent",
            &posted.reference,
            "--on",
            "2026-03-02",
            "--portal-ref",
            "X-1",
        ],
        "--portal-ref",
    );
    let said = run(
        &db,
        &[
            "--now",
            "2026-03-03T10:00:00Z",
            "requests",
            "sent",
            &posted.reference,
            "--on",
            "2026-03-02",
        ],
    );
    assert!(
        said.contains("received 2026-03-04") && said.contains("response due 2026-04-02"),
        "{said}"
    );
    let sent_events = timeline_details(&ctx, posted.id, "sent").await;
    assert!(
        sent_events.iter().any(|d| d
            .starts_with("posted to the council on 2026-03-02; taken as received on 2026-03-04")),
        "{sent_events:?}"
    );
    // Another posted letter whose receipt the council confirmed.
    let confirmed = by_slug(&westvale).await;
    let said = run(
        &db,
        &[
            "--now",
            "2026-03-06T10:00:00Z",
            "requests",
            "sent",
            &confirmed.reference,
            "--on",
            "2026-03-02",
            "--received",
            "2026-03-03",
        ],
    );
    assert!(said.contains("received 2026-03-03"), "{said}");

    // Late (Good Friday and Easter Monday skipped): a task to print and post the reminder.
    let out = run_job(&ctx, "sweep", at("2026-04-07T06:00:00Z"))
        .await
        .unwrap();
    assert!(out.contains("2 staff tasks"), "{out}");
    let open = foi::services::tasks::list(&ctx, at("2026-04-07T06:00:00Z"))
        .await
        .unwrap();
    let mine = open
        .iter()
        .find(|t| t.reference == posted.reference)
        .unwrap();
    assert_eq!(mine.kind, TaskKind::Reminder);
    assert!(
        mine.what.starts_with("print, sign and post"),
        "{}",
        mine.what
    );

    // The council confirmed by email that it answered: its reminder is no longer shown, and
    // the next sweep withdraws it.
    let reply = format!(
        "From: foi@westvale.example.gov.uk\r\nTo: ada@campaign.example.org\r\n\
         Subject: RE: {}\r\nMessage-ID: <r2@westvale.example.gov.uk>\r\n\
         Date: Tue, 7 Apr 2026 10:00:00 +0100\r\n\r\n\
         Please find attached the agreement you asked for.\r\n",
        confirmed.reference
    );
    common::Inbox(&ctx)
        .ingest(reply.as_bytes(), "test", at("2026-04-07T09:00:00Z"))
        .await
        .unwrap();
    let open = foi::services::tasks::list(&ctx, at("2026-04-07T10:00:00Z"))
        .await
        .unwrap();
    let reminders: Vec<&str> = open
        .iter()
        .filter(|t| t.kind == TaskKind::Reminder)
        .map(|t| t.reference.as_str())
        .collect();
    assert_eq!(reminders, vec![posted.reference.as_str()]);
    let out = run_job(&ctx, "sweep", at("2026-04-08T06:00:00Z"))
        .await
        .unwrap();
    assert!(out.contains("1 staff tasks withdrawn"), "{out}");
    assert_eq!(
        timeline_details(&ctx, confirmed.id, "task_withdrawn")
            .await
            .len(),
        1
    );

    // A request posted in November, before foi existed, received two days later (so due on
    // 4 December 2025: Scotland's St Andrew's Day holiday on Monday 1 December counts).
    let (oldvale, _) = common::council_with_link(&ctx, "Oldvale Council", "").await;
    let out = run(
        &db,
        &[
            "--now",
            now,
            "requests",
            "add",
            "--authority",
            &oldvale,
            "--template",
            "twinning-agreement",
            "--via",
            "post",
            "--on",
            "2025-11-03",
            "--received",
            "2025-11-05",
        ],
    );
    assert!(
        out.contains("received 2025-11-05") && out.contains("response due 2025-12-04"),
        "{out}"
    );
    let old = by_slug(&oldvale).await;
    let old = requests::get_by_reference(&ctx.db, &old.reference)
        .await
        .unwrap();
    assert_eq!(old.state, RequestState::Sent);
    assert_eq!(old.channel, Channel::Post);
    assert_eq!(old.response_due, Some(day("2025-12-04")));
    assert!(
        tasks::for_request(&ctx.db, old.id)
            .await
            .unwrap()
            .is_empty(),
        "already posted: nothing to submit"
    );
    // Very overdue by now: a task to post the internal review, no draft, no reminder task.
    let out = run_job(&ctx, "sweep", at("2026-04-08T07:00:00Z"))
        .await
        .unwrap();
    assert!(out.contains("1 newly very overdue"), "{out}");
    let old_tasks = tasks::for_request(&ctx.db, old.id).await.unwrap();
    assert_eq!(
        old_tasks.iter().map(|t| t.kind).collect::<Vec<_>>(),
        vec![TaskKind::InternalReview]
    );
    fails_with(
        &db,
        &["--now", "2026-04-08T10:00:00Z", "approve", &old.reference],
        "foi cannot send its internal review",
    );
    let said = run(
        &db,
        &[
            "--now",
            "2026-04-09T10:00:00Z",
            "requests",
            "chased",
            &old.reference,
        ],
    );
    assert!(said.contains("now internal_review"), "{said}");
    let old = requests::get_by_reference(&ctx.db, &old.reference)
        .await
        .unwrap();
    assert_eq!(old.state, RequestState::InternalReview);
    let d = requests::deadlines_of(&old).unwrap().unwrap();
    assert!(d.review_due.is_some_and(|due| due > day("2026-04-09")));

    run_job(&ctx, "dispatch", at("2026-04-09T10:00:00Z"))
        .await
        .unwrap();
    let mail = sent.lock().unwrap().clone();
    assert_eq!(mail.len(), 1, "only the email request's letter was sent");
    assert_eq!(mail[0].envelope_to, vec!["foi@northvale.example.gov.uk"]);
}

async fn requests_added_without_a_date_wait_and_bad_ones_store_nothing(db: TestDb) {
    let (ctx, _) = daemon(&db).await;
    let (slug, _) = common::council_with_link(&ctx, "Southvale Council", "").await;
    let now = "2026-03-02T09:00:00Z";
    let add = |extra: &[&str]| {
        let mut args = vec![
            "--now",
            now,
            "requests",
            "add",
            "--authority",
            &slug,
            "--template",
            "twinning-agreement",
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    fails_with(
        &db,
        &strs(&add(&["--via", "email"])),
        "has no FOI email address",
    );
    fails_with(
        &db,
        &strs(&add(&["--via", "post", "--on", "2026-03-09"])),
        "is in the future",
    );
    fails_with(
        &db,
        &strs(&add(&[
            "--via",
            "post",
            "--on",
            "2026-03-02",
            "--portal-ref",
            "A1",
        ])),
        "--portal-ref",
    );
    fails_with(
        &db,
        &strs(&add(&[
            "--via",
            "post",
            "--on",
            "2026-03-02",
            "--received",
            "2026-03-01",
        ])),
        "before the letter was posted",
    );
    fails_with(
        &db,
        &strs(&add(&[
            "--via",
            "portal",
            "--on",
            "2026-03-02",
            "--portal-ref",
            "a\u{7}b",
        ])),
        "control characters",
    );
    assert!(
        requests::all(&ctx.db).await.unwrap().is_empty(),
        "nothing stored"
    );

    let out = run(&db, &strs(&add(&["--via", "portal"])));
    assert!(out.contains("queued until it is recorded as sent"), "{out}");
    let r = requests::all(&ctx.db).await.unwrap().remove(0);
    assert_eq!(r.state, RequestState::Queued);
    assert_eq!(r.channel, Channel::Portal);
    let t = tasks::open(&ctx.db).await.unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].kind, TaskKind::Submit);
    assert!(messages::list_outbound(&ctx.db, None)
        .await
        .unwrap()
        .is_empty());
    // The same request twice is refused, as `foi queue` does.
    fails_with(
        &db,
        &strs(&add(&["--via", "portal"])),
        "pass --again to queue another",
    );
    fails_with(
        &db,
        &["requests", "chased", &r.reference],
        "has not been submitted yet",
    );

    fails_with(
        &db,
        &[
            "queue",
            "--campaign",
            "c",
            "--template",
            "twinning-agreement",
            "--all-twinned",
            "--via",
            "email",
            "--without-address",
        ],
        "use it with --via portal or --via post",
    );

    // Misuse is exit 2.
    for args in [
        vec![
            "queue",
            "--template",
            "twinning-agreement",
            "--authority",
            slug.as_str(),
            "--via",
            "pigeon",
        ],
        vec![
            "queue",
            "--template",
            "twinning-agreement",
            "--authority",
            slug.as_str(),
            "--via",
            "post",
            "--without-address",
        ],
        vec![
            "queue",
            "--campaign",
            "c",
            "--template",
            "twinning-agreement",
            "--all-twinned",
            "--without-address",
        ],
        vec![
            "requests",
            "add",
            "--authority",
            slug.as_str(),
            "--template",
            "twinning-agreement",
            "--via",
            "portal",
            "--portal-ref",
            "A1",
        ],
    ] {
        let out = common::foi(&db, &args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            common::stderr(&out)
        );
    }
}

/// The migration gives every request already stored the email channel (they all went by
/// email), and can be undone and done again without losing a request.
async fn the_channel_migration_keeps_existing_requests(db: TestDb) {
    use migration::MigratorTrait;
    use sea_orm::{ConnectionTrait, Statement};
    let settings = db.settings();
    let conn = foi::store::connect(&settings.database).await.unwrap();
    migration::Migrator::up(&conn, Some(7)).await.unwrap();
    let ts = "'2026-03-01T10:00:00+00:00'";
    for sql in [
        format!(
            "INSERT INTO authorities (slug, name, nation, regime, tags, created_at, updated_at) \
             VALUES ('southvale', 'Southvale', 'England', 'FOIA', '', {ts}, {ts})"
        ),
        format!(
            "INSERT INTO requests (reference, authority_id, template, regime, state, subject, body, \
             reply_to, to_address, vars, created_at, updated_at) VALUES ('foi-2026-0001', 1, 't', \
             'FOIA', 'sent', 's', 'b', 'foi+foi-2026-0001@reply.foi.invalid', 'foi@southvale.example', \
             '{{}}', {ts}, {ts})"
        ),
    ] {
        conn.execute_unprepared(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    conn.close().await.unwrap();
    let conn = foi::app::connect_and_migrate(&settings).await.unwrap();
    let r = requests::get_by_reference(&conn, "foi-2026-0001")
        .await
        .unwrap();
    assert_eq!(r.channel, Channel::Email);
    assert_eq!(r.portal_reference, None);
    assert_eq!(r.to_address.as_deref(), Some("foi@southvale.example"));
    let t = tasks::add(
        &conn,
        r.id,
        TaskKind::Reminder,
        "s",
        "text",
        at("2026-03-02T09:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(tasks::open(&conn).await.unwrap(), vec![t]);

    // Down past this migration (and any after it), and up again.
    let names: Vec<String> = migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let mine = names
        .iter()
        .position(|n| n.contains("000009_request_channels"))
        .unwrap();
    migration::Migrator::down(&conn, Some((names.len() - mine) as u32))
        .await
        .unwrap();
    let backend = conn.get_database_backend();
    let count = conn
        .query_one(Statement::from_string(
            backend,
            "SELECT COUNT(*) FROM requests".to_string(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(count, 1);
    migration::Migrator::up(&conn, None).await.unwrap();
    let r = requests::get_by_reference(&conn, "foi-2026-0001")
        .await
        .unwrap();
    assert_eq!(r.channel, Channel::Email);
    assert!(tasks::open(&conn).await.unwrap().is_empty());
    conn.close().await.unwrap();
}

/// `foi review` of a refusal that came back on a web-form request: the review letter becomes
/// a staff task (never an outbox draft) with staff's own grounds in it; a second `foi review`
/// is refused while that task is open; `foi requests chased` starts the review clock.
async fn a_review_of_a_portal_refusal_is_a_staff_task(db: TestDb) {
    let (ctx, sent) = daemon(&db).await;
    let (slug, _) = common::council_with_link(&ctx, "Southvale Council", "").await;
    let out = run(
        &db,
        &[
            "--now",
            "2026-03-02T09:00:00Z",
            "queue",
            "--template",
            "twinning-agreement",
            "--authority",
            &slug,
            "--via",
            "portal",
        ],
    );
    let reference = queued_reference(&out);
    run(
        &db,
        &[
            "--now",
            "2026-03-02T10:00:00Z",
            "requests",
            "sent",
            &reference,
            "--on",
            "2026-03-02",
            "--portal-ref",
            "SV-777",
        ],
    );
    // The refusal came through the council's case system, logged by hand.
    run(
        &db,
        &[
            "--now",
            "2026-03-20T10:00:00Z",
            "log-response",
            &reference,
            "--received",
            "2026-03-20",
            "--outcome",
            "refused",
            "--exemptions",
            "s27,s43",
        ],
    );
    let grounds = db.dir.path().join("grounds.txt");
    std::fs::write(
        &grounds,
        "The council's own minutes of 2019 describe the agreement in public.\n",
    )
    .unwrap();
    let said = run(
        &db,
        &[
            "--now",
            "2026-03-23T10:00:00Z",
            "review",
            &reference,
            "--grounds-file",
            grounds.to_str().unwrap(),
        ],
    );
    assert!(
        said.contains("staff task")
            && said.contains(&format!("foi requests chased {reference} --on DATE")),
        "{said}"
    );
    assert!(
        messages::list_outbound(&ctx.db, None)
            .await
            .unwrap()
            .is_empty(),
        "nothing drafted for the outbox"
    );
    let listed: serde_json::Value = serde_json::from_str(&run(
        &db,
        &["--now", "2026-03-24T10:00:00Z", "tasks", "list", "--json"],
    ))
    .unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["kind"], "internal_review");
    let text = listed[0]["text"].as_str().unwrap();
    for needle in [
        "minutes of 2019 describe the agreement in public",
        "s27",
        "s43",
        "SV-777",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
    fails_with(
        &db,
        &["--now", "2026-03-24T10:00:00Z", "review", &reference],
        "task",
    );

    // Pasted into the form on Wednesday 25 March: the review is due 20 working days later.
    let said = run(
        &db,
        &[
            "--now",
            "2026-03-25T12:00:00Z",
            "requests",
            "chased",
            &reference,
            "--on",
            "2026-03-25",
        ],
    );
    assert!(
        said.contains("(internal_review) done on 2026-03-25"),
        "{said}"
    );
    let r = requests::get_by_reference(&ctx.db, &reference)
        .await
        .unwrap();
    assert_eq!(r.state, RequestState::InternalReview);
    // 20 working days from 25 March 2026, Good Friday and Easter Monday skipped.
    let review_due = requests::deadlines_of(&r).unwrap().unwrap().review_due;
    assert_eq!(review_due, Some(day("2026-04-24")));
    assert!(tasks::open(&ctx.db).await.unwrap().is_empty());
    run_job(&ctx, "dispatch", at("2026-03-25T13:00:00Z"))
        .await
        .unwrap();
    assert!(sent.lock().unwrap().is_empty(), "nothing is emailed");
}

db_tests!(
    portal_request_from_queue_to_reply,
    a_review_of_a_portal_refusal_is_a_staff_task,
    postal_requests_and_requests_made_outside_foi,
    requests_added_without_a_date_wait_and_bad_ones_store_nothing,
    the_channel_migration_keeps_existing_requests,
);
