//! The outbox worker. One step (`try_execute_task`) claims the next due message under a lease,
//! hands it to the transport, and records the outcome; `foi send` and the daemon repeat it.
//! Exactly-once rests on three things: the claim is exclusive, the Message-ID is fixed when
//! the message is queued (a retry reuses it), and a worker that dies mid-send leaves its
//! message `uncertain` for a person instead of sending it again.

use super::lifecycle::advance_from;
use super::ServiceResult;
use crate::app::AppContext;
use crate::calendar::{london_date, ClockEventKind};
use crate::domain::lifecycle::Trigger;
use crate::domain::{EventName, MessageKind, RequestState, SendingWindow};
use crate::mail::{Accepted, MailTransport, OutgoingEmail, SendError, SendErrorKind};
use crate::store::messages::{self, MessageModel};
use crate::store::{clock_events, events, requests};
use chrono::{DateTime, Duration, Utc};
use sea_orm::TransactionTrait;
use tracing::Instrument;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DispatchOutcome {
    /// Nothing is due.
    Idle,
    Sent {
        reference: Option<String>,
        message_id: String,
        reply: String,
    },
    /// The file transport wrote the message out; nothing was emailed, so it is not sent.
    Written {
        reference: Option<String>,
        message_id: String,
        reply: String,
    },
    WillRetry {
        reference: Option<String>,
        at: DateTime<Utc>,
        error: String,
    },
    Failed {
        reference: Option<String>,
        error: String,
    },
    /// Due messages wait for the throttle.
    Throttled { until: DateTime<Utc> },
    /// Outside the sending window.
    Closed { opens: DateTime<Utc> },
    /// This worker's lease ran out and someone else now holds the message: its late result
    /// was not recorded.
    Superseded { reference: Option<String> },
}

/// A message this worker holds, with what it needs to record the outcome.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub message: MessageModel,
    pub reference: Option<String>,
    pub email: OutgoingEmail,
}

/// Marks messages whose worker died mid-send as `uncertain`, with a timeline event each.
pub async fn recover(app: &AppContext, now: DateTime<Utc>) -> ServiceResult<Vec<MessageModel>> {
    let stale = messages::expire_leases(&app.db, now).await?;
    for m in &stale {
        tracing::warn!(message_id = m.message_id.as_deref().unwrap_or_default(), to = %m.to_addr, "uncertain: its worker stopped mid-send");
        if let Some(request_id) = m.request_id {
            events::record(
                    &app.db,
                    request_id,
                    now,
                    EventName::SendUncertain,
                    format!(
                        "{} to {}: the sender stopped after handing it to the mail server and before recording \
                         the answer, so it may or may not have been delivered. It will not be resent by itself: \
                         check with the council, then `foi outbox retry` to resend (same Message-ID).",
                        m.kind, m.to_addr
                    ),
                    &app.worker,
                    None,
                )
                .await?;
        }
    }
    Ok(stale)
}

/// One step: claim, send, record.
pub async fn try_execute_task(
    app: &AppContext,
    now: DateTime<Utc>,
) -> ServiceResult<DispatchOutcome> {
    let claimed = match claim(app, now).await? {
        Ok(c) => c,
        Err(outcome) => return Ok(outcome),
    };
    let span = tracing::info_span!(
        "outbox",
        reference = claimed.reference.as_deref().unwrap_or("staff"),
        message_id = %claimed.email.message_id,
        kind = %claimed.message.kind,
    );
    async {
        let result = deliver(app, &claimed).await;
        record(app, &claimed, result, now).await
    }
    .instrument(span)
    .await
}

