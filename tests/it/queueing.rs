//! Queueing requests from templates: one at a time and per campaign, on SQLite and PostgreSQL.

use crate::common;

use chrono::{TimeZone, Utc};
use common::TestDb;
use foi::domain::{EmailAddress, TwinningStatus};
use foi::services::queue::Per;
use foi::services::ServiceError;
use foi::store::{authorities, events, requests, twinnings};
use std::collections::BTreeMap;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap()
}

async fn link_id(conn: &sea_orm::DatabaseConnection, slug: &str, partner: &str) -> i32 {
    twinnings::list(conn, None, None)
        .await
        .unwrap()
        .into_iter()
        .find(|(t, a)| a.slug == slug && t.partner_city == partner)
        .unwrap()
        .0
        .id
}

async fn queues_one_request_with_a_rendered_letter(db: TestDb) {
    let app = db.app().await;
    foi::services::seed::run(&app).await.unwrap();
    let q = common::Queue::new(&app, now());
    let link = link_id(&app.db, "sheffield-city-council", "Chengdu").await;
    let vars = BTreeMap::from([("since".to_string(), "2015-01-01".to_string())]);
    let letter = q
        .queue_one(
            "twinning-agreement",
            "sheffield-city-council",
            Some(link),
            &vars,
            false,
            false,
        )
        .await
        .unwrap();
    assert_eq!(letter.reference, "foi-2026-0001");
    assert_eq!(letter.to, "foi@sheffield.gov.uk");
    assert_eq!(letter.reply_to, "foi+foi-2026-0001@reply.foi.invalid");
    assert!(
        letter.subject.contains("foi-2026-0001"),
        "{}",
        letter.subject
    );
    assert!(letter.body.contains("Chengdu"));
    assert!(letter.body.contains("Freedom of Information Act 2000"));
    assert!(letter.body.contains(&app.settings.requester.name));
    assert!(
        !letter.body.contains("{{"),
        "unrendered handlebars in {}",
        letter.body
    );

    let stored = requests::get_by_reference(&app.db, "foi-2026-0001")
        .await
        .unwrap();
    assert_eq!(stored.state, "queued");
    assert_eq!(stored.body, letter.body);
    assert_eq!(stored.twinning_id, Some(link));
    assert_eq!(stored.regime, "FOIA");
    let timeline = events::timeline(&app.db, stored.id).await.unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0].kind, "queued");

    // Asked again on purpose, the next one gets the next number.
    let second = q
        .queue_one(
            "twinning-agreement",
            "sheffield-city-council",
            Some(link),
            &vars,
            false,
            true,
        )
        .await
        .unwrap();
    assert_eq!(second.reference, "foi-2026-0002");
}

