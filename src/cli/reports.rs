//! `foi status`, `foi stats`, `foi export` and `foi calendar`: the reports, printed as tables
//! or `--json`, or written to files.

use super::progress::Bar;
use super::{output, Ctx};
use crate::report::Figures;
use crate::services::export::{self, Format};
use crate::services::{calendar_feed, stats, status};
use anyhow::Context as _;
use status::SHOWN;
use std::path::PathBuf;

/// `foi status`: where the campaign stands.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Only this campaign's requests (unmatched mail is shown whatever the campaign).
    #[arg(long)]
    campaign: Option<String>,
    #[arg(long)]
    json: bool,
}

pub async fn run_status(ctx: &Ctx, a: StatusArgs) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    let lines = if a.json {
        status::Lines::All
    } else {
        status::Lines::First(SHOWN)
    };
    let s = status::status(&app, ctx.clock(), a.campaign.as_deref(), lines).await?;
    if a.json {
        return output::json(&s);
    }
    println!(
        "Status on {}{}: {} request(s)",
        s.today,
        s.campaign
            .as_deref()
            .map(|c| format!(", campaign {c}"))
            .unwrap_or_default(),
        s.total
    );
    println!();
    let rows: Vec<Vec<String>> = s
        .counts
        .iter()
        .map(|c| vec![c.state.to_string(), c.count.to_string()])
        .collect();
    output::table(&["STATE", "REQUESTS"], &rows);
    if s.by_campaign.len() > 1 || (s.by_campaign.len() == 1 && s.campaign.is_none()) {
        println!();
        let rows: Vec<Vec<String>> = s
            .by_campaign
            .iter()
            .map(|c| {
                vec![
                    c.campaign.clone().unwrap_or_else(|| "(no campaign)".into()),
                    c.total.to_string(),
                    c.counts
                        .iter()
                        .map(|n| format!("{} {}", n.state, n.count))
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            })
            .collect();
        output::table(&["CAMPAIGN", "REQUESTS", "BY STATE"], &rows);
    }
    println!("\nOverdue ({}):", s.totals.overdue);
    if !s.overdue.is_empty() {
        let rows: Vec<Vec<String>> = s
            .overdue
            .iter()
            .take(SHOWN)
            .map(|o| {
                vec![
                    o.reference.clone(),
                    o.authority.clone(),
                    o.due.to_string(),
                    o.working_days_overdue.to_string(),
                    o.state.to_string(),
                ]
            })
            .collect();
        output::table(
            &[
                "REFERENCE",
                "AUTHORITY",
                "DUE",
                "WORKING DAYS OVERDUE",
                "STATE",
            ],
            &rows,
        );
        more(
            s.totals.overdue,
            "less late",
            "`foi requests list --state overdue` (and `--state very_overdue`), or the dashboard's \
             requests page sorted by days overdue, list them all",
        );
    }
    println!("\nDeadlines in the next two weeks ({}):", s.upcoming.len());
    if !s.upcoming.is_empty() {
        let rows: Vec<Vec<String>> = s
            .upcoming
            .iter()
            .take(SHOWN)
            .map(|u| {
                vec![
                    u.due.to_string(),
                    u.reference.clone(),
                    u.authority.clone(),
                    u.what.words().to_string(),
                    u.working_days_left.to_string(),
                ]
            })
            .collect();
        output::table(
            &["DUE", "REFERENCE", "AUTHORITY", "WHAT", "WORKING DAYS LEFT"],
            &rows,
        );
        more(
            s.upcoming.len(),
            "further off",
            "`foi status --json` and `foi calendar` list them all",
        );
    }
    let w = &s.waiting;
    println!("\nWaiting for staff:");
    println!(
        "  replies to classify: {}{}",
        w.replies_to_classify.len(),
        list(
            w.replies_to_classify.iter().map(|r| r.reference.as_str()),
            w.replies_to_classify.len()
        )
    );
    println!(
        "  drafts to approve:   {}{}",
        s.totals.drafts,
        list(
            w.drafts.iter().map(|d| d.reference.as_str()),
            s.totals.drafts
        )
    );
    println!(
        "  unmatched mail:      {}{}",
        w.unmatched_mail.len(),
        if w.unmatched_mail.is_empty() {
            String::new()
        } else {
            " (foi inbox unmatched)".into()
        }
    );
    println!(
        "  delivery problems:   {}{}",
        w.delivery_problems.len(),
        list(
            w.delivery_problems
                .iter()
                .filter_map(|p| p.reference.as_deref()),
            w.delivery_problems
                .iter()
                .filter(|p| p.reference.is_some())
                .count()
        )
    );
    if !w.written_not_sent.is_empty() {
        println!(
            "  written, not sent:   {}{} (no clock runs: configure SMTP, or `foi requests sent REF --on DATE`)",
            s.totals.written_not_sent,
            list(
                w.written_not_sent.iter().map(|d| d.reference.as_str()),
                s.totals.written_not_sent
            )
        );
    }
    println!(
        "  open staff tasks:    {}{}",
        s.totals.open_tasks,
        if s.totals.open_tasks == 0 {
            String::new()
        } else {
            " (foi tasks list)".into()
        }
    );
    Ok(())
}

