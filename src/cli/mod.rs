//! Argument parsing (clap) and one file per command group. No business logic lives here:
//! each command parses, calls the library, and prints.

mod attachments;
mod authorities;
mod db;
mod deadline;
mod dev;
mod documents;
mod drafts;
mod findings;
mod holidays;
mod inbox;
mod messages;
mod output;
mod progress;
mod publish;
mod queue;
mod reports;
mod requests;
mod responses;
mod review;
mod run;
mod seed;
mod send;
mod tasks;
mod templates;
mod twinnings;
mod users;

use crate::settings::{LocalFile, Settings};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "foi",
    version,
    about = "Freedom-of-Information request tracker for UK council twinning-agreement campaigns"
)]
pub struct Cli {
    /// A TOML file layered over the embedded defaults (default: config/local.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Pretend it is this moment (RFC 3339, e.g. 2026-03-02T07:00:00Z): for scripted scenarios and tests.
    #[arg(long, global = true, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Database schema: status and migrations.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Public authorities (councils): import, list, show, set the FOI address.
    #[command(subcommand)]
    Authorities(authorities::AuthoritiesCommand),
    /// Twinning and friendship links between UK authorities and Chinese cities.
    #[command(subcommand)]
    Twinnings(twinnings::TwinningsCommand),
    /// Load the shipped UK–China twinning data and known FOI addresses (safe to repeat).
    Seed(seed::SeedArgs),
    /// Letter templates: list them, or preview one for an authority.
    #[command(subcommand)]
    Templates(templates::TemplatesCommand),
    /// Render letters and store them as queued requests (one, or a whole campaign).
    Queue(queue::QueueArgs),
    /// Requests: list and show (the letter, the state, the mail in and out, staff tasks and
    /// the timeline); record one sent by hand, made outside foi, or chased by hand.
    #[command(subcommand)]
    Requests(requests::RequestsCommand),
    /// Messages in and out: read one whole (text, attachments, warnings).
    #[command(subcommand)]
    Messages(messages::MessagesCommand),
    /// Attachments of received mail: save them into a folder.
    #[command(subcommand)]
    Attachments(attachments::AttachmentsCommand),
    /// What councils sent, as text: list documents, read one, read new ones now, tag them.
    #[command(subcommand)]
    Documents(documents::DocumentsCommand),
    /// The agreements register: what each link's agreement says, every fact with its source;
    /// suggestions read from documents to confirm or reject.
    #[command(subcommand)]
    Findings(findings::FindingsCommand),
    /// Write the campaign's public website into a folder: councils, requests, the agreements
    /// register and the documents marked publishable, contact details masked.
    Publish(publish::PublishArgs),
    /// Search every reply and document ("Confucius", "friendship agreement", 友好城市).
    Search(documents::SearchArgs),
    /// What this installation can do: database, templates, mail, OCR.
    Doctor,
    /// Letters waiting for staff: list, read and edit them before they are sent.
    #[command(subcommand)]
    Drafts(drafts::DraftsCommand),
    /// Staff tasks: letters foi cannot send itself (a council's web form, the post).
    #[command(subcommand)]
    Tasks(tasks::TasksCommand),
    /// Statutory deadline calculator (FOIA, FOISA, EIR, EISR) with the UK calendar.
    Deadline(deadline::DeadlineArgs),
    /// UK bank holidays: import corrections (GOV.UK JSON or iCalendar), list a year.
    #[command(subcommand)]
    Holidays(holidays::HolidaysCommand),
    /// Send what is due in the outbox (once), then exit.
    Send(send::SendArgs),
    /// The outbox: list outgoing messages, retry a request's failed or uncertain ones.
    #[command(subcommand)]
    Outbox(send::OutboxCommand),
    /// Store one raw message from standard input (an MTA pipe), or a Maildir. Exit 75 when it
    /// could not be stored (database or disk), so the MTA tries again.
    Ingest(inbox::IngestArgs),
    /// Inbound mail: the holding pen of unmatched messages, filing them, IMAP polling.
    #[command(subcommand)]
    Inbox(inbox::InboxCommand),
    /// Record the outcome of a council's response.
    Classify(responses::ClassifyArgs),
    /// Record a response that came by post or through a portal.
    LogResponse(responses::LogResponseArgs),
    /// The daemon: dispatch, inbox poll, deadline sweep and weekly digest on their schedules.
    Run(run::RunArgs),
    /// The weekly staff digest: preview it, or send this week's now (once per week).
    Digest(run::DigestArgs),
    /// Send a drafted letter (internal review, complaint, reminder): shows it and asks first
    /// (--yes for scripts).
    Approve(drafts::ApproveArgs),
    /// Draft an internal review (EIR: reconsideration) of a refused, partly successful, "not
    /// held" or late request; `foi approve` sends it.
    Review(review::ReviewArgs),
    /// Record what the council's internal review decided (upheld or overturned).
    ReviewOutcome(review::ReviewOutcomeArgs),
    /// Staff accounts for the web dashboard: add (password from standard input), list,
    /// disable.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Prepare the complaint to the ICO or the Scottish Information Commissioner: the text,
    /// the correspondence as files, and a summary of the dates with the window's end.
    Complaint(review::ComplaintArgs),
    /// Where the campaign stands: requests by state, the overdue ones, deadlines of the next
    /// two weeks, and what waits for staff.
    Status(reports::StatusArgs),
    /// The figures to quote: per council, overall, per regime and per nation (on time, late,
    /// unanswered, outcomes, exemptions, reviews, complaints), each saying what it counts.
    Stats(reports::StatsArgs),
    /// The data as files: requests (CSV or JSON), a request's timeline, every reply with its
    /// attachments.
    #[command(subcommand)]
    Export(reports::ExportCommand),
    /// Every deadline as an iCalendar feed (.ics) to subscribe to or import.
    Calendar(reports::CalendarArgs),
    /// Developer tools: `foi dev generate` fills an empty database with a made-up history
    /// (for the benchmarks in BENCHMARKS.md).
    #[command(subcommand, hide = true)]
    Dev(dev::DevCommand),
}

