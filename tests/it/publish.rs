//! `foi publish --out DIR`: the public site from what the database holds. Only documents
//! staff marked publishable are copied; email addresses and phone numbers are masked; the
//! requester's details appear in no file at all; the register comes as CSV and JSON; a
//! folder someone else filled is refused and an earlier site is replaced whole. On SQLite
//! and PostgreSQL; then the site in a real browser (headless Chromium, SQLite only).

use crate::common;

use chrono::{DateTime, TimeZone, Utc};
use common::TestDb;
use foi::services::publish::{self, Publish, Published};
use foi::store::documents;
use std::path::{Path, PathBuf};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
}

const REQUESTER_EMAIL: &str = "ada@campaign.example.org";
const POSTAL: &[&str] = &["1 High Street", "London", "SW1A 1AA"];
const OFFICER_EMAIL: &str = "j.smith@harbourside.example.org";

/// Settings with a real requester (email, postal address) whose details must never show.
fn settings(db: &TestDb) -> foi::settings::Settings {
    let mut s = db.settings();
    common::real_sender(&mut s);
    s.requester.postal_address = POSTAL.iter().map(|l| l.to_string()).collect();
    s
}

fn env(db: &TestDb) -> Vec<(String, String)> {
    let mut env = db.env();
    env.extend(common::real_sender_env());
    env.push(("FOI__REQUESTER__POSTAL_ADDRESS".into(), POSTAL.join(";")));
    env
}

/// What the campaign has: a council with a link, a request, and the council's reply with a
/// text attachment, an HTML attachment and a PDF; a fact recorded from the reply.
struct Scene {
    app: foi::AppContext,
    reference: String,
    reply_to: String,
    /// Document ids: the reply's own text, minutes.txt, agenda.html, private.pdf.
    text: i32,
    minutes: i32,
    agenda: i32,
    pdf: i32,
}

async fn scene(db: &TestDb) -> Scene {
    let app = foi::Application::build(settings(db)).await.unwrap();
    let (slug, _) =
        common::council_with_link(&app, "Harbourside Council", "foi@harbourside.example.org").await;
    let letter = common::Queue::new(&app, at(2026, 3, 2))
        .queue_one(
            "twinning-agreement",
            &slug,
            None,
            &Default::default(),
            false,
            false,
        )
        .await
        .unwrap();
    let to = &letter.reply_to;
    let reply = format!(
        "From: FOI team <foi@harbourside.example.org>\r\nTo: {to}\r\n\
         Subject: Re: {reference}\r\nMessage-ID: <r1@harbourside.example.org>\r\n\
         Date: Mon, 16 Mar 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Dear Ada Campaigner,\r\n\r\n\
         Thank you for your request of 2 March ({REQUESTER_EMAIL}, 1 High Street, London SW1A 1AA).\r\n\
         The friendship agreement with Ningbo was signed on 12 April 2005; the Confucius \
         classroom at Harbourside Academy is part of it.\r\n\
         For questions call John Smith on 0114 273 4567 (mobile 07700 900123, \
         international +44 114 273 4567) or write to {OFFICER_EMAIL}.\r\n\
         Replies to {to} reach the requester.\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8; name=\"minutes.txt\"\r\n\
         Content-Disposition: attachment; filename=\"minutes.txt\"\r\n\r\n\
         Minutes of the Ningbo committee. Clerk: 020 7946 0958, clerk@harbourside.example.org.\r\n\
         Copy sent to {to}.\r\n\r\n\
         --b\r\nContent-Type: text/html; charset=utf-8; name=\"agenda.html\"\r\n\
         Content-Disposition: attachment; filename=\"agenda.html\"\r\n\r\n\
         <html><body><script>alert('x')</script><p>Agenda: delegation to Ningbo; \
         call 01632 960 123</p></body></html>\r\n\r\n\
         --b\r\nContent-Type: application/pdf; name=\"private.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"private.pdf\"\r\n\r\n\
         %PDF-1.4 UNPUBLISHED-MARKER quoting the request: {to}\r\n\
         --b--\r\n",
        reference = letter.reference,
    );
    common::Inbox(&app)
        .ingest(reply.as_bytes(), "test", at(2026, 3, 16))
        .await
        .unwrap();
    common::run_job(&app, "extract", at(2026, 3, 16))
        .await
        .unwrap();
    let docs = documents::all(&app.db).await.unwrap();
    let id = |name: &str| docs.iter().find(|d| d.name == name).unwrap().id;
    let s = Scene {
        reference: letter.reference.clone(),
        reply_to: letter.reply_to.clone(),
        text: id("message text"),
        minutes: id("minutes.txt"),
        agenda: id("agenda.html"),
        pdf: id("private.pdf"),
        app,
    };
    for d in [s.text, s.minutes, s.agenda] {
        foi::services::documents::set_publishable(&s.app, d, true)
            .await
            .unwrap();
    }
    foi::services::findings::set(
        &s.app,
        at(2026, 3, 17),
        foi::services::findings::SetFacts {
            link: format!("{slug}:Ningbo"),
            facts: vec![
                (
                    foi::domain::FindingField::SignedOn,
                    None,
                    "2005-04-12".into(),
                ),
                (
                    foi::domain::FindingField::Organisation,
                    None,
                    format!("Harbourside Friendship Association ({OFFICER_EMAIL}, 0114 273 4567)"),
                ),
            ],
            source: foi::services::findings::Source::Document {
                id: s.text,
                page: Some(1),
            },
            note: Some("staff note: ask Ada".into()),
            actor: "test".into(),
        },
    )
    .await
    .unwrap();
    s
}

