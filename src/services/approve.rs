//! `foi approve REF`: staff send the internal-review letter the sweep drafted; the review
//! clock starts. The draft argues that the request went unanswered, so it is refused once the
//! council has answered, and written again as of today (the days overdue have grown since).

use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::london_date;
use crate::domain::{EventName, MessageKind, Outcome, RequestState};
use crate::store::{classifications, events, messages, requests};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Approved {
    pub reference: String,
    pub messages: usize,
}

#[tracing::instrument(skip_all, fields(reference = %reference))]
pub async fn approve(
    app: &AppContext,
    now: DateTime<Utc>,
    reference: &str,
    actor: &str,
) -> ServiceResult<Approved> {
    let r = requests::get_by_reference(&app.db, reference).await?;
    let drafts = messages::drafts(&app.db, r.id, MessageKind::InternalReview).await?;
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
    let answered_at = classifications::latest_of(
        &app.db,
        r.id,
        &[
            Outcome::Successful,
            Outcome::PartiallySuccessful,
            Outcome::Refused,
            Outcome::NotHeld,
        ],
    )
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
    let cal = app.calendar().await?;
    let txn = app.db.begin().await?;
    let today = london_date(now);
    // A review of lateness counts the days to the day it goes.
    if late {
        let letter =
            super::follow_up::render(app, &txn, &cal, &r, super::sweep::REVIEW_TEMPLATE, today)
                .await?;
        for m in &drafts {
            messages::set_letter(
                &txn,
                m.id,
                &m.from_addr,
                m.reply_to.as_deref().unwrap_or(&r.reply_to),
                &letter.subject,
                &letter.body,
            )
            .await?;
        }
    }
    let ids: Vec<i32> = drafts.iter().map(|m| m.id).collect();
    messages::queue_drafts(&txn, &ids).await?;
    super::follow_up::start_internal_review(app, &txn, &cal, &r, today, actor, now).await?;
    events::record(
        &txn,
        r.id,
        now,
        EventName::InternalReviewApproved,
        "internal review request approved by staff and queued",
        actor,
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(Approved {
        reference: r.reference,
        messages: ids.len(),
    })
}
