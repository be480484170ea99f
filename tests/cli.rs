//! The `foi` binary as staff use it: exit codes (0 ok, 1 error, 2 misuse), tables and --json.

mod common;

use common::{fails_with, foi, stderr, stdout, TestDb};

async fn seed_list_queue_and_show(db: TestDb) {
    let out = foi(&db, &["seed"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("40 twinning links created"),
        "{}",
        stdout(&out)
    );

    let out = foi(&db, &["authorities", "list", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 31);

    let out = foi(&db, &["twinnings", "list", "--status", "ended", "--json"]);
    let ended: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(ended
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["status"] == "ended"));
    assert_eq!(ended.as_array().unwrap().len(), 7);

    let out = foi(
        &db,
        &[
            "--now",
            "2026-03-02T07:00:00Z",
            "queue",
            "--campaign",
            "spring",
            "--template",
            "twinning-agreement",
            "--all-twinned",
            "--status",
            "active",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("queued 5 request(s)"), "{text}");
    assert!(text.contains("skipped, no FOI email address"), "{text}");
    assert!(text.contains("birmingham-city-council"), "{text}");

    let again = foi(
        &db,
        &[
            "--now",
            "2026-03-02T07:00:00Z",
            "queue",
            "--campaign",
            "spring",
            "--template",
            "twinning-agreement",
            "--all-twinned",
            "--status",
            "active",
        ],
    );
    assert!(
        stdout(&again).contains("queued 0 request(s)"),
        "{}",
        stdout(&again)
    );

    let out = foi(&db, &["requests", "list", "--campaign", "spring", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 5);
    let reference = rows[0]["reference"].as_str().unwrap().to_string();
    assert!(reference.starts_with("foi-2026-"), "{reference}");

    let out = foi(&db, &["requests", "show", &reference]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("[queued]")
            && text.contains("timeline:")
            && text.contains("Yours faithfully"),
        "{text}"
    );
    assert!(
        text.contains("created:   2026-03-02 07:00 UTC"),
        "--now sets the clock: {text}"
    );
}

async fn errors_exit_1_with_a_clear_message(db: TestDb) {
    foi(&db, &["seed"]);
    fails_with(
        &db,
        &["authorities", "show", "atlantis"],
        "no authority with the slug 'atlantis'",
    );
    fails_with(
        &db,
        &[
            "authorities",
            "set-email",
            "leeds-city-council",
            "not an address",
        ],
        "is not an email address",
    );
    fails_with(
        &db,
        &["requests", "show", "foi-2026-9999"],
        "no request with the reference",
    );
    let csv = db.dir.path().join("bad.csv");
    std::fs::write(&csv, "name,nation,foi_email\nA,England,\nB,England,x@\n").unwrap();
    fails_with(
        &db,
        &["authorities", "import", csv.to_str().unwrap()],
        "bad.csv:line 3, field foi_email",
    );
    fails_with(
        &db,
        &[
            "queue",
            "--template",
            "twinning-agreement",
            "--authority",
            "sheffield-city-council",
        ],
        "twinning.partner_city",
    );
    fails_with(
        &db,
        &["approve", "foi-2026-9999"],
        "no request with the reference",
    );
    fails_with(
        &db,
        &["classify", "foi-2026-9999", "--outcome", "refused"],
        "no request with the reference",
    );
    fails_with(
        &db,
        &["inbox", "assign", "999", "foi-2026-0001"],
        "no inbound message 999",
    );
    let out = foi(&db, &["requests", "list", "--json"]);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
        serde_json::json!([])
    );
}

async fn misuse_exits_2(db: TestDb) {
    for args in [
        vec!["queue", "--template", "twinning-agreement"],
        vec![
            "queue",
            "--template",
            "x",
            "--authority",
            "a",
            "--var",
            "novalue",
        ],
        vec!["requests", "list", "--state", "lost"],
        vec!["--now", "yesterday", "requests", "list"],
        vec!["frobnicate"],
        vec!["run", "--once", "everything"],
        vec!["classify", "foi-2026-0001", "--outcome", "lost"],
    ] {
        let out = foi(&db, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

async fn bad_configuration_names_the_key(db: TestDb) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
        .args(["authorities", "list"])
        .current_dir(db.dir.path())
        .envs(db.env())
        .env("FOI__REQUESTER__EMAIL", "nobody")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("requester.email"), "{}", stderr(&out));

    let local = db.dir.path().join("local.toml");
    std::fs::write(&local, "[mail]\nreply_domain = \"not a domain\"\n").unwrap();
    let out = foi(
        &db,
        &["--config", local.to_str().unwrap(), "authorities", "list"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("mail.reply_domain"),
        "{}",
        stderr(&out)
    );
}

async fn a_broken_template_stops_queueing_with_file_and_line(db: TestDb) {
    let templates = db.dir.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("bad.hbs"),
        "---\nsubject: Hello {{request.reference}}\n---\nDear {{authority.name}},\n\n{{authority.postcode}}\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
        .args(["templates", "list"])
        .current_dir(db.dir.path())
        .envs(db.env())
        .env("FOI__PATHS__TEMPLATES_DIR", &templates)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("bad.hbs:6") && stderr(&out).contains("authority.postcode"),
        "{}",
        stderr(&out)
    );
}

async fn db_status_and_migrate(db: TestDb) {
    let out = foi(&db, &["db", "status", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(status
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["applied"] == false));
    let out = foi(&db, &["db", "migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = foi(&db, &["db", "status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(status
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["applied"] == true));
}

/// The file transport writes letters out but sends nothing: the requests stay queued, with
/// no statutory clock, until a transport that delivers takes them or staff record that they
/// sent the file themselves.
async fn send_writes_mail_files_until_smtp_is_configured(db: TestDb) {
    foi(&db, &["seed"]);
    let out = foi(
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
    assert!(out.status.success(), "{}", stderr(&out));
    let out = foi(&db, &["send", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let outcomes: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let outcome = |o: &str| {
        outcomes
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["outcome"] == o)
            .count()
    };
    assert_eq!((outcome("written"), outcome("sent")), (5, 0), "{outcomes}");

    let files: Vec<_> = std::fs::read_dir(db.dir.path().join("var/mail/outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    assert_eq!(files.len(), 5);
    let out = foi(&db, &["outbox", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for m in list.as_array().unwrap() {
        assert_eq!(m["state"], "written");
        let reference = m["reference"].as_str().unwrap();
        let file = files
            .iter()
            .find(|p| p.to_string_lossy().contains(reference))
            .expect("a file named by reference");
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            text.contains(&format!(
                "Message-ID: {}",
                m["message_id"].as_str().unwrap()
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("Reply-To: foi+{reference}@reply.foi.invalid")),
            "{text}"
        );
    }
    let out = foi(&db, &["requests", "list", "--state", "sent", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        rows.as_array().unwrap().is_empty(),
        "nothing was sent: {rows}"
    );
    let out = foi(&db, &["requests", "list", "--state", "queued", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 5);
    let reference = rows[0]["reference"].as_str().unwrap().to_string();

    let out = foi(&db, &["requests", "show", &reference, "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mail = shown["messages"].as_array().unwrap();
    assert_eq!(mail.len(), 1);
    assert_eq!(
        (mail[0]["direction"].as_str(), mail[0]["state"].as_str()),
        (Some("outbound"), Some("written"))
    );
    assert!(shown["deadlines"].is_null(), "no clock yet: {shown}");
    assert!(
        shown["timeline"].as_array().unwrap().iter().any(
            |e| e["kind"] == "written" && e["detail"].as_str().unwrap().contains("not emailed")
        ),
        "{shown}"
    );

    // Running it again writes nothing new.
    let out = foi(&db, &["send"]);
    assert!(
        stdout(&out).contains("nothing (more) to send"),
        "{}",
        stdout(&out)
    );

    // Staff sent the file from their own mail client: the clock starts on that day.
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive()
        .to_string();
    let out = foi(&db, &["requests", "sent", &reference, "--on", &today]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = foi(&db, &["requests", "show", &reference, "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["state"], "sent");
    assert!(shown["deadlines"]["response_due"].is_string(), "{shown}");
    assert_eq!(shown["messages"][0]["state"], "sent");

    // Nothing is left to retry for it; a written letter can be written again on purpose.
    let out = foi(&db, &["outbox", "retry", &reference]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("nothing to retry"),
        "{}",
        stderr(&out)
    );
    let other = rows[1]["reference"].as_str().unwrap();
    let out = foi(&db, &["outbox", "retry", other]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = foi(&db, &["send"]);
    assert_eq!(
        stdout(&out).matches("written foi-").count(),
        1,
        "{}",
        stdout(&out)
    );
    let out = foi(&db, &["outbox", "list", "--state", "lost"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not an outbox state"),
        "{}",
        stderr(&out)
    );
}

db_tests!(
    send_writes_mail_files_until_smtp_is_configured,
    seed_list_queue_and_show,
    errors_exit_1_with_a_clear_message,
    misuse_exits_2,
    bad_configuration_names_the_key,
    a_broken_template_stops_queueing_with_file_and_line,
    db_status_and_migrate,
);
