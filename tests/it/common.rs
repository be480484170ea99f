//! Per-test databases: a fresh SQLite file, or a fresh PostgreSQL database created for the
//! test and dropped after it, so tests never see each other's rows.

use foi::settings::Settings;
use foi::Application;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn pg_admin_url() -> String {
    std::env::var("FOI_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("foi.db").display());
        TestDb {
            url,
            dir,
            pg_name: None,
        }
    }

    pub async fn postgres() -> Self {
        let name = format!(
            "foi_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            chrono::Utc::now().timestamp_micros() % 1_000_000_000
        );
        let admin = Database::connect(pg_admin_url())
            .await
            .expect("PostgreSQL must be running on 127.0.0.1:5432 (see .ci/run)");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
        admin.close().await.ok();
        let base = pg_admin_url();
        let url = match base.rfind('/') {
            Some(i) => format!("{}/{name}", &base[..i]),
            None => panic!("bad FOI_TEST_PG_URL"),
        };
        TestDb {
            url,
            dir: tempfile::tempdir().unwrap(),
            pg_name: Some(name),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg_name.is_some()
    }

    /// Defaults pointing at this database, the repository's templates and a private data dir.
    pub fn settings(&self) -> Settings {
        let mut s = Settings::defaults();
        s.database.url = self.url.clone();
        s.paths.templates_dir = repo_path("letter-templates");
        s.paths.data_dir = self.dir.path().join("var");
        s
    }

    pub async fn app(&self) -> Application {
        Application::build(self.settings()).await.unwrap()
    }

    /// The shipped letter templates plus `extra` (file name, text), in this test's folder.
    pub fn templates_with(&self, extra: &[(&str, &str)]) -> std::path::PathBuf {
        let dir = self.dir.path().join("letter-templates");
        let shipped = repo_path("letter-templates");
        for sub in ["", "partials"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
            for entry in std::fs::read_dir(shipped.join(sub)).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    std::fs::copy(&path, dir.join(sub).join(path.file_name().unwrap())).unwrap();
                }
            }
        }
        for (name, text) in extra {
            std::fs::write(dir.join(name), text).unwrap();
        }
        dir
    }

    /// An application whose templates are the shipped ones plus `extra`.
    pub async fn app_with_templates(&self, extra: &[(&str, &str)]) -> Application {
        let mut s = self.settings();
        s.paths.templates_dir = self.templates_with(extra);
        Application::build(s).await.unwrap()
    }

    pub async fn connect(&self) -> DatabaseConnection {
        foi::app::connect_and_migrate(&self.settings())
            .await
            .unwrap()
    }

    /// Environment for running the `foi` binary against this database.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("FOI__DATABASE__URL".into(), self.url.clone()),
            (
                "FOI__PATHS__TEMPLATES_DIR".into(),
                repo_path("letter-templates").display().to_string(),
            ),
            (
                "FOI__PATHS__DATA_DIR".into(),
                self.dir.path().join("var").display().to_string(),
            ),
            // `foi run` serves the dashboard; daemons of tests running side by side each take
            // a free port instead of all asking for 8080.
            ("FOI__WEB__BIND".into(), "127.0.0.1:0".into()),
        ]
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside any async context we can rely on, so use a private runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(admin) = Database::connect(pg_admin_url()).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

/// Declares each named `async fn NAME(db: TestDb)` as two tests, `NAME::sqlite` and
/// `NAME::postgres`, so every database test runs on both back ends.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::common::TestDb::sqlite().await).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::common::TestDb::postgres().await).await
                }
            }
        )*
    };
}

/// Runs the built `foi` binary in the test's own folder against its database.
pub fn foi(db: &TestDb, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_foi"))
        .args(args)
        .current_dir(db.dir.path())
        .envs(db.env())
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap()
}

pub fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// One English council with an FOI address and one active twinning link (with Ningbo);
/// returns the council's slug and the link's id.
pub async fn council_with_link(app: &Application, name: &str, email: &str) -> (String, i32) {
    use foi::import::{parse_authorities, parse_twinnings};
    let csv = format!("name,nation,foi_email\n{name},England,{email}\n");
    let rows = parse_authorities("council.csv", &csv).unwrap();
    foi::store::authorities::upsert_rows(&app.db, "council.csv", &rows)
        .await
        .unwrap();
    let tsv = format!(
        "uk_authority\tuk_place\tnation\tchinese_partner\tpartner_province\trelationship\tsince_year\tstatus\n\
         {name}\t{name}\tEngland\tNingbo\tZhejiang\ttwinning\t2005\tactive\n"
    );
    foi::store::twinnings::import_rows(
        &app.db,
        "links.tsv",
        &parse_twinnings("links.tsv", &tsv).unwrap(),
    )
    .await
    .unwrap();
    let slug = rows[0].slug.to_string();
    let link = foi::store::twinnings::list(&app.db, None, None)
        .await
        .unwrap()
        .into_iter()
        .find(|(_, a)| a.slug == slug)
        .unwrap()
        .0
        .id;
    (slug, link)
}