/// Claims the next message allowed by the window and the throttle; otherwise says why not.
pub async fn claim(
    app: &AppContext,
    now: DateTime<Utc>,
) -> ServiceResult<Result<Claimed, DispatchOutcome>> {
    let delivers = app.transport()?.delivers();
    // Validated with the settings at start.
    let window = SendingWindow::parse(&app.settings.mail.outbox.window).unwrap_or(None);
    if let Some(w) = &window {
        if !w.is_open(now) {
            if !messages::due_exists(&app.db, now, delivers).await? {
                return Ok(Err(DispatchOutcome::Idle));
            }
            return Ok(Err(DispatchOutcome::Closed {
                opens: w.next_open(now),
            }));
        }
    }
    let limits = &app.settings.mail.outbox;
    let mut skip: Vec<String> = Vec::new();
    let mut until = now + Duration::seconds(60);
    if limits.per_minute > 0 || limits.per_domain_per_minute > 0 {
        let recent = messages::recent_sends(&app.db, now).await?;
        if let Some(oldest) = recent.oldest {
            until = oldest + Duration::seconds(60);
        }
        if limits.per_minute > 0 && recent.total >= limits.per_minute as usize {
            if !messages::due_exists(&app.db, now, delivers).await? {
                return Ok(Err(DispatchOutcome::Idle));
            }
            return Ok(Err(DispatchOutcome::Throttled { until }));
        }
        if limits.per_domain_per_minute > 0 {
            skip = recent
                .per_domain
                .into_iter()
                .filter(|(_, n)| *n >= limits.per_domain_per_minute as usize)
                .map(|(d, _)| d)
                .collect();
        }
    }
    let lease_until = now + Duration::seconds(limits.lease_secs as i64);
    let Some(message) =
        messages::claim(&app.db, now, lease_until, &app.worker, &skip, delivers).await?
    else {
        if !skip.is_empty() && messages::due_exists(&app.db, now, delivers).await? {
            return Ok(Err(DispatchOutcome::Throttled { until }));
        }
        return Ok(Err(DispatchOutcome::Idle));
    };
    let reference = match message.request_id {
        Some(id) => requests::get_by_id(&app.db, id).await?.map(|r| r.reference),
        None => None,
    };
    let email = OutgoingEmail {
        from_name: app.settings.requester.name.clone(),
        from_address: message.from_addr.clone(),
        to: message.to_addr.clone(),
        reply_to: message
            .reply_to
            .clone()
            .unwrap_or_else(|| message.from_addr.clone()),
        subject: message.subject.clone(),
        body: message.body.clone(),
        html: message.html_body.clone(),
        message_id: message.message_id.clone().unwrap_or_default(),
        in_reply_to: message.in_reply_to.clone(),
        references: message.references_hdr.clone(),
        auto_submitted: message.auto_submitted,
        date: now,
        inline: inline_parts(app, &message),
    };
    Ok(Ok(Claimed {
        message,
        reference,
        email,
    }))
}

/// Hands the claimed message to the transport.
pub async fn deliver(app: &AppContext, claimed: &Claimed) -> Result<Accepted, SendError> {
    let transport = app
        .transport()
        .map_err(|e| SendError::not_attempted(e.to_string()))?;
    // Real mail only: the memory transport that stands in for a server in tests is exempt.
    if matches!(transport, MailTransport::Smtp { .. }) {
        let e = &claimed.email;
        if let Some(addr) = [&e.from_address, &e.reply_to].into_iter().find(|a| {
            a.trim_end_matches('.')
                .to_ascii_lowercase()
                .ends_with(".invalid")
        }) {
            return Err(SendError::not_attempted(format!(
                    "not sent: this letter was written while the requester was still the shipped \
                     placeholder, and {addr} cannot receive a council's reply. Now that [requester] \
                     and [mail] are set, `foi outbox retry {}` writes it again with them and queues it",
                    claimed.reference.as_deref().unwrap_or("REF")
                )));
        }
    }
    let label = format!(
        "{}_{}",
        claimed.reference.as_deref().unwrap_or("staff"),
        claimed.message.kind
    );
    transport.send(&claimed.email, &label).await
}