async fn a_request_already_made_is_not_queued_twice_by_accident(db: TestDb) {
    let app = db.app().await;
    foi::services::seed::run(&app).await.unwrap();
    let q = common::Queue::new(&app, now());
    let none = BTreeMap::new();
    let chengdu = link_id(&app.db, "sheffield-city-council", "Chengdu").await;
    let anshan = link_id(&app.db, "sheffield-city-council", "Anshan").await;
    // The campaign holds Sheffield–Chengdu (foi-2026-0001 among its five).
    let campaign = q
        .queue_campaign(
            "spring",
            "twinning-agreement",
            Some(TwinningStatus::Active),
            None,
            &none,
            false,
            Per::Council,
        )
        .await
        .unwrap();
    let held = campaign
        .queued
        .iter()
        .find(|l| l.twinning_ids.contains(&chengdu))
        .unwrap()
        .reference
        .clone();
    let count = || async {
        requests::list(&app.db, &Default::default())
            .await
            .unwrap()
            .len()
    };
    let before = count().await;

    for dry_run in [true, false] {
        let err = q
            .queue_one(
                "twinning-agreement",
                "sheffield-city-council",
                Some(chengdu),
                &none,
                dry_run,
                false,
            )
            .await
            .unwrap_err();
        let shown = err.to_string();
        assert!(matches!(err, ServiceError::Refused(_)), "{err:?}");
        assert!(
            shown.contains(&format!("{held} (queued, Chengdu, campaign spring)"))
                && shown.contains("--again"),
            "{shown}"
        );
    }
    assert_eq!(count().await, before, "nothing stored");

    // Another link of the same council is another request; a second one of that is refused too.
    let first = q
        .queue_one(
            "twinning-agreement",
            "sheffield-city-council",
            Some(anshan),
            &none,
            false,
            false,
        )
        .await
        .unwrap();
    let err = q
        .queue_one(
            "twinning-agreement",
            "sheffield-city-council",
            Some(anshan),
            &none,
            false,
            false,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("{} (queued, Anshan)", first.reference)),
        "{err}"
    );
    // Its state is what it is now, not what it was.
    requests::set_state(
        &app.db,
        requests::get_by_reference(&app.db, &first.reference)
            .await
            .unwrap()
            .id,
        foi::domain::RequestState::Sent,
        now(),
    )
    .await
    .unwrap();
    let err = q
        .queue_one(
            "twinning-agreement",
            "sheffield-city-council",
            Some(anshan),
            &none,
            false,
            false,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("{} (sent, Anshan)", first.reference)),
        "{err}"
    );
    // A letter about all of Sheffield's links is refused too: both are asked about already.
    let err = q
        .queue_one(
            "twinning-agreement",
            "sheffield-city-council",
            None,
            &none,
            false,
            false,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("about its links with Anshan and Chengdu")
            && err.contains(&held)
            && err.contains(&first.reference)
            && !err.contains("not yet asked about"),
        "{err}"
    );

    let again = q
        .queue_one(
            "twinning-agreement",
            "sheffield-city-council",
            Some(chengdu),
            &none,
            false,
            true,
        )
        .await
        .unwrap();
    assert!(again.stored && again.reference != held);
    assert_eq!(count().await, before + 2);
}

/// A letter written about one link, as a campaign might write for a follow-up question.
pub const ONE_LINK_TEMPLATE: &str = "---\nsubject: About the link with {{twinning.partner_city}} [{{request.reference}}]\n\
description: One link.\nrequires: authority.name, twinning.partner_city, request.reference\n---\n\
Dear {{authority.name}},\n\nWhat does the link with {{twinning.partner_city}} cost?\n\n{{> reference}}\n\n{{> signature}}\n";

async fn the_link_must_be_the_authoritys_own(db: TestDb) {
    let app = db
        .app_with_templates(&[("one-link.hbs", ONE_LINK_TEMPLATE)])
        .await;
    foi::services::seed::run(&app).await.unwrap();
    let q = common::Queue::new(&app, now());
    let none = BTreeMap::new();
    let glasgow_link = link_id(&app.db, "glasgow-city-council", "Dalian").await;
    let sheffield = authorities::get_by_slug(&app.db, "sheffield-city-council")
        .await
        .unwrap();
    let err = q
        .links_for(
            &app.db,
            "twinning-agreement",
            &sheffield,
            Some(glasgow_link),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("twinning link {glasgow_link}"))
            && err.contains("Dalian")
            && err.contains("belongs to glasgow-city-council, not to sheffield-city-council"),
        "{err}"
    );

    // Several links: the main request covers them all; a letter written about one link
    // lists them with their ids.
    let chengdu = link_id(&app.db, "sheffield-city-council", "Chengdu").await;
    let anshan = link_id(&app.db, "sheffield-city-council", "Anshan").await;
    let all = q
        .links_for(&app.db, "twinning-agreement", &sheffield, None)
        .await
        .unwrap();
    let mut ids: Vec<i32> = all.links.iter().map(|t| t.id).collect();
    ids.sort();
    let mut want = vec![chengdu, anshan];
    want.sort();
    assert_eq!(ids, want);
    assert!(!all.one);
    let err = q
        .links_for(&app.db, "one-link", &sheffield, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("--twinning")
            && err.contains("twinning.partner_city")
            && err.contains(&format!("{chengdu}  Chengdu"))
            && err.contains(&format!("{anshan}  Anshan")),
        "{err}"
    );

    // One link: it is the one.
    let nottingham = authorities::get_by_slug(&app.db, "nottingham-city-council")
        .await
        .unwrap();
    let ningbo = link_id(&app.db, "nottingham-city-council", "Ningbo").await;
    let t = q
        .links_for(&app.db, "one-link", &nottingham, None)
        .await
        .unwrap();
    assert!(t.one);
    assert_eq!(
        t.links.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![ningbo]
    );
    let letter = q
        .queue_one(
            "twinning-agreement",
            "nottingham-city-council",
            None,
            &none,
            false,
            false,
        )
        .await
        .unwrap();
    assert_eq!(letter.twinning_ids, vec![ningbo]);
    assert_eq!(letter.twinning_id, None, "about the council's links");
    assert!(letter.body.contains("Ningbo"));
    assert!(
        letter.subject.contains("link with Ningbo, China"),
        "{}",
        letter.subject
    );
}

