//! Scale: each command's time and memory at 1k, 10k and 100k requests, on SQLite and
//! PostgreSQL, beside the database's floor (a plain SELECT of the same rows and columns, timed
//! in the same run) and the ratio. BENCHMARKS.md holds the figures and how to read them.
//!
//! ```text
//! cargo bench --bench scale                                  # 1k, 10k, 100k; both databases
//! FOI_BENCH_SIZES=1000,10000 FOI_BENCH_DBS=sqlite cargo bench --bench scale
//! FOI_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres   # where to create
//!                                                            # (and drop) its databases
//! FOI_BENCH_BIN=/path/to/an/older/foi FOI_BENCH_BEFORE=1     # measure another build (the
//!                                                            # database without migration 16)
//! ```
//!
//! Each database is filled by `foi dev generate --authorities 400 --requests N --seed 1`, then
//! every command runs as staff would run it: the release binary, as a process of its own,
//! timed from start to exit, its peak resident memory read by GNU time. The history is dated
//! before the run's fixed `--now`, a Wednesday at 10:00 in London.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-12-02T10:00:00Z";
const LATER: &str = "2027-01-06T10:00:00Z";
const CAMPAIGN_LINKS: usize = 10_000;

fn main() {
    // `cargo bench` passes --bench; a filter argument picks nothing here.
    let sizes: Vec<usize> = env_list("FOI_BENCH_SIZES", "1000,10000,100000")
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let dbs = env_list("FOI_BENCH_DBS", "sqlite,postgres");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut report = Report::default();
    println!("{}", machine());
    for db in &dbs {
        for &n in &sizes {
            rt.block_on(run(db, n, &mut report));
        }
    }
    let out = std::env::var("FOI_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/scale-bench.md")
        });
    std::fs::write(&out, report.markdown()).unwrap();
    println!("\nwritten to {}", out.display());
}

fn env_list(key: &str, default: &str) -> Vec<String> {
    std::env::var(key)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|c| c.lines().next().map(|l| l.to_string()))
        .unwrap_or_default();
    format!("machine: {cpus} CPUs, {model}, {mem}")
}

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
}

struct Row {
    db: String,
    n: usize,
    work: String,
    secs: f64,
    rss_mb: Option<f64>,
    floor: Option<f64>,
    note: String,
}

impl Report {
    fn add(&mut self, row: Row) {
        let floor = row
            .floor
            .map(|f| format!("{:.3} s", f))
            .unwrap_or_else(|| "–".into());
        let ratio = row
            .floor
            .filter(|f| *f > 0.0)
            .map(|f| format!("{:.1}×", row.secs / f))
            .unwrap_or_else(|| "–".into());
        println!(
            "{:<9} {:>7}  {:<44} {:>9.3} s  {:>8}  floor {:>9}  {:>7}  {}",
            row.db,
            row.n,
            row.work,
            row.secs,
            row.rss_mb
                .map(|m| format!("{m:.0} MB"))
                .unwrap_or_else(|| "–".into()),
            floor,
            ratio,
            row.note
        );
        self.rows.push(row);
    }

    fn markdown(&self) -> String {
        let mut s = String::from(
            "| database | requests | work | time | peak RSS | floor | ratio | note |\n|---|---|---|---|---|---|---|---|\n",
        );
        for r in &self.rows {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.3} s | {} | {} | {} | {} |",
                r.db,
                r.n,
                r.work,
                r.secs,
                r.rss_mb
                    .map(|m| format!("{m:.0} MB"))
                    .unwrap_or_else(|| "–".into()),
                r.floor
                    .map(|f| format!("{f:.3} s"))
                    .unwrap_or_else(|| "–".into()),
                r.floor
                    .filter(|f| *f > 0.0)
                    .map(|f| format!("{:.1}×", r.secs / f))
                    .unwrap_or_else(|| "–".into()),
                r.note
            );
        }
        s
    }
}

/// A database made for one run, dropped after it.
struct BenchDb {
    url: String,
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl BenchDb {
    async fn new(kind: &str, n: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        if kind == "sqlite" {
            let url = format!("sqlite://{}", dir.path().join("foi.db").display());
            return BenchDb { url, dir, pg: None };
        }
        let admin = std::env::var("FOI_BENCH_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("foi_bench_{n}_{}", std::process::id());
        let conn = Database::connect(&admin).await.expect("PostgreSQL");
        conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\""))
            .await
            .unwrap();
        conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
        conn.close().await.ok();
        let url = format!("{}/{name}", &admin[..admin.rfind('/').unwrap()]);
        BenchDb {
            url,
            dir,
            pg: Some((admin, name)),
        }
    }

