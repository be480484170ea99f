use super::{output, Ctx};
use crate::mail::{DispatchOutcome, MailTransport, Outbox};
use crate::store::{messages, requests};
use clap::Subcommand;
use sea_orm::TransactionTrait;

/// `foi send`: dispatch what is due in the outbox, then exit.
#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// Send at most this many messages.
    #[arg(long)]
    limit: Option<usize>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List outgoing messages.
    List {
        /// queued, sending, retry, sent, failed, uncertain, draft or written.
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Put a request's failed, uncertain, waiting or written messages back in the queue, on
    /// purpose, for a fresh series of attempts to the council's current FOI address. They are
    /// sent again with the same Message-ID, so the council's system can spot a duplicate.
    Retry { reference: String },
}

pub async fn send(ctx: &Ctx, args: SendArgs) -> anyhow::Result<()> {
    super::run::init_logging("text");
    let db = ctx.db().await?;
    let transport = MailTransport::from_settings(&ctx.settings)?;
    let worker = format!("send:{}:{}", hostname(), std::process::id());
    let outbox = Outbox::new(db, transport, ctx.settings.clone(), worker).await?;
    let mut results = Vec::new();
    for m in outbox.recover(ctx.clock()).await? {
        results.push(serde_json::json!({"outcome": "uncertain", "message": m.id, "to": m.to_addr}));
        if !args.json {
            println!("uncertain: message {} to {} (its sender stopped mid-send; see `foi outbox list --state uncertain`)", m.id, m.to_addr);
        }
    }
    let mut sent = 0;
    loop {
        if args.limit.is_some_and(|l| sent >= l) {
            break;
        }
        let outcome = outbox.try_execute_task(ctx.clock()).await?;
        let stop = matches!(
            outcome,
            DispatchOutcome::Idle
                | DispatchOutcome::Throttled { .. }
                | DispatchOutcome::Closed { .. }
        );
        if !matches!(outcome, DispatchOutcome::Idle) {
            sent += 1;
        }
        if !args.json {
            print_outcome(&outcome);
        }
        results.push(serde_json::to_value(&outcome)?);
        if stop {
            break;
        }
    }
    if args.json {
        return output::json(&results);
    }
    Ok(())
}

fn print_outcome(o: &DispatchOutcome) {
    let r = |r: &Option<String>| r.clone().unwrap_or_else(|| "(staff mail)".into());
    match o {
        DispatchOutcome::Idle => println!("nothing (more) to send via this transport"),
        DispatchOutcome::Sent {
            reference, reply, ..
        } => println!("sent    {}  {reply}", r(reference)),
        DispatchOutcome::Written {
            reference, reply, ..
        } => println!(
            "written {}  {reply}; not sent: record it with `foi requests sent REF --on DATE` once you have sent it, or configure SMTP",
            r(reference)
        ),
        DispatchOutcome::WillRetry {
            reference,
            at,
            error,
        } => {
            println!(
                "retry   {}  {error}; next try at {}",
                r(reference),
                at.format("%Y-%m-%d %H:%M UTC")
            )
        }
        DispatchOutcome::Failed { reference, error } => {
            println!("FAILED  {}  {error}", r(reference))
        }
        DispatchOutcome::Superseded { reference } => {
            println!(
                "skipped {}  another worker took this message over; its result stands",
                r(reference)
            )
        }
        DispatchOutcome::Throttled { until } => {
            println!(
                "throttled: the per-minute limit is reached; more can go after {}",
                until.format("%H:%M:%S UTC")
            )
        }
        DispatchOutcome::Closed { opens } => {
            println!(
                "outside the sending window; it opens at {}",
                opens.format("%Y-%m-%d %H:%M UTC")
            )
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "host".into())
}

pub async fn outbox(ctx: &Ctx, cmd: OutboxCommand) -> anyhow::Result<()> {
    let db = ctx.db().await?;
    match cmd {
        OutboxCommand::List { state, json } => {
            let list = messages::list_outbound(&db, state.as_deref()).await?;
            let ids: Vec<i32> = list.iter().filter_map(|m| m.request_id).collect();
            let refs: std::collections::HashMap<i32, String> =
                requests::references_by_id(&db, &ids).await?;
            if json {
                let v: Vec<_> = list
                    .iter()
                    .map(|m| {
                        serde_json::json!({
                            "id": m.id, "reference": m.request_id.and_then(|i| refs.get(&i)), "kind": m.kind,
                            "state": m.state, "to": m.to_addr, "subject": m.subject, "message_id": m.message_id,
                            "attempts": m.attempts, "next_attempt_at": m.next_attempt_at, "sent_at": m.sent_at,
                            "last_error": m.last_error, "server_reply": m.server_reply,
                        })
                    })
                    .collect();
                return output::json(&v);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|m| {
                    vec![
                        m.id.to_string(),
                        m.request_id
                            .and_then(|i| refs.get(&i).cloned())
                            .unwrap_or_else(|| "-".into()),
                        m.kind.clone(),
                        m.state.clone(),
                        m.to_addr.clone(),
                        m.attempts.to_string(),
                        output::or_dash(m.last_error.as_deref().or(m.server_reply.as_deref())),
                    ]
                })
                .collect();
            output::table(
                &[
                    "ID",
                    "REFERENCE",
                    "KIND",
                    "STATE",
                    "TO",
                    "TRIES",
                    "LAST ANSWER",
                ],
                &rows,
            );
            Ok(())
        }
        OutboxCommand::Retry { reference } => {
            let r = requests::get_by_reference(&db, &reference).await?;
            let cal = crate::deadlines::working_calendar(&db).await?;
            let letters = crate::letters::LetterRegistry::load(&ctx.settings.paths.templates_dir)?;
            let txn = db.begin().await?;
            let done =
                crate::sending::retry(&txn, &cal, &ctx.settings, &letters, &r, "cli", ctx.clock())
                    .await?;
            txn.commit().await?;
            println!(
                "{}: {} message(s) queued again for a fresh series of attempts; `foi send` sends them",
                done.reference, done.messages
            );
            if done.rewritten {
                println!(
                    "  the letter was written again as {} (it had the placeholder requester)",
                    ctx.settings.requester.name
                );
            }
            if let Some((old, new)) = &done.readdressed {
                println!("  now addressed to {new} (was {old})");
            }
            if let Some(first) = done.clock_withdrawn {
                println!(
                    "  the letter of {first} never arrived: the statutory clock starts when the resend is accepted"
                );
            }
            Ok(())
        }
    }
}
