//! One letter per council: a campaign writes one request to each council covering all of its
//! twinning links, the council's reply to it is matched like any other, and a link added
//! later gets a letter of its own. `--per link` keeps one letter per link, and a template
//! written about one link is refused for councils with several unless it is asked for.
//! Through the `foi` binary as staff use it, on SQLite and PostgreSQL.

use crate::common;

use chrono::{DateTime, TimeZone, Utc};
use common::TestDb;
use foi::domain::RequestState;
use foi::mail::MailTransport;
use foi::services::ingest::Ingested;
use foi::store::{requests, twinnings};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
}

const ONE_LINK: &str = "---\nsubject: About the link with {{twinning.partner_city}} [{{request.reference}}]\n\
description: One link.\nrequires: authority.name, twinning.partner_city, request.reference\n---\n\
Dear {{authority.name}},\n\nWhat does the link with {{twinning.partner_city}} cost?\n\n{{> reference}}\n\n{{> signature}}\n";

const LINKS: &str = "uk_authority\tuk_place\tnation\tchinese_partner\tpartner_province\trelationship\tsince_year\tstatus\tended_year\n\
Twinborough Council\tTwinborough\tEngland\tXiamen\tFujian\ttwinning\t1999\tactive\t\n\
Twinborough Council\tTwinborough\tEngland\tWuhan\tHubei\tfriendship\t\tended\t2021\n\
Solo Council\tSolo\tEngland\tNingbo\tZhejiang\ttwinning\t2005\tunknown\t\n\
Quiet Council\tQuiet\tEngland\tDalian\tLiaoning\ttwinning\t2001\tactive\t\n";

/// Runs `foi` at `now` with the given templates folder; returns (exit code, stdout, stderr).
fn run(
    db: &TestDb,
    templates: &std::path::Path,
    now: DateTime<Utc>,
    args: &[&str],
) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
        .arg("--now")
        .arg(now.to_rfc3339())
        .args(args)
        .current_dir(db.dir.path())
        .envs(db.env())
        .env("FOI__PATHS__TEMPLATES_DIR", templates)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    (
        out.status.code(),
        common::stdout(&out),
        common::stderr(&out),
    )
}

fn ok(db: &TestDb, templates: &std::path::Path, now: DateTime<Utc>, args: &[&str]) -> String {
    let (code, out, err) = run(db, templates, now, args);
    assert_eq!(code, Some(0), "{args:?}: {err}");
    out
}

