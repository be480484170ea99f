use super::{output, Ctx};
use crate::services::approve::{self, Approval};
use crate::services::drafts::{self, EditDraft, Edited};
use crate::services::CLI;
use anyhow::Context as _;
use clap::Subcommand;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum DraftsCommand {
    /// Every letter waiting for staff in `draft` (internal reviews, complaint drafts).
    List {
        #[arg(long)]
        json: bool,
    },
    /// One draft, whole.
    Show {
        id: i32,
        #[arg(long)]
        json: bool,
    },
    /// Change a draft before it is sent: a new body from a file and/or a new subject, or with
    /// neither, the body in $EDITOR (vi when unset). An edited draft is sent in these words.
    Edit {
        /// The draft's id (see `foi drafts list`).
        id: i32,
        /// A file holding the new body (UTF-8 text).
        #[arg(long, value_name = "FILE")]
        body_file: Option<PathBuf>,
        /// A new subject (one line).
        #[arg(long, value_name = "TEXT")]
        subject: Option<String>,
    },
}

/// `foi approve REF`: send the internal-review letter the sweep drafted.
#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    /// The request whose drafted internal review to send.
    reference: String,
    /// Send without asking (for scripts). Without it `foi approve` shows the letter and asks,
    /// and refuses when there is no terminal to ask on.
    #[arg(long, short = 'y')]
    yes: bool,
}

pub async fn run(ctx: &Ctx, cmd: DraftsCommand) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    match cmd {
        DraftsCommand::List { json } => {
            let list = drafts::list(&app).await?;
            if json {
                return output::json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|d| {
                    vec![
                        d.id.to_string(),
                        output::or_dash(d.reference.as_deref()),
                        output::or_dash(d.authority.as_deref()),
                        d.kind.to_string(),
                        d.created_at.format("%Y-%m-%d").to_string(),
                        if d.edited_at.is_some() { "yes" } else { "" }.to_string(),
                        d.to.clone(),
                        output::printable(&d.subject),
                    ]
                })
                .collect();
            output::table(
                &[
                    "ID",
                    "REFERENCE",
                    "AUTHORITY",
                    "KIND",
                    "CREATED",
                    "EDITED",
                    "TO",
                    "SUBJECT",
                ],
                &rows,
            );
            Ok(())
        }
        DraftsCommand::Show { id, json } => {
            let d = drafts::show(&app, id).await?;
            if json {
                return output::json(&d);
            }
            super::messages::print_detail(&d);
            Ok(())
        }
        DraftsCommand::Edit {
            id,
            body_file,
            subject,
        } => {
            let mut scratch = None;
            let body = match (&body_file, &subject) {
                (Some(path), _) => Some(
                    std::fs::read_to_string(path)
                        .with_context(|| format!("--body-file {}", path.display()))?,
                ),
                (None, Some(_)) => None,
                (None, None) => {
                    // Only a draft is opened: refused before an editor starts on anything else.
                    let current = drafts::show(&app, id).await?;
                    let (text, path) = edit_in_editor(id, &current.body)?;
                    scratch = Some(path);
                    Some(text)
                }
            };
            let kept_text = body.as_deref().is_some_and(|b| !b.trim().is_empty());
            let result = drafts::edit(
                &app,
                ctx.clock(),
                EditDraft {
                    id,
                    subject,
                    body,
                    actor: CLI.into(),
                },
            )
            .await;
            match (&result, scratch) {
                (Err(_), Some(path)) if kept_text => {
                    eprintln!("note: what you wrote is kept in {}", path.display());
                }
                (_, Some(path)) => {
                    let _ = std::fs::remove_file(path);
                }
                _ => {}
            }
            match result? {
                Edited::Changed {
                    id,
                    reference,
                    changed,
                } => println!(
                    "draft {id}{}: {} changed; it will be sent as it stands now",
                    reference.map(|r| format!(" ({r})")).unwrap_or_default(),
                    changed.join(" and ")
                ),
                Edited::Unchanged { id } => {
                    println!("draft {id}: the text is unchanged; nothing was stored")
                }
            }
            Ok(())
        }
    }
}

/// Opens the draft's body in `$EDITOR` (vi when unset) on a private temporary file and
/// returns what was saved, with the file (kept until the edit is stored).
fn edit_in_editor(id: i32, body: &str) -> anyhow::Result<(String, PathBuf)> {
    let path = scratch_file(id, body)?;
    let editor = std::env::var("EDITOR")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".into());
    // Through the shell, as git does, so an EDITOR with arguments ("code --wait") works.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$@\""))
        .arg("sh")
        .arg(&path)
        .status();
    let fail = |why: String| {
        let _ = std::fs::remove_file(&path);
        anyhow::anyhow!("{why}; draft {id} was not changed")
    };
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => return Err(fail(format!("the editor ({editor}) exited with {s}"))),
        Err(e) => return Err(fail(format!("cannot start the editor ({editor}): {e}"))),
    }
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((text, path)),
        Err(e) => Err(anyhow::anyhow!(
            "cannot read what the editor saved in {}: {e}; draft {id} was not changed",
            path.display()
        )),
    }
}

/// A new file only this user can read, holding the draft's body.
fn scratch_file(id: i32, body: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir();
    for n in 0..100 {
        let path = dir.join(format!("foi-draft-{id}-{}-{n}.txt", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(mut f) => {
                f.write_all(body.as_bytes())
                    .and_then(|()| f.sync_all())
                    .with_context(|| format!("cannot write {}", path.display()))?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
        }
    }
    anyhow::bail!(
        "cannot create a temporary file for draft {id} in {}",
        dir.display()
    )
}

pub async fn approve(ctx: &Ctx, args: ApproveArgs) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    let shown = approve::prepare(&app, ctx.clock(), &args.reference).await?;
    print_approval(&shown);
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            anyhow::bail!(
                "not sent: standard input is not a terminal, so foi cannot ask whether to send \
                 this; pass --yes to send it without asking (nothing was queued)"
            );
        }
        if !confirm("Send this? [y/N] ")? {
            println!("Not sent; nothing was queued.");
            return Ok(());
        }
    }
    let done = approve::approve(&app, ctx.clock(), &shown, CLI).await?;
    println!(
        "{}: internal review request queued; `foi send` (or the daemon) sends it",
        done.reference
    );
    Ok(())
}

fn print_approval(a: &Approval) {
    for l in &a.letters {
        println!(
            "{}: internal review request (message {})",
            a.reference, l.message
        );
        println!("To: {}", l.to);
        println!("Subject: {}", output::printable(&l.subject));
        if l.edited {
            println!("(as staff edited it)");
        }
        println!();
        println!("{}", l.body.trim_end());
        println!();
    }
}

/// Asks on the terminal; only "y" or "yes" is a yes.
fn confirm(question: &str) -> anyhow::Result<bool> {
    print!("{question}");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