    async fn drop_it(self) {
        if let Some((admin, name)) = &self.pg {
            let conn = Database::connect(admin).await.unwrap();
            conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
                .ok();
        }
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("FOI__DATABASE__URL".into(), self.url.clone()),
            (
                "FOI__PATHS__DATA_DIR".into(),
                self.dir.path().join("var").display().to_string(),
            ),
            ("FOI__MAIL__OUTBOX__PER_MINUTE".into(), "0".into()),
            (
                "FOI__MAIL__OUTBOX__PER_DOMAIN_PER_MINUTE".into(),
                "0".into(),
            ),
            ("RUST_LOG".into(), "warn".into()),
        ]
    }
}

/// What one process took: wall time and peak resident memory, and what it printed.
struct Ran {
    secs: f64,
    rss_mb: f64,
    stdout_bytes: usize,
}

fn generator() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_foi"))
}

fn measured() -> PathBuf {
    std::env::var("FOI_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| generator())
}

/// Runs `bin args` in the database's folder (so no config/local.toml is picked up) under GNU
/// time for its peak memory, and fails loudly when it fails.
///
/// Why GNU time and not `wait4` here: Linux records the peak of the memory a process leaves
/// at exec, so a child forked from this bench (which holds the floors' rows) would report at
/// least the bench's own size. `time` is small, and the command is its child.
fn run_cmd(bin: &Path, db: &BenchDb, args: &[&str]) -> Ran {
    let out_path = db.dir.path().join("stdout");
    // Files, not pipes: the child is waited for before its output is read, and a full pipe
    // would stop it.
    let err_path = db.dir.path().join("stderr");
    let rss_path = db.dir.path().join("maxrss");
    let started = Instant::now();
    let status = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&rss_path)
        .arg(bin)
        .args(args)
        .envs(db.env())
        .current_dir(db.dir.path())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .status()
        .expect("/usr/bin/time (GNU time: scripts/install-deps.sh installs it)");
    let secs = started.elapsed().as_secs_f64();
    if !status.success() {
        let err = std::fs::read_to_string(&err_path).unwrap_or_default();
        panic!("foi {} failed ({status}): {err}", args.join(" "));
    }
    let kb: f64 = std::fs::read_to_string(&rss_path)
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(0.0);
    Ran {
        secs,
        rss_mb: kb / 1024.0,
        stdout_bytes: std::fs::metadata(&out_path)
            .map(|m| m.len() as usize)
            .unwrap_or(0),
    }
}

/// Time to read every row of `sql` (each column of each row read), the best of three.
async fn floor(conn: &DatabaseConnection, sql: &str) -> f64 {
    let backend = conn.get_database_backend();
    let mut best = f64::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let rows = conn
            .query_all(Statement::from_string(backend, sql.to_string()))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let mut n = 0usize;
        for r in &rows {
            for c in r.column_names() {
                // Read each value as text or a number, as a program would.
                if r.try_get::<Option<String>>("", &c).is_err() {
                    let _ = r.try_get::<Option<i64>>("", &c);
                }
                n += 1;
            }
        }
        std::hint::black_box(n);
        best = best.min(started.elapsed().as_secs_f64());
    }
    best
}

