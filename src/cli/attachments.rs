use super::{output, Ctx};
use crate::services::attachments::{self, Selection};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum AttachmentsCommand {
    /// Write attachments into a folder under their original names made safe, never over a
    /// file already there ("name (2).pdf" instead).
    Save {
        /// Attachment ids (listed by `foi requests show REF` and `foi messages show ID`).
        #[arg(required_unless_present = "request", conflicts_with = "request")]
        ids: Vec<i32>,
        /// Every attachment of every message filed under this request.
        #[arg(long, value_name = "REF")]
        request: Option<String>,
        /// The folder to write into (created if need be).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(ctx: &Ctx, cmd: AttachmentsCommand) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    match cmd {
        AttachmentsCommand::Save {
            ids,
            request,
            out,
            json,
        } => {
            let what = match request {
                Some(r) => Selection::Request(r),
                None => Selection::Ids(ids),
            };
            let saved = attachments::save(&app, what, &out).await?;
            if json {
                return output::json(&saved);
            }
            for s in &saved {
                println!(
                    "wrote {} ({}, {}; attachment {} of message {})",
                    s.path.display(),
                    s.attachment.content_type,
                    output::size(s.attachment.size),
                    s.attachment.id,
                    s.attachment.message
                );
            }
            println!("{} file(s) written to {}", saved.len(), out.display());
            Ok(())
        }
    }
}
