//! The daemon end to end with real servers (aiosmtpd for mail out, Dovecot for replies) on
//! SQLite and PostgreSQL, walking a campaign of five councils through weeks of statutory time.

use crate::common;
use crate::support::imap;
use crate::support::smtp;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc, Weekday};
use common::run_job;
use common::TestDb;
use foi::mail::MailTransport;
use foi::settings::{ImapSecurity, Secret, Settings, SmtpSecurity, TransportKind};
use foi::store::{events, requests};
use std::collections::BTreeMap;
use std::sync::Arc;

async fn context(settings: &Settings, worker: &str) -> foi::AppContext {
    foi::AppContext::build(settings.clone())
        .await
        .unwrap()
        .with_worker(worker)
}

fn next_monday_8am(after: DateTime<Utc>) -> DateTime<Utc> {
    let mut d = after.date_naive() + Duration::days(1);
    while d.weekday() != Weekday::Mon {
        d += Duration::days(1);
    }
    // 08:00 London is 07:00 UTC in summer time, which these dates are in.
    Utc.from_utc_datetime(&d.and_hms_opt(7, 0, 0).unwrap())
}

async fn a_campaign_through_the_daemon(db: TestDb) {
    let smtp_server = smtp::SmtpServer::builder().start();
    let imap_server = Arc::new(
        tokio::task::spawn_blocking(|| imap::ImapServer::builder().start())
            .await
            .unwrap(),
    );
    let mut settings = db.settings();
    settings.mail.transport = TransportKind::Smtp;
    settings.mail.smtp.host = "127.0.0.1".into();
    settings.mail.smtp.port = smtp_server.port;
    settings.mail.smtp.security = SmtpSecurity::None;
    settings.mail.outbox.per_minute = 0;
    settings.mail.outbox.per_domain_per_minute = 0;
    settings.inbox.host = "127.0.0.1".into();
    settings.inbox.port = imap_server.port;
    settings.inbox.security = ImapSecurity::None;
    settings.inbox.username = imap_server.user.clone();
    settings.inbox.password = Secret::new(imap_server.password.clone());
    settings.digest.recipients = vec!["staff@campaign.example.org".into()];
    common::real_sender(&mut settings);

    let app = foi::Application::build(settings.clone()).await.unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 4, 13, 9, 0, 0).unwrap();
    let q = common::Queue::new(&app, t0);
    let mut refs = Vec::new();
    for n in 1..=5 {
        let (slug, link) = common::council_with_link(
            &app,
            &format!("Council {n}"),
            &format!("foi@council{n}.example.org"),
        )
        .await;
        let l = q
            .queue_one(
                "twinning-agreement",
                &slug,
                Some(link),
                &BTreeMap::new(),
                false,
                false,
            )
            .await
            .unwrap();
        refs.push(l.reference);
    }

    let daemon = context(&settings, "daemon-1").await;
    let out = run_job(&daemon, "dispatch", t0).await.unwrap();
    assert!(out.starts_with("5 sent"), "{out}");
    let letters = smtp_server.wait_for(5, std::time::Duration::from_secs(10));
    assert_eq!(letters.len(), 5);

    let r1 = requests::get_by_reference(&app.db, &refs[0]).await.unwrap();
    let due = r1.response_due.unwrap();
    let t1 = Utc.from_utc_datetime(&(due + Duration::days(1)).and_hms_opt(6, 0, 0).unwrap());
    let out = run_job(&daemon, "sweep", t1).await.unwrap();
    assert!(
        out.starts_with("5 newly overdue") && out.contains("5 reminders"),
        "{out}"
    );
    run_job(&daemon, "dispatch", t1).await.unwrap();
    let all = smtp_server.wait_for(10, std::time::Duration::from_secs(10));
    assert_eq!(all.len(), 10);
    for reference in &refs {
        let original = letters
            .iter()
            .find(|m| m.header("Subject").unwrap().contains(reference.as_str()))
            .unwrap();
        let reminders: Vec<_> = all[5..]
            .iter()
            .filter(|m| m.header("Subject").unwrap().contains(reference.as_str()))
            .collect();
        assert_eq!(reminders.len(), 1, "exactly one reminder for {reference}");
        assert_eq!(
            reminders[0].header("In-Reply-To"),
            original.header("Message-ID"),
            "same thread"
        );
        assert_eq!(
            reminders[0].header("Auto-Submitted").as_deref(),
            Some("auto-generated")
        );
        assert_eq!(reminders[0].rcpt_tos, original.rcpt_tos);
    }

    // A restart, and the sweep again: no second reminder.
    let restarted = context(&settings, "daemon-1-restarted").await;
    let out = run_job(&restarted, "sweep", t1 + Duration::hours(2))
        .await
        .unwrap();
    assert!(out.contains("0 reminders"), "{out}");
    run_job(&restarted, "dispatch", t1 + Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(smtp_server.received().len(), 10);

    // Council 1 answers; the poll files the reply and it drops out of the overdue list.
    let reply = format!(
        "From: Information Governance <foi@council1.example.org>\r\nTo: {}\r\nSubject: Your request\r\n\
         Message-ID: <reply-1@council1.example.org>\r\nDate: Thu, 14 May 2026 10:00:00 +0100\r\n\r\n\
         Please find attached the agreement you asked for.\r\n",
        r1.reply_to
    );
    let s = imap_server.clone();
    tokio::task::spawn_blocking(move || s.deliver(reply.as_bytes()))
        .await
        .unwrap();
    let out = run_job(&restarted, "poll", t1 + Duration::hours(3))
        .await
        .unwrap();
    assert!(out.contains("1 stored"), "{out}");
    assert_eq!(
        requests::get_by_reference(&app.db, &refs[0])
            .await
            .unwrap()
            .state,
        "response_received"
    );

    // Very overdue: the internal reviews are drafted (not sent), and staff are told.
    let r2 = requests::get_by_reference(&app.db, &refs[1]).await.unwrap();
    let very = foi::store::requests::deadlines_of(&r2)
        .unwrap()
        .unwrap()
        .very_overdue_from
        .unwrap();
    let t2 = Utc.from_utc_datetime(&very.and_hms_opt(6, 0, 0).unwrap());
    let out = run_job(&restarted, "sweep", t2).await.unwrap();
    assert!(
        out.contains("4 newly very overdue") && out.contains("4 internal reviews"),
        "{out}"
    );
    run_job(&restarted, "dispatch", t2).await.unwrap();
    assert_eq!(smtp_server.received().len(), 10, "drafts wait for staff");
    let t = events::timeline(&app.db, r2.id).await.unwrap();
    assert!(
        t.iter().any(|e| e.kind == "internal_review_drafted"),
        "{t:#?}"
    );
    assert!(t.iter().any(|e| e.kind == "staff_alert"), "{t:#?}");
    let t1_events = events::timeline(&app.db, r1.id).await.unwrap();
    assert!(
        !t1_events.iter().any(|e| e.kind == "very_overdue"),
        "the council that answered is not chased"
    );

    // Monday's digest lists it all, once.
    let monday = next_monday_8am(t2);
    let out = run_job(&restarted, "digest", monday).await.unwrap();
    assert!(out.contains("queued for 1 recipient"), "{out}");
    let out = run_job(&restarted, "digest", monday + Duration::hours(3))
        .await
        .unwrap();
    assert!(out.contains("already sent"), "{out}");
    run_job(&restarted, "dispatch", monday).await.unwrap();
    let got = smtp_server.wait_for(11, std::time::Duration::from_secs(10));
    assert_eq!(got.len(), 11);
    let digest = &got[10];
    assert_eq!(
        digest.rcpt_tos,
        vec!["staff@campaign.example.org".to_string()]
    );
    assert!(
        digest
            .header("Content-Type")
            .unwrap()
            .contains("multipart/alternative"),
        "{:?}",
        digest.header("Content-Type")
    );
    let raw = quoted_printable::decode(digest.data.as_bytes(), quoted_printable::ParseMode::Robust)
        .unwrap();
    let text = String::from_utf8_lossy(&raw);
    for reference in &refs[1..] {
        assert!(
            text.contains(reference.as_str()),
            "digest lists {reference}"
        );
    }
    assert!(text.contains("very_overdue"), "{text}");
    assert!(
        text.contains(&refs[0]),
        "the reply awaiting classification is listed"
    );

    // Two daemons at once: nothing is sent twice.
    let other = context(&settings, "daemon-2").await;
    for r in &refs[1..] {
        let out = common::foi(&db, &["--now", &t2.to_rfc3339(), "approve", "--yes", r]);
        assert!(out.status.success(), "{}", common::stderr(&out));
    }
    let (a, b) = tokio::join!(
        run_job(&restarted, "dispatch", t2),
        run_job(&other, "dispatch", t2)
    );
    a.unwrap();
    b.unwrap();
    let (a, b) = tokio::join!(
        run_job(&restarted, "sweep", t2),
        run_job(&other, "sweep", t2)
    );
    a.unwrap();
    b.unwrap();
    let got = smtp_server.wait_for(15, std::time::Duration::from_secs(10));
    let mut ids: Vec<String> = got
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    assert_eq!(
        ids.len(),
        15,
        "5 letters, 5 reminders, 1 digest, 4 internal reviews"
    );
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 15, "no email of any kind was sent twice");
    assert_eq!(
        requests::get_by_reference(&app.db, &refs[1])
            .await
            .unwrap()
            .state,
        "internal_review"
    );
}

