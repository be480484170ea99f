//! Follow-up letters in a request's thread (reminders, internal reviews, complaint drafts),
//! and starting an internal review.

use super::ServiceResult;
use crate::app::AppContext;
use crate::calendar::{london_date, ClockEventKind, WorkingCalendar};
use crate::domain::{Direction, EventName, MessageKind, MessageState, TaskKind};
use crate::letters::{LetterContext, LetterExemption, LetterRequest, LetterResponse, Rendered};
use crate::mail::new_message_id;
use crate::store::messages::{self, NewOutbound};
use crate::store::requests::{self, RequestModel};
use crate::store::tasks::{self, TaskModel};
use crate::store::{authorities, classifications, events, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use std::collections::BTreeMap;

/// A follow-up to write: its template, what kind of message it is, and whether it waits for
/// staff (`Draft`) or goes (`Queued`).
#[derive(Debug, Clone, Copy)]
pub struct FollowUp {
    pub template: &'static str,
    pub kind: MessageKind,
    pub auto_submitted: bool,
    pub state: MessageState,
}

/// Renders a follow-up letter for `r` and puts it in the outbox, threaded under the request,
/// addressed to the council's current FOI address (staff, for a complaint draft).
#[allow(clippy::too_many_arguments)]
pub async fn write(
    app: &AppContext,
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    r: &RequestModel,
    f: FollowUp,
    actor: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> ServiceResult<i32> {
    let letter = render(app, db, cal, r, f.template, today).await?;
    enqueue(app, db, r, f, letter, actor, now).await
}

/// Puts a written follow-up letter in the outbox, threaded under the request, addressed to
/// the council's current FOI address (staff, for a complaint draft).
pub async fn enqueue(
    app: &AppContext,
    db: &impl ConnectionTrait,
    r: &RequestModel,
    f: FollowUp,
    letter: Rendered,
    actor: &str,
    now: DateTime<Utc>,
) -> ServiceResult<i32> {
    let authority = authorities::get(db, r.authority_id).await?;
    // Thread under the original letter (and whatever followed it).
    let earlier: Vec<String> = messages::for_request(db, r.id)
        .await?
        .into_iter()
        .filter(|m| m.direction == Direction::Outbound)
        .filter_map(|m| m.message_id)
        .collect();
    let to = if f.kind.goes_to_council() {
        // The council's current address: one corrected after a bounce, not the old one.
        let current = authority
            .foi_email
            .clone()
            .or_else(|| r.to_address.clone())
            .unwrap_or_default();
        if r.to_address.as_deref() != Some(current.as_str()) && !current.is_empty() {
            requests::set_to_address(db, r.id, &current, now).await?;
            events::record(
                db,
                r.id,
                now,
                EventName::Readdressed,
                format!(
                    "letters now go to {current}, the council's current FOI address (the request went to {})",
                    r.to_address.as_deref().unwrap_or("no address")
                ),
                actor,
                None,
            )
            .await?;
        }
        current
    } else {
        // Regulators take complaints through their own web forms: the draft is for staff.
        app.settings.requester.email.clone()
    };
    let m = messages::enqueue(
        db,
        NewOutbound::new(
            f.kind,
            &app.settings.mail.from_address,
            &to,
            &r.reply_to,
            letter.subject,
            letter.body,
            new_message_id(&r.reference, &app.settings.mail.reply_domain, now),
        )
        .for_request(r.id)
        .threaded(&earlier)
        .auto_submitted(f.auto_submitted)
        .state(f.state),
        now,
    )
    .await?;
    Ok(m.id)
}

/// For a request foi does not send by email (a council's web form, the post): the follow-up
/// letter written as of `today` for staff to paste or print, as a task on the request.
#[allow(clippy::too_many_arguments)]
pub async fn task(
    app: &AppContext,
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    r: &RequestModel,
    template: &str,
    kind: TaskKind,
    actor: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> ServiceResult<TaskModel> {
    let letter = render(app, db, cal, r, template, today).await?;
    let t = tasks::add(db, r.id, kind, &letter.subject, &letter.body, now).await?;
    record_task(db, r, &t, actor, now).await?;
    Ok(t)
}

/// Puts a new task on the request's timeline, saying what staff must do.
pub async fn record_task(
    db: &impl ConnectionTrait,
    r: &RequestModel,
    t: &TaskModel,
    actor: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    events::record(
        db,
        r.id,
        now,
        EventName::TaskCreated,
        format!(
            "staff task {}: {} (see `foi tasks list`)",
            t.id,
            t.kind.instruction(r.channel, &r.reference)
        ),
        actor,
        Some(serde_json::json!({"task": t.id})),
    )
    .await?;
    Ok(())
}

/// The follow-up letter for `r` from `template`, written as of `today`.
pub async fn render(
    app: &AppContext,
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    r: &RequestModel,
    template: &str,
    today: NaiveDate,
) -> ServiceResult<Rendered> {
    render_with(app, db, cal, r, template, today, &BTreeMap::new()).await
}

/// Like `render`, with `extra` template variables over the request's own (`grounds`, say).
#[allow(clippy::too_many_arguments)]
pub async fn render_with(
    app: &AppContext,
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    r: &RequestModel,
    template: &str,
    today: NaiveDate,
    extra: &BTreeMap<String, String>,
) -> ServiceResult<Rendered> {
    let authority = authorities::get(db, r.authority_id).await?;
    let links = requests::links_of(db, r).await?;
    let d = requests::deadlines_of(r)?;
    let regime = super::deadlines::regime_of(r)?;
    let response = answer_of(db, r, regime).await?;
    // Late until the answer came, or until today when none has.
    let until = response
        .as_ref()
        .and_then(|resp| resp.received_on)
        .unwrap_or(today);
    let late = d
        .as_ref()
        .and_then(|d| d.response_due)
        .filter(|due| *due < until)
        .and_then(|due| cal.working_days_between(regime, due, until).ok());
    let request = LetterRequest {
        reference: r.reference.clone(),
        reply_to: r.reply_to.clone(),
        subject: r.subject.clone(),
        sent_on: r.sent_at.map(london_date),
        due: d.as_ref().and_then(|d| d.response_due),
        review_due: d.as_ref().and_then(|d| d.review_due),
        complaint_window_end: d.as_ref().and_then(|d| d.complaint_window_end),
        working_days_overdue: late,
        channel: r.channel,
        portal_reference: r.portal_reference.clone(),
    };
    let mut vars: BTreeMap<String, String> = serde_json::from_str(&r.vars).map_err(|e| {
        StoreError::Invalid(format!("{}: stored letter variables: {e}", r.reference))
    })?;
    vars.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(app.letters.render(
        template,
        &LetterContext {
            authority: &authority,
            regime,
            twinnings: &links,
            request: &request,
            response: response.as_ref(),
            requester: &app.settings.requester,
            today,
            vars: &vars,
        }
        .to_json(),
    )?)
}

/// The council's final answer to the request, as staff classified it, for a letter that
/// asks for it to be reviewed.
pub async fn answer_of(
    db: &impl ConnectionTrait,
    r: &RequestModel,
    regime: crate::calendar::Regime,
) -> ServiceResult<Option<LetterResponse>> {
    use crate::domain::{Exemption, Outcome};
    let Some(c) = classifications::latest_of(
        db,
        r.id,
        &[
            Outcome::Successful,
            Outcome::PartiallySuccessful,
            Outcome::Refused,
            Outcome::NotHeld,
        ],
    )
    .await?
    else {
        return Ok(None);
    };
    let outcome = Outcome::parse(&c.outcome)
        .map_err(|e| StoreError::Invalid(format!("{}: stored outcome {e}", r.reference)))?;
    let exemptions: Vec<LetterExemption> = c
        .exemptions
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|code| {
            let d = Exemption::parse(code, regime)
                .ok()
                .and_then(|e| e.describe(regime));
            LetterExemption {
                code: code.to_string(),
                name: d.map(|d| d.name.to_string()).unwrap_or_default(),
                // Unknown to us: argue the public interest rather than concede it.
                qualified: d.is_none_or(|d| d.qualified),
            }
        })
        .collect();
    Ok(Some(LetterResponse {
        outcome: outcome.to_string(),
        received_on: c.received_on,
        qualified: exemptions.iter().any(|e| e.qualified),
        not_held: outcome == Outcome::NotHeld
            || exemptions
                .iter()
                .any(|e| e.code.starts_with("reg12(4)(a)") || e.code.starts_with("reg10(4)(a)")),
        partly: outcome == Outcome::PartiallySuccessful,
        exemptions,
    }))
}

/// The internal review starts when its letter is queued: the clock and the request's state
/// say so.
pub async fn start_internal_review(
    app: &AppContext,
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    r: &RequestModel,
    today: NaiveDate,
    actor: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    super::clock::record_in(
        db,
        cal,
        &app.clock_settings(),
        r,
        ClockEventKind::InternalReviewRequested,
        today,
        actor,
        None,
        now,
    )
    .await?;
    Ok(())
}
