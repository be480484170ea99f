use super::{output, Ctx};
use crate::services;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum TasksCommand {
    /// The open tasks, oldest first, each with the text to paste into the council's web form
    /// or to print and post.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(ctx: &Ctx, cmd: TasksCommand) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    match cmd {
        TasksCommand::List { json } => {
            let tasks = services::tasks::list(&app, ctx.clock()).await?;
            if json {
                return output::json(&tasks);
            }
            if tasks.is_empty() {
                println!("no open staff tasks");
                return Ok(());
            }
            for t in &tasks {
                println!(
                    "#{}  {}  {}  [{}, {}{}]  since {}",
                    t.id,
                    t.reference,
                    t.authority_name,
                    t.kind,
                    t.channel,
                    t.portal_reference
                        .as_deref()
                        .map(|p| format!(", case ref {p}"))
                        .unwrap_or_default(),
                    t.created_at.format("%Y-%m-%d")
                );
                println!("    {}", t.what);
                if let Some(w) = &t.website {
                    println!("    council website: {w}");
                }
                println!("    Subject: {}", t.subject);
                println!("    ----- text -----");
                print!("{}", t.text);
                if !t.text.ends_with('\n') {
                    println!();
                }
                println!("    ----- end of text -----");
                println!();
            }
            println!("{} open task(s)", tasks.len());
            Ok(())
        }
    }
}