/// Runs `foi` and asserts it fails as an error (exit 1) whose message contains `needle`.
pub fn fails_with(db: &TestDb, args: &[&str], needle: &str) {
    let out = foi(db, args);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
    assert!(
        stderr(&out).contains(needle),
        "{args:?}: expected {needle:?} in {}",
        stderr(&out)
    );
}

/// A signature and sender that are not the shipped placeholders, which SMTP refuses to send under.
pub fn real_sender(s: &mut Settings) {
    s.requester.name = "Ada Campaigner".into();
    s.requester.email = "ada@campaign.example.org".into();
    s.mail.from_address = "requests@campaign.example.org".into();
    s.mail.reply_domain = "reply.campaign.example.org".into();
}

/// `real_sender` as environment variables, for running the `foi` binary.
pub fn real_sender_env() -> Vec<(String, String)> {
    [
        ("FOI__REQUESTER__NAME", "Ada Campaigner"),
        ("FOI__REQUESTER__EMAIL", "ada@campaign.example.org"),
        ("FOI__MAIL__FROM_ADDRESS", "requests@campaign.example.org"),
        ("FOI__MAIL__REPLY_DOMAIN", "reply.campaign.example.org"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Queueing as staff do it (`foi queue`), through the service, at a fixed moment.
pub struct Queue<'a> {
    pub app: &'a foi::AppContext,
    pub now: chrono::DateTime<chrono::Utc>,
}

impl<'a> Queue<'a> {
    pub fn new(app: &'a foi::AppContext, now: chrono::DateTime<chrono::Utc>) -> Self {
        Queue { app, now }
    }

    pub async fn queue_one(
        &self,
        template: &str,
        authority: &str,
        twinning: Option<i32>,
        vars: &std::collections::BTreeMap<String, String>,
        dry_run: bool,
        again: bool,
    ) -> foi::services::ServiceResult<foi::services::queue::QueuedLetter> {
        foi::services::queue::one(
            self.app,
            self.now,
            foi::services::queue::QueueOne {
                template: template.into(),
                authority: authority.into(),
                twinning,
                vars: vars.clone(),
                dry_run,
                again,
                actor: "test".into(),
                ..Default::default()
            },
        )
        .await
    }

    pub async fn links_for(
        &self,
        db: &sea_orm::DatabaseConnection,
        template: &str,
        authority: &foi::store::authorities::AuthorityModel,
        twinning: Option<i32>,
    ) -> foi::services::ServiceResult<foi::services::queue::LetterLinks> {
        foi::services::queue::links_for(self.app, db, template, authority, twinning).await
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn queue_campaign(
        &self,
        campaign: &str,
        template: &str,
        status: Option<foi::domain::TwinningStatus>,
        tag: Option<&str>,
        vars: &std::collections::BTreeMap<String, String>,
        dry_run: bool,
        per: foi::services::queue::Per,
    ) -> foi::services::ServiceResult<foi::services::queue::CampaignOutcome> {
        foi::services::queue::campaign(
            self.app,
            self.now,
            foi::services::queue::QueueCampaign {
                campaign: campaign.into(),
                template: template.into(),
                status,
                tag: tag.map(str::to_string),
                vars: vars.clone(),
                dry_run,
                per,
                actor: "test".into(),
                ..Default::default()
            },
        )
        .await
    }
}

/// Runs one daemon job now, as `foi run --once NAME` does.
pub async fn run_job(
    app: &foi::AppContext,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, foi::services::ServiceError> {
    let job = foi::daemon::find(name).unwrap();
    foi::daemon::run_once(
        app,
        job.as_ref(),
        now,
        &std::sync::atomic::AtomicBool::new(false),
    )
    .await
}

/// Storing inbound mail as `foi ingest` does.
pub struct Inbox<'a>(pub &'a foi::AppContext);

impl Inbox<'_> {
    pub async fn ingest(
        &self,
        raw: &[u8],
        source: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> foi::services::ServiceResult<foi::services::ingest::Ingested> {
        foi::services::ingest::ingest(self.0, now, raw, source).await
    }
}
