//! The outbox against a real SMTP server (Debian's aiosmtpd on a loopback port): what the
//! server receives, retries, permanent failures, a server that is down, racing workers, and
//! a crash between the server's acceptance and our record of it.

use crate::common;
use crate::support::smtp;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::TestDb;
use foi::services::dispatch::{self, DispatchOutcome};
use foi::settings::{Secret, Settings, SmtpSecurity, TransportKind};
use foi::store::{clock_events, events, messages, requests};
use smtp::{SmtpServer, TestCa};
use std::collections::BTreeMap;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
}

fn smtp_settings(db: &TestDb, port: u16, security: SmtpSecurity) -> Settings {
    let mut s = db.settings();
    s.mail.transport = TransportKind::Smtp;
    s.mail.smtp.host = "127.0.0.1".into();
    s.mail.smtp.port = port;
    s.mail.smtp.security = security;
    s.mail.smtp.timeout_secs = 5;
    s.mail.outbox.lease_secs = 60;
    s.mail.outbox.per_minute = 0;
    s.mail.outbox.per_domain_per_minute = 0;
    common::real_sender(&mut s);
    s
}

/// Queues `n` requests to one council and returns their references.
async fn queue(app: &foi::Application, n: usize) -> Vec<String> {
    let (_, link) =
        common::council_with_link(app, "Test City Council", "foi@test-city.example.org").await;
    let q = common::Queue::new(app, t0());
    let mut refs = Vec::new();
    for _ in 0..n {
        let l = q
            .queue_one(
                "twinning-agreement",
                "test-city-council",
                Some(link),
                &BTreeMap::new(),
                false,
                true, // again: the same letter, deliberately
            )
            .await
            .unwrap();
        refs.push(l.reference);
    }
    refs
}

/// A worker sending with `settings` (its own SMTP server, say) on the test's database.
async fn outbox(_app: &foi::AppContext, settings: &Settings, worker: &str) -> foi::AppContext {
    foi::AppContext::build(settings.clone())
        .await
        .unwrap()
        .with_worker(worker)
}

async fn app_with(settings: Settings) -> foi::Application {
    foi::Application::build(settings).await.unwrap()
}

fn decoded_body(mail: &smtp::ReceivedMail) -> String {
    let raw = mail.body();
    let bytes =
        quoted_printable::decode(raw.as_bytes(), quoted_printable::ParseMode::Robust).unwrap();
    // SMTP framing adds line ends after the last line of the body; the text itself is compared exactly.
    let text = String::from_utf8(bytes).unwrap().replace("\r\n", "\n");
    format!("{}\n", text.trim_end_matches('\n'))
}

async fn delivers_exactly_what_was_rendered(db: TestDb) {
    let server = SmtpServer::builder().start();
    let settings = smtp_settings(&db, server.port, SmtpSecurity::None);
    let app = app_with(settings.clone()).await;
    let refs = queue(&app, 1).await;
    let ob = outbox(&app, &settings, "w1").await;

    let outcome = dispatch::try_execute_task(&ob, t0()).await.unwrap();
    assert!(
        matches!(outcome, DispatchOutcome::Sent { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        dispatch::try_execute_task(&ob, t0()).await.unwrap(),
        DispatchOutcome::Idle
    );

    let got = server.wait_for(1, std::time::Duration::from_secs(5));
    assert_eq!(got.len(), 1);
    let mail = &got[0];
    let request = requests::get_by_reference(&app.db, &refs[0]).await.unwrap();
    let stored = messages::for_request(&app.db, request.id)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        mail.mail_from, request.reply_to,
        "the envelope sender is the per-request address"
    );
    assert_eq!(mail.rcpt_tos, vec!["foi@test-city.example.org".to_string()]);
    assert_eq!(
        mail.header("Reply-To").as_deref(),
        Some(request.reply_to.as_str())
    );
    assert_eq!(
        request.reply_to,
        format!("foi+{}@reply.campaign.example.org", refs[0])
    );
    assert_eq!(mail.header("Message-ID"), stored.message_id);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some(request.subject.as_str())
    );
    assert!(mail.header("Subject").unwrap().contains(&refs[0]));
    assert_eq!(
        mail.header("From").as_deref(),
        Some("\"Ada Campaigner\" <requests@campaign.example.org>")
    );
    assert_eq!(mail.header("Auto-Submitted"), None);
    assert_eq!(
        decoded_body(mail),
        request.body,
        "the body arrives exactly as rendered"
    );

    assert_eq!(request.state, "sent");
    assert_eq!(stored.state, "sent");
    assert!(stored.server_reply.unwrap().starts_with("250"));
    let clock = clock_events::rows(&app.db, request.id).await.unwrap();
    assert_eq!(clock.len(), 1);
    assert_eq!(clock[0].kind, "received");
    assert_eq!(
        clock[0].date,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
    );
    // 20 working days, skipping St Patrick's Day (Tue 17 March, Northern Ireland), as FOIA requires.
    assert_eq!(
        request.response_due,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 31)
    );
}