/// A daemon context over the memory transport (it stands in for a server that accepts).
async fn memory_context(
    settings: &Settings,
) -> (
    foi::AppContext,
    std::sync::Arc<std::sync::Mutex<Vec<foi::mail::SentMail>>>,
) {
    let (transport, sent) = MailTransport::memory();
    let app = foi::AppContext::build(settings.clone())
        .await
        .unwrap()
        .with_transport(transport)
        .with_worker("daemon");
    (app, sent)
}

/// Councils "Council N" with one request each, sent (accepted) on Monday 2 March 2026 and
/// so due on Tuesday 31 March.
async fn sent_requests(ctx: &foi::AppContext, n: usize) -> Vec<String> {
    let app = ctx;
    let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
    let q = common::Queue::new(app, t0);
    let mut refs = Vec::new();
    for i in 1..=n {
        let (slug, link) = common::council_with_link(
            app,
            &format!("Council {i}"),
            &format!("foi@council{i}.example.org"),
        )
        .await;
        let l = q
            .queue_one(
                "twinning-agreement",
                &slug,
                Some(link),
                &BTreeMap::new(),
                false,
                false,
            )
            .await
            .unwrap();
        refs.push(l.reference);
    }
    let out = run_job(ctx, "dispatch", t0).await.unwrap();
    assert!(out.starts_with(&format!("{n} sent")), "{out}");
    refs
}