async fn one_letter_per_council_and_its_reply_is_matched(db: TestDb) {
    let templates = db.templates_with(&[("one-link.hbs", ONE_LINK)]);
    let (transport, sent) = MailTransport::memory();
    let mut settings = db.settings();
    settings.paths.templates_dir = templates.clone();
    settings.mail.outbox.per_minute = 0;
    settings.mail.outbox.per_domain_per_minute = 0;
    let app = foi::AppContext::build(settings)
        .await
        .unwrap()
        .with_transport(transport);
    let authorities = db.dir.path().join("authorities.csv");
    std::fs::write(
        &authorities,
        "name,nation,regime,foi_email\n\
         Twinborough Council,England,FOIA,foi@twinborough.example.org\n\
         Solo Council,England,FOIA,foi@solo.example.org\n\
         Quiet Council,England,FOIA,\n",
    )
    .unwrap();
    let links = db.dir.path().join("links.tsv");
    std::fs::write(&links, LINKS).unwrap();
    let day = at(2026, 3, 2);
    ok(
        &db,
        &templates,
        day,
        &["authorities", "import", authorities.to_str().unwrap()],
    );
    ok(
        &db,
        &templates,
        day,
        &["twinnings", "import", links.to_str().unwrap()],
    );

    // A request made outside foi to a council with two links must say which it asked about.
    let (code, _, err) = run(
        &db,
        &templates,
        day,
        &[
            "requests",
            "add",
            "--authority",
            "twinborough-council",
            "--template",
            "twinning-agreement",
            "--via",
            "post",
        ],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("twinborough-council has 2 twinning links") && err.contains("--all-links"),
        "{err}"
    );
    assert!(
        requests::all(&app.db).await.unwrap().is_empty(),
        "nothing stored"
    );

    // Solo was written to by hand before the campaign: the campaign leaves it alone.
    let solo = ok(
        &db,
        &templates,
        day,
        &[
            "queue",
            "--template",
            "twinning-agreement",
            "--authority",
            "solo-council",
        ],
    );
    assert!(solo.contains("queued foi-2026-0001"), "{solo}");

    // A template about one link cannot make one letter for Twinborough's two: refused, with
    // the way out, and nothing stored.
    let campaign = |template: &'static str, extra: &[&'static str]| {
        let name = if extra.contains(&"link") {
            "costs"
        } else {
            "spring"
        };
        let mut args = vec![
            "queue",
            "--campaign",
            name,
            "--template",
            template,
            "--all-twinned",
        ];
        args.extend_from_slice(extra);
        args
    };
    let (code, _, err) = run(&db, &templates, day, &campaign("one-link", &[]));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("template one-link is written about one twinning link")
            && err.contains("twinborough-council (Wuhan and Xiamen)")
            && err.contains("--per link")
            && err.contains("nothing was queued"),
        "{err}"
    );
    assert_eq!(requests::all(&app.db).await.unwrap().len(), 1);

    // Every status is included unless --status says otherwise: the ended Wuhan link too.
    let out = ok(
        &db,
        &templates,
        day,
        &campaign("twinning-agreement", &["--dry-run"]),
    );
    assert!(
        out.contains("would queue 1 request(s)")
            && out.contains("twinborough-council (Wuhan and Xiamen)"),
        "{out}"
    );
    assert_eq!(requests::all(&app.db).await.unwrap().len(), 1);
    let out = ok(&db, &templates, day, &campaign("twinning-agreement", &[]));
    assert!(
        out.contains("queued 1 request(s)")
            && out.contains("foi-2026-0002 twinborough-council (Wuhan and Xiamen)")
            && out.contains("solo-council (Ningbo): foi-2026-0001, outside this campaign")
            && out.contains("quiet-council (Quiet Council)"),
        "{out}"
    );
    let r = requests::get_by_reference(&app.db, "foi-2026-0002")
        .await
        .unwrap();
    assert_eq!(r.twinning_id, None, "about the council's links, not one");
    let covered: Vec<String> = requests::links_of(&app.db, &r)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.partner_city)
        .collect();
    assert_eq!(covered, vec!["Wuhan", "Xiamen"]);
    assert_eq!(
        r.subject,
        "Freedom of Information request: links with Wuhan and Xiamen, China [foi-2026-0002]"
    );
    for needle in [
        "- Wuhan, Hubei (friendship, ended in 2021)",
        "- Xiamen, Fujian (twinning, since 1999)",
        "Please answer each item for each\nlink.",
        "Where a link has ended",
        "from the start of each link",
    ] {
        assert!(r.body.contains(needle), "{needle:?} not in\n{}", r.body);
    }
    // A re-run writes nothing; `requests list` names both links.
    let again = ok(&db, &templates, day, &campaign("twinning-agreement", &[]));
    assert!(
        again.contains("queued 0 request(s)")
            && again.contains("twinborough-council (Xiamen): foi-2026-0002\n"),
        "{again}"
    );
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&db, &templates, day, &["requests", "list", "--json"])).unwrap();
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reference"] == "foi-2026-0002")
        .unwrap()
        .clone();
    assert_eq!(row["partner_city"], "Wuhan, Xiamen");
    assert_eq!(row["twinning_ids"].as_array().unwrap().len(), 2);

    // Sent as one email, answered once, matched to it.
    let out = common::run_job(&app, "dispatch", day).await.unwrap();
    assert!(out.starts_with("2 sent"), "{out}");
    let to_twinborough: Vec<String> = sent
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.envelope_to == vec!["foi@twinborough.example.org".to_string()])
        .map(|m| String::from_utf8_lossy(&m.raw).to_string())
        .collect();
    assert_eq!(to_twinborough.len(), 1);
    assert!(
        to_twinborough[0].contains("links with Wuhan and Xiamen"),
        "{}",
        to_twinborough[0]
    );
    let reply = format!(
        "From: Information Governance <foi@twinborough.example.org>\r\nTo: {}\r\n\
         Subject: RE: {}\r\nMessage-ID: <answer-1@twinborough.example.org>\r\n\
         Date: Mon, 16 Mar 2026 10:00:00 +0000\r\n\r\n\
         Please find our response about both links below.\r\n",
        r.reply_to, r.subject
    );
    match common::Inbox(&app)
        .ingest(reply.as_bytes(), "test", at(2026, 3, 16))
        .await
        .unwrap()
    {
        Ingested::Stored { references, .. } => {
            assert_eq!(references, vec!["foi-2026-0002".to_string()])
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        requests::get_by_reference(&app.db, "foi-2026-0002")
            .await
            .unwrap()
            .state,
        RequestState::ResponseReceived
    );

    // A link found later gets its own letter; the links already asked about are not asked
    // again.
    let more = db.dir.path().join("more.tsv");
    std::fs::write(
        &more,
        format!("{LINKS}Twinborough Council\tTwinborough\tEngland\tQingdao\tShandong\tfriendship\t2015\tactive\t\n"),
    )
    .unwrap();
    ok(
        &db,
        &templates,
        day,
        &["twinnings", "import", more.to_str().unwrap()],
    );
    let out = ok(
        &db,
        &templates,
        at(2026, 3, 17),
        &campaign("twinning-agreement", &[]),
    );
    assert!(
        out.contains("queued 1 request(s)")
            && out.contains("foi-2026-0003 twinborough-council (Qingdao)"),
        "{out}"
    );
    let newest = requests::get_by_reference(&app.db, "foi-2026-0003")
        .await
        .unwrap();
    assert!(
        newest.subject.contains("link with Qingdao, China") && !newest.body.contains("Xiamen"),
        "{}",
        newest.subject
    );

    // --per link with the one-link template: a letter per link, Quiet still skipped.
    let out = ok(
        &db,
        &templates,
        at(2026, 3, 17),
        &campaign("one-link", &["--per", "link"]),
    );
    assert!(out.contains("queued 4 request(s)"), "{out}");
    let by_link = ok(
        &db,
        &templates,
        at(2026, 3, 17),
        &["requests", "list", "--campaign", "costs", "--json"],
    );
    let rows: serde_json::Value = serde_json::from_str(&by_link).unwrap();
    let mut cities: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["partner_city"].as_str().unwrap().to_string())
        .collect();
    cities.sort();
    assert_eq!(cities, vec!["Ningbo", "Qingdao", "Wuhan", "Xiamen"]);
    let wuhan = twinnings::list(&app.db, None, None)
        .await
        .unwrap()
        .into_iter()
        .find(|(t, _)| t.partner_city == "Wuhan")
        .unwrap()
        .0;
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["twinning_id"] == wuhan.id));
}