async fn a_451_is_retried_with_the_same_message_id_and_delivered_once(db: TestDb) {
    let server = SmtpServer::builder().tempfail_first(1).start();
    let settings = smtp_settings(&db, server.port, SmtpSecurity::None);
    let app = app_with(settings.clone()).await;
    let refs = queue(&app, 1).await;
    let ob = outbox(&app, &settings, "w1").await;

    let first = dispatch::try_execute_task(&ob, t0()).await.unwrap();
    let DispatchOutcome::WillRetry { at, error, .. } = first else {
        panic!("{first:?}")
    };
    assert!(error.contains("451"), "{error}");
    assert_eq!(at, t0() + Duration::seconds(60));
    // Not due yet.
    assert_eq!(
        dispatch::try_execute_task(&ob, t0() + Duration::seconds(30))
            .await
            .unwrap(),
        DispatchOutcome::Idle
    );
    let second = dispatch::try_execute_task(&ob, at).await.unwrap();
    assert!(matches!(second, DispatchOutcome::Sent { .. }), "{second:?}");

    let attempts = server.attempts();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0]["message_id"], attempts[1]["message_id"]);
    assert_eq!(server.received().len(), 1);
    let request = requests::get_by_reference(&app.db, &refs[0]).await.unwrap();
    assert_eq!(request.state, "sent");
    let timeline = events::timeline(&app.db, request.id).await.unwrap();
    assert!(timeline
        .iter()
        .any(|e| e.kind == "send_retry" && e.detail.contains("451")));
}

async fn a_550_fails_the_request_and_is_not_retried(db: TestDb) {
    let server = SmtpServer::builder()
        .fail_rcpt("foi@test-city.example.org", 550)
        .start();
    let settings = smtp_settings(&db, server.port, SmtpSecurity::None);
    let app = app_with(settings.clone()).await;
    let refs = queue(&app, 1).await;
    let ob = outbox(&app, &settings, "w1").await;

    let outcome = dispatch::try_execute_task(&ob, t0()).await.unwrap();
    let DispatchOutcome::Failed { error, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        error.contains("refused the recipient") && error.contains("550"),
        "{error}"
    );
    assert_eq!(
        dispatch::try_execute_task(&ob, t0() + Duration::hours(5))
            .await
            .unwrap(),
        DispatchOutcome::Idle
    );
    assert!(server.received().is_empty());
    let request = requests::get_by_reference(&app.db, &refs[0]).await.unwrap();
    assert_eq!(request.state, "delivery_failed");
    let timeline = events::timeline(&app.db, request.id).await.unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| e.kind == "delivery_failed" && e.detail.contains("user unknown")),
        "{timeline:#?}"
    );
    assert!(
        clock_events::rows(&app.db, request.id)
            .await
            .unwrap()
            .is_empty(),
        "no clock for an undelivered request"
    );
}

