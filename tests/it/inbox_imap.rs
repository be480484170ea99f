//! IMAP polling against a real Dovecot: store before marking, nothing lost or doubled across
//! restarts, dropped connections, a crash between storing and marking, and a UIDVALIDITY change.

use crate::common;
use crate::support::corpus;
use crate::support::imap;

use chrono::{TimeZone, Utc};
use common::TestDb;
use foi::settings::ImapSecurity;
use foi::store::entities::message;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

fn raw(name: &str) -> Vec<u8> {
    std::fs::read(corpus::fixtures_dir().join(name)).unwrap()
}

/// One poll with `settings` (the test's inbox) on the test's database.
async fn poll_once(
    _db: &sea_orm::DatabaseConnection,
    settings: &foi::settings::Settings,
    now: chrono::DateTime<Utc>,
) -> foi::services::ServiceResult<foi::mail::imap::PollReport> {
    let app = foi::AppContext::build(settings.clone()).await.unwrap();
    foi::services::poll::poll(&app, now).await
}

async fn inbound_count(db: &sea_orm::DatabaseConnection) -> u64 {
    message::Entity::find()
        .filter(message::Column::Direction.eq(foi::domain::Direction::Inbound))
        .count(db)
        .await
        .unwrap()
}

async fn polling_never_loses_or_doubles_a_message(db: TestDb) {
    let server = std::sync::Arc::new(
        tokio::task::spawn_blocking(|| imap::ImapServer::builder().start())
            .await
            .unwrap(),
    );
    let mut settings = db.settings();
    settings.inbox.host = "127.0.0.1".into();
    settings.inbox.port = server.port;
    settings.inbox.security = ImapSecurity::None;
    settings.inbox.username = server.user.clone();
    settings.inbox.password = foi::settings::Secret::new(server.password.clone());
    settings.inbox.timeout_secs = 10;
    let app = foi::Application::build(settings.clone()).await.unwrap();
    let now = Utc.with_ymd_and_hms(2026, 3, 9, 9, 0, 0).unwrap();
    let blocking = |f: Box<dyn FnOnce(&imap::ImapServer) + Send>| {
        let s = server.clone();
        async move { tokio::task::spawn_blocking(move || f(&s)).await.unwrap() }
    };

    blocking(Box::new(|s| {
        for name in [
            "response-subject-only.eml",
            "ooo-welsh-bilingual.eml",
            "holding-pen-body-reference.eml",
        ] {
            s.deliver(&raw(name));
        }
    }))
    .await;
    let r = poll_once(&app.db, &settings, now).await.unwrap();
    assert_eq!(
        (r.fetched, r.stored, r.duplicates, r.last_uid),
        (3, 3, 0, 3),
        "{r}"
    );
    let s2 = server.clone();
    let seen = tokio::task::spawn_blocking(move || s2.flags(1))
        .await
        .unwrap();
    assert!(seen.iter().any(|f| f == "\\Seen"), "{seen:?}");
    let r = poll_once(&app.db, &settings, now).await.unwrap();
    assert_eq!((r.fetched, r.stored), (0, 0), "{r}");

    // A crash after storing UID 4 but before moving the mark: the next poll fetches it again
    // and recognises it.
    blocking(Box::new(|s| {
        s.deliver(&raw("response-html-only.eml"));
        s.deliver(&raw("response-x-original-to.eml"));
    }))
    .await;
    common::Inbox(&app)
        .ingest(&raw("response-html-only.eml"), "crashed", now)
        .await
        .unwrap();
    let r = poll_once(&app.db, &settings, now).await.unwrap();
    assert_eq!(
        (r.fetched, r.stored, r.duplicates, r.last_uid),
        (2, 1, 1, 5),
        "{r}"
    );

    // The server restarts and its clients are dropped; the next poll carries on from the mark.
    blocking(Box::new(|s| {
        s.kick();
        s.restart();
        s.deliver(&raw("response-empty-body.eml"));
    }))
    .await;
    let r = poll_once(&app.db, &settings, now).await.unwrap();
    assert_eq!((r.fetched, r.stored, r.last_uid), (1, 1, 6), "{r}");
    assert_eq!(inbound_count(&app.db).await, 6);

    // A new UIDVALIDITY: the old UIDs mean nothing, so the folder is read again; all of it is
    // recognised, and only the genuinely new message is stored.
    let s2 = server.clone();
    let new_validity = tokio::task::spawn_blocking(move || s2.reset_uidvalidity())
        .await
        .unwrap();
    blocking(Box::new(|s| {
        s.deliver(&raw("response-no-message-id.eml"));
    }))
    .await;
    let r = poll_once(&app.db, &settings, now).await.unwrap();
    assert!(r.uidvalidity_changed, "{r}");
    assert_eq!(r.uidvalidity, new_validity);
    assert_eq!((r.fetched, r.stored, r.duplicates), (7, 1, 6), "{r}");
    assert_eq!(inbound_count(&app.db).await, 7);
    let r = poll_once(&app.db, &settings, now).await.unwrap();
    assert_eq!((r.fetched, r.uidvalidity_changed), (0, false), "{r}");

    // A wrong password is a clear error, and nothing is stored.
    let mut bad = settings.clone();
    bad.inbox.password = foi::settings::Secret::new("wrong");
    let err = poll_once(&app.db, &bad, now).await.unwrap_err().to_string();
    assert!(err.contains("refused our login"), "{err}");
}

db_tests!(polling_never_loses_or_doubles_a_message);

#[tokio::test]
async fn foi_inbox_poll_from_the_command_line() {
    let db = TestDb::sqlite().await;
    let server = tokio::task::spawn_blocking(|| imap::ImapServer::builder().start())
        .await
        .unwrap();
    let poll = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
            .args(["inbox", "poll", "--json"])
            .current_dir(db.dir.path())
            .envs(db.env())
            .env("FOI__INBOX__HOST", "127.0.0.1")
            .env("FOI__INBOX__PORT", server.port.to_string())
            .env("FOI__INBOX__SECURITY", "none")
            .env("FOI__INBOX__USERNAME", &server.user)
            .env("FOI__INBOX__PASSWORD", &server.password)
            .output()
            .unwrap()
    };
    // An empty folder is not an error.
    let out = poll();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["fetched"], 0);
    server.deliver(&raw("response-subject-only.eml"));
    let out = poll();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["stored"], 1);
    let out = common::foi(&db, &["inbox", "poll"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::stderr(&out).contains("no inbox is configured"),
        "{}",
        common::stderr(&out)
    );
}