/// Requests stored before links had their own table keep the link they were about.
async fn the_links_migration_keeps_each_requests_link(db: TestDb) {
    use migration::MigratorTrait;
    let settings = db.settings();
    let conn = foi::store::connect(&settings.database).await.unwrap();
    migration::Migrator::up(&conn, Some(9)).await.unwrap();
    let ts = "'2026-03-01T10:00:00+00:00'";
    for sql in [
        format!(
            "INSERT INTO authorities (slug, name, nation, regime, tags, created_at, updated_at) \
             VALUES ('southvale', 'Southvale', 'England', 'FOIA', '', {ts}, {ts})"
        ),
        format!(
            "INSERT INTO twinnings (authority_id, uk_place, partner_city, partner_province, \
             relationship, status, created_at, updated_at) VALUES (1, 'Southvale', 'Xiamen', \
             'Fujian', 'twinning', 'active', {ts}, {ts})"
        ),
        format!(
            "INSERT INTO requests (reference, authority_id, twinning_id, template, regime, state, \
             subject, body, reply_to, vars, created_at, updated_at) VALUES ('foi-2026-0001', 1, 1, \
             't', 'FOIA', 'sent', 's', 'b', 'r', '{{}}', {ts}, {ts})"
        ),
        format!(
            "INSERT INTO requests (reference, authority_id, template, regime, state, subject, body, \
             reply_to, vars, created_at, updated_at) VALUES ('foi-2026-0002', 1, 't', 'FOIA', \
             'sent', 's', 'b', 'r', '{{}}', {ts}, {ts})"
        ),
    ] {
        sea_orm::ConnectionTrait::execute_unprepared(&conn, &sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    migration::Migrator::up(&conn, None).await.unwrap();
    let about: Vec<Vec<i32>> = {
        let covering = requests::covering(&conn, 1, Some("t")).await.unwrap();
        covering.into_iter().map(|(_, links)| links).collect()
    };
    assert_eq!(about, vec![vec![1], vec![]]);
    let rows = requests::list(&conn, &Default::default()).await.unwrap();
    assert_eq!(rows[0].partner_city.as_deref(), Some("Xiamen"));
    assert_eq!(rows[0].twinning_ids, vec![1]);
    assert_eq!(rows[1].partner_city, None);
    // And down again: the table goes, the requests stay.
    migration::Migrator::down(&conn, Some(1)).await.unwrap();
    let r = requests::get_by_reference(&conn, "foi-2026-0001")
        .await
        .unwrap();
    assert_eq!(r.twinning_id, Some(1));
    conn.close().await.unwrap();
}

db_tests!(
    one_letter_per_council_and_its_reply_is_matched,
    the_links_migration_keeps_each_requests_link,
);