async fn a_server_that_is_down_is_retried_later(db: TestDb) {
    let port = smtp::free_port();
    let settings = smtp_settings(&db, port, SmtpSecurity::None);
    let app = app_with(settings.clone()).await;
    let refs = queue(&app, 1).await;
    let ob = outbox(&app, &settings, "w1").await;
    let outcome = dispatch::try_execute_task(&ob, t0()).await.unwrap();
    let DispatchOutcome::WillRetry { error, at, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        error.contains("could not connect") || error.contains("SMTP server 127.0.0.1"),
        "{error}"
    );

    // The server comes up on that port; the retry goes through.
    let server = SmtpServer::builder().port(port).start();
    let outcome = dispatch::try_execute_task(&ob, at).await.unwrap();
    assert!(
        matches!(outcome, DispatchOutcome::Sent { .. }),
        "{outcome:?}"
    );
    assert_eq!(server.received().len(), 1);
    let r = requests::get_by_reference(&app.db, &refs[0]).await.unwrap();
    assert_eq!(r.state, "sent");
}

async fn two_workers_racing_send_each_message_once(db: TestDb) {
    let server = SmtpServer::builder().start();
    let settings = smtp_settings(&db, server.port, SmtpSecurity::None);
    let app = app_with(settings.clone()).await;
    let refs = queue(&app, 12).await;
    let a = outbox(&app, &settings, "worker-a").await;
    let b = outbox(&app, &settings, "worker-b").await;
    let drain = |ob: foi::AppContext| async move {
        let mut n = 0;
        loop {
            match dispatch::try_execute_task(&ob, t0()).await.unwrap() {
                DispatchOutcome::Idle => return n,
                DispatchOutcome::Sent { .. } => n += 1,
                other => panic!("{other:?}"),
            }
        }
    };
    let (na, nb) = tokio::join!(tokio::spawn(drain(a)), tokio::spawn(drain(b)));
    let (na, nb) = (na.unwrap(), nb.unwrap());
    assert_eq!(na + nb, refs.len());
    let got = server.wait_for(refs.len(), std::time::Duration::from_secs(10));
    let mut ids: Vec<String> = got
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    assert_eq!(ids.len(), refs.len());
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), refs.len(), "no message was delivered twice");
    let sent = messages::list_outbound(&app.db, Some(foi::domain::MessageState::Sent))
        .await
        .unwrap();
    assert_eq!(sent.len(), refs.len());
}