/// A failure worth retrying later: `foi` exits 75 (EX_TEMPFAIL) so an MTA keeps the message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TempFail(pub String);

fn parse_now(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| format!("'{s}' is not an RFC 3339 time such as 2026-03-02T07:00:00Z ({e})"))
}

/// `key=value` for `--var`.
pub fn parse_var(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}' should be KEY=VALUE"))?;
    let k = k.trim();
    if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "'{k}' is not a variable name (letters, digits and _ only)"
        ));
    }
    Ok((k.to_string(), v.to_string()))
}

/// An import file as text: UTF-8 (a byte-order mark is dropped), or Windows-1252 or UTF-16
/// converted, with a note saying so; a file in no encoding we can tell is refused with the
/// line at fault and how to convert it.
pub fn read_import_file(path: &std::path::Path) -> anyhow::Result<String> {
    use anyhow::Context as _;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let decoded = crate::import::decode(&path.display().to_string(), &bytes)?;
    if let Some(encoding) = decoded.converted_from {
        eprintln!(
            "note: {} is not UTF-8; it was read as {encoding}",
            path.display()
        );
    }
    Ok(decoded.text)
}

/// How long a command waits at its end for its SQLite connections to close.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// What every command gets before it builds the application context: the settings it was
/// started with and the clock (`--now`).
pub struct Ctx {
    pub settings: Settings,
    pub now: DateTime<Utc>,
    /// True when --now fixed the clock.
    pub fixed: bool,
    /// Every pool this command opened, closed before the process ends (see [`Ctx::close`]).
    opened: std::sync::Mutex<Vec<sea_orm::DatabaseConnection>>,
}

impl Ctx {
    /// The time now: the --now moment when given, else the real clock.
    pub fn clock(&self) -> DateTime<Utc> {
        if self.fixed {
            self.now
        } else {
            Utc::now()
        }
    }

    pub async fn app(&self) -> anyhow::Result<crate::Application> {
        let app = crate::Application::build(self.settings.clone()).await?;
        self.remember(&app.db);
        Ok(app)
    }

    /// The database without the rest of the application (the `db` commands).
    pub async fn connect(&self) -> anyhow::Result<sea_orm::DatabaseConnection> {
        let db = crate::app::connect(&self.settings).await?;
        self.remember(&db);
        Ok(db)
    }