fn at(date: &str, hour: u32) -> DateTime<Utc> {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    Utc.from_utc_datetime(&d.and_hms_opt(hour, 0, 0).unwrap())
}

async fn state_of(ctx: &foi::AppContext, reference: &str) -> String {
    requests::get_by_reference(&ctx.db, reference)
        .await
        .unwrap()
        .state
        .to_string()
}

/// A clarification answered or a fee paid restarts or resumes the clock: the request shows it
/// is waiting for the council again and is chased when late. An unpaid fee lapses.
async fn clarified_and_fee_paid_requests_are_chased_and_unpaid_fees_lapse(db: TestDb) {
    let mut settings = db.settings();
    settings.mail.outbox.per_minute = 0;
    settings.mail.outbox.per_domain_per_minute = 0;
    let (ctx, sent) = memory_context(&settings).await;
    let refs = sent_requests(&ctx, 3).await;
    let (clarified, paid, unpaid) = (&refs[0], &refs[1], &refs[2]);
    let run = |args: &[&str]| {
        let out = common::foi(&db, args);
        assert!(out.status.success(), "{args:?}: {}", common::stderr(&out));
        common::stdout(&out)
    };
    let now = "2026-03-12T12:00:00Z";
    run(&[
        "--now",
        now,
        "classify",
        clarified,
        "--outcome",
        "clarification_requested",
        "--received",
        "2026-03-05",
    ]);
    run(&[
        "--now",
        now,
        "classify",
        paid,
        "--outcome",
        "fees_notice",
        "--received",
        "2026-03-05",
    ]);
    run(&[
        "--now",
        now,
        "classify",
        unpaid,
        "--outcome",
        "fees_notice",
        "--received",
        "2026-03-05",
    ]);
    assert_eq!(state_of(&ctx, clarified).await, "clarification_requested");

    let said = run(&[
        "--now",
        now,
        "requests",
        "clock",
        clarified,
        "clarification_received",
        "2026-03-10",
    ]);
    assert!(said.contains("now sent"), "{said}");
    assert_eq!(state_of(&ctx, clarified).await, "sent");
    let said = run(&[
        "--now",
        now,
        "requests",
        "clock",
        paid,
        "fee_received",
        "2026-03-12",
    ]);
    assert!(said.contains("now sent"), "{said}");
    // A database from before this fix: the fee was paid but the request still shows the
    // notice. The sweep puts it back to waiting.
    let p = requests::get_by_reference(&ctx.db, paid).await.unwrap();
    requests::set_state(
        &ctx.db,
        p.id,
        foi::domain::RequestState::FeesNotice,
        at("2026-03-12", 12),
    )
    .await
    .unwrap();

    // Restarted on 10 March: due Friday 10 April (St Patrick's Day and Easter skipped). The
    // fee paused the count from 5 to 12 March: due the same day.
    for r in [clarified, paid] {
        let model = requests::get_by_reference(&ctx.db, r).await.unwrap();
        assert_eq!(
            model.response_due,
            chrono::NaiveDate::from_ymd_opt(2026, 4, 10),
            "{r}"
        );
    }
    let out = run_job(&ctx, "sweep", at("2026-04-14", 6)).await.unwrap();
    assert!(
        out.starts_with("2 newly overdue")
            && out.contains("2 reminders")
            && out.contains("1 clocks running again"),
        "{out}"
    );
    assert_eq!(state_of(&ctx, clarified).await, "overdue");
    assert_eq!(state_of(&ctx, paid).await, "overdue");
    assert_eq!(
        state_of(&ctx, unpaid).await,
        "fees_notice",
        "the council waits for the fee"
    );
    run_job(&ctx, "dispatch", at("2026-04-14", 6))
        .await
        .unwrap();
    let mail = sent.lock().unwrap().clone();
    assert_eq!(mail.len(), 5, "3 letters and 2 reminders");

    // Three months after the notice of 5 March, the unpaid request lapses, once.
    let out = run_job(&ctx, "sweep", at("2026-06-04", 6)).await.unwrap();
    assert!(!out.contains("lapsed"), "{out}");
    let out = run_job(&ctx, "sweep", at("2026-06-05", 6)).await.unwrap();
    assert!(out.contains("1 unpaid fees lapsed"), "{out}");
    assert_eq!(state_of(&ctx, unpaid).await, "fee_lapsed");
    let u = requests::get_by_reference(&ctx.db, unpaid).await.unwrap();
    let t = events::timeline(&ctx.db, u.id).await.unwrap();
    assert!(
        t.iter()
            .any(|e| e.kind == "fee_lapsed" && e.detail.contains("2026-06-05")),
        "{t:#?}"
    );
    let out = run_job(&ctx, "sweep", at("2026-06-06", 6)).await.unwrap();
    assert!(!out.contains("lapsed"), "{out}");
}

