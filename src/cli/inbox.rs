use super::{output, Ctx, TempFail};
use crate::services::directory;
use crate::services::ingest::{ingest as store_mail, Ingested};
use crate::services::{assign, poll, ServiceError, CLI};
use anyhow::Context as _;
use clap::Subcommand;
use std::io::Read;
use std::path::{Path, PathBuf};

/// `foi ingest`: one raw message on standard input (for an MTA pipe), or a Maildir.
#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// Ingest every message in DIR/new, moving each to DIR/cur once stored.
    #[arg(long, value_name = "DIR")]
    maildir: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// Messages that could not be tied to a request (the holding pen).
    Unmatched {
        #[arg(long)]
        json: bool,
    },
    /// File a held message under a request; it then counts as that request's mail.
    Assign { message: i32, reference: String },
    /// Poll the IMAP inbox once ([inbox] settings) and exit.
    Poll {
        #[arg(long)]
        json: bool,
    },
}

fn describe(i: &Ingested) -> String {
    match i {
        Ingested::Stored {
            id,
            kind,
            references,
            via,
            sender_flagged,
            ..
        } if !references.is_empty() => format!(
            "stored message {id}: {kind} for {} (matched by {}){}",
            references.join(" and "),
            via.as_deref().unwrap_or("?"),
            if *sender_flagged {
                "; sender is not at the council's domain"
            } else {
                ""
            }
        ),
        Ingested::Stored { id, kind, .. } => {
            format!(
                "stored message {id}: {kind}, not matched to a request (see `foi inbox unmatched`)"
            )
        }
        Ingested::Duplicate { id, added_to } if added_to.is_empty() => {
            format!("already stored as message {id}; nothing new")
        }
        Ingested::Duplicate { id, added_to } => format!(
            "already stored as message {id}; now also filed under {}",
            added_to.join(" and ")
        ),
    }
}

pub async fn ingest(ctx: &Ctx, args: IngestArgs) -> anyhow::Result<()> {
    // Read the message before touching the database: if the database is down the MTA keeps it.
    let stdin_raw = if args.maildir.is_none() {
        let mut raw = Vec::new();
        std::io::stdin()
            .read_to_end(&mut raw)
            .context("cannot read the message on standard input")?;
        if raw.is_empty() {
            anyhow::bail!("no message on standard input");
        }
        Some(raw)
    } else {
        None
    };
    let app = crate::app::AppContext::build(ctx.settings.clone())
        .await
        .map_err(|e| TempFail(format!("{e}; the message was not stored, try again later")))?;
    // Every storage failure, database or disk, exits 75 so the MTA keeps the message.
    let temp = |e: ServiceError| -> anyhow::Error {
        if e.is_temporary() {
            TempFail(format!("{e}; the message was not stored, try again later")).into()
        } else {
            e.into()
        }
    };
    if let Some(raw) = stdin_raw {
        let r = store_mail(&app, ctx.clock(), &raw, "stdin")
            .await
            .map_err(temp)?;
        if args.json {
            return output::json(&r);
        }
        println!("{}", describe(&r));
        return Ok(());
    }
    let dir = args.maildir.unwrap_or_default();
    let new = dir.join("new");
    let cur = dir.join("cur");
    if !new.is_dir() {
        anyhow::bail!("{} is not a Maildir (it has no new/ folder)", dir.display());
    }
    // Disk trouble in the Maildir is a storage failure like the database's: exit 75, and
    // whatever is still in new/ is read again next time.
    let io_temp =
        |what: String| move |e: std::io::Error| TempFail(format!("{what}: {e}; try again later"));
    std::fs::create_dir_all(&cur).map_err(io_temp(format!("cannot create {}", cur.display())))?;
    let mut names: Vec<PathBuf> = std::fs::read_dir(&new)
        .map_err(io_temp(format!("cannot read {}", new.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    names.sort();
    let mut results = Vec::new();
    for path in names {
        let raw =
            std::fs::read(&path).map_err(io_temp(format!("cannot read {}", path.display())))?;
        let r = store_mail(
            &app,
            ctx.clock(),
            &raw,
            &format!("maildir:{}", path.display()),
        )
        .await
        .map_err(temp)?;
        // Stored but not moved: the next run finds it again and sees a duplicate.
        move_to_cur(&path, &cur).map_err(io_temp(format!(
            "stored {} but cannot move it to {}",
            path.display(),
            cur.display()
        )))?;
        if !args.json {
            println!(
                "{}: {}",
                path.file_name().unwrap_or_default().to_string_lossy(),
                describe(&r)
            );
        }
        results.push(r);
    }
    if args.json {
        return output::json(&results);
    }
    println!("{} message(s) read from {}", results.len(), new.display());
    Ok(())
}

/// Maildir's rule: a message that has been seen moves to cur/ with an info suffix.
fn move_to_cur(path: &Path, cur: &Path) -> std::io::Result<()> {
    let name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .to_string();
    let target = if name.contains(":2,") {
        name
    } else {
        format!("{name}:2,S")
    };
    std::fs::rename(path, cur.join(&target))
}

pub async fn inbox(ctx: &Ctx, cmd: InboxCommand) -> anyhow::Result<()> {
    match cmd {
        InboxCommand::Unmatched { json } => {
            let app = ctx.app().await?;
            let list = directory::unmatched(&app).await?;
            if json {
                let v: Vec<_> = list
                    .iter()
                    .map(|m| {
                        serde_json::json!({"id": m.id, "from": m.from_addr, "subject": m.subject,
                            "date": m.received_at, "kind": m.kind, "message_id": m.message_id,
                            "parse_warnings": directory::warnings(m)})
                    })
                    .collect();
                return output::json(&v);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|m| {
                    vec![
                        m.id.to_string(),
                        m.received_at
                            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_default(),
                        output::or_dash(Some(&m.from_addr)),
                        m.kind.to_string(),
                        m.subject.clone(),
                    ]
                })
                .collect();
            output::table(&["ID", "RECEIVED", "FROM", "KIND", "SUBJECT"], &rows);
            Ok(())
        }
        InboxCommand::Assign { message, reference } => {
            let app = ctx.app().await?;
            let done = assign::assign(&app, ctx.clock(), message, &reference, CLI).await?;
            println!(
                "message {message} filed under {} as {}",
                done.reference, done.kind
            );
            Ok(())
        }
        InboxCommand::Poll { json } => {
            super::run::init_logging("text");
            let app = ctx.app().await?;
            let report = poll::poll(&app, ctx.clock()).await?;
            if json {
                return output::json(&report);
            }
            println!("{report}");
            Ok(())
        }
    }
}
