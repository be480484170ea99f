//! Outbox throughput against a local aiosmtpd sink, next to the transport's ceiling (a plain
//! loop of lettre sends to the same sink). Run: `cargo bench --bench outbox` (needs
//! python3-aiosmtpd: `scripts/install-deps.sh`). Prints messages per second for both and the ratio.

#[path = "../tests/it/support/smtp.rs"]
mod smtp;

use chrono::{TimeZone, Utc};
use foi::import::{parse_authorities, parse_twinnings};
use foi::mail::OutgoingEmail;
use foi::services::dispatch::{self, DispatchOutcome};
use foi::services::queue::{self, QueueOne};
use foi::settings::{Settings, SmtpSecurity, TransportKind};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::collections::BTreeMap;
use std::time::Instant;

const N: usize = 2000;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let n: usize = std::env::var("FOI_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(N);
    let server = smtp::SmtpServer::builder().sink().start();
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::defaults();
    settings.database.url = format!("sqlite://{}", dir.path().join("bench.db").display());
    settings.paths.templates_dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("letter-templates");
    settings.paths.data_dir = dir.path().join("var");
    settings.mail.transport = TransportKind::Smtp;
    settings.mail.smtp.host = "127.0.0.1".into();
    settings.mail.smtp.port = server.port;
    settings.mail.smtp.security = SmtpSecurity::None;
    settings.mail.outbox.per_minute = 0;
    settings.mail.outbox.per_domain_per_minute = 0;
    // SMTP refuses to send under the shipped placeholder requester.
    settings.requester.name = "Bench Requester".into();
    settings.requester.email = "bench@campaign.example.org".into();
    settings.mail.from_address = "requests@campaign.example.org".into();
    settings.mail.reply_domain = "reply.campaign.example.org".into();

    // The ceiling: the same message, sent n times in a plain loop.
    let plain: AsyncSmtpTransport<Tokio1Executor> =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(server.port)
            .build();
    let started = Instant::now();
    for i in 0..n {
        let email = OutgoingEmail {
            from_name: "Bench".into(),
            from_address: "requests@foi.invalid".into(),
            to: "foi@bench.example.org".into(),
            reply_to: format!("foi+bench-{i}@reply.foi.invalid"),
            subject: format!("Bench {i}"),
            body: "Dear Officer,\n\nA letter of ordinary length.\n".repeat(40),
            html: None,
            message_id: format!("<bench-{i}@foi.invalid>"),
            in_reply_to: None,
            references: None,
            auto_submitted: false,
            date: Utc::now(),
            inline: Vec::new(),
        };
        plain.send(email.to_message().unwrap()).await.unwrap();
    }
    let ceiling = n as f64 / started.elapsed().as_secs_f64();

    // The outbox: n queued requests, drained by the worker step.
    let app = foi::Application::build(settings.clone()).await.unwrap();
    let csv = "name,nation,foi_email\nBench Council,England,foi@bench.example.org\n";
    foi::store::authorities::upsert_rows(
        &app.db,
        "a.csv",
        &parse_authorities("a.csv", csv).unwrap(),
    )
    .await
    .unwrap();
    let tsv = "uk_authority\tuk_place\tnation\tchinese_partner\tpartner_province\trelationship\tsince_year\tstatus\n\
               Bench Council\tBench\tEngland\tNingbo\tZhejiang\ttwinning\t2005\tactive\n";
    foi::store::twinnings::import_rows(&app.db, "t.tsv", &parse_twinnings("t.tsv", tsv).unwrap())
        .await
        .unwrap();
    let link = foi::store::twinnings::list(&app.db, None, None)
        .await
        .unwrap()[0]
        .0
        .id;
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
    for _ in 0..n {
        queue::one(
            &app,
            now,
            QueueOne {
                template: "twinning-agreement".into(),
                authority: "bench-council".into(),
                twinning: Some(link),
                vars: BTreeMap::new(),
                dry_run: false,
                again: true, // the same letter, deliberately
                actor: "bench".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let outbox = app;
    let started = Instant::now();
    let mut sent = 0;
    loop {
        match dispatch::try_execute_task(&outbox, now).await.unwrap() {
            DispatchOutcome::Sent { .. } => sent += 1,
            DispatchOutcome::Idle => break,
            other => panic!("{other:?}"),
        }
    }
    let rate = sent as f64 / started.elapsed().as_secs_f64();
    assert_eq!(sent, n);
    println!("plain lettre loop (ceiling): {ceiling:.0} messages/s");
    println!("outbox (SQLite, one worker): {rate:.0} messages/s");
    println!("outbox / ceiling: {:.0}%", 100.0 * rate / ceiling);
}
