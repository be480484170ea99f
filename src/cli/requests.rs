use super::{output, Ctx};
use crate::calendar::ClockEventKind;
use crate::domain::{Direction, RequestState};
use crate::services::{self, clock::RecordClock, sent_by_hand::SendByHand, CLI};
use crate::store::requests::RequestFilter;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum RequestsCommand {
    /// List requests.
    List {
        #[arg(long, value_enum)]
        state: Option<RequestState>,
        #[arg(long)]
        authority: Option<String>,
        #[arg(long)]
        campaign: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show one request: the letter, its state, its deadlines, the mail in and out (with
    /// attachments and recorded outcomes) and its timeline.
    Show {
        reference: String,
        #[arg(long)]
        json: bool,
    },
    /// Record a statutory clock event by hand (e.g. a postal reply, or the date a council says
    /// it received the request); the deadlines are recomputed.
    Clock {
        reference: String,
        /// received, clarification_requested, clarification_received, fees_notice_given,
        /// fee_received, public_interest_extension, eir_extension, response_received,
        /// internal_review_requested, review_outcome_received
        #[arg(value_parser = parse_kind)]
        kind: ClockEventKind,
        #[arg(value_parser = super::deadline::parse_date, value_name = "YYYY-MM-DD")]
        date: chrono::NaiveDate,
        #[arg(long)]
        note: Option<String>,
    },
    /// Record that the request letter went out some other way (sent by hand from the file the
    /// file transport wrote, say): it is not sent again, and the statutory clock starts on DATE.
    Sent {
        reference: String,
        #[arg(long, value_parser = super::deadline::parse_date, value_name = "YYYY-MM-DD")]
        on: chrono::NaiveDate,
        #[arg(long)]
        note: Option<String>,
    },
}

fn parse_kind(s: &str) -> Result<ClockEventKind, String> {
    s.parse()
}

pub async fn run(ctx: &Ctx, cmd: RequestsCommand) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    match cmd {
        RequestsCommand::List {
            state,
            authority,
            campaign,
            json,
        } => {
            let filter = RequestFilter {
                state,
                authority_slug: authority,
                campaign,
            };
            let rows = services::requests::list(&app, &filter).await?;
            if json {
                return output::json(&rows);
            }
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.reference.clone(),
                        r.state.to_string(),
                        r.authority.clone(),
                        output::or_dash(r.partner_city.as_deref()),
                        output::or_dash(r.campaign.as_deref()),
                        r.template.clone(),
                        r.created_at.format("%Y-%m-%d").to_string(),
                    ]
                })
                .collect();
            output::table(
                &[
                    "REFERENCE",
                    "STATE",
                    "AUTHORITY",
                    "PARTNER",
                    "CAMPAIGN",
                    "TEMPLATE",
                    "CREATED",
                ],
                &table,
            );
            Ok(())
        }
        RequestsCommand::Show { reference, json } => {
            let d = services::requests::show(&app, &reference).await?;
            if json {
                return output::json(&d);
            }
            let row = &d.row;
            println!("{}  [{}]  {}", row.reference, row.state, row.regime);
            println!("authority: {} ({})", row.authority_name, row.authority);
            if let Some(c) = &row.partner_city {
                println!("about:     twinning link with {c}");
            }
            if let Some(c) = &row.campaign {
                println!("campaign:  {c}");
            }
            println!("template:  {}", row.template);
            println!("created:   {}", row.created_at.format("%Y-%m-%d %H:%M UTC"));
            if let Some(s) = row.sent_at {
                println!("sent:      {}", s.format("%Y-%m-%d %H:%M UTC"));
            }
            println!("\nTo: {}", output::or_dash(row.to_address.as_deref()));
            println!("Reply-To: {}", row.reply_to);
            println!("Subject: {}\n", row.subject);
            print!("{}", d.body);
            if !d.clock.is_empty() {
                println!("\nstatutory clock:");
                for c in &d.clock {
                    println!(
                        "  {}  {}{}",
                        c.date,
                        c.kind,
                        c.note
                            .as_deref()
                            .map(|n| format!(" ({n})"))
                            .unwrap_or_default()
                    );
                }
            }
            if let Some(dl) = &d.deadlines {
                println!("\ndeadlines:");
                for (what, date) in dl.named() {
                    if let Some(date) = date {
                        println!("  {what:<30} {date} {}", date.format("%a"));
                    }
                }
                if dl.clock_paused {
                    println!("  the clock is paused (fees notice unpaid or clarification awaited)");
                }
            }
            if !d.messages.is_empty() {
                println!("\nmail:");
                for m in &d.messages {
                    let when = m.sent_at.or(m.received_at).unwrap_or(m.created_at);
                    let arrow = if m.direction == Direction::Inbound {
                        "in "
                    } else {
                        "out"
                    };
                    println!(
                        "  #{:<4} {arrow} {}  {:<16} {:<10} {}",
                        m.id,
                        when.format("%Y-%m-%d %H:%M"),
                        m.kind,
                        m.state,
                        m.subject
                    );
                    if let Some(o) = &m.outcome {
                        println!("        outcome: {}", super::messages::describe_outcome(o));
                    }
                    for a in &m.attachments {
                        println!(
                            "        attachment {}",
                            super::messages::describe_attachment(a)
                        );
                    }
                    for w in &m.parse_warnings {
                        println!("        warning: {w}");
                    }
                }
            }
            println!("\ntimeline:");
            for e in &d.timeline {
                println!(
                    "  {}  {:<18} {}  ({})",
                    e.at.format("%Y-%m-%d %H:%M"),
                    e.kind,
                    e.detail,
                    e.actor
                );
            }
            Ok(())
        }
        RequestsCommand::Sent {
            reference,
            on,
            note,
        } => {
            let done = services::sent_by_hand::record(
                &app,
                ctx.clock(),
                SendByHand {
                    reference,
                    on,
                    note,
                    actor: CLI.into(),
                },
            )
            .await?;
            print_sent_by_hand(&done);
            Ok(())
        }
        RequestsCommand::Clock {
            reference,
            kind,
            date,
            note,
        } => {
            let recorded = services::clock::record(
                &app,
                ctx.clock(),
                RecordClock {
                    reference,
                    kind,
                    date,
                    note,
                    actor: CLI.into(),
                },
            )
            .await?;
            if let Some(done) = &recorded.sent_by_hand {
                print_sent_by_hand(done);
                return Ok(());
            }
            println!("{}: {kind} on {date} recorded", recorded.reference);
            if let Some(state) = recorded.state {
                println!("  now {state}");
            }
            for m in recorded.moved {
                println!(
                    "  {}: {}",
                    m.what,
                    m.to.map(|d| d.to_string()).unwrap_or_else(|| "none".into())
                );
            }
            Ok(())
        }
    }
}

fn print_sent_by_hand(done: &services::sent_by_hand::SentByHand) {
    println!(
        "{}: sent on {} (recorded by hand; {} outbox letter(s) will not be sent again)",
        done.reference, done.on, done.letters
    );
    if let Some(due) = done.response_due {
        println!("  response due {due}");
    }
}