/// Says how many lines past `SHOWN` were left out, and where to find them.
fn more(total: usize, which: &str, where_: &str) {
    if total > SHOWN {
        println!("… and {} more {which}: {where_}.", total - SHOWN);
    }
}

/// " (a, b, c)" for a short list of references, or nothing.
/// The first references of a list of `total` (which may hold more than `refs` gives).
fn list<'a>(refs: impl Iterator<Item = &'a str>, total: usize) -> String {
    let refs: Vec<&str> = refs.take(5).collect();
    match total {
        0 => String::new(),
        n if n <= refs.len() => format!(" ({})", refs.join(", ")),
        n => format!(" ({}, and {} more)", refs.join(", "), n - refs.len()),
    }
}

/// `foi stats`: the figures, per council, overall, per regime and per nation.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Only this campaign's requests.
    #[arg(long)]
    campaign: Option<String>,
    #[arg(long)]
    json: bool,
    /// Also draw the charts into this folder (SVG and PNG of each).
    #[arg(long, value_name = "DIR")]
    chart: Option<PathBuf>,
}

pub async fn run_stats(ctx: &Ctx, a: StatsArgs) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    let report = stats::stats(&app, ctx.clock(), a.campaign.as_deref(), &Bar::new()).await?;
    let charts = match &a.chart {
        Some(dir) => stats::write_charts(&app, &report.charts, dir)?,
        None => Vec::new(),
    };
    if a.json {
        output::json(&report)?;
    } else {
        print_stats(&report);
    }
    for path in &charts {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn figure_row(key: &str, f: &Figures) -> Vec<String> {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    vec![
        key.to_string(),
        f.sent.to_string(),
        f.answered_on_time.to_string(),
        f.answered_late.to_string(),
        opt(f.late_median_working_days.map(|m| format!("{m}"))),
        opt(f.late_worst_working_days.map(|m| m.to_string())),
        f.unanswered.to_string(),
        f.unanswered_overdue.to_string(),
        f.internal_reviews.to_string(),
        format!(
            "{}/{}/{}",
            f.reviews_upheld, f.reviews_overturned, f.reviews_pending
        ),
        f.complaints.to_string(),
    ]
}

const HEADERS: [&str; 11] = [
    "",
    "SENT",
    "ON TIME",
    "LATE",
    "MEDIAN LATE",
    "WORST LATE",
    "UNANSWERED",
    "OVERDUE",
    "REVIEWS",
    "UPHELD/OVERTURNED/PENDING",
    "COMPLAINTS",
];

fn counts(m: &std::collections::BTreeMap<String, usize>) -> String {
    if m.is_empty() {
        return "-".into();
    }
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_stats(r: &stats::StatsReport) {
    let s = &r.stats;
    println!(
        "Figures on {}{} (days are working days)",
        r.today,
        r.campaign
            .as_deref()
            .map(|c| format!(", campaign {c}"))
            .unwrap_or_default()
    );
    let section = |title: &str, rows: Vec<Vec<String>>| {
        println!("\n{title}");
        let mut headers = HEADERS;
        headers[0] = "";
        output::table(&headers, &rows);
    };
    section(
        "By council",
        s.by_authority
            .iter()
            .map(|g| figure_row(&g.name, &g.figures))
            .collect(),
    );
    section("Overall", vec![figure_row("all", &s.overall)]);
    section(
        "By regime",
        s.by_regime
            .iter()
            .map(|g| figure_row(&g.key, &g.figures))
            .collect(),
    );
    section(
        "By nation",
        s.by_nation
            .iter()
            .map(|g| figure_row(&g.key, &g.figures))
            .collect(),
    );
    println!("\nOutcomes and exemptions cited, by council");
    let mut rows: Vec<Vec<String>> = s
        .by_authority
        .iter()
        .map(|g| {
            vec![
                g.name.clone(),
                counts(&g.figures.outcomes),
                counts(&g.figures.exemptions),
            ]
        })
        .collect();
    rows.push(vec![
        "all".into(),
        counts(&s.overall.outcomes),
        counts(&s.overall.exemptions),
    ]);
    output::table(
        &["COUNCIL", "OUTCOMES", "EXEMPTIONS CITED (REQUESTS)"],
        &rows,
    );
    println!("\nWhat each figure counts:");
    for d in &s.definitions {
        println!("  {}: {}", d.figure, d.counts);
    }
}

/// `foi export`: the data as files.
#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// One row per request: council, links, channel, dates, every deadline, state, outcome,
    /// exemptions.
    Requests {
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
        #[arg(long)]
        campaign: Option<String>,
        /// Write here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Every event of one request, oldest first.
    Timeline {
        reference: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Every reply and its attachments, in folders named by council and reference, with
    /// index.csv.
    Responses {
        /// A new or empty folder (with --zip: a new zip file).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Write one zip file instead of a folder.
        #[arg(long)]
        zip: bool,
        #[arg(long)]
        campaign: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// Standard output, or a file written beside its place and renamed in when complete.
struct Target {
    out: Option<PathBuf>,
    tmp: Option<PathBuf>,
}

impl Target {
    fn open(out: Option<PathBuf>) -> anyhow::Result<(Self, Box<dyn std::io::Write>)> {
        match out {
            None => Ok((
                Target {
                    out: None,
                    tmp: None,
                },
                Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            )),
            Some(path) => {
                let name = path
                    .file_name()
                    .with_context(|| format!("{} does not name a file", path.display()))?
                    .to_string_lossy()
                    .into_owned();
                let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
                let file = std::fs::File::create(&tmp)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                Ok((
                    Target {
                        out: Some(path),
                        tmp: Some(tmp),
                    },
                    Box::new(std::io::BufWriter::new(file)),
                ))
            }
        }
    }

    fn finish(self, ok: bool) -> anyhow::Result<()> {
        if let (Some(out), Some(tmp)) = (self.out, self.tmp) {
            if ok {
                std::fs::rename(&tmp, &out)
                    .with_context(|| format!("cannot write {}", out.display()))?;
            } else {
                let _ = std::fs::remove_file(&tmp);
            }
        }
        Ok(())
    }
}

pub async fn run_export(ctx: &Ctx, c: ExportCommand) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    match c {
        ExportCommand::Requests {
            format,
            campaign,
            out,
        } => {
            let named = out.clone();
            let (target, mut w) = Target::open(out)?;
            let done = export::requests(
                &app,
                ctx.clock(),
                campaign.as_deref(),
                format,
                &mut w,
                &Bar::new(),
            )
            .await;
            drop(w);
            target.finish(done.is_ok())?;
            let n = done?;
            if let Some(path) = named {
                eprintln!("wrote {n} request(s) to {}", path.display());
            }
            Ok(())
        }
        ExportCommand::Timeline {
            reference,
            format,
            out,
        } => {
            let events = export::timeline(&app, &reference).await?;
            let (target, mut w) = Target::open(out)?;
            let written = (|| -> anyhow::Result<()> {
                match format {
                    Format::Json => {
                        serde_json::to_writer_pretty(&mut w, &events)?;
                        writeln!(w)?;
                    }
                    Format::Csv => {
                        let mut c = csv::Writer::from_writer(&mut w);
                        c.write_record(["at", "kind", "detail", "actor"])?;
                        for e in &events {
                            c.write_record([
                                e.at.to_rfc3339(),
                                e.kind.as_str(),
                                e.detail.clone(),
                                e.actor.clone(),
                            ])?;
                        }
                        c.flush()?;
                    }
                }
                w.flush()?;
                Ok(())
            })();
            drop(w);
            target.finish(written.is_ok())?;
            written
        }
        ExportCommand::Responses {
            out,
            zip,
            campaign,
            json,
        } => {
            let done = export::responses(&app, campaign.as_deref(), &out, zip, &Bar::new()).await?;
            if json {
                return output::json(&done);
            }
            for m in &done.missing {
                eprintln!("warning: missing file: {m}");
            }
            println!(
                "wrote {} message(s), {} file(s) and index.csv to {}",
                done.messages,
                done.files,
                done.out.display()
            );
            Ok(())
        }
    }
}

use std::io::Write as _;

/// `foi calendar --out deadlines.ics`.
#[derive(Debug, clap::Args)]
pub struct CalendarArgs {
    /// The .ics file to write (replaced whole).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[arg(long)]
    campaign: Option<String>,
    #[arg(long)]
    json: bool,
}

pub async fn run_calendar(ctx: &Ctx, a: CalendarArgs) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    let done = calendar_feed::write(
        &app,
        ctx.clock(),
        a.campaign.as_deref(),
        &a.out,
        &Bar::new(),
    )
    .await?;
    if a.json {
        return output::json(&done);
    }
    println!(
        "wrote {}: {} open deadline(s), {} cancelled",
        done.out.display(),
        done.open,
        done.cancelled
    );
    Ok(())
}
