//! No log level prints a password: the real `foi` binary at RUST_LOG=trace against a real SMTP
//! server with AUTH (aiosmtpd) and a real IMAP server (Dovecot), its output searched for the
//! passwords as typed, as the servers receive them, and base64-encoded as AUTH sends them.

use crate::common;
use crate::support::corpus;
use crate::support::imap;
use crate::support::smtp;

use common::{foi, stderr, stdout, TestDb};
use std::process::Output;

// Quotes and a backslash make the IMAP password take the quoting path too.
const SMTP_USER: &str = "campaign";
const SMTP_PASSWORD: &str = "smtp-Pa55-wörd-7fq2";
const IMAP_USER: &str = "foi";
const IMAP_PASSWORD: &str = r#"imap "Pa55" \ wörd-9zk4"#;

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Every form in which a password could show up in a log line.
fn forms(user: &str, password: &str) -> Vec<String> {
    let mut forms = vec![
        password.to_string(),
        // As IMAP LOGIN quotes it.
        password.replace('\\', "\\\\").replace('"', "\\\""),
        // AUTH LOGIN sends the password alone, AUTH PLAIN "\0user\0password", both in base64.
        base64(password.as_bytes()),
        base64(format!("\0{user}\0{password}").as_bytes()),
        base64(format!("{user}\0{password}").as_bytes()),
    ];
    // Without the padding, in case a log trims it.
    let trimmed: Vec<String> = forms
        .iter()
        .map(|f| f.trim_end_matches('=').to_string())
        .collect();
    forms.extend(trimmed);
    // As a `{:?}` in a log line shows it (async-imap traces commands that way), escaped again.
    let debugged: Vec<String> = forms
        .iter()
        .map(|f| {
            let d = format!("{f:?}");
            d[1..d.len() - 1].to_string()
        })
        .collect();
    forms.extend(debugged);
    forms
}

fn assert_no_secret(what: &str, out: &Output, user: &str, password: &str) {
    let text = format!("{}{}", stdout(out), stderr(out));
    // The command logs (at trace, the libraries' lines at least), so the check means something.
    assert!(
        [" INFO ", " DEBUG ", " TRACE "]
            .iter()
            .any(|level| text.contains(level)),
        "{what}: no log output at all:\n{text}"
    );
    for form in forms(user, password) {
        assert!(
            !text.contains(&form),
            "{what}: the password appears in the output as {form:?}"
        );
    }
}

fn foi_env(db: &TestDb, args: &[&str], env: &[(&str, String)]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
        .args(args)
        .current_dir(db.dir.path())
        .envs(db.env())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("RUST_LOG", "trace")
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap()
}

async fn smtp_and_imap_passwords_never_reach_the_log(db: TestDb) {
    let server = smtp::SmtpServer::builder()
        .auth(SMTP_USER, SMTP_PASSWORD)
        .start();
    let out = foi(&db, &["seed"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // SMTP sends nothing under the placeholder requester, so the letters are written as someone.
    let sender: Vec<(String, String)> = common::real_sender_env();
    let sender: Vec<(&str, String)> = sender
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let out = foi_env(
        &db,
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
        &sender,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut smtp_env = sender.clone();
    smtp_env.extend([
        ("FOI__MAIL__TRANSPORT", "smtp".to_string()),
        ("FOI__MAIL__SMTP__HOST", "127.0.0.1".to_string()),
        ("FOI__MAIL__SMTP__PORT", server.port.to_string()),
        ("FOI__MAIL__SMTP__SECURITY", "none".to_string()),
        ("FOI__MAIL__SMTP__USERNAME", SMTP_USER.to_string()),
        ("FOI__MAIL__SMTP__PASSWORD", SMTP_PASSWORD.to_string()),
    ]);
    let out = foi_env(&db, &["send", "--limit", "2"], &smtp_env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).matches("sent    foi-").count(),
        2,
        "{}",
        stdout(&out)
    );
    assert_no_secret("foi send", &out, SMTP_USER, SMTP_PASSWORD);
    let out = foi_env(&db, &["run", "--once", "dispatch"], &smtp_env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_no_secret("foi run --once dispatch", &out, SMTP_USER, SMTP_PASSWORD);
    let got = server.wait_for(5, std::time::Duration::from_secs(10));
    assert_eq!(got.len(), 5, "every letter went, so every login worked");
    assert!(got
        .iter()
        .all(|m| m.auth_user.as_deref() == Some(SMTP_USER)));

    let imap = tokio::task::spawn_blocking(|| {
        imap::ImapServer::builder()
            .user(IMAP_USER, IMAP_PASSWORD)
            .start()
    })
    .await
    .unwrap();
    let raw = std::fs::read(corpus::fixtures_dir().join("response-subject-only.eml")).unwrap();
    imap.deliver(&raw);
    let imap_env = [
        ("FOI__INBOX__HOST", "127.0.0.1".to_string()),
        ("FOI__INBOX__PORT", imap.port.to_string()),
        ("FOI__INBOX__SECURITY", "none".to_string()),
        ("FOI__INBOX__USERNAME", IMAP_USER.to_string()),
        ("FOI__INBOX__PASSWORD", IMAP_PASSWORD.to_string()),
    ];
    let out = foi_env(&db, &["inbox", "poll", "--json"], &imap_env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("\"stored\": 1"),
        "the login worked: {}",
        stdout(&out)
    );
    // The IMAP library's command trace is on, and shows the LOGIN, but not the password.
    assert!(
        stderr(&out)
            .lines()
            .any(|l| l.contains("TRACE") && l.contains("LOGIN")),
        "{}",
        stderr(&out)
    );
    assert_no_secret("foi inbox poll", &out, IMAP_USER, IMAP_PASSWORD);
    imap.deliver(&raw);
    let out = foi_env(&db, &["run", "--once", "poll"], &imap_env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 fetched"), "{}", stdout(&out));
    assert_no_secret("foi run --once poll", &out, IMAP_USER, IMAP_PASSWORD);

    // A refused login says so without the password it tried.
    let wrong = "wrong-Pa55-x81";
    let mut bad_env = imap_env.to_vec();
    bad_env.retain(|(k, _)| *k != "FOI__INBOX__PASSWORD");
    bad_env.push(("FOI__INBOX__PASSWORD", wrong.to_string()));
    let out = foi_env(&db, &["inbox", "poll"], &bad_env);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("refused our login"),
        "{}",
        stderr(&out)
    );
    assert_no_secret("foi inbox poll (refused)", &out, IMAP_USER, wrong);
}

db_tests!(smtp_and_imap_passwords_never_reach_the_log);
