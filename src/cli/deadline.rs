use super::{output, Ctx};
use crate::calendar::{ClockEvent, ClockEventKind as K, Regime};
use chrono::NaiveDate;

/// `foi deadline`: the statutory due date for a request, with the days it skipped and why.
#[derive(Debug, clap::Args)]
pub struct DeadlineArgs {
    /// foia, foisa, eir or eisr.
    #[arg(long, value_parser = parse_regime)]
    regime: Regime,
    /// The date the authority received the request (day 0).
    #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD")]
    received: NaiveDate,
    /// The period to count.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=400))]
    working_days: u32,
    /// Clarification (s.1(3)) received on this date: the count restarts from it.
    #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD")]
    clarified: Option<NaiveDate>,
    /// Fees notice given on this date (the working days until the fee is paid do not count).
    #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD", requires = "fee_paid")]
    fees_notice: Option<NaiveDate>,
    /// Fee received on this date.
    #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD", requires = "fees_notice")]
    fee_paid: Option<NaiveDate>,
    /// List every counted day and every skipped day with its reason.
    #[arg(long)]
    explain: bool,
    #[arg(long)]
    json: bool,
}

pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a date in the form YYYY-MM-DD"))
}

fn parse_regime(s: &str) -> Result<Regime, String> {
    s.parse::<Regime>().map_err(|e| e.to_string())
}

pub async fn run(ctx: &Ctx, args: DeadlineArgs) -> anyhow::Result<()> {
    let mut events = vec![ClockEvent::new(args.received, K::Received)];
    if let Some(c) = args.clarified {
        // The calculator is told only when clarification arrived; the request for it must
        // have come between receipt and then, and its exact date does not change the result.
        events.push(ClockEvent::new(args.received, K::ClarificationRequested));
        events.push(ClockEvent::new(c, K::ClarificationReceived));
    }
    if let (Some(n), Some(p)) = (args.fees_notice, args.fee_paid) {
        events.push(ClockEvent::new(n, K::FeesNoticeGiven));
        events.push(ClockEvent::new(p, K::FeeReceived));
    }
    let app = ctx.app().await?;
    let explanation =
        crate::services::deadlines::calculate(&app, args.regime, &events, args.working_days)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the clock is paused: there is no due date"))?;
    if args.json {
        return output::json(&explanation);
    }
    println!("{}", explanation.due);
    if args.explain {
        println!(
            "{}: received {} (day 0 = {}); {} working days",
            args.regime, args.received, explanation.day_zero, args.working_days
        );
        let mut lines: Vec<(NaiveDate, String)> = explanation
            .counted
            .iter()
            .map(|c| (c.date, format!("day {:>3}", c.ordinal)))
            .chain(
                explanation
                    .skipped
                    .iter()
                    .map(|s| (s.date, format!("skipped  {}", s.reason))),
            )
            .collect();
        lines.sort();
        for (date, what) in lines {
            println!("  {} {}  {what}", date, date.format("%a"));
        }
        for note in &explanation.notes {
            println!("note: {note}");
        }
        println!(
            "due: {} {} (by the end of the day)",
            explanation.due,
            explanation.due.format("%A")
        );
    }
    Ok(())
}
