use super::queue::parse_channel;
use super::{output, parse_var, Ctx};
use crate::calendar::ClockEventKind;
use crate::domain::{Channel, Direction, RequestState};
use crate::services::{
    self, add_request::AddRequest, chased::Chase, clock::RecordClock, sent_by_hand::SendByHand, CLI,
};
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
    /// Record that the request went to the council some other way than foi's outbox: an
    /// email letter sent by hand (it is not sent again), a request submitted through the
    /// council's web form, or a letter posted. The statutory clock starts on the date of receipt.
    Sent {
        reference: String,
        /// The day it was sent, submitted or posted.
        #[arg(long, value_parser = super::deadline::parse_date, value_name = "YYYY-MM-DD")]
        on: chrono::NaiveDate,
        /// The case number the council's web form gave (portal requests).
        #[arg(long, value_name = "CASE")]
        portal_ref: Option<String>,
        /// A posted letter: the day the council received it, when known (otherwise the second
        /// working day after posting).
        #[arg(long, value_parser = super::deadline::parse_date, value_name = "YYYY-MM-DD")]
        received: Option<chrono::NaiveDate>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Record a request made outside foi (before foi existed, say). Its letter is written from
    /// the template; nothing is emailed. With --on it was sent that day and the statutory
    /// clock starts; without, it waits in `queued` with a task to submit it.
    Add {
        #[arg(long)]
        authority: String,
        /// The one twinning link it was about (needed when the authority has several, unless
        /// --all-links).
        #[arg(long, conflicts_with = "all_links")]
        twinning: Option<i32>,
        /// It was about all of the authority's links.
        #[arg(long)]
        all_links: bool,
        #[arg(long)]
        template: String,
        /// How it went (or goes): email, portal (the council's web form) or post.
        #[arg(long, value_name = "email|portal|post", value_parser = parse_channel)]
        via: Channel,
        /// The day it was sent, submitted or posted.
        #[arg(long, value_parser = super::deadline::parse_date, value_name = "YYYY-MM-DD")]
        on: Option<chrono::NaiveDate>,
        /// The case number the council's web form gave.
        #[arg(long, value_name = "CASE", requires = "on")]
        portal_ref: Option<String>,
        /// A posted letter: the day the council received it, when known.
        #[arg(long, value_parser = super::deadline::parse_date, value_name = "YYYY-MM-DD", requires = "on")]
        received: Option<chrono::NaiveDate>,
        #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_var)]
        vars: Vec<(String, String)>,
        /// Add it even though the authority already has a request from this template about
        /// this link.
        #[arg(long)]
        again: bool,
        /// With --on: a note for the timeline (how it was sent, say).
        #[arg(long, requires = "on")]
        note: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Record that staff chased a late portal or postal request as its task asked (the
    /// reminder or the internal review, pasted into the web form or posted): the task is done;
    /// an internal review starts the review clock on DATE.
    Chased {
        reference: String,
        /// The day it was done (default: today).
        #[arg(long, value_parser = super::deadline::parse_date, value_name = "YYYY-MM-DD")]
        on: Option<chrono::NaiveDate>,
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
            // A page at a time: the JSON is written as it is read, and the table keeps
            // only its cells (their widths are known only at the end).
            let mut pages = services::requests::list_pages(&app, &filter).await?;
            let mut json_out = json.then(output::JsonArray::stdout);
            let mut table: Vec<Vec<String>> = Vec::new();
            while let Some(rows) = pages.next(&app.db).await? {
                if let Some(out) = json_out.as_mut() {
                    for r in &rows {
                        out.push(r)?;
                    }
                    continue;
                }
                table.extend(rows.iter().map(|r| {
                    vec![
                        r.reference.clone(),
                        r.state.to_string(),
                        r.channel.to_string(),
                        r.authority.clone(),
                        output::or_dash(r.partner_city.as_deref()),
                        output::or_dash(r.campaign.as_deref()),
                        r.template.clone(),
                        r.created_at.format("%Y-%m-%d").to_string(),
                    ]
                }));
            }
            if let Some(out) = json_out {
                out.finish()?;
                return Ok(());
            }
            output::table(
                &[
                    "REFERENCE",
                    "STATE",
                    "VIA",
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
                let links = if row.twinning_ids.len() > 1 {
                    "links"
                } else {
                    "link"
                };
                println!("about:     twinning {links} with {c}");
            }
            if let Some(c) = &row.campaign {
                println!("campaign:  {c}");
            }
            println!("template:  {}", row.template);
            println!(
                "via:       {}{}",
                row.channel,
                row.portal_reference
                    .as_deref()
                    .map(|p| format!(" (case ref {p})"))
                    .unwrap_or_default()
            );
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
            if !d.tasks.is_empty() {
                println!("\nstaff tasks:");
                for t in &d.tasks {
                    let status = match (t.done_at, &t.done_by) {
                        (Some(at), by) => format!(
                            "done {}{}{}",
                            at.format("%Y-%m-%d"),
                            by.as_deref()
                                .map(|b| format!(" by {b}"))
                                .unwrap_or_default(),
                            t.note
                                .as_deref()
                                .map(|n| format!(" ({n})"))
                                .unwrap_or_default()
                        ),
                        (None, _) => "open".to_string(),
                    };
                    println!(
                        "  #{:<4} {:<16} made {}, {status}",
                        t.id,
                        t.kind.as_str(),
                        t.created_at.format("%Y-%m-%d %H:%M"),
                    );
                    if t.done_at.is_none() {
                        println!("        {}", t.what);
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
            portal_ref,
            received,
            note,
        } => {
            let done = services::sent_by_hand::record(
                &app,
                ctx.clock(),
                SendByHand {
                    reference,
                    on,
                    received,
                    portal_reference: portal_ref,
                    note,
                    actor: CLI.into(),
                },
            )
            .await?;
            print_sent_by_hand(&done);
            Ok(())
        }
        RequestsCommand::Add {
            authority,
            twinning,
            all_links,
            template,
            via,
            on,
            portal_ref,
            received,
            vars,
            again,
            note,
            json,
        } => {
            let added = services::add_request::add(
                &app,
                ctx.clock(),
                AddRequest {
                    template,
                    authority,
                    twinning,
                    all_links,
                    vars: vars.into_iter().collect(),
                    via,
                    on,
                    received,
                    portal_reference: portal_ref,
                    note,
                    again,
                    actor: CLI.into(),
                },
            )
            .await?;
            if json {
                return output::json(&added);
            }
            match &added.sent {
                Some(done) => {
                    println!(
                        "added {} ({} request made outside foi)",
                        added.letter.reference, via
                    );
                    print_sent_by_hand(done);
                }
                None => {
                    println!(
                        "added {} ({} request made outside foi), queued until it is recorded as sent:",
                        added.letter.reference, via
                    );
                    println!(
                        "  {}",
                        crate::domain::TaskKind::Submit.instruction(via, &added.letter.reference)
                    );
                }
            }
            Ok(())
        }
        RequestsCommand::Chased {
            reference,
            on,
            note,
        } => {
            let done = services::chased::chased(
                &app,
                ctx.clock(),
                Chase {
                    reference,
                    on,
                    note,
                    actor: CLI.into(),
                },
            )
            .await?;
            for (id, kind) in &done.tasks {
                println!("{}: task {id} ({kind}) done on {}", done.reference, done.on);
            }
            if let Some(state) = done.state {
                println!("  now {state}");
            }
            if let Some(due) = done.review_due {
                println!("  internal review due {due}");
            }
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
    match done.channel {
        Channel::Email => println!(
            "{}: sent on {} (recorded by hand; {} outbox letter(s) will not be sent again)",
            done.reference, done.on, done.letters
        ),
        Channel::Portal => println!(
            "{}: submitted through the council's web form on {}{}",
            done.reference,
            done.on,
            done.portal_reference
                .as_deref()
                .map(|p| format!(", case ref {p}"))
                .unwrap_or_default()
        ),
        Channel::Post => println!(
            "{}: posted on {}; received {} (day 0 of the statutory clock)",
            done.reference, done.on, done.received
        ),
    }
    if let Some(due) = done.response_due {
        println!("  response due {due}");
    }
}
