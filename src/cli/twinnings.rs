use super::{output, Ctx};
use crate::domain::TwinningStatus;
use crate::services::directory;
use crate::store::twinnings;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum TwinningsCommand {
    /// Import twinning links from a TSV in the format of config/seed/uk-china-twinnings.tsv.
    Import { file: PathBuf },
    /// List twinning links.
    List {
        #[arg(long, value_enum)]
        status: Option<TwinningStatus>,
        #[arg(long)]
        json: bool,
    },
}

pub fn link_json(t: &twinnings::TwinningModel) -> serde_json::Value {
    serde_json::json!({
        "id": t.id,
        "uk_place": t.uk_place,
        "partner_city": t.partner_city,
        "partner_province": t.partner_province,
        "relationship": t.relationship,
        "since_year": t.since_year,
        "status": t.status,
        "ended_year": t.ended_year,
        "source": t.source,
        "notes": t.notes,
    })
}

pub async fn run(ctx: &Ctx, cmd: TwinningsCommand) -> anyhow::Result<()> {
    match cmd {
        TwinningsCommand::Import { file } => {
            let text = super::read_import_file(&file)?;
            let name = file.display().to_string();
            let app = ctx.app().await?;
            let done = crate::services::imports::twinnings(&app, &name, &text).await?;
            let s = &done.summary;
            println!(
                "{}: {} rows read; {} authorities created; {} links created, {} updated, {} unchanged",
                file.display(),
                done.rows,
                s.authorities_created,
                s.links_created,
                s.links_updated,
                s.links_unchanged
            );
            Ok(())
        }
        TwinningsCommand::List { status, json } => {
            let app = ctx.app().await?;
            let list = directory::twinnings(&app, status).await?;
            if json {
                let v: Vec<_> = list
                    .iter()
                    .map(|(t, a)| {
                        let mut v = link_json(t);
                        v["authority"] = a.slug.clone().into();
                        v["authority_name"] = a.name.clone().into();
                        v
                    })
                    .collect();
                return output::json(&v);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|(t, a)| {
                    vec![
                        t.id.to_string(),
                        a.slug.clone(),
                        t.partner_city.clone(),
                        t.partner_province.clone(),
                        t.relationship.clone(),
                        t.since_year
                            .map(|y| y.to_string())
                            .unwrap_or_else(|| "-".into()),
                        t.status.clone(),
                    ]
                })
                .collect();
            output::table(
                &[
                    "ID",
                    "AUTHORITY",
                    "PARTNER",
                    "PROVINCE",
                    "RELATIONSHIP",
                    "SINCE",
                    "STATUS",
                ],
                &rows,
            );
            Ok(())
        }
    }
}