/// A holiday import that moves a due date by a day does not start the chase again: one
/// reminder and one internal-review draft per period of lateness.
async fn a_moved_due_date_does_not_start_the_chase_again(db: TestDb) {
    let mut settings = db.settings();
    settings.mail.outbox.per_minute = 0;
    settings.mail.outbox.per_domain_per_minute = 0;
    let (ctx, sent) = memory_context(&settings).await;
    let refs = sent_requests(&ctx, 1).await;
    let out = run_job(&ctx, "sweep", at("2026-04-01", 6)).await.unwrap();
    assert!(out.contains("1 reminders"), "{out}");

    // A new Northern Ireland bank holiday on Friday 20 March: due 1 April, not 31 March.
    let ics = |date: &str| {
        let path = db.dir.path().join(format!("extra-{date}.ics"));
        std::fs::write(
            &path,
            format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:{date}\r\nSUMMARY:Extra day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"),
        )
        .unwrap();
        path
    };
    let import = |date: &str, now: &str| {
        let f = ics(date);
        let out = common::foi(
            &db,
            &[
                "--now",
                now,
                "holidays",
                "import",
                f.to_str().unwrap(),
                "--division",
                "northern-ireland",
            ],
        );
        assert!(out.status.success(), "{}", common::stderr(&out));
    };
    import("20260320", "2026-04-01T08:00:00Z");
    let r = requests::get_by_reference(&ctx.db, &refs[0]).await.unwrap();
    assert_eq!(r.response_due, chrono::NaiveDate::from_ymd_opt(2026, 4, 1));
    let out = run_job(&ctx, "sweep", at("2026-04-01", 9)).await.unwrap();
    assert!(out.contains("1 no longer overdue"), "{out}");
    assert_eq!(state_of(&ctx, &refs[0]).await, "sent");
    let out = run_job(&ctx, "sweep", at("2026-04-02", 6)).await.unwrap();
    assert!(
        out.starts_with("1 newly overdue") && out.contains("0 reminders"),
        "{out}"
    );

    // Very overdue: one review draft; another moved day does not draft a second.
    let very = foi::store::requests::deadlines_of(
        &requests::get_by_reference(&ctx.db, &refs[0]).await.unwrap(),
    )
    .unwrap()
    .unwrap()
    .very_overdue_from
    .unwrap();
    let out = run_job(&ctx, "sweep", at(&very.to_string(), 6))
        .await
        .unwrap();
    assert!(out.contains("1 internal reviews"), "{out}");
    import("20260323", &format!("{very}T08:00:00Z"));
    for day in 0..3 {
        let when = at(&very.to_string(), 6) + Duration::days(day + 1);
        let out = run_job(&ctx, "sweep", when).await.unwrap();
        assert!(out.contains("0 reminders, 0 internal reviews"), "{out}");
    }
    run_job(&ctx, "dispatch", at(&very.to_string(), 12))
        .await
        .unwrap();
    let kinds: Vec<String> = foi::store::messages::list_outbound(&ctx.db, None)
        .await
        .unwrap()
        .into_iter()
        .map(|m| format!("{}:{}", m.kind, m.state))
        .collect();
    assert_eq!(
        kinds,
        vec!["request:sent", "reminder:sent", "internal_review:draft"],
        "one of each"
    );
    assert_eq!(sent.lock().unwrap().len(), 2);
}

