//! The outbox worker. One step (`try_execute_task`) claims the next due message under a lease,
//! hands it to the transport, and records the outcome; `foi send` and the daemon repeat it.
//! Exactly-once rests on three things: the claim is exclusive, the Message-ID is fixed when
//! the message is queued (a retry reuses it), and a worker that dies mid-send leaves its
//! message `uncertain` for a person instead of sending it again.

use super::message::OutgoingEmail;
use super::send_error::SendError;
use super::transport::{Accepted, MailTransport};
use super::window::SendingWindow;
use crate::calendar::{ClockEventKind, WorkingCalendar};
use crate::domain::RequestState;
use crate::settings::Settings;
use crate::store::entities::request;
use crate::store::messages::{self, MessageModel};
use crate::store::{clock_events, events, StoreError};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait};

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

pub struct Outbox {
    db: DatabaseConnection,
    transport: MailTransport,
    settings: Settings,
    calendar: WorkingCalendar,
    window: Option<SendingWindow>,
    worker: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Deadline(#[from] crate::deadlines::DeadlineError),
}

impl From<sea_orm::DbErr> for OutboxError {
    fn from(e: sea_orm::DbErr) -> Self {
        OutboxError::Store(e.into())
    }
}

/// Retry delays double from `first` up to `cap`.
pub fn backoff(attempts: i32, first: u64, cap: u64) -> Duration {
    let exp = attempts.clamp(1, 30) as u32 - 1;
    let secs = first
        .saturating_mul(1u64 << exp.min(20))
        .min(cap.max(first));
    Duration::seconds(secs as i64)
}

impl Outbox {
    pub async fn new(
        db: DatabaseConnection,
        transport: MailTransport,
        settings: Settings,
        worker: impl Into<String>,
    ) -> Result<Self, OutboxError> {
        let calendar = crate::deadlines::working_calendar(&db).await?;
        // Validated with the settings already.
        let window = SendingWindow::parse(&settings.mail.outbox.window).unwrap_or(None);
        Ok(Outbox {
            db,
            transport,
            settings,
            calendar,
            window,
            worker: worker.into(),
        })
    }

    pub fn transport(&self) -> &MailTransport {
        &self.transport
    }

    /// Marks messages whose worker died mid-send as `uncertain`, with a timeline event each.
    pub async fn recover(&self, now: DateTime<Utc>) -> Result<Vec<MessageModel>, OutboxError> {
        let stale = messages::expire_leases(&self.db, now).await?;
        for m in &stale {
            if let Some(request_id) = m.request_id {
                events::record(
                    &self.db,
                    request_id,
                    now,
                    "send_uncertain",
                    format!(
                        "{} to {}: the sender stopped after handing it to the mail server and before recording \
                         the answer, so it may or may not have been delivered. It will not be resent by itself: \
                         check with the council, then `foi outbox retry` to resend (same Message-ID).",
                        m.kind, m.to_addr
                    ),
                    &self.worker,
                    None,
                )
                .await?;
            }
        }
        Ok(stale)
    }

    /// One step: claim, send, record.
    pub async fn try_execute_task(
        &self,
        now: DateTime<Utc>,
    ) -> Result<DispatchOutcome, OutboxError> {
        let claimed = match self.claim(now).await? {
            Ok(c) => c,
            Err(outcome) => return Ok(outcome),
        };
        let result = self.deliver(&claimed).await;
        self.record(&claimed, result, now).await
    }

