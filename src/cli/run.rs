use super::Ctx;
use crate::daemon;
use crate::services::digest as digest_service;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// `foi run`: the daemon.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Run one job now and exit: dispatch, poll, sweep or digest.
    #[arg(long, value_parser = |s: &str| daemon::find(s).map(|j| j.name().to_string()))]
    once: Option<String>,
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
    let app = ctx.app().await?;
    // Fail fast: a transport that cannot be built (SMTP under the placeholder requester,
    // say) and a job's missing template stop the daemon before it does anything.
    let transport = app.transport()?.describe();
    daemon::check(&app).map_err(anyhow::Error::msg)?;
    if ctx.settings.requester_is_placeholder() {
        tracing::warn!("the requester is still the placeholder in config/default.toml: set [requester] before sending anything real");
    }
    tracing::info!(database = %crate::app::redact(&ctx.settings.database.url), mail = %transport, "started");
    // Scanned documents are read with OCR when it is installed; without it they are kept
    // with the pages that have text, and say why the rest have none.
    match &app.ocr().1 {
        crate::extract::OcrAvailability::Ready { languages } => {
            tracing::info!(languages = %languages, "OCR ready for scanned documents")
        }
        crate::extract::OcrAvailability::Missing { reason } => {
            tracing::warn!("OCR unavailable, scanned pages will have no text: {reason}")
        }
    }
    if let Some(name) = args.once {
        let job = daemon::find(&name).map_err(anyhow::Error::msg)?;
        let summary =
            daemon::run_once(&app, job.as_ref(), ctx.clock(), &AtomicBool::new(false)).await?;
        println!("{name}: {summary}");
        return Ok(());
    }
    let (tx, rx) = tokio::sync::watch::channel(false);
    let app = Arc::new(app);
    // The dashboard is bound before the jobs start, so a port already taken stops start-up
    // with the key to change rather than leaving a daemon nobody can reach.
    let web = match ctx.settings.web.address() {
        Some(addr) => {
            let server = crate::web::Application::build(app.clone(), &addr.to_string()).await?;
            tracing::info!(address = %server.address(), "dashboard serving");
            let stop = rx.clone();
            Some(tokio::spawn(async move {
                if let Err(e) = server.run_until_stopped(stop).await {
                    tracing::error!(error = %e, "the dashboard stopped");
                }
            }))
        }
        None => {
            tracing::info!("dashboard off ([web] bind is empty)");
            None
        }
    };
    tokio::spawn(async move {
        wait_for_signal().await;
        let _ = tx.send(true);
    });
    let result = daemon::run(app, rx).await;
    if let Some(web) = web {
        let _ = web.await;
    }
    result
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
    let app = ctx.app().await?;
    if !args.preview {
        println!("{}", digest_service::send(&app, ctx.clock()).await?);
        return Ok(());
    }
    let r = digest_service::preview(&app, ctx.clock(), args.html).await?;
    println!("Subject: {}\n", r.subject);
    print!("{}", r.body);
    Ok(())
}
