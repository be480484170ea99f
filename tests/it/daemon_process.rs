//! `foi run` as staff start it: on the embedded defaults, logging its schedule, catching up a
//! missed sweep, and stopping cleanly on SIGTERM.

use crate::common;
use crate::support::smtp;

use common::TestDb;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn start(db: &TestDb, extra: &[&str]) -> (std::process::Child, mpsc::Receiver<String>) {
    start_with(db, extra, &[])
}

fn start_with(
    db: &TestDb,
    extra: &[&str],
    env: &[(String, String)],
) -> (std::process::Child, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_foi"))
        .arg("run")
        .args(extra)
        .current_dir(db.dir.path())
        .envs(db.env())
        .envs(env.iter().cloned())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

fn wait_for(rx: &mpsc::Receiver<String>, needle: &str, seen: &mut Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            let hit = line.contains(needle);
            seen.push(line);
            if hit {
                return;
            }
        }
    }
    panic!("no log line with {needle:?}; got:\n{}", seen.join("\n"));
}

fn stop(mut child: std::process::Child) -> std::process::ExitStatus {
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "foi run did not stop within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn runs_on_defaults_and_stops_on_sigterm(db: TestDb) {
    let (child, rx) = start(&db, &["--log-format", "json"]);
    let mut seen = Vec::new();
    wait_for(&rx, "foi is running", &mut seen);
    let status = stop(child);
    assert!(status.success(), "exit status {status:?}");
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(300)) {
        seen.push(line);
    }
    for line in &seen {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
    let all = seen.join("\n");
    for job in ["dispatch", "sweep", "digest"] {
        assert!(
            all.contains(&format!("\"job\":\"{job}\"")) && all.contains("scheduled"),
            "{all}"
        );
    }
    assert!(all.contains("no [inbox] host"), "{all}");
    assert!(all.contains("stopped"), "{all}");
}

async fn a_missed_sweep_runs_once_at_start(db: TestDb) {
    // The last sweep ran four days ago; the daemon was off over the sweeps since.
    let four_days_ago = (chrono::Utc::now() - chrono::Duration::days(4)).to_rfc3339();
    let out = common::foi(&db, &["--now", &four_days_ago, "run", "--once", "sweep"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let (child, rx) = start(&db, &[]);
    let mut seen = Vec::new();
    wait_for(&rx, "foi is running", &mut seen);
    assert!(stop(child).success());
    let all = seen.join("\n");
    assert_eq!(all.matches("catching up").count(), 1, "{all}");
    assert!(
        all.contains("catching up") && all.contains("sweep"),
        "{all}"
    );
}

/// SIGTERM while the SMTP server is still answering the message's DATA: the daemon waits for
/// the answer (the SMTP timeout allows 30 s) and records the letter as sent, rather than
/// leaving it to become `uncertain`.
async fn sigterm_waits_for_the_message_in_flight(db: TestDb) {
    let server = smtp::SmtpServer::builder()
        .delay_data(12.0)
        .delay_data_times(1)
        .start();
    let mut env = common::real_sender_env();
    for (k, v) in [
        ("FOI__MAIL__TRANSPORT", "smtp".to_string()),
        ("FOI__MAIL__SMTP__HOST", "127.0.0.1".to_string()),
        ("FOI__MAIL__SMTP__PORT", server.port.to_string()),
        ("FOI__MAIL__SMTP__SECURITY", "none".to_string()),
        ("FOI__MAIL__SMTP__TIMEOUT_SECS", "30".to_string()),
        ("FOI__SCHEDULE__DISPATCH", "* * * * * *".to_string()),
    ] {
        env.push((k.to_string(), v));
    }
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_foi"))
            .args(args)
            .current_dir(db.dir.path())
            .envs(db.env())
            .envs(env.iter().cloned())
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", common::stderr(&out));
        out
    };
    run(&["seed"]);
    run(&[
        "queue",
        "--campaign",
        "c",
        "--template",
        "twinning-agreement",
        "--all-twinned",
        "--status",
        "active",
    ]);
    let (mut child, _rx) = start_with(&db, &[], &env);
    // The server has the message and is sitting on its reply to DATA.
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.received().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the daemon never sent the letter"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "foi run did not stop");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}");
    let out = run(&["outbox", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["state"], "sent", "{list}");
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|m| m["state"] == "sent" || m["state"] == "queued"),
        "nothing left in flight: {list}"
    );
}

/// The daemon checks before it starts: a template a job writes with that is missing, and a
/// `[schedule]` key that names no job, stop it with the name.
async fn the_daemon_checks_templates_and_schedules_at_start(db: TestDb) {
    let templates = db.dir.path().join("templates");
    std::fs::create_dir_all(templates.join("partials")).unwrap();
    let shipped = common::repo_path("letter-templates");
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_file() && name != "overdue-reminder.hbs" {
            std::fs::copy(&path, templates.join(&name)).unwrap();
        }
    }
    for entry in std::fs::read_dir(shipped.join("partials")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(
            &path,
            templates.join("partials").join(path.file_name().unwrap()),
        )
        .unwrap();
    }
    let run = |env: &[(&str, String)]| {
        Command::new(env!("CARGO_BIN_EXE_foi"))
            .args(["run", "--once", "dispatch"])
            .current_dir(db.dir.path())
            .envs(db.env())
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .unwrap()
    };
    let out = run(&[("FOI__PATHS__TEMPLATES_DIR", templates.display().to_string())]);
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(
        err.contains("sweep") && err.contains("overdue-reminder"),
        "{err}"
    );
    let out = run(&[("FOI__SCHEDULE__CLEANUP", "0 0 * * * *".to_string())]);
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(err.contains("schedule.cleanup"), "{err}");
}

/// Log lines from an outbox step carry the request's reference and the Message-ID.
async fn json_logs_carry_the_reference(db: TestDb) {
    common::foi(&db, &["seed"]);
    let out = common::foi(
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
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let out = Command::new(env!("CARGO_BIN_EXE_foi"))
        .args(["run", "--once", "dispatch", "--log-format", "json"])
        .current_dir(db.dir.path())
        .envs(db.env())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let lines: Vec<serde_json::Value> = common::stderr(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let recorded: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "recorded")
        .collect();
    assert_eq!(recorded.len(), 5, "{lines:#?}");
    for l in recorded {
        let span = &l["span"];
        assert!(
            span["reference"]
                .as_str()
                .is_some_and(|r| r.starts_with("foi-")),
            "{l}"
        );
        assert!(
            span["message_id"]
                .as_str()
                .is_some_and(|m| m.starts_with('<')),
            "{l}"
        );
        assert!(
            l["spans"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["job"] == "dispatch"),
            "{l}"
        );
    }
}

db_tests!(
    the_daemon_checks_templates_and_schedules_at_start,
    json_logs_carry_the_reference,
    sigterm_waits_for_the_message_in_flight,
    runs_on_defaults_and_stops_on_sigterm,
    a_missed_sweep_runs_once_at_start
);