async fn publish_to(s: &Scene, out: &Path, mask: bool) -> Result<Published, String> {
    publish::publish(
        &s.app,
        at(2026, 3, 18),
        Publish {
            out: out.to_path_buf(),
            mask,
            title: None,
        },
    )
    .await
    .map_err(|e| e.to_string())
}

/// Every file under `dir`, with its path relative to it.
fn all_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Which files under `dir` hold `needle` (ignoring case).
fn holding(dir: &Path, needle: &str) -> Vec<String> {
    let needle = needle.to_lowercase();
    all_files(dir)
        .into_iter()
        .filter(|(_, bytes)| {
            String::from_utf8_lossy(bytes)
                .to_lowercase()
                .contains(&needle)
        })
        .map(|(name, _)| name)
        .collect()
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

async fn the_site_publishes_what_staff_marked_and_masks_contacts(db: TestDb) {
    let s = scene(&db).await;
    let out = db.dir.path().join("site");
    let done = publish_to(&s, &out, true).await.unwrap();
    assert!(!done.replaced);
    assert_eq!(done.councils, 1);
    assert_eq!((done.documents, done.files), (3, 3), "{done:?}");
    // index, search, one council, three documents.
    assert_eq!(done.pages, 6, "{done:?}");
    assert!(done.warnings.is_empty(), "{:?}", done.warnings);
    assert!(out.join(publish::MARKER).is_file());

    // Only the documents staff marked are copied; the HTML one as text, never as a page.
    let mut copied: Vec<String> = std::fs::read_dir(out.join("files"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    copied.sort();
    let mut want = vec![
        format!("{}-message-text.txt", s.text),
        format!("{}-minutes.txt", s.minutes),
        format!("{}-agenda.html.txt", s.agenda),
    ];
    want.sort();
    assert_eq!(copied, want);
    assert!(holding(&out, "UNPUBLISHED-MARKER").is_empty());
    assert!(holding(&out, "private.pdf").is_empty());
    assert!(!out.join(format!("documents/{}.html", s.pdf)).exists());

    // Nothing of the requester's but their name, anywhere in the site.
    for needle in [
        REQUESTER_EMAIL,
        s.reply_to.as_str(),
        "reply.campaign.example.org",
        "requests@campaign.example.org",
        "1 High Street",
        "SW1A 1AA",
        "staff note",
    ] {
        assert_eq!(holding(&out, needle), Vec::<String>::new(), "{needle}");
    }
    assert!(
        !holding(&out, "Ada Campaigner").is_empty(),
        "the name is shown"
    );
    // Contacts masked in every text: pages, copied files, the register.
    for needle in [
        OFFICER_EMAIL,
        "clerk@harbourside.example.org",
        "foi@harbourside.example.org",
        "0114 273 4567",
        "07700 900123",
        "+44 114 273 4567",
        "020 7946 0958",
        "01632 960 123",
    ] {
        assert_eq!(holding(&out, needle), Vec::<String>::new(), "{needle}");
    }
    let text_page = read(&out, &format!("documents/{}.html", s.text));
    assert!(
        text_page.contains("call John Smith on [phone removed] (mobile [phone removed]")
            && text_page.contains("write to [email removed]"),
        "{text_page}"
    );
    let minutes = read(&out, &format!("files/{}-minutes.txt", s.minutes));
    assert!(
        minutes.contains("Clerk: [phone removed], [email removed].")
            && minutes.contains("Copy sent to [email removed]."),
        "{minutes}"
    );
    let agenda = read(&out, &format!("files/{}-agenda.html.txt", s.agenda));
    assert!(agenda.contains("call [phone removed]"), "{agenda}");

    // The front page: the council, its link, the request's state; readable without scripts.
    let index = read(&out, "index.html");
    for needle in [
        "href=\"councils/harbourside-council.html\">Harbourside Council</a>",
        "Ningbo, Zhejiang",
        &format!(
            "<span class=\"ref\">{}</span>: response received",
            s.reference
        ),
        "2005-04-12",
        &format!("href=\"documents/{}.html#page-1\"", s.text),
    ] {
        assert!(index.contains(needle), "{needle} not in\n{index}");
    }
    for page in all_files(&out)
        .iter()
        .filter(|(n, _)| n.ends_with(".html") && !n.ends_with("search.html"))
    {
        assert!(
            !String::from_utf8_lossy(&page.1).contains("<script"),
            "{} needs no script",
            page.0
        );
    }
    let search_page = read(&out, "search.html");
    assert!(search_page.contains("<noscript>"), "{search_page}");
    // The council's page: its request with the timeline, its published documents.
    let council = read(&out, "councils/harbourside-council.html");
    for needle in [
        "<h1>Harbourside Council</h1>",
        "<td>queued</td>",
        "<td>response received</td>",
        &format!("href=\"../files/{}-minutes.txt\"", s.minutes),
        "Text of the reply of 16 March 2026",
    ] {
        assert!(council.contains(needle), "{needle} not in\n{council}");
    }
    assert!(
        !council.contains("foi classify"),
        "staff hints stay off the site"
    );

    // The register as CSV and JSON: one row per link, facts masked, with their sources.
    let csv = read(&out, "register.csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    let col = |name: &str| rows[0][headers.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(col("council"), "Harbourside Council");
    assert_eq!(col("partner"), "Ningbo");
    assert_eq!(col("signed on"), format!("2005-04-12 [doc {} p.1]", s.text));
    assert_eq!(
        col("organisations"),
        format!(
            "Harbourside Friendship Association ([email removed], [phone removed]) [doc {} p.1]",
            s.text
        )
    );
    let json: serde_json::Value = serde_json::from_str(&read(&out, "register.json")).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["council"], "Harbourside Council");
    assert_eq!(json[0]["facts"][0]["key"], "signed_on");
    assert_eq!(json[0]["facts"][0]["facts"][0]["value"], "2005-04-12");
    assert_eq!(
        json[0]["facts"][0]["facts"][0]["url"],
        format!("documents/{}.html#page-1", s.text)
    );

    // The search index: folded, masked text per published page and per council.
    let index: serde_json::Value = serde_json::from_str(&read(&out, "search-index.json")).unwrap();
    let entries = index.as_array().unwrap();
    let page = entries
        .iter()
        .find(|e| e["url"] == format!("documents/{}.html#page-1", s.text))
        .unwrap();
    let text = page["text"].as_str().unwrap();
    assert!(
        text.contains("the confucius classroom at harbourside academy"),
        "{text}"
    );
    assert!(
        !text.contains("0114") && !text.contains("smith harbourside"),
        "{text}"
    );
    assert!(entries
        .iter()
        .any(|e| e["url"] == "councils/harbourside-council.html"));
}

async fn a_foreign_folder_is_refused_and_an_earlier_site_replaced(db: TestDb) {
    let s = scene(&db).await;
    let parent = db.dir.path().join("www");
    std::fs::create_dir_all(&parent).unwrap();
    let theirs = parent.join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::write(theirs.join("notes.txt"), "someone's notes").unwrap();
    let err = publish_to(&s, &theirs, true).await.unwrap_err();
    assert!(
        err.contains("is not empty and holds no .foi-site file")
            && err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(all_files(&theirs).len(), 1);
    assert_eq!(
        std::fs::read_to_string(theirs.join("notes.txt")).unwrap(),
        "someone's notes"
    );

    let site = parent.join("site");
    publish_to(&s, &site, true).await.unwrap();
    std::fs::write(site.join("stale.html"), "from an older site").unwrap();
    // Staff take the mark off the minutes: the next site no longer has them.
    foi::services::documents::set_publishable(&s.app, s.minutes, false)
        .await
        .unwrap();
    let second = publish_to(&s, &site, true).await.unwrap();
    assert!(second.replaced);
    assert_eq!((second.documents, second.files), (2, 2));
    assert!(!site.join("stale.html").exists());
    assert!(
        holding(&site, "minutes").is_empty(),
        "{:?}",
        holding(&site, "minutes")
    );
    assert!(site.join(publish::MARKER).is_file());
    // Nothing is left beside it: no temporary or old folder.
    let mut beside: Vec<String> = std::fs::read_dir(&parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    beside.sort();
    assert_eq!(beside, vec!["site", "theirs"]);

    // Without masking, council contacts stay; the requester's details still go.
    let open = parent.join("open");
    publish_to(&s, &open, false).await.unwrap();
    assert!(!holding(&open, OFFICER_EMAIL).is_empty());
    assert!(!holding(&open, "0114 273 4567").is_empty());
    for needle in [REQUESTER_EMAIL, s.reply_to.as_str(), "1 High Street"] {
        assert_eq!(holding(&open, needle), Vec::<String>::new(), "{needle}");
    }

    // The command says the same, and exits 1 on a foreign folder.
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
            .args(["--now", "2026-03-18T10:00:00Z"])
            .args(args)
            .current_dir(db.dir.path())
            .envs(env(&db))
            .output()
            .unwrap()
    };
    let out = run(&["publish", "--out", theirs.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains("holds no .foi-site file"),
        "{}",
        common::stderr(&out)
    );
    let out = run(&["publish", "--out", site.to_str().unwrap()]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        common::stdout(&out).starts_with(&format!(
            "replaced {}: 5 page(s), 1 council(s), 2 of 2",
            site.display()
        )),
        "{}",
        common::stdout(&out)
    );
    assert!(holding(&site, REQUESTER_EMAIL).is_empty());
}

/// A PDF that holds the requester's reply address (the council quoting the request) is not
/// copied, whatever staff marked; its page says why, and staff are told.
async fn a_file_with_the_requesters_details_is_held_back(db: TestDb) {
    let s = scene(&db).await;
    foi::services::documents::set_publishable(&s.app, s.pdf, true)
        .await
        .unwrap();
    let out = db.dir.path().join("site");
    let done = publish_to(&s, &out, true).await.unwrap();
    assert_eq!((done.documents, done.files), (4, 3));
    assert_eq!(done.warnings.len(), 1, "{:?}", done.warnings);
    assert!(
        done.warnings[0].contains(&format!("document {} (private.pdf)", s.pdf))
            && done.warnings[0].contains("email or reply address"),
        "{:?}",
        done.warnings
    );
    assert!(holding(&out, "UNPUBLISHED-MARKER").is_empty());
    let page = read(&out, &format!("documents/{}.html", s.pdf));
    assert!(
        page.contains("not published: it holds personal details"),
        "{page}"
    );
    assert!(!page.contains("foi documents publish"), "{page}");
}

db_tests!(
    the_site_publishes_what_staff_marked_and_masks_contacts,
    a_foreign_folder_is_refused_and_an_earlier_site_replaced,
    a_file_with_the_requesters_details_is_held_back,
);

// ---------------------------------------------------------------------------------------
// The site in a browser: headless Chromium driven through chromedriver (WebDriver).

use crate::support::browser::{free_port, program, wait_for, Browser, Child};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_site_works_in_a_browser() {
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("test-output/publish");
    std::fs::create_dir_all(&shots).unwrap();

    let db = TestDb::sqlite().await;
    let s = scene(&db).await;
    let site = db.dir.path().join("site");
    publish_to(&s, &site, true).await.unwrap();

    // The site served as a web host would, from its folder on a loopback port.
    let web_port = free_port();
    let python =
        program(&["/usr/bin/python3", "python3"]).expect("python3 (scripts/install-deps.sh)");
    let _web = Child(
        std::process::Command::new(python)
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &web_port.to_string(),
            ])
            .current_dir(&site)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{web_port}");
    wait_for(&format!("{base}/index.html"), "the static file server").await;

    let (browser, _driver) = Browser::start().await;

    // The front page, then a council's page by its link.
    browser.goto(&format!("{base}/index.html")).await;
    let h1 = browser.find("h1").await;
    assert!(browser.text(&h1).await.contains("twinning agreements"));
    browser.screenshot(&shots.join("index.png")).await;
    let link = browser
        .find("a[href=\"councils/harbourside-council.html\"]")
        .await;
    browser.submit(&link).await;
    browser
        .wait_for_url("/councils/harbourside-council.html")
        .await;
    let h1 = browser.find("h1").await;
    assert_eq!(browser.text(&h1).await, "Harbourside Council");
    let timeline = browser.find("table.timeline").await;
    assert!(browser.text(&timeline).await.contains("response received"));
    browser.screenshot(&shots.join("council.png")).await;

    // Search for a word from the released reply and follow the result.
    browser.goto(&format!("{base}/search.html")).await;
    let status = browser.find("#status").await;
    for _ in 0..50 {
        if browser.text(&status).await.starts_with("Ready") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let input = browser.find("#q").await;
    browser.type_into(&input, "Confucius").await;
    let button = browser.find("#search button").await;
    browser.click(&button).await;
    let result = browser.find("#results li a").await;
    let title = browser.text(&result).await;
    assert!(
        title.starts_with("Text of the reply of 16 March 2026, page 1"),
        "{title}"
    );
    assert_eq!(browser.text(&status).await, "1 result");
    browser.screenshot(&shots.join("search.png")).await;
    browser.submit(&result).await;
    let page = browser.find("#page-1 pre").await;
    assert!(browser.text(&page).await.contains("Confucius classroom"));
    browser.screenshot(&shots.join("document.png")).await;

    browser
        .call(reqwest::Method::DELETE, "", serde_json::Value::Null)
        .await;
}