async fn count(conn: &DatabaseConnection, sql: &str) -> i64 {
    let backend = conn.get_database_backend();
    let row = conn
        .query_one(Statement::from_string(backend, sql.to_string()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

const WATCHED: &str = "('sent','acknowledged','extended','overdue','very_overdue','internal_review','review_upheld','clarification_requested','fees_notice')";

fn list_floor_sql(state: Option<&str>) -> String {
    format!(
        "SELECT r.id, r.reference, r.state, r.channel, r.regime, r.template, r.subject, r.to_address, \
         r.reply_to, r.created_at, r.sent_at, r.portal_reference, a.slug, a.name, c.name AS campaign, \
         t.id AS link, t.partner_city \
         FROM requests r JOIN authorities a ON a.id = r.authority_id \
         LEFT JOIN campaigns c ON c.id = r.campaign_id \
         LEFT JOIN request_twinnings rt ON rt.request_id = r.id \
         LEFT JOIN twinnings t ON t.id = rt.twinning_id {} ORDER BY r.id",
        state
            .map(|s| format!("WHERE r.state = '{s}'"))
            .unwrap_or_default()
    )
}

/// A twinnings file of `n` new links, spread over the stored councils, with `status`.
fn links_file(path: &Path, names: &[String], n: usize, status: &str, tag: &str) {
    let mut s = String::from(
        "uk_authority\tuk_place\tnation\tchinese_partner\tpartner_province\trelationship\tsince_year\tstatus\n",
    );
    for i in 0..n {
        let name = &names[i % names.len()];
        let _ = writeln!(
            s,
            "{name}\t{name}\tEngland\t{tag} City {i:06}\tBench Province\tfriendship\t2001\t{status}"
        );
    }
    std::fs::write(path, s).unwrap();
}

async fn run(kind: &str, n: usize, report: &mut Report) {
    let db = BenchDb::new(kind, n).await;
    let bin = measured();
    let before = std::env::var("FOI_BENCH_BEFORE").is_ok();
    let row = |work: &str, ran: &Ran, floor: Option<f64>, note: String| Row {
        db: kind.into(),
        n,
        work: work.into(),
        secs: ran.secs,
        rss_mb: Some(ran.rss_mb),
        floor,
        note,
    };

    let g = run_cmd(
        &generator(),
        &db,
        &[
            "--now",
            NOW,
            "dev",
            "generate",
            "--authorities",
            "400",
            "--requests",
            &n.to_string(),
            "--seed",
            "1",
        ],
    );
    report.add(row("dev generate", &g, None, String::new()));
    let conn = Database::connect(&db.url).await.unwrap();
    if before {
        // The build measured predates migration 16: take it and its indexes away.
        conn.execute_unprepared(
            "DELETE FROM seaql_migrations WHERE version = 'm20261205_000016_scale_indexes'",
        )
        .await
        .unwrap();
        for ix in [
            "ix_messages_claim",
            "ix_messages_claim_written",
            "ix_messages_state_sent_at",
            "ix_messages_received_at",
            "ix_events_kind_at",
            "ix_classifications_at",
        ] {
            conn.execute_unprepared(&format!("DROP INDEX IF EXISTS {ix}"))
                .await
                .unwrap();
        }
    }
    let backend = conn.get_database_backend();
    let names: Vec<String> = conn
        .query_all(Statement::from_string(
            backend,
            "SELECT name FROM authorities ORDER BY id".to_string(),
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .collect();
    let dir = db.dir.path().to_path_buf();

    // Idle daemon.
    {
        let started = Instant::now();
        let mut child = Command::new(&bin)
            .args(["run"])
            .envs(db.env())
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_secs(4));
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
        let kb = |key: &str| {
            status
                .lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let (rss, hwm) = (kb("VmRSS:"), kb("VmHWM:"));
        // SAFETY: signalling our own child by its id.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        let _ = child.wait();
        report.add(Row {
            db: kind.into(),
            n,
            work: "daemon idle (foi run, after 4 s)".into(),
            secs: started.elapsed().as_secs_f64(),
            rss_mb: Some(rss / 1024.0),
            floor: None,
            note: format!("peak since start {:.0} MB", hwm / 1024.0),
        });
    }

    // Import the campaign's links, then the size's own number of links (for growth).
    let campaign_file = dir.join("campaign-links.tsv");
    links_file(
        &campaign_file,
        &names,
        CAMPAIGN_LINKS,
        "unknown",
        "Campaign",
    );
    let ran = run_cmd(
        &bin,
        &db,
        &[
            "--now",
            NOW,
            "twinnings",
            "import",
            campaign_file.to_str().unwrap(),
        ],
    );
    report.add(row(
        "twinnings import, 10k links",
        &ran,
        None,
        String::new(),
    ));

    // Queue a 10k campaign (one letter per new link).
    let ran = run_cmd(
        &bin,
        &db,
        &[
            "--now",
            NOW,
            "queue",
            "--campaign",
            "bench",
            "--all-twinned",
            "--status",
            "unknown",
            "--per",
            "link",
            "--template",
            "twinning-agreement",
        ],
    );
    let queued = count(
        &conn,
        "SELECT COUNT(*) FROM requests r JOIN campaigns c ON c.id = r.campaign_id WHERE c.name = 'bench'",
    )
    .await;
    report.add(row(
        "queue a 10k campaign",
        &ran,
        None,
        format!(
            "{queued} queued, {:.0} requests/s",
            queued as f64 / ran.secs
        ),
    ));

    // The outbox: every queued letter through the file transport.
    let due = count(
        &conn,
        "SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND state IN ('queued', 'retry')",
    )
    .await;
    let ran = run_cmd(&bin, &db, &["--now", NOW, "send"]);
    report.add(row(
        "foi send (file transport), all due",
        &ran,
        None,
        format!(
            "{due} messages, {:.2} ms per message claimed and recorded",
            ran.secs * 1000.0 / due.max(1) as f64
        ),
    ));

    // The sweep as of now (the history is in step: little to do) and a month later.
    let sweep_floor = floor(
        &conn,
        &format!(
            "SELECT id, reference, state, regime, channel, deadlines, response_due FROM requests \
             WHERE state IN {WATCHED} ORDER BY id"
        ),
    )
    .await;
    let open = count(
        &conn,
        &format!("SELECT COUNT(*) FROM requests WHERE state IN {WATCHED}"),
    )
    .await;
    let ran = run_cmd(&bin, &db, &["--now", NOW, "run", "--once", "sweep"]);
    report.add(row(
        "sweep (run --once sweep), in step",
        &ran,
        Some(sweep_floor),
        format!("{open} open requests"),
    ));

    // Reads.
    for (work, args, sql) in [
        (
            "requests list --state overdue",
            vec!["requests", "list", "--state", "overdue"],
            list_floor_sql(Some("overdue")),
        ),
        (
            "requests list --state overdue --json",
            vec!["requests", "list", "--state", "overdue", "--json"],
            list_floor_sql(Some("overdue")),
        ),
        (
            "requests list --json (every request)",
            vec!["requests", "list", "--json"],
            list_floor_sql(None),
        ),
    ] {
        let f = floor(&conn, &sql).await;
        let mut full = vec!["--now", NOW];
        full.extend(args);
        let ran = run_cmd(&bin, &db, &full);
        report.add(row(
            work,
            &ran,
            Some(f),
            format!("{} KB out", ran.stdout_bytes / 1024),
        ));
    }
    let overdue_floor = floor(
        &conn,
        "SELECT r.id, r.reference, r.state, r.regime, r.response_due, a.name FROM requests r \
         JOIN authorities a ON a.id = r.authority_id WHERE r.state IN ('overdue', 'very_overdue') ORDER BY r.id",
    )
    .await;
    let ran = run_cmd(&bin, &db, &["--now", NOW, "digest", "--preview"]);
    report.add(row(
        "digest --preview",
        &ran,
        Some(overdue_floor),
        format!("{} KB of text", ran.stdout_bytes / 1024),
    ));
    // Issue 13's commands, when this build has them.
    let help = Command::new(&bin)
        .arg("--help")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default();
    let has = |c: &str| {
        help.lines()
            .any(|l| l.trim_start().starts_with(&format!("{c} ")))
    };
    if has("status") {
        let ran = run_cmd(&bin, &db, &["--now", NOW, "status"]);
        // What the status must read: the counts, and the requests whose deadlines it lists.
        let f = floor(
            &conn,
            "SELECT campaign_id, state, COUNT(*) FROM requests GROUP BY campaign_id, state",
        )
        .await
            + floor(
                &conn,
                "SELECT id, reference, authority_id, campaign_id, regime, state, response_due, \
                 deadlines, updated_at FROM requests WHERE state IN ('sent', 'acknowledged', \
                 'extended', 'overdue', 'very_overdue', 'internal_review', 'review_upheld', \
                 'response_received') ORDER BY id",
            )
            .await;
        report.add(row(
            "foi status",
            &ran,
            Some(f),
            format!("{} KB out", ran.stdout_bytes / 1024),
        ));
    }
    if has("stats") {
        let ran = run_cmd(&bin, &db, &["--now", NOW, "stats"]);
        let f = floor(
            &conn,
            "SELECT authority_id, state, regime, sent_at, response_due FROM requests ORDER BY id",
        )
        .await;
        report.add(row("foi stats", &ran, Some(f), String::new()));
    }
    if has("export") {
        let csv = dir.join("requests.csv");
        let ran = run_cmd(
            &bin,
            &db,
            &[
                "--now",
                NOW,
                "export",
                "requests",
                "--format",
                "csv",
                "--out",
                csv.to_str().unwrap(),
            ],
        );
        let f = floor(&conn, &list_floor_sql(None)).await;
        let size = std::fs::metadata(&csv).map(|m| m.len()).unwrap_or(0);
        report.add(row(
            "export requests --format csv",
            &ran,
            Some(f),
            format!("{} KB written", size / 1024),
        ));
    }

    // A month on: the requests sent before now fall due, and the sweep moves them.
    let ran = run_cmd(&bin, &db, &["--now", LATER, "run", "--once", "sweep"]);
    let overdue_now = count(
        &conn,
        "SELECT COUNT(*) FROM requests WHERE state IN ('overdue', 'very_overdue')",
    )
    .await;
    report.add(row(
        "sweep a month later (daemon's sweep job)",
        &ran,
        Some(sweep_floor),
        format!("{overdue_now} overdue after it"),
    ));

    // Import as many links as the size (100k at 100k).
    let growth_file = dir.join("growth-links.tsv");
    links_file(&growth_file, &names, n, "active", "Growth");
    let ran = run_cmd(
        &bin,
        &db,
        &[
            "--now",
            NOW,
            "twinnings",
            "import",
            growth_file.to_str().unwrap(),
        ],
    );
    report.add(row(
        &format!("twinnings import, {}k links", n / 1000),
        &ran,
        None,
        String::new(),
    ));

    conn.close().await.ok();
    db.drop_it().await;
}