async fn scottish_letters_cite_foisa(db: TestDb) {
    let app = db.app().await;
    foi::services::seed::run(&app).await.unwrap();
    let email = EmailAddress::parse("foi@glasgow.example.org").unwrap();
    authorities::set_email(&app.db, "glasgow-city-council", &email, "test")
        .await
        .unwrap();
    let q = common::Queue::new(&app, now());
    let link = link_id(&app.db, "glasgow-city-council", "Dalian").await;
    let letter = q
        .queue_one(
            "twinning-agreement",
            "glasgow-city-council",
            Some(link),
            &BTreeMap::new(),
            false,
            false,
        )
        .await
        .unwrap();
    assert!(
        letter
            .body
            .contains("Freedom of Information (Scotland) Act 2002"),
        "{}",
        letter.body
    );
    assert!(
        !letter.body.contains("Freedom of Information Act 2000"),
        "{}",
        letter.body
    );
}

async fn bad_queue_requests_are_refused_and_store_nothing(db: TestDb) {
    let app = db.app().await;
    foi::services::seed::run(&app).await.unwrap();
    let q = common::Queue::new(&app, now());
    let none = BTreeMap::new();

    let err = q
        .queue_one(
            "twinning-agreement",
            "atlantis-council",
            None,
            &none,
            false,
            false,
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("no authority with the slug 'atlantis-council'"),
        "{err}"
    );

    // The main letter needs a twinning link: the error says which variable and why.
    let csv = "name,nation,regime,foi_email\nLonely Council,England,FOIA,foi@lonely.example.org\n";
    let rows = foi::import::parse_authorities("a.csv", csv).unwrap();
    authorities::upsert_rows(&app.db, "a.csv", &rows)
        .await
        .unwrap();
    let err = q
        .queue_one(
            "twinning-agreement",
            "lonely-council",
            None,
            &none,
            false,
            false,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ServiceError::Letter(_)), "{err:?}");
    assert!(
        err.to_string().contains("needs twinnings")
            && err.to_string().contains("no twinning link on record"),
        "{err}"
    );

    let err = q
        .queue_one(
            "no-such-letter",
            "sheffield-city-council",
            None,
            &none,
            false,
            false,
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("no letter template named 'no-such-letter'"),
        "{err}"
    );

    // A link of another authority.
    let leeds_link = link_id(&app.db, "leeds-city-council", "Hangzhou").await;
    let err = q
        .queue_one(
            "twinning-agreement",
            "sheffield-city-council",
            Some(leeds_link),
            &none,
            false,
            false,
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("belongs to leeds-city-council, not to sheffield-city-council"),
        "{err}"
    );

    // No FOI address known.
    let b_link = link_id(&app.db, "birmingham-city-council", "Nanjing").await;
    let err = q
        .queue_one(
            "twinning-agreement",
            "birmingham-city-council",
            Some(b_link),
            &none,
            false,
            false,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("set-email"), "{err}");

    // A dry run renders but stores nothing.
    let link = link_id(&app.db, "sheffield-city-council", "Chengdu").await;
    let preview = q
        .queue_one(
            "twinning-agreement",
            "sheffield-city-council",
            Some(link),
            &none,
            true,
            false,
        )
        .await
        .unwrap();
    assert!(!preview.stored);
    assert!(preview.body.contains("Chengdu"));

    assert!(requests::list(&app.db, &Default::default())
        .await
        .unwrap()
        .is_empty());
}

