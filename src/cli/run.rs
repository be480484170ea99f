use super::Ctx;
use crate::daemon::{build_digest, run_job, Job, JobContext};
use crate::mail::MailTransport;
use crate::store::entities::message;
use crate::store::{events, requests};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// `foi run`: the daemon.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Run one job now and exit: dispatch, poll, sweep or digest.
    #[arg(long, value_parser = |s: &str| s.parse::<Job>())]
    once: Option<Job>,
    /// Log lines as text or JSON.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
}

#[derive(Debug, clap::Args)]
pub struct DigestArgs {
    /// Print this week's digest instead of sending it.
    #[arg(long)]
    preview: bool,
    /// With --preview: the HTML version.
    #[arg(long)]
    html: bool,
}

async fn job_context(ctx: &Ctx) -> anyhow::Result<JobContext> {
    let app = ctx.app().await?;
    let transport = MailTransport::from_settings(&app.settings)?;
    Ok(JobContext {
        settings: app.settings,
        db: app.db,
        letters: app.letters,
        transport,
        worker: format!("run:{}", std::process::id()),
        stopping: Arc::new(AtomicBool::new(false)),
    })
}

/// Log lines to stderr, filtered by RUST_LOG. Every command that talks to a mail server calls
/// this, so a delivery or login problem can be traced; no level prints a password (the IMAP
/// login hides it from the library that traces commands, and lettre is built without tracing).
pub(super) fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    // Colour codes only for a person at a terminal, not for journald or a log file.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub async fn run(ctx: &Ctx, args: RunArgs) -> anyhow::Result<()> {
    init_logging(&args.log_format);
    let jobs = job_context(ctx).await?;
    if ctx.settings.requester_is_placeholder() {
        tracing::warn!("the requester is still the placeholder in config/default.toml: set [requester] before sending anything real");
    }
    tracing::info!(database = %crate::app::redact(&ctx.settings.database.url), mail = %jobs.transport.describe(), "started");
    if let Some(job) = args.once {
        let summary = run_job(&jobs, job, ctx.clock()).await?;
        println!("{job}: {summary}");
        return Ok(());
    }
    let (tx, rx) = tokio::sync::watch::channel(false);
    let jobs = Arc::new(jobs);
    tokio::spawn(async move {
        wait_for_signal().await;
        let _ = tx.send(true);
    });
    crate::daemon::run(jobs, rx).await
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub async fn digest(ctx: &Ctx, args: DigestArgs) -> anyhow::Result<()> {
    let jobs = job_context(ctx).await?;
    if !args.preview {
        println!("{}", run_job(&jobs, Job::Digest, ctx.clock()).await?);
        return Ok(());
    }
    let d = build_digest(&jobs, &jobs.db, ctx.clock()).await?;
    let name = if args.html {
        "weekly-digest.html"
    } else {
        "weekly-digest"
    };
    let r = jobs.letters.render(name, &d.context)?;
    println!("Subject: {}\n", r.subject);
    print!("{}", r.body);
    Ok(())
}

/// `foi approve REF`: send the internal-review letter the sweep drafted.
#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    reference: String,
}

pub async fn approve(ctx: &Ctx, args: ApproveArgs) -> anyhow::Result<()> {
    let jobs = job_context(ctx).await?;
    let r = requests::get_by_reference(&jobs.db, &args.reference).await?;
    let drafts = message::Entity::find()
        .filter(message::Column::RequestId.eq(r.id))
        .filter(message::Column::State.eq("draft"))
        .filter(message::Column::Kind.eq("internal_review"))
        .all(&jobs.db)
        .await?;
    if drafts.is_empty() {
        anyhow::bail!(
            "{} has no drafted internal review to approve (complaint drafts go through the regulator's web form: see `foi requests show {}`)",
            r.reference,
            r.reference
        );
    }
    let cal = crate::deadlines::working_calendar(&jobs.db).await?;
    let now = ctx.clock();
    let txn = jobs.db.begin().await?;
    message::Entity::update_many()
        .col_expr(message::Column::State, Expr::value("queued"))
        .filter(message::Column::Id.is_in(drafts.iter().map(|m| m.id)))
        .exec(&txn)
        .await?;
    crate::daemon::start_internal_review(
        &txn,
        &cal,
        &jobs,
        &r,
        crate::queue::london_date(now),
        "cli",
        now,
    )
    .await?;
    events::record(
        &txn,
        r.id,
        now,
        "internal_review_approved",
        "internal review request approved by staff and queued",
        "cli",
        None,
    )
    .await?;
    txn.commit().await?;
    println!(
        "{}: internal review request queued; `foi send` (or the daemon) sends it",
        r.reference
    );
    Ok(())
}