    /// Claims the next message allowed by the window and the throttle; otherwise says why not.
    pub async fn claim(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Result<Claimed, DispatchOutcome>, OutboxError> {
        if let Some(w) = &self.window {
            if !w.is_open(now) {
                if !messages::due_exists(&self.db, now, self.transport.delivers()).await? {
                    return Ok(Err(DispatchOutcome::Idle));
                }
                return Ok(Err(DispatchOutcome::Closed {
                    opens: w.next_open(now),
                }));
            }
        }
        let limits = &self.settings.mail.outbox;
        let mut skip: Vec<String> = Vec::new();
        let mut until = now + Duration::seconds(60);
        if limits.per_minute > 0 || limits.per_domain_per_minute > 0 {
            let recent = messages::recent_sends(&self.db, now).await?;
            if let Some(oldest) = recent.oldest {
                until = oldest + Duration::seconds(60);
            }
            if limits.per_minute > 0 && recent.total >= limits.per_minute as usize {
                if !messages::due_exists(&self.db, now, self.transport.delivers()).await? {
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
        let Some(message) = messages::claim(
            &self.db,
            now,
            lease_until,
            &self.worker,
            &skip,
            self.transport.delivers(),
        )
        .await?
        else {
            if !skip.is_empty()
                && messages::due_exists(&self.db, now, self.transport.delivers()).await?
            {
                return Ok(Err(DispatchOutcome::Throttled { until }));
            }
            return Ok(Err(DispatchOutcome::Idle));
        };
        let reference = match message.request_id {
            Some(id) => request::Entity::find_by_id(id)
                .one(&self.db)
                .await?
                .map(|r| r.reference),
            None => None,
        };
        let email = OutgoingEmail {
            from_name: self.settings.requester.name.clone(),
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
        };
        Ok(Ok(Claimed {
            message,
            reference,
            email,
        }))
    }

    pub async fn deliver(&self, claimed: &Claimed) -> Result<Accepted, SendError> {
        // Real mail only: the memory transport that stands in for a server in tests is exempt.
        if matches!(self.transport, MailTransport::Smtp { .. }) {
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
        self.transport.send(&claimed.email, &label).await
    }

    pub async fn record(
        &self,
        claimed: &Claimed,
        result: Result<Accepted, SendError>,
        now: DateTime<Utc>,
    ) -> Result<DispatchOutcome, OutboxError> {
        let m = &claimed.message;
        let reference = claimed.reference.clone();
        let txn = self.db.begin().await?;
        let outcome = match result {
            Ok(accepted) if !accepted.delivered => {
                if !messages::mark_written(&txn, m.id, &self.worker, &accepted.reply).await? {
                    txn.rollback().await?;
                    return Ok(DispatchOutcome::Superseded { reference });
                }
                if let Some(request_id) = m.request_id {
                    let what = if m.kind == "request" {
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
                        "written",
                        format!(
                            "{} to {} {}: not emailed{what}",
                            m.kind, m.to_addr, accepted.reply
                        ),
                        &self.worker,
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
                if !messages::mark_sent(&txn, m.id, &self.worker, now, &accepted.reply).await? {
                    txn.rollback().await?;
                    return Ok(DispatchOutcome::Superseded { reference });
                }
                if let Some(request_id) = m.request_id {
                    self.on_sent(&txn, request_id, m, &accepted, now).await?;
                }
                DispatchOutcome::Sent {
                    reference: reference.clone(),
                    message_id: m.message_id.clone().unwrap_or_default(),
                    reply: accepted.reply,
                }
            }
            Err(e) if e.is_transient() && m.attempts < self.settings.mail.outbox.max_attempts => {
                let o = &self.settings.mail.outbox;
                let at = now + backoff(m.attempts, o.retry_first_secs, o.retry_cap_secs);
                if !messages::mark_retry(&txn, m.id, &self.worker, at, &e.message).await? {
                    txn.rollback().await?;
                    return Ok(DispatchOutcome::Superseded { reference });
                }
                if let Some(request_id) = m.request_id {
                    events::record(
                        &txn,
                        request_id,
                        now,
                        "send_retry",
                        format!(
                            "attempt {} to send the {} failed: {}; next try at {}",
                            m.attempts,
                            m.kind,
                            e.message,
                            at.to_rfc3339()
                        ),
                        &self.worker,
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
                let attempted = e.kind != super::send_error::SendErrorKind::NotAttempted;
                let error = if e.is_transient() {
                    format!(
                        "gave up after {} attempts; the last said: {}",
                        m.attempts, e.message
                    )
                } else {
                    e.message
                };
                if !messages::mark_failed(&txn, m.id, &self.worker, &error).await? {
                    txn.rollback().await?;
                    return Ok(DispatchOutcome::Superseded { reference });
                }
                if let Some(request_id) = m.request_id {
                    // Only the request letter itself failing makes the request undelivered; a
                    // failed reminder leaves the request where it was (and on the timeline),
                    // and a letter we never handed over says nothing about the council.
                    if m.kind == "request" && attempted {
                        crate::store::requests::set_state(
                            &txn,
                            request_id,
                            RequestState::DeliveryFailed,
                            now,
                        )
                        .await?;
                    }
                    let (kind, detail) = if attempted {
                        (
                            "delivery_failed",
                            format!("the {} to {} was not delivered: {error}", m.kind, m.to_addr),
                        )
                    } else {
                        (
                            "not_sent",
                            format!("the {} to {}: {error}", m.kind, m.to_addr),
                        )
                    };
                    events::record(&txn, request_id, now, kind, detail, &self.worker, None).await?;
                }
                DispatchOutcome::Failed {
                    reference: reference.clone(),
                    error,
                }
            }
        };
        txn.commit().await?;
        Ok(outcome)
    }

    async fn on_sent(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        request_id: i32,
        m: &MessageModel,
        accepted: &Accepted,
        now: DateTime<Utc>,
    ) -> Result<(), OutboxError> {
        events::record(
            txn,
            request_id,
            now,
            "sent",
            format!(
                "{} to {} accepted by the mail server: {}",
                m.kind, m.to_addr, accepted.reply
            ),
            &self.worker,
            Some(serde_json::json!({"message_id": m.message_id, "reply": accepted.reply})),
        )
        .await?;
        if m.kind != "request" {
            return Ok(());
        }
        let Some(model) = request::Entity::find_by_id(request_id).one(txn).await? else {
            return Ok(());
        };
        let mut am: request::ActiveModel = model.clone().into();
        if matches!(model.state.as_str(), "queued" | "delivery_failed" | "draft") {
            am.state = Set(RequestState::Sent.to_string());
        }
        am.sent_at = Set(Some(now));
        am.updated_at = Set(now);
        let model = am.update(txn).await?;
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
                    crate::queue::london_date(first)
                ),
                None => "date the request was accepted for delivery".to_string(),
            };
            crate::deadlines::add_clock_event(
                txn,
                &self.calendar,
                &self.settings.deadlines.clock(),
                &model,
                ClockEventKind::Received,
                crate::queue::london_date(now),
                &self.worker,
                Some(&note),
                now,
            )
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap() {
        assert_eq!(backoff(1, 60, 3600), Duration::seconds(60));
        assert_eq!(backoff(2, 60, 3600), Duration::seconds(120));
        assert_eq!(backoff(4, 60, 3600), Duration::seconds(480));
        assert_eq!(backoff(30, 60, 3600), Duration::seconds(3600));
    }
}