async fn a_campaign_per_link_queues_each_link_once(db: TestDb) {
    let app = db.app().await;
    foi::services::seed::run(&app).await.unwrap();
    let q = common::Queue::new(&app, now());
    let none = BTreeMap::new();

    let dry = q
        .queue_campaign(
            "twinning-2026",
            "twinning-agreement",
            Some(TwinningStatus::Active),
            None,
            &none,
            true,
            Per::Link,
        )
        .await
        .unwrap();
    assert!(requests::list(&app.db, &Default::default())
        .await
        .unwrap()
        .is_empty());

    let first = q
        .queue_campaign(
            "twinning-2026",
            "twinning-agreement",
            Some(TwinningStatus::Active),
            None,
            &none,
            false,
            Per::Link,
        )
        .await
        .unwrap();
    // Active links whose authority has a known FOI address: Nottingham, Sheffield (Chengdu),
    // Liverpool (Shanghai), Manchester, Sunderland.
    let mut queued: Vec<(String, String)> = first
        .queued
        .iter()
        .map(|l| (l.authority.clone(), l.partner_city.clone().unwrap()))
        .collect();
    queued.sort();
    assert_eq!(
        queued,
        vec![
            ("liverpool-city-council".to_string(), "Shanghai".to_string()),
            ("manchester-city-council".to_string(), "Wuhan".to_string()),
            ("nottingham-city-council".to_string(), "Ningbo".to_string()),
            ("sheffield-city-council".to_string(), "Chengdu".to_string()),
            ("sunderland-city-council".to_string(), "Harbin".to_string()),
        ]
    );
    assert_eq!(dry.queued.len(), first.queued.len());
    assert!(first
        .no_address
        .iter()
        .any(|(s, _)| s == "birmingham-city-council"));
    assert!(first
        .no_address
        .iter()
        .all(|(s, _)| s != "nottingham-city-council"));
    let refs: std::collections::HashSet<_> =
        first.queued.iter().map(|l| l.reference.clone()).collect();
    assert_eq!(refs.len(), 5, "references are unique");

    // Running it again queues nothing new.
    let second = q
        .queue_campaign(
            "twinning-2026",
            "twinning-agreement",
            Some(TwinningStatus::Active),
            None,
            &none,
            false,
            Per::Link,
        )
        .await
        .unwrap();
    assert!(second.queued.is_empty());
    assert_eq!(second.already_held.len(), 5);

    // A request stored before links had their own table names its one link in its own row
    // only: it still holds that link.
    let legacy = first.queued[0].reference.clone();
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        &format!(
            "DELETE FROM request_twinnings WHERE request_id = \
             (SELECT id FROM requests WHERE reference = '{legacy}')"
        ),
    )
    .await
    .unwrap();
    let again = q
        .queue_campaign(
            "twinning-2026",
            "twinning-agreement",
            Some(TwinningStatus::Active),
            None,
            &none,
            false,
            Per::Link,
        )
        .await
        .unwrap();
    assert!(again.queued.is_empty(), "{:?}", again.queued);
    assert_eq!(again.already_held.len(), 5);
    assert!(again.already_held.iter().any(|h| h.reference == legacy));

    // Once Birmingham has an address, a re-run adds just its three links.
    let email = EmailAddress::parse("foi@birmingham.example.org").unwrap();
    authorities::set_email(&app.db, "birmingham-city-council", &email, "test")
        .await
        .unwrap();
    let third = q
        .queue_campaign(
            "twinning-2026",
            "twinning-agreement",
            Some(TwinningStatus::Active),
            None,
            &none,
            false,
            Per::Link,
        )
        .await
        .unwrap();
    assert_eq!(third.queued.len(), 3);
    assert!(third
        .queued
        .iter()
        .all(|l| l.authority == "birmingham-city-council"));

    let listed = requests::list(
        &app.db,
        &requests::RequestFilter {
            campaign: Some("twinning-2026".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(listed.len(), 8);
    assert!(listed
        .iter()
        .all(|r| r.state == "queued" && r.campaign.as_deref() == Some("twinning-2026")));
}

db_tests!(
    queues_one_request_with_a_rendered_letter,
    a_request_already_made_is_not_queued_twice_by_accident,
    the_link_must_be_the_authoritys_own,
    scottish_letters_cite_foisa,
    bad_queue_requests_are_refused_and_store_nothing,
    a_campaign_per_link_queues_each_link_once,
);
