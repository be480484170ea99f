use super::{output, Ctx};
use crate::domain::MessageState;
use crate::services::directory;
use crate::services::dispatch::{self, DispatchOutcome};
use crate::services::{retry, CLI};
use clap::Subcommand;
use std::sync::atomic::AtomicBool;

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
    #[command(group = clap::ArgGroup::new("which").required(true).args(["reference", "all"]))]
    Retry {
        /// The request whose letters to put back.
        reference: Option<String>,
        /// Every request with failed, uncertain, waiting or written letters.
        #[arg(long)]
        all: bool,
    },
}

fn parse_state(s: &str) -> Result<MessageState, String> {
    MessageState::OUTBOX
        .iter()
        .copied()
        .find(|st| st.as_str() == s.trim())
        .ok_or_else(|| {
            let names: Vec<&str> = MessageState::OUTBOX.iter().map(|s| s.as_str()).collect();
            format!("'{s}' is not an outbox state ({})", names.join(", "))
        })
}

pub async fn send(ctx: &Ctx, args: SendArgs) -> anyhow::Result<()> {
    super::run::init_logging("text");
    let app = ctx.app().await?;
    let drained = dispatch::drain(&app, ctx.clock(), args.limit, &AtomicBool::new(false)).await?;
    if args.json {
        let mut results: Vec<serde_json::Value> = drained
            .uncertain
            .iter()
            .map(|m| serde_json::json!({"outcome": "uncertain", "message": m.id, "to": m.to_addr}))
            .collect();
        for o in &drained.outcomes {
            results.push(serde_json::to_value(o)?);
        }
        return output::json(&results);
    }
    for m in &drained.uncertain {
        println!("uncertain: message {} to {} (its sender stopped mid-send; see `foi outbox list --state uncertain`)", m.id, m.to_addr);
    }
    for o in &drained.outcomes {
        print_outcome(o);
    }
    if !matches!(
        drained.outcomes.last(),
        Some(DispatchOutcome::Throttled { .. } | DispatchOutcome::Closed { .. })
    ) && args.limit.is_none_or(|l| drained.outcomes.len() < l)
    {
        print_outcome(&DispatchOutcome::Idle);
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

pub async fn outbox(ctx: &Ctx, cmd: OutboxCommand) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    match cmd {
        OutboxCommand::List { state, json } => {
            let state = state
                .as_deref()
                .map(parse_state)
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let list = directory::outbox(&app, state).await?;
            if json {
                let v: Vec<_> = list
                    .iter()
                    .map(|line| {
                        let m = &line.message;
                        serde_json::json!({
                            "id": m.id, "reference": line.reference, "kind": m.kind,
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
                .map(|line| {
                    let m = &line.message;
                    vec![
                        m.id.to_string(),
                        line.reference.clone().unwrap_or_else(|| "-".into()),
                        m.kind.to_string(),
                        m.state.to_string(),
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
        OutboxCommand::Retry { reference, all } => {
            let list = match reference {
                Some(r) if !all => vec![retry::retry(&app, ctx.clock(), &r, CLI).await?],
                _ => retry::retry_all(&app, ctx.clock(), CLI).await?,
            };
            if list.is_empty() {
                println!("nothing to retry");
            }
            for done in list {
                print_retried(&app, &done);
            }
            Ok(())
        }
    }
}

fn print_retried(app: &crate::app::AppContext, done: &retry::Retried) {
    println!(
        "{}: {} message(s) queued again for a fresh series of attempts; `foi send` sends them",
        done.reference, done.messages
    );
    if done.rewritten {
        println!(
            "  the letter was written again as {} (it had the placeholder requester)",
            app.settings.requester.name
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
}