    fn remember(&self, db: &sea_orm::DatabaseConnection) {
        if let Ok(mut opened) = self.opened.lock() {
            opened.push(db.clone());
        }
    }

    /// Closes the SQLite pools this command opened. Ending the process with SQLite
    /// connections open skips the checkpoint that the last connection makes when it closes,
    /// so the write-ahead log stays behind, as large as the command's writes (a whole database
    /// after `foi dev generate`), and the next command starts by reading all of it back.
    /// PostgreSQL needs nothing of the kind, and a pool closes only once every connection is
    /// back, which a job stopped mid-query by the daemon's grace period may never give: its
    /// pools are left to the end of the process, as before.
    pub async fn close(&self) {
        let opened = match self.opened.lock() {
            Ok(mut opened) => std::mem::take(&mut *opened),
            Err(_) => return,
        };
        for db in opened {
            if crate::store::DbKind::of(&db) != crate::store::DbKind::Sqlite {
                continue;
            }
            match tokio::time::timeout(CLOSE_WAIT, db.close_by_ref()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "closing the database"),
                Err(_) => tracing::warn!(
                    "the database did not close within {} s; its log is checkpointed by the next command",
                    CLOSE_WAIT.as_secs()
                ),
            }
        }
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let local = match &cli.config {
        Some(p) => LocalFile::Explicit(p.clone()),
        None => LocalFile::Auto,
    };
    let settings = Settings::load(local)?;
    let ctx = Ctx {
        settings,
        now: cli.now.unwrap_or_else(Utc::now),
        fixed: cli.now.is_some(),
        opened: Default::default(),
    };
    let result = match cli.command {
        Command::Db(c) => db::run(&ctx, c).await,
        Command::Authorities(c) => authorities::run(&ctx, c).await,
        Command::Twinnings(c) => twinnings::run(&ctx, c).await,
        Command::Seed(a) => seed::run(&ctx, a).await,
        Command::Templates(c) => templates::run(&ctx, c).await,
        Command::Queue(a) => queue::run(&ctx, a).await,
        Command::Requests(c) => requests::run(&ctx, c).await,
        Command::Messages(c) => messages::run(&ctx, c).await,
        Command::Attachments(c) => attachments::run(&ctx, c).await,
        Command::Drafts(c) => drafts::run(&ctx, c).await,
        Command::Tasks(c) => tasks::run(&ctx, c).await,
        Command::Deadline(a) => deadline::run(&ctx, a).await,
        Command::Holidays(c) => holidays::run(&ctx, c).await,
        Command::Send(a) => send::send(&ctx, a).await,
        Command::Outbox(c) => send::outbox(&ctx, c).await,
        Command::Ingest(a) => inbox::ingest(&ctx, a).await,
        Command::Inbox(c) => inbox::inbox(&ctx, c).await,
        Command::Classify(a) => responses::run_classify(&ctx, a).await,
        Command::LogResponse(a) => responses::run_log_response(&ctx, a).await,
        Command::Documents(c) => documents::run(&ctx, c).await,
        Command::Search(a) => documents::run_search(&ctx, a).await,
        Command::Publish(a) => publish::run(&ctx, a).await,
        Command::Findings(c) => findings::run(&ctx, c).await,
        Command::Doctor => documents::run_doctor(&ctx).await,
        Command::Run(a) => run::run(&ctx, a).await,
        Command::Digest(a) => run::digest(&ctx, a).await,
        Command::Approve(a) => drafts::approve(&ctx, a).await,
        Command::Review(a) => review::run_review(&ctx, a).await,
        Command::ReviewOutcome(a) => review::run_outcome(&ctx, a).await,
        Command::Complaint(a) => review::run_complaint(&ctx, a).await,
        Command::Users(c) => users::run(&ctx, c).await,
        Command::Status(a) => reports::run_status(&ctx, a).await,
        Command::Stats(a) => reports::run_stats(&ctx, a).await,
        Command::Export(c) => reports::run_export(&ctx, c).await,
        Command::Calendar(a) => reports::run_calendar(&ctx, a).await,
        Command::Dev(c) => dev::run(&ctx, c).await,
    };
    ctx.close().await;
    result
}
