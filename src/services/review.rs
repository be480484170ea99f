//! Internal reviews (under the EIRs, reconsiderations) on demand: `foi review REF` drafts one
//! for a request the council refused, answered in part, said it does not hold, or did not
//! answer in time; `foi review-outcome REF upheld|overturned` records what the review decided.
//! Sending the draft (`foi approve`) starts the review clock.

use super::follow_up::{self, FollowUp};
use super::lifecycle::advance_from;
use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::{london_date, ClockEventKind};
use crate::domain::lifecycle::Trigger;
use crate::domain::{EventName, MessageKind, MessageState, RequestState, TaskKind};
use crate::store::{chases, events, messages, requests, tasks, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::TransactionTrait;
use std::collections::BTreeMap;

/// The states a review can be asked for from.
const REVIEWABLE: [RequestState; 5] = [
    RequestState::Refused,
    RequestState::PartiallySuccessful,
    RequestState::NotHeld,
    RequestState::Overdue,
    RequestState::VeryOverdue,
];

#[derive(Debug, Clone)]
pub struct DraftReview {
    pub reference: String,
    /// The requester's own reasons, put in the letter as written.
    pub grounds: Option<String>,
    pub actor: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ReviewDrafted {
    pub reference: String,
    /// The draft in the outbox (an email request), for `foi approve`.
    pub message: Option<i32>,
    /// The staff task (a web-form or postal request): staff deliver it and record it with
    /// `foi requests chased`.
    pub task: Option<i32>,
    /// What staff do next.
    pub next: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[tracing::instrument(skip_all, fields(reference = %input.reference))]
pub async fn draft(
    app: &AppContext,
    now: DateTime<Utc>,
    input: DraftReview,
) -> ServiceResult<ReviewDrafted> {
    let r = requests::get_by_reference(&app.db, &input.reference).await?;
    if !REVIEWABLE.contains(&r.state) {
        return Err(ServiceError::refused(format!(
            "{} is {}: a review is asked for after the council refused, answered in part or \
             said it does not hold the information, or when its answer is late",
            r.reference, r.state
        )));
    }
    let pending = messages::drafts(&app.db, r.id, MessageKind::InternalReview).await?;
    if let Some(m) = pending.first() {
        return Err(ServiceError::refused(format!(
            "{} already has a drafted internal review (message {}): read it with `foi drafts show {}`, \
             and send it with `foi approve {}`",
            r.reference, m.id, m.id, r.reference
        )));
    }
    let open_tasks = tasks::open_for_request(&app.db, r.id).await?;
    let mut superseded = Vec::new();
    for t in tasks::rows_for(&app.db, open_tasks).await? {
        if t.kind != TaskKind::InternalReview {
            continue;
        }
        if super::tasks::still_applies(&app.db, &t).await? {
            return Err(ServiceError::refused(format!(
                "{} already has an internal-review task (task {}): see `foi tasks list`, and \
                 record it sent with `foi requests chased {} --on DATE`",
                r.reference, t.id, r.reference
            )));
        }
        superseded.push(t.id);
    }
    if let Some(g) = &input.grounds {
        if g.trim().is_empty() {
            return Err(ServiceError::refused("the grounds file is empty"));
        }
    }
    let cal = app.calendar().await?;
    let today = london_date(now);
    let mut extra = BTreeMap::new();
    if let Some(g) = &input.grounds {
        extra.insert("grounds".to_string(), g.trim_end().to_string());
    }
    let txn = app.db.begin().await?;
    let letter = follow_up::render_with(
        app,
        &txn,
        &cal,
        &r,
        super::sweep::REVIEW_TEMPLATE,
        today,
        &extra,
    )
    .await?;
    let (subject, body) = (letter.subject.clone(), letter.body.clone());
    // A request made through a web form or by post is reviewed the same way: staff deliver
    // the letter, so it becomes their task rather than a draft in the outbox.
    let (message, task) = if r.channel.by_email() {
        let id = follow_up::enqueue(
            app,
            &txn,
            &r,
            FollowUp {
                template: super::sweep::REVIEW_TEMPLATE,
                kind: MessageKind::InternalReview,
                auto_submitted: false,
                state: MessageState::Draft,
            },
            letter,
            &input.actor,
            now,
        )
        .await?;
        (Some(id), None)
    } else {
        if !superseded.is_empty() {
            tasks::close(
                &txn,
                &superseded,
                now,
                &input.actor,
                Some("superseded by the review of the council's answer"),
            )
            .await?;
        }
        let t = tasks::add(&txn, r.id, TaskKind::InternalReview, &subject, &body, now).await?;
        follow_up::record_task(&txn, &r, &t, &input.actor, now).await?;
        (None, Some(t.id))
    };
    // A late request reviewed on demand is not drafted a second time by the sweep.
    if let Some(d) = requests::deadlines_of(&r)? {
        if matches!(r.state, RequestState::Overdue | RequestState::VeryOverdue) {
            let due = d.response_due.unwrap_or(today);
            if chases::claim(
                &txn,
                r.id,
                MessageKind::InternalReview,
                &d.response_period(),
                due,
                now,
            )
            .await?
            {
                if let Some(id) = message {
                    chases::set_message(
                        &txn,
                        r.id,
                        MessageKind::InternalReview,
                        &d.response_period(),
                        id,
                    )
                    .await?;
                }
            }
        }
    }
    let next = match (message, task) {
        (Some(id), _) => format!(
            "drafted as message {id}: read it with `foi drafts show {id}`, change it with \
             `foi drafts edit {id}`, and send it with `foi approve {}`",
            r.reference
        ),
        (None, Some(t)) => format!(
            "staff task {t}: {}",
            TaskKind::InternalReview.instruction(r.channel, &r.reference)
        ),
        (None, None) => String::new(),
    };
    if let Some(id) = message {
        events::record(
            &txn,
            r.id,
            now,
            EventName::InternalReviewDrafted,
            format!("internal review request drafted by staff (message {id}); {next}"),
            &input.actor,
            None,
        )
        .await?;
    }
    txn.commit().await?;
    let to = match message {
        Some(id) => messages::for_request(&app.db, r.id)
            .await?
            .into_iter()
            .find(|m| m.id == id)
            .map(|m| m.to_addr)
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok(ReviewDrafted {
        reference: r.reference,
        message,
        task,
        next,
        to,
        subject,
        body,
    })
}

#[derive(Debug, Clone)]
pub struct ReviewOutcome {
    pub reference: String,
    /// The council's answer stands (wholly or in part).
    pub upheld: bool,
    /// When the outcome arrived (default: today).
    pub received_on: Option<NaiveDate>,
    pub note: Option<String>,
    pub actor: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ReviewRecorded {
    pub reference: String,
    pub state: RequestState,
    /// The last day to complain to the ICO or apply to the SIC.
    pub complaint_window_end: Option<NaiveDate>,
}

/// `foi review-outcome REF upheld|overturned [--received DATE]`.
#[tracing::instrument(skip_all, fields(reference = %input.reference))]
pub async fn record_outcome(
    app: &AppContext,
    now: DateTime<Utc>,
    input: ReviewOutcome,
) -> ServiceResult<ReviewRecorded> {
    let r = requests::get_by_reference(&app.db, &input.reference).await?;
    if r.state != RequestState::InternalReview {
        return Err(ServiceError::refused(format!(
            "{} is {}, not waiting for an internal review: record the review outcome after the \
             review request has been sent",
            r.reference, r.state
        )));
    }
    let received = input.received_on.unwrap_or_else(|| london_date(now));
    if received > london_date(now) {
        return Err(ServiceError::refused(format!(
            "--received {received} is in the future"
        )));
    }
    let cal = app.calendar().await?;
    let txn = app.db.begin().await?;
    let what = if input.upheld { "upheld" } else { "overturned" };
    let note = match &input.note {
        Some(n) => format!("review {what}: {n}"),
        None => format!("review {what}"),
    };
    super::clock::record_in(
        &txn,
        &cal,
        &app.clock_settings(),
        &r,
        ClockEventKind::ReviewOutcomeReceived,
        received,
        &input.actor,
        Some(&note),
        now,
    )
    .await?;
    let vanished = || StoreError::NotFound(format!("request {} vanished", r.reference));
    let fresh = requests::get_by_id(&txn, r.id)
        .await?
        .ok_or_else(vanished)?;
    let d = requests::deadlines_of(&fresh)?;
    let window = d.and_then(|d| d.complaint_window_end);
    let detail = format!(
        "the internal review of {received} {}{}",
        if input.upheld {
            "upheld the council's answer"
        } else {
            "overturned the council's answer"
        },
        window
            .map(|w| format!("; a complaint to the regulator can be made until {w}"))
            .unwrap_or_default()
    );
    let state = advance_from(
        &txn,
        &fresh,
        fresh.state,
        Trigger::ReviewDecided {
            upheld: input.upheld,
        },
        Some(detail),
        &input.actor,
        now,
    )
    .await?
    .unwrap_or(fresh.state);
    txn.commit().await?;
    Ok(ReviewRecorded {
        reference: r.reference,
        state,
        complaint_window_end: window,
    })
}
