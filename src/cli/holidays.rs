use super::{output, Ctx};
use crate::calendar::{Division, HolidayCalendar, OperatorHolidays, WorkingCalendar};
use crate::store::holidays;
use clap::Subcommand;
use sea_orm::TransactionTrait;
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
            let is_json =
                name.to_ascii_lowercase().ends_with(".json") || text.trim_start().starts_with('{');
            let import = if is_json {
                OperatorHolidays::from_govuk_json(&text)
            } else {
                OperatorHolidays::from_ics(&text, division)
            }
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            let db = ctx.db().await?;
            let txn = db.begin().await?;
            let before = holidays::load(&txn).await?;
            let old =
                HolidayCalendar::with_operator(&before).map_err(|e| anyhow::anyhow!("{e}"))?;
            holidays::save(&txn, &import, &name, ctx.now).await?;
            let after = holidays::load(&txn).await?;
            let new = HolidayCalendar::with_operator(&after)
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            let years = holidays::years(&import);
            let removed = old.removed_in(&new, &years);
            let listed = |list: &[crate::calendar::Holiday]| -> String {
                list.iter()
                    .map(|h| format!("\n  {} {} {}", h.date, h.division.slug(), h.title))
                    .collect()
            };
            if !removed.is_empty() && !replace {
                txn.rollback().await?;
                anyhow::bail!(
                    "{name} would remove {} bank holiday(s) now in force:{}\nnothing was changed. \
                     If the file is the complete list for those years, run again with --replace.",
                    removed.len(),
                    listed(&removed)
                );
            }
            println!(
                "{name}: {} holiday(s) read for {}",
                import.holidays.len(),
                years
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if !removed.is_empty() {
                println!(
                    "removed {} bank holiday(s) (--replace):{}",
                    removed.len(),
                    listed(&removed)
                );
            }
            if old == new {
                txn.commit().await?;
                println!("the holiday data in force is unchanged; no deadline moved");
                return Ok(());
            }
            let why = format!("bank holiday data changed (imported {name})");
            let moved = crate::deadlines::refresh_all_after_holiday_change(
                &txn,
                &WorkingCalendar::new(&old),
                &WorkingCalendar::new(&new),
                &ctx.settings.deadlines.clock(),
                &why,
                "holidays-import",
                ctx.now,
            )
            .await?;
            txn.commit().await?;
            println!("{} request(s) had deadlines moved", moved.len());
            for (reference, changes) in moved {
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
            if !(2000..=2100).contains(&year) {
                anyhow::bail!("--year {year}: holidays are known for 2000 to 2100");
            }
            let db = ctx.db().await?;
            let cal = crate::deadlines::holiday_calendar(&db).await?;
            let list = cal.holidays_in(year, division);
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
