//! Search over what councils sent, the same on SQLite and PostgreSQL: each reply becomes a
//! document read by the `extract` job; `foi search` finds pages whatever the case and
//! accents, finds Chinese by its characters, narrows by council and campaign, and shows a
//! highlighted snippet.

use crate::common;

use chrono::{DateTime, TimeZone, Utc};
use common::TestDb;
use foi::domain::DocumentStatus;
use foi::services::search::{self, Search};
use foi::store::{documents, requests};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
}

/// A council with one request queued in `campaign`; returns its slug and the request's
/// reply address.
async fn council(app: &foi::AppContext, name: &str, campaign: &str) -> (String, String) {
    let email = format!("foi@{}.example.org", name.to_lowercase().replace(' ', ""));
    let (slug, _) = common::council_with_link(app, name, &email).await;
    let out = foi::services::queue::campaign(
        app,
        at(2026, 3, 2),
        foi::services::queue::QueueCampaign {
            campaign: campaign.into(),
            template: "twinning-agreement".into(),
            tag: None,
            actor: "test".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let letter = out.queued.iter().find(|l| l.authority == slug).unwrap();
    (slug, letter.reply_to.clone())
}

fn reply(to: &str, id: &str, text: &str) -> Vec<u8> {
    format!(
        "From: FOI team <foi@council.example.org>\r\nTo: {to}\r\nSubject: Your request\r\n\
         Message-ID: <{id}@council.example.org>\r\nDate: Mon, 16 Mar 2026 10:00:00 +0000\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    )
    .into_bytes()
}

async fn find(app: &foi::AppContext, text: &str) -> Vec<search::Hit> {
    search::search(
        app,
        Search {
            text: text.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

async fn replies_are_found_by_words_accents_and_chinese(db: TestDb) {
    let app = db.app().await;
    let (north, north_to) = council(&app, "Northvale Council", "spring").await;
    let (south, south_to) = council(&app, "Southvale Council", "autumn").await;
    let inbox = common::Inbox(&app);
    for (to, id, text) in [
        (
            &north_to,
            "n1",
            "The Confucius Institute paid for the delegation to Chéngdū.\n\
             双方签署友好城市协议，有效期五年。",
        ),
        (
            &south_to,
            "s1",
            "We do not hold a friendship agreement. The CONFUCIUS classroom is run by the school.",
        ),
    ] {
        inbox
            .ingest(&reply(to, id, text), "test", at(2026, 3, 16))
            .await
            .unwrap();
    }
    // Not searchable until read: the job reads both, once.
    assert!(find(&app, "confucius").await.is_empty());
    let out = common::run_job(&app, "extract", at(2026, 3, 16))
        .await
        .unwrap();
    assert!(out.starts_with("2 document(s) read"), "{out}");
    let again = common::run_job(&app, "extract", at(2026, 3, 16))
        .await
        .unwrap();
    assert!(again.starts_with("0 document(s) read"), "{again}");

    // Case and accents ignored; both councils found, each with its reference.
    let hits = find(&app, "confucius").await;
    let mut councils: Vec<String> = hits.iter().filter_map(|h| h.authority.clone()).collect();
    councils.sort();
    assert_eq!(councils, vec![north.clone(), south.clone()]);
    let hit = hits
        .iter()
        .find(|h| h.authority.as_deref() == Some(north.as_str()))
        .unwrap();
    let r = requests::list(
        &app.db,
        &requests::RequestFilter {
            authority_slug: Some(north.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(hit.references, vec![r[0].reference.clone()]);
    assert_eq!(hit.page, 1);
    assert!(
        hit.snippet.marked().contains("The «Confucius» Institute"),
        "{}",
        hit.snippet.marked()
    );
    let accented = find(&app, "chengdu").await;
    assert_eq!(accented.len(), 1);
    assert!(
        accented[0].snippet.marked().contains("«Chéngdū»"),
        "{}",
        accented[0].snippet.marked()
    );

    // Chinese by its characters, inside a run with no spaces.
    let chinese = find(&app, "友好城市").await;
    assert_eq!(chinese.len(), 1, "{chinese:?}");
    assert_eq!(chinese[0].authority.as_deref(), Some(north.as_str()));
    assert!(
        chinese[0]
            .snippet
            .marked()
            .contains("双方签署«友好城市»协议"),
        "{}",
        chinese[0].snippet.marked()
    );
    assert!(
        find(&app, "友好学校").await.is_empty(),
        "the characters in order"
    );

    // All words must be on the page; a quoted phrase keeps its order.
    assert_eq!(find(&app, "confucius school").await.len(), 1);
    assert_eq!(find(&app, "\"friendship agreement\"").await.len(), 1);
    assert!(find(&app, "\"agreement friendship\"").await.is_empty());

    // Narrowed by council and by campaign.
    for (scope, want) in [
        (
            Search {
                text: "confucius".into(),
                authority: Some(south.clone()),
                ..Default::default()
            },
            south.clone(),
        ),
        (
            Search {
                text: "confucius".into(),
                campaign: Some("spring".into()),
                ..Default::default()
            },
            north.clone(),
        ),
    ] {
        let hits = search::search(&app, scope).await.unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].authority.as_deref(), Some(want.as_str()));
    }

    // Bad searches say what is wrong.
    for (text, needle) in [
        (" ;; ", "no words to look for"),
        ("\"open", "without a closing one"),
    ] {
        let err = search::search(
            &app,
            Search {
                text: text.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(err.contains(needle), "{err}");
    }
    let err = search::search(
        &app,
        Search {
            text: "x".into(),
            campaign: Some("nope".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("no campaign named 'nope'"), "{err}");

    // The CLI says the same, and a document can be read back.
    let out = common::foi(&db, &["search", "友好城市"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        common::stdout(&out).contains("Northvale Council (")
            && common::stdout(&out).contains("«友好城市»"),
        "{}",
        common::stdout(&out)
    );
    let doc = documents::all(&app.db).await.unwrap()[0].clone();
    assert_eq!(doc.status, DocumentStatus::Extracted);
    let out = common::foi(&db, &["documents", "show", &doc.id.to_string()]);
    assert!(
        common::stdout(&out).contains("--- page 1 ---")
            && common::stdout(&out).contains("Confucius Institute"),
        "{}",
        common::stdout(&out)
    );
    let out = common::foi(&db, &["documents", "extract", "--all"]);
    assert!(
        common::stdout(&out).starts_with("2 document(s) read"),
        "{}",
        common::stdout(&out)
    );
    assert_eq!(find(&app, "confucius").await.len(), 2, "read again, once");
}

/// A document whose reading kills the worker three times is failed with the reason, and the
/// job goes on with the next.
async fn a_document_that_keeps_crashing_is_given_up(db: TestDb) {
    let app = db.app().await;
    let (_, to) = council(&app, "Eastvale Council", "spring").await;
    common::Inbox(&app)
        .ingest(
            &reply(&to, "e1", "Minutes attached."),
            "test",
            at(2026, 3, 16),
        )
        .await
        .unwrap();
    let now = at(2026, 3, 16);
    assert_eq!(documents::discover(&app.db, now).await.unwrap(), 1);
    assert_eq!(documents::discover(&app.db, now).await.unwrap(), 0);
    for i in 0..3 {
        // Claimed, then the worker "dies": its lease runs out an hour later.
        let t = now + chrono::Duration::hours(i);
        let d = documents::claim(&app.db, t, t + chrono::Duration::minutes(10), "w")
            .await
            .unwrap();
        assert!(d.is_some());
    }
    let later = now + chrono::Duration::hours(5);
    let out = common::run_job(&app, "extract", later).await.unwrap();
    assert!(out.contains("1 given up"), "{out}");
    let d = documents::all(&app.db).await.unwrap().remove(0);
    assert_eq!(d.status, DocumentStatus::Failed);
    assert!(
        d.reason
            .as_deref()
            .unwrap_or_default()
            .contains("stopped 3 times"),
        "{:?}",
        d.reason
    );
    let out = common::foi(&db, &["documents", "list", "--status", "failed"]);
    assert!(
        common::stdout(&out).contains("stopped 3 times"),
        "{}",
        common::stdout(&out)
    );
}

/// A council's reply with attachments: a PDF whose last page is a scan (read by OCR, English
/// and Chinese), a spreadsheet and a corrupt PDF. Each is read off the ingest path, the scan's
/// Chinese is found by its characters, and the corrupt file is failed with its reason while
/// the others are read. Without OCR the scanned page is left without text and says why.
async fn attachments_are_read_and_searchable_ocr_included(db: TestDb) {
    use lettre::message::{header::ContentType, Attachment, MultiPart, SinglePart};
    let app = db.app().await;
    let (north, to) = council(&app, "Northvale Council", "spring").await;
    let scan = crate::support::documents::scanned_pdf(db.dir.path(), 1);
    let pdf = crate::support::documents::text_then_scan(
        &[
            "Memorandum of understanding between Northvale and Suzhou",
            "Annex: the delegation programme",
        ],
        &scan,
    );
    let xlsx = crate::support::documents::xlsx(&[(
        "Costs",
        &[
            &["Year", "Item", "Cost"],
            &["2019", "Hospitality for the Suzhou delegation", "1200"],
        ],
    )]);
    let mail = |with_corrupt: bool, id: &str| {
        let mut parts = MultiPart::mixed()
            .singlepart(SinglePart::plain(
                "Please find the documents attached.".to_string(),
            ))
            .singlepart(
                Attachment::new("agreement.pdf".into())
                    .body(pdf.clone(), ContentType::parse("application/pdf").unwrap()),
            )
            .singlepart(
                Attachment::new("costs.xlsx".into()).body(
                    xlsx.clone(),
                    ContentType::parse(
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    )
                    .unwrap(),
                ),
            );
        if with_corrupt {
            parts = parts.singlepart(Attachment::new("minutes.pdf".into()).body(
                b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage".to_vec(),
                ContentType::parse("application/pdf").unwrap(),
            ));
        }
        lettre::Message::builder()
            .from("FOI <foi@northvale.example.org>".parse().unwrap())
            .to(to.parse().unwrap())
            .subject("Your request")
            .message_id(Some(format!("<{id}@northvale.example.org>")))
            .multipart(parts)
            .unwrap()
            .formatted()
    };
    common::Inbox(&app)
        .ingest(&mail(true, "att1"), "test", at(2026, 3, 16))
        .await
        .unwrap();
    let out = common::run_job(&app, "extract", at(2026, 3, 16))
        .await
        .unwrap();
    assert!(out.starts_with("4 document(s) read"), "{out}");
    let docs = documents::all(&app.db).await.unwrap();
    let by_name = |name: &str| docs.iter().find(|d| d.name == name).unwrap().clone();
    let agreement = by_name("agreement.pdf");
    assert_eq!(
        agreement.status,
        DocumentStatus::Extracted,
        "{:?}",
        agreement.reason
    );
    assert_eq!((agreement.pages, agreement.ocr_pages), (3, 1));
    let minutes = by_name("minutes.pdf");
    assert_eq!(minutes.status, DocumentStatus::Failed);
    assert!(
        minutes
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("not a readable PDF"),
        "{:?}",
        minutes.reason
    );
    assert_eq!(by_name("costs.xlsx").status, DocumentStatus::Extracted);

    // The scan's Chinese, by its characters; its English by OCR; the text pages as text.
    let chinese = find(&app, "友好城市").await;
    assert_eq!(chinese.len(), 1, "{chinese:?}");
    assert_eq!(
        (chinese[0].name.as_str(), chinese[0].page, chinese[0].ocr),
        ("agreement.pdf", 3, true)
    );
    assert_eq!(chinese[0].authority.as_deref(), Some(north.as_str()));
    let mut suzhou: Vec<(String, i32, bool)> = find(&app, "suzhou")
        .await
        .into_iter()
        .map(|h| (h.name, h.page, h.ocr))
        .collect();
    suzhou.sort();
    assert_eq!(
        suzhou,
        vec![
            ("agreement.pdf".to_string(), 1, false),
            ("agreement.pdf".to_string(), 3, true),
            ("costs.xlsx".to_string(), 1, false),
        ]
    );
    let out = common::foi(
        &db,
        &[
            "documents",
            "show",
            &agreement.id.to_string(),
            "--page",
            "3",
        ],
    );
    assert!(
        common::stdout(&out).contains("--- page 3 (OCR) ---"),
        "{}",
        common::stdout(&out)
    );

    // Without OCR the scanned page has no text, and the document says why.
    let blind = foi::AppContext::build(db.settings())
        .await
        .unwrap()
        .with_ocr(None);
    common::Inbox(&blind)
        .ingest(&mail(false, "att2"), "test", at(2026, 3, 17))
        .await
        .unwrap();
    common::run_job(&blind, "extract", at(2026, 3, 17))
        .await
        .unwrap();
    let second = documents::all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.name == "agreement.pdf")
        .max_by_key(|d| d.id)
        .unwrap();
    assert_eq!(second.status, DocumentStatus::Partial);
    assert_eq!((second.pages, second.ocr_pages), (3, 0));
    assert!(
        second
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("OCR is not installed (tesseract-ocr, tesseract-ocr-chi-sim, poppler-utils)"),
        "{:?}",
        second.reason
    );
}

/// A reply just stored is listed as waiting to be read, before the extract job runs.
async fn a_reply_just_stored_is_listed_as_pending(db: TestDb) {
    let app = db.app().await;
    let (_, to) = council(&app, "Eastvale Council", "spring").await;
    common::Inbox(&app)
        .ingest(&reply(&to, "p1", "Our answer."), "test", at(2026, 3, 16))
        .await
        .unwrap();
    let out = common::foi(&db, &["documents", "list"]);
    let listed = common::stdout(&out);
    assert!(
        listed.contains("pending") && listed.contains("message text"),
        "{listed}"
    );
}

db_tests!(
    a_reply_just_stored_is_listed_as_pending,
    replies_are_found_by_words_accents_and_chinese,
    attachments_are_read_and_searchable_ocr_included,
    a_document_that_keeps_crashing_is_given_up,
);