/// `foi approve` sends the review as of the day it is approved, and refuses a draft whose
/// request the council has answered since (the draft says it has not).
async fn approve_rewrites_the_draft_and_refuses_a_stale_one(db: TestDb) {
    let mut settings = db.settings();
    settings.mail.outbox.per_minute = 0;
    settings.mail.outbox.per_domain_per_minute = 0;
    let (ctx, _sent) = memory_context(&settings).await;
    let refs = sent_requests(&ctx, 2).await;
    let r = requests::get_by_reference(&ctx.db, &refs[0]).await.unwrap();
    let very = foi::store::requests::deadlines_of(&r)
        .unwrap()
        .unwrap()
        .very_overdue_from
        .unwrap();
    let out = run_job(&ctx, "sweep", at(&very.to_string(), 6))
        .await
        .unwrap();
    assert!(out.contains("2 internal reviews"), "{out}");

    // The second council refuses; its drafted review (which says it never answered) is stale.
    let later = at(&very.to_string(), 12) + Duration::days(7);
    let run = |args: Vec<String>| {
        let out = common::foi(&db, &args.iter().map(String::as_str).collect::<Vec<_>>());
        (
            out.status.code(),
            common::stdout(&out),
            common::stderr(&out),
        )
    };
    let now = later.to_rfc3339();
    let (code, _, err) = run(vec![
        "--now".into(),
        now.clone(),
        "classify".into(),
        refs[1].clone(),
        "--outcome".into(),
        "refused".into(),
        "--exemptions".into(),
        "s27".into(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = run(vec![
        "--now".into(),
        now.clone(),
        "approve".into(),
        "--yes".into(),
        refs[1].clone(),
    ]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("is now refused") && err.contains("foi review"),
        "{err}"
    );
    let drafts =
        foi::store::messages::list_outbound(&ctx.db, Some(foi::domain::MessageState::Draft))
            .await
            .unwrap();
    assert_eq!(drafts.len(), 2, "nothing was queued");

    // The first is still unanswered: approved a week later, the letter counts the days to now.
    let drafted = drafts
        .iter()
        .find(|m| m.request_id == Some(r.id))
        .unwrap()
        .body
        .clone();
    let (code, _, err) = run(vec![
        "--now".into(),
        now,
        "approve".into(),
        "--yes".into(),
        refs[0].clone(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let queued = foi::store::messages::for_request(&ctx.db, r.id)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.kind == foi::domain::MessageKind::InternalReview)
        .unwrap();
    assert_eq!(queued.state, "queued");
    assert_ne!(
        queued.body, drafted,
        "written again as of the day it was approved"
    );
    let cal = ctx.calendar().await.unwrap();
    let due = r.response_due.unwrap();
    let late = cal
        .working_days_between(foi::calendar::Regime::Foia, due, later.date_naive())
        .unwrap();
    assert!(
        queued
            .body
            .contains(&format!("now {late} working days overdue")),
        "{}",
        queued.body
    );
    assert_eq!(state_of(&ctx, &refs[0]).await, "internal_review");
}

db_tests!(
    approve_rewrites_the_draft_and_refuses_a_stale_one,
    a_campaign_through_the_daemon,
    clarified_and_fee_paid_requests_are_chased_and_unpaid_fees_lapse,
    a_moved_due_date_does_not_start_the_chase_again,
);
