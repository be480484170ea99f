//! What staff do to the outbox on purpose: put a request's letters back in the queue (to the
//! council's current address), re-address unsent letters when a council's FOI address changes,
//! and record a letter that went out some other way (sent by hand from the written file).

use crate::calendar::{ClockEventKind, ClockSettings, WorkingCalendar};
use crate::deadlines::{self, DeadlineError};
use crate::domain::{EmailAddress, RequestState};
use crate::letters::LetterRegistry;
use crate::queue::london_date;
use crate::queue::Queuer;
use crate::settings::Settings;
use crate::store::entities::request;
use crate::store::requests::{self, RequestModel};
use crate::store::{authorities, clock_events, events, messages, StoreError};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

#[derive(Debug, thiserror::Error)]
pub enum SendingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Deadline(#[from] DeadlineError),
    #[error("{0}")]
    Refused(String),
}

impl From<sea_orm::DbErr> for SendingError {
    fn from(e: sea_orm::DbErr) -> Self {
        SendingError::Store(e.into())
    }
}

/// Mail of these kinds goes to staff or a regulator's form, never to the council's address.
fn to_the_council(kind: &str) -> bool {
    !matches!(kind, "complaint" | "digest")
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Retried {
    pub reference: String,
    pub messages: usize,
    /// (old, new) when the letters now go to a corrected address.
    pub readdressed: Option<(String, String)>,
    /// The date of the automatic receipt that was withdrawn because the letter never arrived.
    pub clock_withdrawn: Option<NaiveDate>,
    /// The letter was written again with the requester now configured.
    pub rewritten: bool,
}

fn is_placeholder_address(a: &str) -> bool {
    a.trim_end_matches('.')
        .to_ascii_lowercase()
        .ends_with(".invalid")
}

/// `foi outbox retry REF`: the request's failed, uncertain, waiting or written messages go
/// back in the queue for a fresh series of attempts, with the same Message-ID, addressed to
/// the council's current FOI address. When the request letter never arrived, the receipt
/// recorded at its first send is withdrawn, so the statutory clock starts from the resend.
pub async fn retry(
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    settings: &Settings,
    letters: &LetterRegistry,
    r: &RequestModel,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Retried, SendingError> {
    let clock = &settings.deadlines.clock();
    let msgs = messages::retryable_for_request(db, r.id).await?;
    if msgs.is_empty() {
        return Err(SendingError::Refused(format!(
            "{}: nothing to retry (no failed, uncertain, waiting or written messages)",
            r.reference
        )));
    }
    let authority = authorities::get(db, r.authority_id).await?;
    let current = authority.foi_email.clone();
    let mut readdressed = None;
    let mut rewritten = false;
    for m in &msgs {
        // A letter written under the shipped placeholder requester is written again with the
        // requester now set (same reference and Message-ID), since nobody could answer it.
        if m.kind == "request"
            && settings.placeholder_keys().is_empty()
            && [m.from_addr.as_str(), m.reply_to.as_deref().unwrap_or("")]
                .iter()
                .any(|a| is_placeholder_address(a))
        {
            let q = Queuer {
                settings,
                letters,
                now,
                actor,
            };
            let (letter, reply_to) = q.rerender(db, r).await.map_err(|e| {
                SendingError::Refused(format!(
                    "{}: cannot write the letter again: {e}",
                    r.reference
                ))
            })?;
            requests::set_letter(db, r.id, &letter.subject, &letter.body, &reply_to, now).await?;
            messages::set_letter(
                db,
                m.id,
                &settings.mail.from_address,
                &reply_to,
                &letter.subject,
                &letter.body,
            )
            .await?;
            rewritten = true;
        }
        let to = match &current {
            Some(c) if to_the_council(&m.kind) => c.clone(),
            _ => m.to_addr.clone(),
        };
        if to != m.to_addr {
            readdressed = Some((m.to_addr.clone(), to.clone()));
        }
        messages::requeue(db, m.id, &to).await?;
    }
    if let Some((old, new)) = &readdressed {
        requests::set_to_address(db, r.id, new, now).await?;
        events::record(
            db,
            r.id,
            now,
            "readdressed",
            format!(
                "letters now go to {new}, the council's current FOI address (they went to {old})"
            ),
            actor,
            None,
        )
        .await?;
    }
    if rewritten {
        events::record(
            db,
            r.id,
            now,
            "rewritten",
            format!(
                "the letter was written again as {} (it had been written under the placeholder requester)",
                settings.requester.name
            ),
            actor,
            None,
        )
        .await?;
    }
    let mut clock_withdrawn = None;
    if r.state == RequestState::DeliveryFailed.as_str() {
        clock_withdrawn = withdraw_automatic_receipt(db, cal, clock, r, actor, now).await?;
        requests::set_state(db, r.id, RequestState::Queued, now).await?;
    }
    events::record(
        db,
        r.id,
        now,
        "resend_requested",
        format!(
            "{} message(s) put back in the outbox by staff for a fresh series of attempts (same Message-ID)",
            msgs.len()
        ),
        actor,
        None,
    )
    .await?;
    Ok(Retried {
        reference: r.reference.clone(),
        messages: msgs.len(),
        readdressed,
        clock_withdrawn,
        rewritten,
    })
}

/// A letter that bounced never reached the council, so the date its server accepted it is
/// not the date of receipt. A receipt recorded by hand (staff know better) is kept.
async fn withdraw_automatic_receipt(
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    clock: &ClockSettings,
    r: &RequestModel,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<NaiveDate>, SendingError> {
    let automatic: Vec<_> = clock_events::rows(db, r.id)
        .await?
        .into_iter()
        .filter(|e| e.kind == ClockEventKind::Received.as_str() && !is_person(&e.actor))
        .collect();
    let Some(first) = automatic.first().map(|e| e.date) else {
        return Ok(None);
    };
    for e in &automatic {
        clock_events::remove(db, e.id).await?;
    }
    let fresh = requests::get_by_id(db, r.id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("request {} vanished", r.reference)))?;
    events::record(
        db,
        r.id,
        now,
        "clock_withdrawn",
        format!(
            "the letter accepted for delivery on {first} never arrived, so the statutory clock \
             did not start then; it starts when the resend is accepted"
        ),
        actor,
        None,
    )
    .await?;
    deadlines::refresh(
        db,
        cal,
        clock,
        &fresh,
        "the first letter never arrived",
        &|_, _, _| None,
        actor,
        now,
    )
    .await?;
    Ok(Some(first))
}

/// Actors that are people (the CLI, later staff accounts) rather than the program's workers.
fn is_person(actor: &str) -> bool {
    actor == "cli" || actor.starts_with("staff:")
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Readdressed {
    pub reference: String,
    pub messages: usize,
}

/// After a council's FOI address is corrected: every open request's unsent letters to the old
/// address now go to the new one, and the request's timeline keeps the old one.
pub async fn readdress_authority(
    db: &impl ConnectionTrait,
    authority_id: i32,
    old: &str,
    new: &EmailAddress,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Readdressed>, SendingError> {
    let mut out = Vec::new();
    for r in requests::for_authority(db, authority_id).await? {
        let unsent: Vec<_> = messages::unsent_to(db, r.id, old)
            .await?
            .into_iter()
            .filter(|m| to_the_council(&m.kind))
            .collect();
        if unsent.is_empty() {
            continue;
        }
        for m in &unsent {
            messages::set_recipient(db, m.id, new.as_str()).await?;
        }
        requests::set_to_address(db, r.id, new.as_str(), now).await?;
        events::record(
            db,
            r.id,
            now,
            "readdressed",
            format!(
                "the council's FOI address changed from {old} to {new}: {} unsent letter(s) now go to {new}",
                unsent.len()
            ),
            actor,
            None,
        )
        .await?;
        out.push(Readdressed {
            reference: r.reference.clone(),
            messages: unsent.len(),
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SentByHand {
    pub reference: String,
    pub on: NaiveDate,
    pub letters: u64,
    pub response_due: Option<NaiveDate>,
}

/// `foi requests sent REF --on DATE`: the letter went out some other way (staff sent the
/// written file from their own mail client, say). Its outbox copy is marked sent so no
/// transport sends it again, and the statutory clock starts on that date.
#[allow(clippy::too_many_arguments)]
pub async fn record_sent_by_hand(
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    clock: &ClockSettings,
    r: &RequestModel,
    on: NaiveDate,
    note: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<SentByHand, SendingError> {
    if on > london_date(now) {
        return Err(SendingError::Refused(format!("--on {on} is in the future")));
    }
    if on < london_date(r.created_at) {
        return Err(SendingError::Refused(format!(
            "--on {on} is before {} was created ({})",
            r.reference,
            london_date(r.created_at)
        )));
    }
    let state = RequestState::parse(&r.state)
        .map_err(|e| StoreError::Invalid(format!("{}: stored state {e}", r.reference)))?;
    if !matches!(
        state,
        RequestState::Draft | RequestState::Queued | RequestState::DeliveryFailed
    ) {
        let when = r
            .sent_at
            .map(|s| format!(" on {}", london_date(s)))
            .unwrap_or_default();
        return Err(SendingError::Refused(format!(
            "{} was already sent{when} and is now {state}; to correct its date of receipt, see `foi requests show {}`",
            r.reference, r.reference
        )));
    }
    if state == RequestState::DeliveryFailed {
        withdraw_automatic_receipt(db, cal, clock, r, actor, now).await?;
    }
    let detail = match note {
        Some(n) => format!("sent by staff outside foi on {on}: {n}"),
        None => format!("sent by staff outside foi on {on}"),
    };
    let letters = messages::mark_sent_by_hand(db, r.id, "request", &detail, now).await?;
    let fresh = requests::get_by_id(db, r.id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("request {} vanished", r.reference)))?;
    let mut am: request::ActiveModel = fresh.clone().into();
    am.sent_at = Set(Some(start_of_london_day(on)));
    am.updated_at = Set(now);
    let fresh = am.update(db).await?;
    events::record(db, r.id, now, "sent", detail.clone(), actor, None).await?;
    deadlines::add_clock_event(
        db,
        cal,
        clock,
        &fresh,
        ClockEventKind::Received,
        on,
        actor,
        Some(&detail),
        now,
    )
    .await?;
    let fresh = requests::get_by_id(db, r.id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("request {} vanished", r.reference)))?;
    Ok(SentByHand {
        reference: r.reference.clone(),
        on,
        letters,
        response_due: fresh.response_due,
    })
}

fn start_of_london_day(d: NaiveDate) -> DateTime<Utc> {
    chrono_tz::Europe::London
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default()))
}
