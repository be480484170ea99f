//! `foi dev generate` and what the scale work changed in behaviour: the generated history is
//! the one the services would have written (the sweep finds nothing to change, every command
//! runs on it), it is the same for the same seed, and the digest summarises a long list of
//! overdue requests. Speed is measured by `cargo bench --bench scale`, not here.

use crate::common::{foi, stdout, TestDb};
use chrono::{DateTime, Utc};
use foi::services::generate::{self, Generate};
use foi::store::requests::{self, RequestFilter};
use sea_orm::{ConnectionTrait, Statement};
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-02T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

async fn state_counts(db: &impl ConnectionTrait) -> BTreeMap<String, usize> {
    let rows = db
        .query_all(Statement::from_string(
            db.get_database_backend(),
            "SELECT state, CAST(COUNT(*) AS BIGINT) AS n FROM requests GROUP BY state",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get::<String>("", "state").unwrap(),
                r.try_get::<i64>("", "n").unwrap() as usize,
            )
        })
        .collect()
}

async fn generated_history_is_what_the_services_would_write(db: TestDb) {
    let app = db.app().await;
    let g = generate::generate(
        &app,
        now(),
        Generate {
            authorities: 40,
            requests: 800,
            seed: 7,
        },
    )
    .await
    .unwrap();
    assert_eq!(g.requests, 800);
    assert_eq!(g.authorities, 40);
    assert_eq!(g.by_state.values().sum::<usize>(), 800);
    // What it says it wrote is what is stored.
    assert_eq!(state_counts(&app.db).await, g.by_state);
    // Requests in (nearly) every state; the rarest may miss in a small run.
    assert!(g.by_state.len() >= 15, "{:?}", g.by_state);
    for s in [
        "queued",
        "sent",
        "overdue",
        "very_overdue",
        "successful",
        "refused",
    ] {
        assert!(
            g.by_state.get(s).copied().unwrap_or(0) > 0,
            "no {s}: {:?}",
            g.by_state
        );
    }
    assert!(
        g.messages > 800 && g.events > 1600 && g.clock_events > 500,
        "{g:?}"
    );
    assert!(
        g.classifications > 0 && g.chases > 0 && g.tasks > 0,
        "{g:?}"
    );

    // The states are the ones the clock gives: the sweep as of then changes nothing.
    let report = foi::services::sweep::sweep(&app, now()).await.unwrap();
    assert!(
        report.overdue.is_empty()
            && report.very_overdue.is_empty()
            && report.reminders.is_empty()
            && report.reviews.is_empty()
            && report.complaints.is_empty()
            && report.tasks.is_empty()
            && report.tasks_withdrawn.is_empty()
            && report.resumed.is_empty()
            && report.no_longer_overdue.is_empty()
            && report.lapsed.is_empty(),
        "{report}"
    );
    let queued_by_hand: Vec<_> = requests::list(
        &app.db,
        &RequestFilter {
            state: Some(foi::domain::RequestState::Queued),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // The queued letters go out through the outbox.
    let stop = AtomicBool::new(false);
    let drained = foi::services::dispatch::drain(&app, now(), None, &stop)
        .await
        .unwrap();
    assert_eq!(
        drained.outcomes.len(),
        g.by_state
            .get("queued")
            .copied()
            .unwrap_or(0)
            .saturating_sub(
                // Queued by web form or post: a staff task, nothing in the outbox.
                queued_by_hand
                    .iter()
                    .filter(|r| !r.channel.by_email())
                    .count()
            ),
        "{drained}"
    );
    // A month later the open requests fall due and are chased, without an error.
    let later = now() + chrono::Duration::days(35);
    let report = foi::services::sweep::sweep(&app, later).await.unwrap();
    assert!(!report.overdue.is_empty(), "{report}");

    // Every reading command runs on it.
    let all = requests::list(&app.db, &RequestFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 800);
    assert!(all.iter().all(|r| !r.authority.is_empty()));
    assert!(
        all.iter().all(|r| r.partner_city.is_some()),
        "every request covers links"
    );
    let one = &all[all.len() / 2];
    foi::services::requests::show(&app, &one.reference)
        .await
        .unwrap();
    foi::services::digest::preview(&app, later, false)
        .await
        .unwrap();
    // New rows after generated ones get fresh ids (PostgreSQL's sequences moved on).
    let (slug, _) =
        crate::common::council_with_link(&app, "Fresh Council", "foi@fresh.gov.uk").await;
    let q = foi::services::queue::one(
        &app,
        now(),
        foi::services::queue::QueueOne {
            template: "twinning-agreement".into(),
            authority: slug,
            actor: "test".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(q.stored);

    // It never writes into a database that holds anything.
    let err = generate::generate(
        &app,
        now(),
        Generate {
            authorities: 5,
            requests: 10,
            seed: 7,
        },
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("already holds"), "{err}");
}

/// The same seed gives the same history; another seed another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_gives_the_same_history() {
    let mut seen = Vec::new();
    for seed in [3, 3, 4] {
        let db = TestDb::sqlite().await;
        let app = db.app().await;
        generate::generate(
            &app,
            now(),
            Generate {
                authorities: 12,
                requests: 150,
                seed,
            },
        )
        .await
        .unwrap();
        let rows: Vec<String> = requests::list(&app.db, &RequestFilter::default())
            .await
            .unwrap()
            .into_iter()
            .map(|r| format!("{} {} {} {}", r.reference, r.state, r.authority, r.channel))
            .collect();
        seen.push(rows);
    }
    assert_eq!(seen[0], seen[1]);
    assert_ne!(seen[0], seen[2]);
}

/// Past 50 overdue requests the digest lists the 50 most overdue and counts the rest by
/// council and campaign; with fewer it lists them all.
async fn the_digest_summarises_many_overdue_requests(db: TestDb) {
    let app = db.app().await;
    generate::generate(
        &app,
        now(),
        Generate {
            authorities: 30,
            requests: 900,
            seed: 11,
        },
    )
    .await
    .unwrap();
    let overdue = requests::list(
        &app.db,
        &RequestFilter {
            state: Some(foi::domain::RequestState::Overdue),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .len()
        + requests::list(
            &app.db,
            &RequestFilter {
                state: Some(foi::domain::RequestState::VeryOverdue),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .len();
    assert!(overdue > 60, "{overdue}");
    let text = foi::services::digest::preview(&app, now(), false)
        .await
        .unwrap()
        .body;
    let section = text
        .split("Overdue responses")
        .nth(1)
        .unwrap()
        .split("Staff tasks")
        .next()
        .unwrap();
    let listed = section.lines().filter(|l| l.starts_with("- foi-")).count();
    assert_eq!(listed, 50, "{section}");
    assert!(
        section.contains(&format!(
            "... and {} more: {overdue} overdue in all",
            overdue - 50
        )),
        "{section}"
    );
    assert!(section.contains("By council ("), "{section}");
    assert!(section.contains("By campaign:"), "{section}");
    assert!(section.contains("- generated "), "{section}");
    // The most overdue come first, by the status's rule: its list's first 50.
    let shown: Vec<String> = section
        .lines()
        .filter(|l| l.starts_with("- foi-"))
        .map(|l| l[2..].split_whitespace().next().unwrap().to_string())
        .collect();
    let status =
        foi::services::status::status(&app, now(), None, foi::services::status::Lines::First(50))
            .await
            .unwrap();
    let first: Vec<String> = status.overdue.iter().map(|o| o.reference.clone()).collect();
    assert_eq!(shown, first);
    let html = foi::services::digest::preview(&app, now(), true)
        .await
        .unwrap()
        .body;
    assert!(html.contains(&format!("{} more", overdue - 50)), "{html}");

    // Staff tasks (each with its letter) and drafts past their limits: the first ones, and
    // how many more there are.
    let tasks = foi::services::tasks::open_heads(&app.db)
        .await
        .unwrap()
        .len();
    let drafts =
        foi::store::messages::letter_lines(&app.db, &[foi::domain::MessageState::Draft], None)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.request_id.is_some())
            .count();
    assert!(tasks > 20 || drafts > 50, "tasks {tasks}, drafts {drafts}");
    let between = |from: &str, to: &str| -> String {
        text.split(from)
            .nth(1)
            .unwrap()
            .split(to)
            .next()
            .unwrap()
            .to_string()
    };
    let task_lines = between("Staff tasks (requests", "Delivery problems");
    let listed = task_lines
        .lines()
        .filter(|l| l.starts_with("- foi-"))
        .count();
    assert_eq!(listed, tasks.min(20), "{task_lines}");
    assert_eq!(
        task_lines.contains(&format!("... and {} more tasks", tasks.saturating_sub(20))),
        tasks > 20,
        "{task_lines}"
    );
    let draft_lines = between("Drafts waiting for approval", "Internal reviews past");
    let listed = draft_lines
        .lines()
        .filter(|l| l.starts_with("- foi-"))
        .count();
    assert_eq!(listed, drafts.min(50), "{draft_lines}");
    assert_eq!(
        draft_lines.contains(&format!(
            "... and {} more drafts",
            drafts.saturating_sub(50)
        )),
        drafts > 50,
        "{draft_lines}"
    );

    // A short list is listed whole.
    let small = TestDb::sqlite().await;
    let app = small.app().await;
    generate::generate(
        &app,
        now(),
        Generate {
            authorities: 10,
            requests: 60,
            seed: 11,
        },
    )
    .await
    .unwrap();
    let text = foi::services::digest::preview(&app, now(), false)
        .await
        .unwrap()
        .body;
    assert!(!text.contains(" more: "), "{text}");
}

/// `foi dev generate --authorities A --requests R --seed S` (`ars`), then `more`.
fn generate_cli(db: &TestDb, ars: &[&str; 3], more: &[&str]) -> std::process::Output {
    let mut args = vec![
        "--now",
        "2026-12-02T10:00:00Z",
        "dev",
        "generate",
        "--authorities",
        ars[0],
        "--requests",
        ars[1],
        "--seed",
        ars[2],
    ];
    args.extend(more);
    foi(db, &args)
}

/// `foi dev generate` from the command line, and its refusals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_generate_from_the_command_line() {
    let db = TestDb::sqlite().await;
    let o = generate_cli(&db, &["8", "120", "2"], &["--json"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["requests"], 120);
    assert_eq!(v["authorities"], 8);
    let o = foi(&db, &["requests", "list", "--json"]);
    assert!(o.status.success());
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(rows.len(), 120);
    // A second run would mix made-up rows with those already there.
    let o = foi(&db, &["dev", "generate", "--requests", "10"]);
    assert!(!o.status.success());
    assert!(crate::common::stderr(&o).contains("already holds"));
    let fresh = TestDb::sqlite().await;
    let o = foi(&fresh, &["dev", "generate", "--authorities", "0"]);
    assert!(!o.status.success());
    assert!(
        crate::common::stderr(&o).contains("--authorities must be 1 to"),
        "{}",
        crate::common::stderr(&o)
    );
}

/// `foi status` prints the 50 most overdue and says how many more there are; `--json`
/// keeps every one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_lists_the_most_overdue_and_counts_the_rest() {
    let db = TestDb::sqlite().await;
    let o = generate_cli(&db, &["30", "900", "11"], &[]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let o = foi(&db, &["--now", "2026-12-02T10:00:00Z", "status", "--json"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let overdue = v["overdue"].as_array().unwrap().len();
    assert!(overdue > 60, "{overdue}");
    let o = foi(&db, &["--now", "2026-12-02T10:00:00Z", "status"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let text = stdout(&o);
    let section = text
        .split(&format!("Overdue ({overdue}):"))
        .nth(1)
        .unwrap()
        .split("Deadlines in the next two weeks")
        .next()
        .unwrap();
    let rows = section.lines().filter(|l| l.starts_with("foi-")).count();
    assert_eq!(rows, 50, "{section}");
    assert!(
        section.contains(&format!("… and {} more less late", overdue - 50)),
        "{section}"
    );
    // The most overdue first: the first row is the first of the JSON.
    let most = v["overdue"][0]["reference"].as_str().unwrap();
    let first = section
        .lines()
        .find(|l| l.starts_with("foi-"))
        .unwrap()
        .to_string();
    assert!(first.starts_with(&format!("{most} ")), "{first} / {most}");
}

/// The status at a glance (`Lines::First`: the table of `foi status`, the overview) reads
/// only the first lines of its longest lists from the database, and they are the first
/// lines of the whole lists (`Lines::All`: `--json`), with the same totals.
async fn the_status_at_a_glance_is_the_head_of_the_whole(db: TestDb) {
    use foi::services::status::{self, Lines};
    let app = db.app().await;
    generate::generate(
        &app,
        now(),
        Generate {
            authorities: 30,
            requests: 900,
            seed: 11,
        },
    )
    .await
    .unwrap();
    let all = status::status(&app, now(), None, Lines::All).await.unwrap();
    let n = 10;
    let glance = status::status(&app, now(), None, Lines::First(n))
        .await
        .unwrap();
    assert!(all.overdue.len() > n, "{}", all.overdue.len());
    assert!(all.waiting.drafts.len() > n, "{}", all.waiting.drafts.len());
    assert!(
        all.waiting.open_tasks.len() > n,
        "{}",
        all.waiting.open_tasks.len()
    );
    assert_eq!(glance.overdue, all.overdue[..n]);
    assert_eq!(glance.totals.overdue, all.overdue.len());
    assert_eq!(all.totals.overdue, all.overdue.len());
    assert_eq!(glance.upcoming, all.upcoming);
    let refs = |l: &[status::DraftLine]| l.iter().map(|d| d.id).collect::<Vec<_>>();
    assert_eq!(refs(&glance.waiting.drafts), refs(&all.waiting.drafts[..n]));
    assert_eq!(glance.totals.drafts, all.waiting.drafts.len());
    let tasks = |l: &[status::TaskLine]| l.iter().map(|t| t.id).collect::<Vec<_>>();
    assert_eq!(
        tasks(&glance.waiting.open_tasks),
        tasks(&all.waiting.open_tasks[..n])
    );
    assert_eq!(glance.totals.open_tasks, all.waiting.open_tasks.len());
    assert_eq!(
        glance.totals.written_not_sent,
        all.waiting.written_not_sent.len()
    );
    // The late requests come longest past their due date first.
    assert!(all.overdue.windows(2).all(|w| w[0].due <= w[1].due));
}

db_tests!(
    generated_history_is_what_the_services_would_write,
    the_digest_summarises_many_overdue_requests,
    the_status_at_a_glance_is_the_head_of_the_whole,
);