async fn a_crash_after_acceptance_is_uncertain_and_never_resent_silently(db: TestDb) {
    let server = SmtpServer::builder().start();
    let settings = smtp_settings(&db, server.port, SmtpSecurity::None);
    let app = app_with(settings.clone()).await;
    let refs = queue(&app, 1).await;
    // The worker claims and the server accepts, then the process stalls before recording.
    let dying = outbox(&app, &settings, "dying").await;
    let claimed = dispatch::claim(&dying, t0()).await.unwrap().unwrap();
    let late_result = dispatch::deliver(&dying, &claimed).await;
    assert_eq!(server.received().len(), 1);
    let ob = outbox(&app, &settings, "restarted").await;
    // While the lease runs, nobody touches it.
    assert!(dispatch::recover(&ob, t0() + Duration::seconds(30))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        dispatch::try_execute_task(&ob, t0() + Duration::seconds(30))
            .await
            .unwrap(),
        DispatchOutcome::Idle
    );
    let later = t0() + Duration::seconds(61);
    let stale = dispatch::recover(&ob, later).await.unwrap();
    assert_eq!(stale.len(), 1);
    assert_eq!(
        dispatch::try_execute_task(&ob, later).await.unwrap(),
        DispatchOutcome::Idle
    );
    assert_eq!(server.received().len(), 1, "not resent");
    let r = requests::get_by_reference(&app.db, &refs[0]).await.unwrap();
    let msgs = messages::for_request(&app.db, r.id).await.unwrap();
    assert_eq!(msgs[0].state, "uncertain");
    let timeline = events::timeline(&app.db, r.id).await.unwrap();
    assert!(timeline.iter().any(|e| e.kind == "send_uncertain"));

    // Staff decide to resend: the same Message-ID goes out again.
    let out = common::foi(&db, &["outbox", "retry", &refs[0]]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let outcome = dispatch::try_execute_task(&ob, later).await.unwrap();
    assert!(
        matches!(outcome, DispatchOutcome::Sent { .. }),
        "{outcome:?}"
    );
    let got = server.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].header("Message-ID"), got[1].header("Message-ID"));

    // The stalled worker wakes up: its late result is not recorded over the new one.
    let sent_events =
        |t: &[foi::store::events::TimelineEvent]| t.iter().filter(|e| e.kind == "sent").count();
    let before = sent_events(&events::timeline(&app.db, r.id).await.unwrap());
    let outcome = dispatch::record(&dying, &claimed, late_result, later + Duration::seconds(5))
        .await
        .unwrap();
    assert!(
        matches!(outcome, DispatchOutcome::Superseded { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        sent_events(&events::timeline(&app.db, r.id).await.unwrap()),
        before
    );
}

async fn a_failed_reminder_does_not_undo_a_delivered_request(db: TestDb) {
    let server = SmtpServer::builder().start();
    let settings = smtp_settings(&db, server.port, SmtpSecurity::None);
    let app = app_with(settings.clone()).await;
    let refs = queue(&app, 1).await;
    let ob = outbox(&app, &settings, "w1").await;
    assert!(matches!(
        dispatch::try_execute_task(&ob, t0()).await.unwrap(),
        DispatchOutcome::Sent { .. }
    ));
    let r = requests::get_by_reference(&app.db, &refs[0]).await.unwrap();
    // Later the council's mailbox goes away, and the reminder is refused.
    let refusing = SmtpServer::builder()
        .fail_rcpt("foi@test-city.example.org", 550)
        .start();
    let settings2 = smtp_settings(&db, refusing.port, SmtpSecurity::None);
    messages::enqueue(
        &app.db,
        messages::NewOutbound {
            request_id: Some(r.id),
            kind: foi::domain::MessageKind::Reminder,
            from_addr: settings.mail.from_address.clone(),
            to_addr: "foi@test-city.example.org".into(),
            reply_to: r.reply_to.clone(),
            subject: format!("Re: {}", r.subject),
            body: "A reminder.\n".into(),
            message_id: "<reminder-1@reply.foi.invalid>".into(),
            in_reply_to: None,
            references: None,
            auto_submitted: true,
            html_body: None,
            inline: Vec::new(),
            state: foi::domain::MessageState::Queued,
        },
        t0(),
    )
    .await
    .unwrap();
    let ob2 = outbox(&app, &settings2, "w2").await;
    let outcome = dispatch::try_execute_task(&ob2, t0() + Duration::days(30))
        .await
        .unwrap();
    assert!(
        matches!(outcome, DispatchOutcome::Failed { .. }),
        "{outcome:?}"
    );
    let r = requests::get_by_reference(&app.db, &refs[0]).await.unwrap();
    assert_eq!(
        r.state, "sent",
        "the request was delivered; only the reminder failed"
    );
    let t = events::timeline(&app.db, r.id).await.unwrap();
    assert!(
        t.iter()
            .any(|e| e.kind == "delivery_failed" && e.detail.contains("reminder")),
        "{t:#?}"
    );
}

/// A delivery status report for `to`, quoting the letter's Message-ID and its reply address.
fn bounce_for(to: &str, message_id: &str, reply_to: &str) -> Vec<u8> {
    format!(
        "From: Mail Delivery Subsystem <mailer-daemon@relay.example.org>\r\n\
         To: {reply_to}\r\n\
         Subject: Delivery Status Notification (Failure)\r\n\
         Message-ID: <dsn-{}@relay.example.org>\r\n\
         Auto-Submitted: auto-replied\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain\r\n\r\nYour message wasn't delivered to {to}.\r\n\
         --b1\r\nContent-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; relay.example.org\r\n\r\n\
         Final-Recipient: rfc822; {to}\r\nAction: failed\r\nStatus: 5.1.1\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 <{to}>: User unknown\r\n\r\n\
         --b1\r\nContent-Type: text/rfc822-headers\r\n\r\n\
         Message-ID: {message_id}\r\nTo: {to}\r\nSubject: Freedom of Information request\r\n\r\n\
         --b1--\r\n",
        message_id.trim_matches(['<', '>'])
    )
    .into_bytes()
}

/// A letter the server accepted but which bounced: once staff correct the council's address,
/// the retry, and the sweep's reminder, go to the new address; the old one stays on the
/// timeline; and the statutory clock starts from the resend, not from the letter that never
/// arrived.
async fn a_bounced_letter_goes_to_the_corrected_address_and_its_clock_restarts(db: TestDb) {
    let server = SmtpServer::builder().start();
    let settings = smtp_settings(&db, server.port, SmtpSecurity::None);
    let app = app_with(settings.clone()).await;
    let refs = queue(&app, 1).await;
    let ob = outbox(&app, &settings, "w1").await;
    assert!(matches!(
        dispatch::try_execute_task(&ob, t0()).await.unwrap(),
        DispatchOutcome::Sent { .. }
    ));
    let r = requests::get_by_reference(&app.db, &refs[0]).await.unwrap();
    let letter = messages::for_request(&app.db, r.id)
        .await
        .unwrap()
        .remove(0);
    foi::services::ingest::ingest(
        &app,
        t0() + Duration::hours(1),
        &bounce_for(
            "foi@test-city.example.org",
            letter.message_id.as_deref().unwrap(),
            &r.reply_to,
        ),
        "test",
    )
    .await
    .unwrap();
    let r = requests::get_by_reference(&app.db, &refs[0]).await.unwrap();
    assert_eq!(r.state, "delivery_failed");

    let out = common::foi(
        &db,
        &[
            "authorities",
            "set-email",
            "test-city-council",
            "information@test-city.example.org",
        ],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        common::stdout(&out).contains(&format!("{}: 1 unsent letter(s) now go to", refs[0])),
        "{}",
        common::stdout(&out)
    );
    let out = common::foi(
        &db,
        &["--now", "2026-03-05T09:00:00Z", "outbox", "retry", &refs[0]],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let said = common::stdout(&out);
    assert!(said.contains("never arrived"), "{said}");
    let resent_at = Utc.with_ymd_and_hms(2026, 3, 5, 10, 0, 0).unwrap();
    assert!(matches!(
        dispatch::try_execute_task(&ob, resent_at).await.unwrap(),
        DispatchOutcome::Sent { .. }
    ));
    let got = server.wait_for(2, std::time::Duration::from_secs(5));
    assert_eq!(
        got[1].rcpt_tos,
        vec!["information@test-city.example.org".to_string()]
    );
    assert_eq!(got[1].header("Message-ID"), letter.message_id);

    let r = requests::get_by_reference(&app.db, &refs[0]).await.unwrap();
    assert_eq!(r.state, "sent");
    assert_eq!(
        r.to_address.as_deref(),
        Some("information@test-city.example.org")
    );
    let clock = clock_events::rows(&app.db, r.id).await.unwrap();
    assert_eq!(clock.len(), 1, "{clock:?}");
    assert_eq!(
        clock[0].date,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 5).unwrap()
    );
    assert!(
        clock[0].note.as_deref().unwrap().contains("resend"),
        "{clock:?}"
    );
    // Thursday 5 March + 20 working days, skipping St Patrick's Day, Good Friday and Easter Monday.
    assert_eq!(r.response_due, chrono::NaiveDate::from_ymd_opt(2026, 4, 7));
    let timeline = events::timeline(&app.db, r.id).await.unwrap();
    let text: Vec<String> = timeline.iter().map(|e| e.detail.clone()).collect();
    assert!(
        text.iter().any(|t| t.contains("foi@test-city.example.org")
            && t.contains("information@test-city.example.org")),
        "the old address stays on the timeline: {text:#?}"
    );
    assert!(
        text.iter().any(|t| t.contains("never arrived")),
        "{text:#?}"
    );

    // The council's address changes again; the sweep's reminder goes to the newest one.
    let out = common::foi(
        &db,
        &[
            "authorities",
            "set-email",
            "test-city-council",
            "foi-team@test-city.example.org",
        ],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let late = Utc.with_ymd_and_hms(2026, 4, 8, 7, 0, 0).unwrap();
    let out = common::run_job(&ob, "sweep", late).await.unwrap();
    assert!(out.contains("1 reminders"), "{out}");
    common::run_job(&ob, "dispatch", late).await.unwrap();
    let got = server.wait_for(3, std::time::Duration::from_secs(5));
    assert_eq!(
        got[2].rcpt_tos,
        vec!["foi-team@test-city.example.org".to_string()]
    );
}

/// `foi outbox retry` gives a message that used up its attempts a fresh series, not one try.
async fn a_retry_starts_a_fresh_series_of_attempts(db: TestDb) {
    let port = smtp::free_port();
    let mut settings = smtp_settings(&db, port, SmtpSecurity::None);
    settings.mail.outbox.max_attempts = 2;
    let app = app_with(settings.clone()).await;
    let refs = queue(&app, 1).await;
    let ob = outbox(&app, &settings, "w1").await;
    let DispatchOutcome::WillRetry { at, .. } =
        dispatch::try_execute_task(&ob, t0()).await.unwrap()
    else {
        panic!("the server is down: a retry is expected")
    };
    let outcome = dispatch::try_execute_task(&ob, at).await.unwrap();
    assert!(
        matches!(outcome, DispatchOutcome::Failed { .. }),
        "{outcome:?}"
    );
    let out = common::foi(&db, &["outbox", "retry", &refs[0]]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let r = requests::get_by_reference(&app.db, &refs[0]).await.unwrap();
    let m = messages::for_request(&app.db, r.id)
        .await
        .unwrap()
        .remove(0);
    assert_eq!((m.state.as_str(), m.attempts), ("queued", 0));
    // Still down: the first attempt of the new series is retried, not given up.
    let later = at + Duration::hours(1);
    let outcome = dispatch::try_execute_task(&ob, later).await.unwrap();
    assert!(
        matches!(outcome, DispatchOutcome::WillRetry { .. }),
        "{outcome:?}"
    );
}

db_tests!(
    a_bounced_letter_goes_to_the_corrected_address_and_its_clock_restarts,
    a_retry_starts_a_fresh_series_of_attempts,
    delivers_exactly_what_was_rendered,
    a_451_is_retried_with_the_same_message_id_and_delivered_once,
    a_550_fails_the_request_and_is_not_retried,
    a_server_that_is_down_is_retried_later,
    two_workers_racing_send_each_message_once,
    a_crash_after_acceptance_is_uncertain_and_never_resent_silently,
    a_failed_reminder_does_not_undo_a_delivered_request,
);

#[tokio::test]
async fn starttls_with_a_test_ca_and_auth() {
    let db = TestDb::sqlite().await;
    let ca = TestCa::generate(db.dir.path(), "localhost");
    let server = SmtpServer::builder()
        .tls(&ca)
        .require_starttls()
        .auth("campaign", "s3cret pass")
        .start();
    let mut settings = smtp_settings(&db, server.port, SmtpSecurity::Starttls);
    settings.mail.smtp.host = "localhost".into();
    settings.mail.smtp.ca_file = ca.ca_path.display().to_string();
    settings.mail.smtp.username = "campaign".into();
    settings.mail.smtp.password = Secret::new("s3cret pass");
    let app = app_with(settings.clone()).await;
    queue(&app, 1).await;
    let ob = outbox(&app, &settings, "w1").await;
    let outcome = dispatch::try_execute_task(&ob, t0()).await.unwrap();
    assert!(
        matches!(outcome, DispatchOutcome::Sent { .. }),
        "{outcome:?}"
    );
    let got = server.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].tls, "sent over TLS");
    assert_eq!(got[0].auth_user.as_deref(), Some("campaign"));
}

#[tokio::test]
async fn a_wrong_password_is_retried_not_blamed_on_the_council() {
    let db = TestDb::sqlite().await;
    let ca = TestCa::generate(db.dir.path(), "localhost");
    let server = SmtpServer::builder()
        .tls(&ca)
        .auth("campaign", "right")
        .start();
    let mut settings = smtp_settings(&db, server.port, SmtpSecurity::Starttls);
    settings.mail.smtp.host = "localhost".into();
    settings.mail.smtp.ca_file = ca.ca_path.display().to_string();
    settings.mail.smtp.username = "campaign".into();
    settings.mail.smtp.password = Secret::new("wrong");
    let app = app_with(settings.clone()).await;
    let refs = queue(&app, 1).await;
    let ob = outbox(&app, &settings, "w1").await;
    let outcome = dispatch::try_execute_task(&ob, t0()).await.unwrap();
    let DispatchOutcome::WillRetry { error, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        error.contains("refused our login") && !error.contains("wrong"),
        "{error}"
    );
    let r = requests::get_by_reference(&app.db, &refs[0]).await.unwrap();
    assert_eq!(r.state, "queued");
}

#[tokio::test]
async fn implicit_tls() {
    let db = TestDb::sqlite().await;
    let ca = TestCa::generate(db.dir.path(), "localhost");
    let server = SmtpServer::builder().tls(&ca).implicit_tls().start();
    let mut settings = smtp_settings(&db, server.port, SmtpSecurity::Tls);
    settings.mail.smtp.ca_file = ca.ca_path.display().to_string();
    let app = app_with(settings.clone()).await;
    queue(&app, 1).await;
    let ob = outbox(&app, &settings, "w1").await;
    let outcome = dispatch::try_execute_task(&ob, t0()).await.unwrap();
    assert!(
        matches!(outcome, DispatchOutcome::Sent { .. }),
        "{outcome:?}"
    );
    assert!(server.received()[0].tls);
}

#[tokio::test]
async fn throttling_per_domain_and_the_sending_window() {
    let db = TestDb::sqlite().await;
    let server = SmtpServer::builder().start();
    let mut settings = smtp_settings(&db, server.port, SmtpSecurity::None);
    settings.mail.outbox.per_domain_per_minute = 2;
    let app = app_with(settings.clone()).await;
    queue(&app, 3).await;
    let ob = outbox(&app, &settings, "w1").await;
    assert!(matches!(
        dispatch::try_execute_task(&ob, t0()).await.unwrap(),
        DispatchOutcome::Sent { .. }
    ));
    assert!(matches!(
        dispatch::try_execute_task(&ob, t0()).await.unwrap(),
        DispatchOutcome::Sent { .. }
    ));
    let third = dispatch::try_execute_task(&ob, t0()).await.unwrap();
    assert_eq!(
        third,
        DispatchOutcome::Throttled {
            until: t0() + Duration::seconds(60)
        }
    );
    assert!(matches!(
        dispatch::try_execute_task(&ob, t0() + Duration::seconds(61))
            .await
            .unwrap(),
        DispatchOutcome::Sent { .. }
    ));

    let db2 = TestDb::sqlite().await;
    let mut settings = smtp_settings(&db2, server.port, SmtpSecurity::None);
    settings.mail.outbox.window = "Mon-Fri 09:00-17:00".into();
    let app = app_with(settings.clone()).await;
    queue(&app, 1).await;
    let ob = outbox(&app, &settings, "w1").await;
    let saturday = Utc.with_ymd_and_hms(2026, 3, 7, 12, 0, 0).unwrap();
    assert_eq!(
        dispatch::try_execute_task(&ob, saturday).await.unwrap(),
        DispatchOutcome::Closed {
            opens: Utc.with_ymd_and_hms(2026, 3, 9, 9, 0, 0).unwrap()
        }
    );
}

fn foi_with(db: &TestDb, env: &[(String, String)], args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
        .args(args)
        .current_dir(db.dir.path())
        .envs(db.env())
        .envs(env.iter().cloned())
        .output()
        .unwrap()
}

/// Mail written to files is not sent: the requests stay queued with no clock until SMTP
/// delivers them (or staff record that they sent the file themselves); SMTP refuses to send
/// under the shipped placeholder requester.
#[tokio::test]
async fn foi_send_uses_smtp_configured_by_environment() {
    let db = TestDb::sqlite().await;
    let server = SmtpServer::builder().auth("campaign", "123456").start();
    let sender = common::real_sender_env();
    let smtp_env: Vec<(String, String)> = [
        ("FOI__MAIL__TRANSPORT", "smtp".to_string()),
        ("FOI__MAIL__SMTP__HOST", "127.0.0.1".to_string()),
        ("FOI__MAIL__SMTP__PORT", server.port.to_string()),
        ("FOI__MAIL__SMTP__SECURITY", "none".to_string()),
        ("FOI__MAIL__SMTP__USERNAME", "campaign".to_string()),
        ("FOI__MAIL__SMTP__PASSWORD", "123456".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    common::foi(&db, &["seed"]);
    let out = foi_with(
        &db,
        &sender,
        &[
            "queue",
            "--campaign",
            "c",
            "--template",
            "twinning-agreement",
            "--all-twinned",
            "--status",
            "active",
        ],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));

    // The file transport (the default) writes the letters out; nothing is sent.
    let out = foi_with(&db, &sender, &["send"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(common::stdout(&out).matches("written foi-").count(), 5);
    let out = common::foi(&db, &["requests", "list", "--state", "queued", "--json"]);
    let queued: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(queued.as_array().unwrap().len(), 5, "{queued}");
    let by_hand = queued[0]["reference"].as_str().unwrap().to_string();

    // Staff send one file from their own mail client and say so.
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive()
        .to_string();
    let out = common::foi(&db, &["requests", "sent", &by_hand, "--on", &today]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        common::stdout(&out).contains("response due"),
        "{}",
        common::stdout(&out)
    );
    let out = common::foi(&db, &["requests", "sent", &by_hand, "--on", &today]);
    assert_eq!(out.status.code(), Some(1), "a letter is sent once");
    assert!(
        common::stderr(&out).contains("already sent"),
        "{}",
        common::stderr(&out)
    );

    // SMTP under the shipped placeholder requester is refused, naming the keys to set.
    let out = foi_with(&db, &smtp_env, &["send"]);
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    for key in [
        "requester.name",
        "requester.email",
        "mail.from_address",
        "mail.reply_domain",
        "FOI__REQUESTER__EMAIL",
    ] {
        assert!(err.contains(key), "{key} in {err}");
    }
    assert!(server.received().is_empty());

    // With a real requester, switching to SMTP sends the four written letters, not the fifth.
    let mut env = smtp_env.clone();
    env.extend(sender.iter().cloned());
    let out = foi_with(&db, &env, &["send"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let text = common::stdout(&out);
    assert_eq!(text.matches("sent    foi-").count(), 4, "{text}");
    assert!(!text.contains("123456") && !common::stderr(&out).contains("123456"));
    let got = server.wait_for(4, std::time::Duration::from_secs(5));
    assert_eq!(got.len(), 4);
    assert!(got
        .iter()
        .all(|m| m.auth_user.as_deref() == Some("campaign")));
    assert!(got
        .iter()
        .all(|m| !m.header("Subject").unwrap().contains(&by_hand)));
    let out = common::foi(&db, &["requests", "list", "--state", "sent", "--json"]);
    let sent: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sent.as_array().unwrap().len(), 5, "{sent}");
}
