use super::{output, Ctx};
use crate::calendar::ClockEventKind;
use crate::domain::RequestState;
use crate::store::{clock_events, events, requests};
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
    /// Show one request: the letter, its state, its deadlines and its timeline.
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
    let db = ctx.db().await?;
    match cmd {
        RequestsCommand::List {
            state,
            authority,
            campaign,
            json,
        } => {
            let filter = requests::RequestFilter {
                state,
                authority_slug: authority,
                campaign,
            };
            let rows = requests::list(&db, &filter).await?;
            if json {
                return output::json(&rows);
            }
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.reference.clone(),
                        r.state.clone(),
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
            let model = requests::get_by_reference(&db, &reference).await?;
            let body = model.body.clone();
            let deadlines = crate::deadlines::stored(&model);
            let id = model.id;
            let row = requests::rows_for(&db, vec![model]).await?.remove(0);
            let timeline = events::timeline(&db, id).await?;
            let clock = clock_events::rows(&db, id).await?;
            let mail = crate::store::messages::for_request(&db, id).await?;
            if json {
                let mut v = serde_json::to_value(&row)?;
                v["messages"] = serde_json::to_value(
                    mail.iter()
                        .map(|m| {
                            serde_json::json!({"id": m.id, "direction": m.direction, "kind": m.kind, "state": m.state,
                                "from": m.from_addr, "to": m.to_addr, "subject": m.subject, "message_id": m.message_id,
                                "sent_at": m.sent_at, "received_at": m.received_at,
                                "parse_warnings": crate::store::inbound::warnings(m)})
                        })
                        .collect::<Vec<_>>(),
                )?;
                v["body"] = body.into();
                v["deadlines"] = serde_json::to_value(deadlines.as_ref())?;
                v["clock"] = serde_json::to_value(
                    clock
                        .iter()
                        .map(
                            |c| serde_json::json!({"kind": c.kind, "date": c.date, "note": c.note}),
                        )
                        .collect::<Vec<_>>(),
                )?;
                v["timeline"] = serde_json::to_value(
                    timeline
                        .iter()
                        .map(|e| serde_json::json!({"at": e.at, "kind": e.kind, "detail": e.detail, "actor": e.actor}))
                        .collect::<Vec<_>>(),
                )?;
                return output::json(&v);
            }
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
            print!("{body}");
            if !clock.is_empty() {
                println!("\nstatutory clock:");
                for c in &clock {
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
            if let Some(d) = &deadlines {
                println!("\ndeadlines:");
                for (what, date) in crate::deadlines::fields(d) {
                    if let Some(date) = date {
                        println!("  {what:<30} {date} {}", date.format("%a"));
                    }
                }
                if d.clock_paused {
                    println!("  the clock is paused (fees notice unpaid or clarification awaited)");
                }
            }
            if !mail.is_empty() {
                println!("\nmail:");
                for m in &mail {
                    let when = m.sent_at.or(m.received_at).unwrap_or(m.created_at);
                    let arrow = if m.direction == "inbound" {
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
                    for w in crate::store::inbound::warnings(m) {
                        println!("        warning: {w}");
                    }
                }
            }
            println!("\ntimeline:");
            for e in &timeline {
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
        } => sent_by_hand(ctx, &db, &reference, on, note.as_deref()).await,
        RequestsCommand::Clock {
            reference,
            kind,
            date,
            note,
        } => {
            let model = requests::get_by_reference(&db, &reference).await?;
            // A receipt for a letter foi has not sent means it went out some other way.
            if kind == ClockEventKind::Received
                && matches!(
                    RequestState::parse(&model.state),
                    Ok(RequestState::Queued | RequestState::Draft | RequestState::DeliveryFailed)
                )
            {
                return sent_by_hand(ctx, &db, &reference, date, note.as_deref()).await;
            }
            let cal = crate::deadlines::working_calendar(&db).await?;
            let txn = sea_orm::TransactionTrait::begin(&db).await?;
            let recorded = crate::deadlines::add_clock_event(
                &txn,
                &cal,
                &ctx.settings.deadlines.clock(),
                &model,
                kind,
                date,
                "cli",
                note.as_deref(),
                ctx.now,
            )
            .await?;
            txn.commit().await?;
            println!("{}: {kind} on {date} recorded", model.reference);
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

async fn sent_by_hand(
    ctx: &Ctx,
    db: &sea_orm::DatabaseConnection,
    reference: &str,
    on: chrono::NaiveDate,
    note: Option<&str>,
) -> anyhow::Result<()> {
    let model = requests::get_by_reference(db, reference).await?;
    let cal = crate::deadlines::working_calendar(db).await?;
    let txn = sea_orm::TransactionTrait::begin(db).await?;
    let done = crate::sending::record_sent_by_hand(
        &txn,
        &cal,
        &ctx.settings.deadlines.clock(),
        &model,
        on,
        note,
        "cli",
        ctx.clock(),
    )
    .await?;
    txn.commit().await?;
    println!(
        "{}: sent on {} (recorded by hand; {} outbox letter(s) will not be sent again)",
        done.reference, done.on, done.letters
    );
    if let Some(due) = done.response_due {
        println!("  response due {due}");
    }
    Ok(())
}
