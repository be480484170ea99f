//! The `foi` binary as staff use it: exit codes (0 ok, 1 error, 2 misuse), tables and --json.

use crate::common;

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
            "--twinning",
            "99999",
        ],
        "no twinning link with id 99999 (see `foi twinnings list`)",
    );
    fails_with(
        &db,
        &["approve", "--yes", "foi-2026-9999"],
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

    // `foi status` tells staff these letters wait for them: no clock runs for them.
    let out = foi(&db, &["status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let written = status["waiting"]["written_not_sent"].as_array().unwrap();
    assert!(
        written.iter().any(|w| w["reference"] == reference.as_str()),
        "{status}"
    );
    let out = foi(&db, &["status"]);
    assert!(
        stdout(&out).contains("written, not sent:"),
        "{}",
        stdout(&out)
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
    let out = foi(&db, &["status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        !status["waiting"]["written_not_sent"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["reference"] == reference.as_str()),
        "sent by hand: {status}"
    );

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
    // Every request's written letters at once: the four not sent by hand.
    let out = foi(&db, &["outbox", "retry", "--all"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).matches("queued again").count(),
        4,
        "{}",
        stdout(&out)
    );
    let out = foi(&db, &["outbox", "retry"]);
    assert_eq!(out.status.code(), Some(2), "a reference or --all");
    let out = foi(&db, &["outbox", "list", "--state", "lost"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not an outbox state"),
        "{}",
        stderr(&out)
    );
}

fn write(db: &TestDb, name: &str, bytes: &[u8]) -> String {
    let path = db.dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

async fn imports_read_spreadsheet_encodings_and_refuse_bad_files(db: TestDb) {
    // Excel's "CSV" on Windows: Windows-1252, CRLF.
    let file = write(
        &db,
        "cp1252.csv",
        b"name,nation,foi_email\r\nYnys M\xF4n Council,Wales,foi@ynysmon.example.org\r\n",
    );
    let out = foi(&db, &["authorities", "import", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("read as windows-1252"),
        "{}",
        stderr(&out)
    );
    let bom = write(
        &db,
        "bom.csv",
        "\u{feff}name,nation\nCyngor Gwynedd – Gwynedd Council,Wales\n".as_bytes(),
    );
    let out = foi(&db, &["authorities", "import", &bom]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = foi(&db, &["authorities", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Ynys Môn Council"), "{names:?}");
    assert!(
        names.contains(&"Cyngor Gwynedd – Gwynedd Council"),
        "{names:?}"
    );

    let unknown = write(
        &db,
        "unknown.csv",
        b"name,nation\nA,England\nB \x81,England\n",
    );
    fails_with(
        &db,
        &["authorities", "import", &unknown],
        "unknown.csv:line 3: byte 0x81",
    );
    fails_with(&db, &["authorities", "import", &unknown], "iconv -f");
    let mixed = write(
        &db,
        "mixed.csv",
        b"name,nation\nYnys M\xC3\xB4n,Wales\nM\xF4n,Wales\n",
    );
    fails_with(&db, &["authorities", "import", &mixed], "mixed.csv:line 3:");
    fails_with(
        &db,
        &["authorities", "import", &mixed],
        "iconv -f WINDOWS-1252 -t UTF-8",
    );
    let links = write(
        &db,
        "links.tsv",
        b"uk_authority\tuk_place\tnation\tchinese_partner\tpartner_province\trelationship\tsince_year\tstatus\n\
          Ynys M\xF4n Council\tHolyhead\tWales\tX\xEDan\tShaanxi\tfriendship\t2012\tactive\n",
    );
    let out = foi(&db, &["twinnings", "import", &links]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("0 authorities created; 1 links created"),
        "the council imported first is found by name: {}",
        stdout(&out)
    );

    let short = write(
        &db,
        "short.csv",
        b"name,nation,foi_email\nA Council,England\n",
    );
    fails_with(
        &db,
        &["authorities", "import", &short],
        "short.csv:line 2: 2 cells, but the header has 3 columns (missing: foi_email",
    );
    let bidi = write(
        &db,
        "bidi.csv",
        "name,nation\n\u{202E}licnuoC,England\n".as_bytes(),
    );
    fails_with(
        &db,
        &["authorities", "import", &bidi],
        "bidi.csv:line 2, field name: contains a bidirectional-text control (U+202E)",
    );
    let nul = write(&db, "nul.csv", b"name,nation\nNul\0 Council,England\n");
    fails_with(
        &db,
        &["authorities", "import", &nul],
        "nul.csv:line 2, field name: contains a NUL character",
    );

    let twins = write(
        &db,
        "twins.csv",
        b"slug,name,nation\nnewtown-a,Newtown Council,Wales\nnewtown-b,Newtown & Council,Wales\n",
    );
    let out = foi(&db, &["authorities", "import", &twins]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ambiguous = write(
        &db,
        "ambiguous.tsv",
        b"uk_authority\tuk_place\tnation\tchinese_partner\tpartner_province\trelationship\tsince_year\tstatus\n\
          Newtown Council\tNewtown\tWales\tWuhan\tHubei\ttwinning\t1990\tactive\n",
    );
    fails_with(
        &db,
        &["twinnings", "import", &ambiguous],
        "ambiguous.tsv:line 2, field uk_authority: 'Newtown Council' matches 2 authorities",
    );
    let out = foi(&db, &["authorities", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        4,
        "nothing half-written: {list}"
    );
}

fn link_of(db: &TestDb, authority: &str, partner: &str) -> String {
    let out = foi(db, &["twinnings", "list", "--json"]);
    let links: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    links
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["authority"] == authority && t["partner_city"] == partner)
        .unwrap()["id"]
        .to_string()
}

async fn letters_are_about_the_authoritys_own_link_and_queued_once(db: TestDb) {
    foi(&db, &["seed"]);
    let glasgow = link_of(&db, "glasgow-city-council", "Dalian");
    let chengdu = link_of(&db, "sheffield-city-council", "Chengdu");
    let anshan = link_of(&db, "sheffield-city-council", "Anshan");
    let render = |authority: &str, twinning: Option<&str>| {
        let mut args = vec![
            "templates",
            "render",
            "twinning-agreement",
            "--authority",
            authority,
        ];
        if let Some(t) = twinning {
            args.extend(["--twinning", t]);
        }
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let args = render("sheffield-city-council", Some(&glasgow));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fails_with(
        &db,
        &args,
        &format!(
            "twinning link {glasgow} (Glasgow – Dalian) belongs to glasgow-city-council, not to sheffield-city-council"
        ),
    );
    // Without --twinning, one letter covers both of Sheffield's links; with it, one link.
    let args = render("sheffield-city-council", None);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = foi(&db, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let both = stdout(&out);
    assert!(
        both.contains("links with Anshan and Chengdu, China")
            && both.contains("- Anshan, Liaoning")
            && both.contains("- Chengdu, Sichuan")
            && both.contains("Please answer each item for each\nlink.")
            && both.contains("Where a link has ended"),
        "{both}"
    );
    let args = render("sheffield-city-council", Some(&chengdu));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = foi(&db, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let one = stdout(&out);
    assert!(
        one.contains("link with Chengdu, China") && !one.contains("Anshan"),
        "{one}"
    );
    let _ = anshan;
    let args = render("nottingham-city-council", None);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = foi(&db, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Ningbo"), "{}", stdout(&out));

    let queue = [
        "--now",
        "2026-03-02T07:00:00Z",
        "queue",
        "--template",
        "twinning-agreement",
        "--authority",
        "nottingham-city-council",
    ];
    let out = foi(&db, &queue);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("queued foi-2026-0001"),
        "{}",
        stdout(&out)
    );
    fails_with(
        &db,
        &queue,
        "nottingham-city-council already has a twinning-agreement request about link",
    );
    fails_with(
        &db,
        &queue,
        "foi-2026-0001 (queued, Ningbo); or pass --again",
    );
    let mut again = queue.to_vec();
    again.push("--again");
    let out = foi(&db, &again);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("queued foi-2026-0002"),
        "{}",
        stdout(&out)
    );
    fails_with(
        &db,
        &[
            "queue",
            "--template",
            "twinning-agreement",
            "--authority",
            "sheffield-city-council",
            "--twinning",
            &glasgow,
        ],
        "belongs to glasgow-city-council, not to sheffield-city-council",
    );
    let out = foi(&db, &["requests", "list", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
}

/// An installed binary run away from the sources writes letters with the templates built
/// into it; a templates folder that was configured and is missing is named.
async fn the_built_in_templates_serve_when_the_folder_is_absent(db: TestDb) {
    let run = |env: &[(&str, &str)], args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
            .args(args)
            .current_dir(db.dir.path())
            .env("FOI__DATABASE__URL", &db.url)
            .env("FOI__PATHS__DATA_DIR", db.dir.path().join("var"))
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };
    let out = run(&[], &["templates", "list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 6, "{list}");
    assert!(list.to_string().contains("(built in)"), "{list}");
    assert!(run(&[], &["seed"]).status.success());
    let out = run(
        &[],
        &[
            "templates",
            "render",
            "twinning-agreement",
            "--authority",
            "sheffield-city-council",
            "--twinning",
            "3",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Chengdu"), "{}", stdout(&out));
    let out = run(
        &[("FOI__PATHS__TEMPLATES_DIR", "/nowhere/letters")],
        &["templates", "list"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("paths.templates_dir") && stderr(&out).contains("/nowhere/letters"),
        "{}",
        stderr(&out)
    );
}

db_tests!(
    the_built_in_templates_serve_when_the_folder_is_absent,
    imports_read_spreadsheet_encodings_and_refuse_bad_files,
    letters_are_about_the_authoritys_own_link_and_queued_once,
    send_writes_mail_files_until_smtp_is_configured,
    seed_list_queue_and_show,
    errors_exit_1_with_a_clear_message,
    misuse_exits_2,
    bad_configuration_names_the_key,
    a_broken_template_stops_queueing_with_file_and_line,
    db_status_and_migrate,
);