/// Records what the transport said, once, in one transaction: a worker whose lease was taken
/// over records nothing.
pub async fn record(
    app: &AppContext,
    claimed: &Claimed,
    result: Result<Accepted, SendError>,
    now: DateTime<Utc>,
) -> ServiceResult<DispatchOutcome> {
    let m = &claimed.message;
    let reference = claimed.reference.clone();
    let txn = app.db.begin().await?;
    let outcome = match result {
        Ok(accepted) if !accepted.delivered => {
            if !messages::mark_written(&txn, m.id, &app.worker, &accepted.reply).await? {
                txn.rollback().await?;
                return Ok(DispatchOutcome::Superseded { reference });
            }
            if let Some(request_id) = m.request_id {
                let what = if m.kind == MessageKind::Request {
                    format!(
                        "; the request stays queued and its statutory clock has not started. \
                             Send the file from a mail client and record the date with \
                             `foi requests sent {} --on DATE`, or set mail.transport = \"smtp\" \
                             and it is sent from here",
                        reference.as_deref().unwrap_or("REF")
                    )
                } else {
                    String::new()
                };
                events::record(
                    &txn,
                    request_id,
                    now,
                    EventName::Written,
                    format!(
                        "{} to {} {}: not emailed{what}",
                        m.kind, m.to_addr, accepted.reply
                    ),
                    &app.worker,
                    Some(serde_json::json!({"message_id": m.message_id})),
                )
                .await?;
            }
            DispatchOutcome::Written {
                reference: reference.clone(),
                message_id: m.message_id.clone().unwrap_or_default(),
                reply: accepted.reply,
            }
        }
        Ok(accepted) => {
            if !messages::mark_sent(&txn, m.id, &app.worker, now, &accepted.reply).await? {
                txn.rollback().await?;
                return Ok(DispatchOutcome::Superseded { reference });
            }
            if let Some(request_id) = m.request_id {
                on_sent(app, &txn, request_id, m, &accepted, now).await?;
            }
            DispatchOutcome::Sent {
                reference: reference.clone(),
                message_id: m.message_id.clone().unwrap_or_default(),
                reply: accepted.reply,
            }
        }
        Err(e) if e.is_transient() && m.attempts < app.settings.mail.outbox.max_attempts => {
            let o = &app.settings.mail.outbox;
            let at = now + crate::domain::backoff(m.attempts, o.retry_first_secs, o.retry_cap_secs);
            if !messages::mark_retry(&txn, m.id, &app.worker, at, &e.message).await? {
                txn.rollback().await?;
                return Ok(DispatchOutcome::Superseded { reference });
            }
            if let Some(request_id) = m.request_id {
                events::record(
                    &txn,
                    request_id,
                    now,
                    EventName::SendRetry,
                    format!(
                        "attempt {} to send the {} failed: {}; next try at {}",
                        m.attempts,
                        m.kind,
                        e.message,
                        at.to_rfc3339()
                    ),
                    &app.worker,
                    None,
                )
                .await?;
            }
            DispatchOutcome::WillRetry {
                reference: reference.clone(),
                at,
                error: e.message,
            }
        }
        Err(e) => {
            let attempted = e.kind != SendErrorKind::NotAttempted;
            let error = if e.is_transient() {
                format!(
                    "gave up after {} attempts; the last said: {}",
                    m.attempts, e.message
                )
            } else {
                e.message
            };
            if !messages::mark_failed(&txn, m.id, &app.worker, &error).await? {
                txn.rollback().await?;
                return Ok(DispatchOutcome::Superseded { reference });
            }
            if let Some(request_id) = m.request_id {
                // Only the request letter itself failing makes the request undelivered; a
                // failed reminder leaves the request where it was (and on the timeline),
                // and a letter we never handed over says nothing about the council.
                if m.kind == MessageKind::Request && attempted {
                    if let Some(r) = requests::get_by_id(&txn, request_id).await? {
                        advance_from(
                            &txn,
                            &r,
                            r.state,
                            Trigger::LetterUndelivered,
                            None,
                            &app.worker,
                            now,
                        )
                        .await?;
                    }
                }
                let (kind, detail): (crate::domain::EventKind, String) = if attempted {
                    (
                        RequestState::DeliveryFailed.into(),
                        format!("the {} to {} was not delivered: {error}", m.kind, m.to_addr),
                    )
                } else {
                    (
                        EventName::NotSent.into(),
                        format!("the {} to {}: {error}", m.kind, m.to_addr),
                    )
                };
                events::record(&txn, request_id, now, kind, detail, &app.worker, None).await?;
            }
            DispatchOutcome::Failed {
                reference: reference.clone(),
                error,
            }
        }
    };
    txn.commit().await?;
    tracing::info!(outcome = ?outcome, "recorded");
    Ok(outcome)
}

async fn on_sent(
    app: &AppContext,
    txn: &sea_orm::DatabaseTransaction,
    request_id: i32,
    m: &MessageModel,
    accepted: &Accepted,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    events::record(
        txn,
        request_id,
        now,
        RequestState::Sent,
        format!(
            "{} to {} accepted by the mail server: {}",
            m.kind, m.to_addr, accepted.reply
        ),
        &app.worker,
        Some(serde_json::json!({"message_id": m.message_id, "reply": accepted.reply})),
    )
    .await?;
    if m.kind != MessageKind::Request {
        return Ok(());
    }
    let Some(model) = requests::get_by_id(txn, request_id).await? else {
        return Ok(());
    };
    advance_from(
        txn,
        &model,
        model.state,
        Trigger::LetterAccepted,
        None,
        &app.worker,
        now,
    )
    .await?;
    requests::set_sent_at(txn, request_id, now).await?;
    let Some(model) = requests::get_by_id(txn, request_id).await? else {
        return Ok(());
    };
    // The statutory clock starts on the Europe/London date the council's server accepted
    // the request (docs/deadline-rules.md, "date of receipt"); a resend of a letter that
    // arrived does not restart it. A letter that never arrived had its receipt taken
    // away when it was put back in the queue, so the clock starts from this resend.
    let has_receipt = clock_events::for_request(txn, request_id)
        .await?
        .iter()
        .any(|e| e.kind == ClockEventKind::Received);
    if !has_receipt {
        let note = match m.sent_at {
                Some(first) => format!(
                    "resent: the letter sent on {} never arrived, so the statutory clock starts from this resend",
                    london_date(first)
                ),
                None => "date the request was accepted for delivery".to_string(),
            };
        let cal = app.calendar().await?;
        super::clock::record_in(
            txn,
            &cal,
            &app.clock_settings(),
            &model,
            ClockEventKind::Received,
            london_date(now),
            &app.worker,
            Some(&note),
            now,
        )
        .await?;
    }
    Ok(())
}

