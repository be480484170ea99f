//! `foi approve REF`: staff send a drafted internal-review letter (the sweep's, for a late
//! request, or `foi review`'s, for an answer); the review clock starts. A draft written before
//! the latest answer argues about something else, so it is refused. A late request's draft as
//! the sweep wrote it is written again as of today (the days overdue have grown since); a
//! draft staff edited is sent in their words.
//!
//! Approving is two steps: `prepare` says exactly what would be sent, and `approve` sends
//! that, refusing if the letters are no longer what staff were shown (edited meanwhile, or
//! the day turned and the letter would count another day).

use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::{london_date, WorkingCalendar};
use crate::domain::{EventName, MessageKind, Outcome, RequestState};
use crate::store::requests::RequestModel;
use crate::store::{classifications, events, messages, requests};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};

/// One letter as it will be sent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Letter {
    pub message: i32,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Staff edited the draft: these are their words, not written again.
    pub edited: bool,
}

/// What `foi approve` would send for a request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Approval {
    pub reference: String,
    pub letters: Vec<Letter>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Approved {
    pub reference: String,
    pub messages: usize,
}

/// The letters `approve` would queue now, checked the way `approve` checks them. Nothing is
/// written.
pub async fn prepare(
    app: &AppContext,
    now: DateTime<Utc>,
    reference: &str,
) -> ServiceResult<Approval> {
    let r = requests::get_by_reference(&app.db, reference).await?;
    let cal = app.calendar().await?;
    let letters = letters(app, &app.db, &cal, &r, now).await?;
    Ok(Approval {
        reference: r.reference,
        letters,
    })
}

/// Queues the letters staff were shown (`prepare`), if they are still what would be sent.
#[tracing::instrument(skip_all, fields(reference = %shown.reference))]
pub async fn approve(
    app: &AppContext,
    now: DateTime<Utc>,
    shown: &Approval,
    actor: &str,
) -> ServiceResult<Approved> {
    let cal = app.calendar().await?;
    let txn = app.db.begin().await?;
    let r = requests::get_by_reference(&txn, &shown.reference).await?;
    let letters = letters(app, &txn, &cal, &r, now).await?;
    if letters != shown.letters {
        txn.rollback().await?;
        return Err(ServiceError::refused(format!(
            "{}: the drafted internal review changed after it was shown (edited meanwhile, or \
             written again for a new day), so it was not sent; run `foi approve {}` again to \
             see it as it is now",
            r.reference, r.reference
        )));
    }
    for l in &letters {
        let queued = messages::queue_approved(
            &txn,
            messages::ApprovedDraft {
                id: l.message,
                to: &l.to,
                subject: &l.subject,
                body: &l.body,
                edited: l.edited,
            },
        )
        .await?;
        if !queued {
            txn.rollback().await?;
            return Err(ServiceError::refused(format!(
                "{}: the drafted internal review changed or was approved by someone else while \
                 it was being queued; nothing was queued (run `foi approve {}` again)",
                r.reference, r.reference
            )));
        }
    }
    let ids: Vec<i32> = letters.iter().map(|l| l.message).collect();
    let today = london_date(now);
    super::follow_up::start_internal_review(app, &txn, &cal, &r, today, actor, now).await?;
    let edited = letters.iter().filter(|l| l.edited).count();
    events::record(
        &txn,
        r.id,
        now,
        EventName::InternalReviewApproved,
        if edited > 0 {
            "internal review request approved by staff and queued, in the words staff edited"
        } else {
            "internal review request approved by staff and queued"
        },
        actor,
        Some(serde_json::json!({"messages": ids})),
    )
    .await?;
    txn.commit().await?;
    Ok(Approved {
        reference: r.reference,
        messages: ids.len(),
    })
}

/// The request's drafted reviews as they would go now: refused when there is none, or when
/// the council has answered since (the letter says it has not).
async fn letters(
    app: &AppContext,
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    r: &RequestModel,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<Letter>> {
    let drafts = messages::drafts(db, r.id, MessageKind::InternalReview).await?;
    if drafts.is_empty() && !r.channel.by_email() {
        return Err(ServiceError::refused(format!(
            "{} goes {}, so foi cannot send its internal review: staff submit it from the task \
             in `foi tasks list`, then record it with `foi requests chased {} --on DATE`",
            r.reference,
            r.channel.how(),
            r.reference
        )));
    }
    if drafts.is_empty() {
        return Err(ServiceError::refused(format!(
            "{} has no drafted internal review to approve (complaint drafts go through the regulator's web form: see `foi requests show {}`)",
            r.reference, r.reference
        )));
    }
    // A review of an answer must postdate the answer: one drafted before it came argues
    // about something else (that the council had not answered).
    let late = matches!(r.state, RequestState::Overdue | RequestState::VeryOverdue);
    let answered = matches!(
        r.state,
        RequestState::Refused | RequestState::PartiallySuccessful | RequestState::NotHeld
    );
    let answered_at = classifications::latest_of(db, r.id, &Outcome::FINAL)
        .await?
        .map(|c| c.at);
    let stale = drafts
        .iter()
        .any(|m| answered_at.is_some_and(|at| m.created_at < at));
    if !(late || answered) || (answered && stale) {
        return Err(ServiceError::refused(format!(
            "{} is now {}: the drafted internal review was written before that and no longer \
             says what happened, so it was not sent; draft a new one with `foi review {}`",
            r.reference, r.state, r.reference
        )));
    }
    // A review of lateness counts the days to the day it goes; a review of an answer (with
    // any grounds staff added) stands as `foi review` wrote it.
    let rewritten = if late && drafts.iter().any(|m| m.edited_at.is_none()) {
        let today = london_date(now);
        Some(super::follow_up::render(app, db, cal, r, super::sweep::REVIEW_TEMPLATE, today).await?)
    } else {
        None
    };
    Ok(drafts
        .into_iter()
        .map(|m| match (&rewritten, m.edited_at) {
            (Some(letter), None) => Letter {
                message: m.id,
                to: m.to_addr,
                subject: letter.subject.clone(),
                body: letter.body.clone(),
                edited: false,
            },
            _ => Letter {
                message: m.id,
                to: m.to_addr,
                subject: m.subject,
                body: m.body,
                edited: m.edited_at.is_some(),
            },
        })
        .collect())
}
