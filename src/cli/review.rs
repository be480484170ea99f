use super::{deadline::parse_date, output, Ctx};
use crate::services::complaint::{self, PrepareComplaint};
use crate::services::review::{self, DraftReview, ReviewOutcome};
use crate::services::CLI;
use anyhow::Context as _;
use chrono::NaiveDate;
use std::path::PathBuf;

/// `foi review REF`: draft an internal review (EIR: reconsideration) request.
#[derive(Debug, clap::Args)]
pub struct ReviewArgs {
    /// The request (refused, partly successful, "not held", or late).
    reference: String,
    /// Your own reasons, put in the letter as written (plain text).
    #[arg(long, value_name = "FILE")]
    grounds_file: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

/// The council's internal review decided.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Decision {
    /// Its answer stands, wholly or in part.
    Upheld,
    /// Its answer was changed: more is to be released.
    Overturned,
}

/// `foi review-outcome REF upheld|overturned`: record what the internal review decided.
#[derive(Debug, clap::Args)]
pub struct ReviewOutcomeArgs {
    reference: String,
    #[arg(value_enum)]
    decision: Decision,
    /// When the outcome arrived (default: today).
    #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD")]
    received: Option<NaiveDate>,
    #[arg(long)]
    note: Option<String>,
}

/// `foi complaint REF --out DIR`: the complaint to the regulator, ready for its web form.
#[derive(Debug, clap::Args)]
pub struct ComplaintArgs {
    reference: String,
    /// The folder to write the bundle into (a folder named after the reference is made in it).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The day you submitted it on the regulator's form: the request becomes `complaint`.
    #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD")]
    submitted: Option<NaiveDate>,
    #[arg(long)]
    json: bool,
}

pub async fn run_review(ctx: &Ctx, a: ReviewArgs) -> anyhow::Result<()> {
    let grounds = match &a.grounds_file {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .with_context(|| format!("--grounds-file {}", p.display()))?,
        ),
        None => None,
    };
    let app = ctx.app().await?;
    let done = review::draft(
        &app,
        ctx.clock(),
        DraftReview {
            reference: a.reference,
            grounds,
            actor: CLI.into(),
        },
    )
    .await?;
    if a.json {
        return output::json(&done);
    }
    println!("{}: internal review {}\n", done.reference, done.next);
    if !done.to.is_empty() {
        println!("To: {}", done.to);
    }
    println!("Subject: {}\n", done.subject);
    print!("{}", done.body);
    Ok(())
}

pub async fn run_outcome(ctx: &Ctx, a: ReviewOutcomeArgs) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    let done = review::record_outcome(
        &app,
        ctx.clock(),
        ReviewOutcome {
            reference: a.reference,
            upheld: matches!(a.decision, Decision::Upheld),
            received_on: a.received,
            note: a.note,
            actor: CLI.into(),
        },
    )
    .await?;
    println!("{}: now {}", done.reference, done.state);
    if let Some(w) = done.complaint_window_end {
        println!(
            "  a complaint to the regulator can be made until {w}: `foi complaint {} --out DIR`",
            done.reference
        );
    }
    Ok(())
}

pub async fn run_complaint(ctx: &Ctx, a: ComplaintArgs) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    let done = complaint::prepare(
        &app,
        ctx.clock(),
        PrepareComplaint {
            reference: a.reference,
            out: a.out,
            submitted: a.submitted,
            actor: CLI.into(),
        },
    )
    .await?;
    if a.json {
        return output::json(&done);
    }
    println!(
        "{}: a complaint to {} is ready in {}",
        done.reference,
        done.regulator,
        done.dir.display()
    );
    match done.complaint_window_end {
        Some(w) => println!("  the complaint window ends on {w}"),
        None => println!("  no complaint window date: see summary.txt"),
    }
    for w in &done.warnings {
        println!("  note: {w}");
    }
    for f in &done.files {
        println!("  {}", f.display());
    }
    if let Some(on) = done.submitted {
        println!("  recorded as submitted on {on}");
    }
    Ok(())
}