/// What one run of the outbox did: messages found stranded mid-send, then each step's outcome.
#[derive(Debug, Clone, Default)]
pub struct Drained {
    pub uncertain: Vec<MessageModel>,
    pub outcomes: Vec<DispatchOutcome>,
}

impl Drained {
    fn count(&self, f: impl Fn(&DispatchOutcome) -> bool) -> usize {
        self.outcomes.iter().filter(|o| f(o)).count()
    }
}

impl std::fmt::Display for Drained {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use DispatchOutcome as O;
        let sent = self.count(|o| matches!(o, O::Sent { .. }));
        let written = self.count(|o| matches!(o, O::Written { .. }));
        let retry = self.count(|o| matches!(o, O::WillRetry { .. }));
        let failed = self.count(|o| matches!(o, O::Failed { .. }));
        write!(
            f,
            "{sent} sent, {retry} to retry, {failed} failed, {} uncertain",
            self.uncertain.len()
        )?;
        if written > 0 {
            write!(f, ", {written} written to files (not emailed)")?;
        }
        match self.outcomes.last() {
            Some(O::Throttled { until }) => {
                write!(f, "; throttled until {}", until.format("%H:%M:%S"))
            }
            Some(O::Closed { opens }) => write!(
                f,
                "; outside the sending window until {}",
                opens.format("%Y-%m-%d %H:%M")
            ),
            _ => Ok(()),
        }
    }
}

/// Sends what is due until nothing is, the throttle or the window holds the rest, `limit`
/// messages have been handled, or `stopping` is set (SIGTERM: the message in flight is
/// finished first). `foi send` and the daemon's dispatch job.
#[tracing::instrument(skip_all)]
pub async fn drain(
    app: &AppContext,
    now: DateTime<Utc>,
    limit: Option<usize>,
    stopping: &std::sync::atomic::AtomicBool,
) -> ServiceResult<Drained> {
    let mut out = Drained {
        uncertain: recover(app, now).await?,
        ..Default::default()
    };
    // `now` is when the run started; each step reads the clock afresh so leases, send times
    // and the sending window stay true on a long run.
    let started = std::time::Instant::now();
    let mut handled = 0;
    while !stopping.load(std::sync::atomic::Ordering::SeqCst) && limit.is_none_or(|l| handled < l) {
        let step_now = now + Duration::from_std(started.elapsed()).unwrap_or_default();
        let outcome = try_execute_task(app, step_now).await?;
        let stop = matches!(
            outcome,
            DispatchOutcome::Idle
                | DispatchOutcome::Throttled { .. }
                | DispatchOutcome::Closed { .. }
        );
        if matches!(outcome, DispatchOutcome::Idle) {
            break;
        }
        handled += 1;
        out.outcomes.push(outcome);
        if stop {
            break;
        }
    }
    Ok(out)
}

/// The images a queued HTML mail shows inline, read from the data folder. One that cannot be
/// read is left out (and logged): the mail is still worth sending without its picture.
fn inline_parts(
    app: &AppContext,
    message: &crate::store::inbound::MessageModel,
) -> Vec<crate::mail::InlinePart> {
    let Some(json) = message.inline_parts.as_deref() else {
        return Vec::new();
    };
    let refs: Vec<crate::mail::InlineRef> = match serde_json::from_str(json) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(message = message.id, "inline parts do not read: {e}");
            return Vec::new();
        }
    };
    refs.into_iter()
        .filter_map(|r| {
            let path =
                crate::files::locate(&app.settings.paths.data_dir, "inline", &r.sha256, "", "");
            match path.map(std::fs::read) {
                Some(Ok(bytes)) => Some(crate::mail::InlinePart {
                    content_id: r.content_id,
                    content_type: r.content_type,
                    filename: r.filename,
                    bytes,
                }),
                _ => {
                    tracing::warn!(message = message.id, sha256 = %r.sha256, "inline image missing");
                    None
                }
            }
        })
        .collect()
}
