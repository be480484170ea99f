use super::{output, Ctx};
use crate::calendar::Division;
use crate::services::holidays::{self, ImportHolidays};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum HolidaysCommand {
    /// Add or correct bank holidays from GOV.UK's bank-holidays.json or an iCalendar (.ics)
    /// file; every open request's deadlines are recomputed and moves noted on its timeline.
    Import {
        file: PathBuf,
        /// For .ics files that do not name their division: england-and-wales, scotland or northern-ireland.
        #[arg(long, value_parser = parse_division)]
        division: Option<Division>,
        /// Let the import remove holidays now in force. A GOV.UK file replaces whole years of
        /// the divisions it covers; without this, an import that would take any holiday away
        /// lists them and changes nothing.
        #[arg(long)]
        replace: bool,
    },
    /// List the bank holidays in force for a year.
    List {
        #[arg(long)]
        year: i32,
        #[arg(long, value_parser = parse_division)]
        division: Option<Division>,
        #[arg(long)]
        json: bool,
    },
}

fn parse_division(s: &str) -> Result<Division, String> {
    s.parse::<Division>().map_err(|e| e.to_string())
}

pub async fn run(ctx: &Ctx, cmd: HolidaysCommand) -> anyhow::Result<()> {
    match cmd {
        HolidaysCommand::Import {
            file,
            division,
            replace,
        } => {
            let text = super::read_import_file(&file)?;
            let name = file.display().to_string();
            let app = ctx.app().await?;
            let done = holidays::import(
                &app,
                ctx.clock(),
                ImportHolidays {
                    name: name.clone(),
                    text,
                    division,
                    replace,
                    actor: "holidays-import".into(),
                },
                &super::progress::Bar::new(),
            )
            .await?;
            let listed = |list: &[crate::calendar::Holiday]| -> String {
                list.iter()
                    .map(|h| format!("\n  {} {} {}", h.date, h.division.slug(), h.title))
                    .collect()
            };
            println!(
                "{name}: {} holiday(s) read for {}",
                done.read,
                done.years
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if !done.removed.is_empty() {
                println!(
                    "removed {} bank holiday(s) (--replace):{}",
                    done.removed.len(),
                    listed(&done.removed)
                );
            }
            if !done.changed {
                println!("the holiday data in force is unchanged; no deadline moved");
                return Ok(());
            }
            println!("{} request(s) had deadlines moved", done.moved.len());
            for (reference, changes) in done.moved {
                for m in changes {
                    println!(
                        "  {reference}: {} {} -> {}",
                        m.what,
                        m.from
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "none".into()),
                        m.to.map(|d| d.to_string()).unwrap_or_else(|| "none".into())
                    );
                }
            }
            Ok(())
        }
        HolidaysCommand::List {
            year,
            division,
            json,
        } => {
            let app = ctx.app().await?;
            let list = holidays::list(&app, year, division).await?;
            if json {
                return output::json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|h| {
                    vec![
                        h.date.to_string(),
                        h.date.format("%a").to_string(),
                        h.division.slug().to_string(),
                        h.title.clone(),
                        format!("{:?}", h.source).to_lowercase(),
                    ]
                })
                .collect();
            output::table(&["DATE", "DAY", "DIVISION", "TITLE", "SOURCE"], &rows);
            Ok(())
        }
    }
}
