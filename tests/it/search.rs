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

db_tests!(
    replies_are_found_by_words_accents_and_chinese,
    a_document_that_keeps_crashing_is_given_up,
);
