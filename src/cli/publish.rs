use super::{output, Ctx};
use crate::services::publish::{self, Publish};
use std::path::PathBuf;

/// `foi publish --out DIR`: the campaign's public website, written from the database.
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// The folder to write the site into: a new or empty folder, or a site an earlier
    /// `foi publish` wrote (it is replaced whole). Any other folder is refused.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Publish email addresses and phone numbers as they are written (the requester's own
    /// details are removed all the same).
    #[arg(long)]
    no_mask: bool,
    /// The site's title.
    #[arg(long)]
    title: Option<String>,
    #[arg(long)]
    json: bool,
}

pub async fn run(ctx: &Ctx, a: PublishArgs) -> anyhow::Result<()> {
    // The site templates are checked before anything else, so a broken one is reported
    // with its file and line before the database is even opened.
    publish::site_templates(&ctx.settings)?;
    let app = ctx.app().await?;
    let done = publish::publish(
        &app,
        ctx.clock(),
        Publish {
            out: a.out,
            mask: !a.no_mask,
            title: a.title,
        },
    )
    .await?;
    if a.json {
        return output::json(&done);
    }
    for w in &done.warnings {
        eprintln!("warning: {}", output::printable(w));
    }
    println!(
        "{} {}: {} page(s), {} council(s), {} of {} published document(s) copied, {} in all{}",
        if done.replaced { "replaced" } else { "wrote" },
        done.out.display(),
        done.pages,
        done.councils,
        done.files,
        done.documents,
        output::size(done.bytes as i64),
        if done.masked {
            ""
        } else {
            " (email addresses and phone numbers not masked)"
        }
    );
    if done.templates != "built in" {
        println!("site templates from {}", done.templates);
    }
    Ok(())
}
