//! `foi requests chased REF [--on DATE] [--note TEXT]`: staff sent the overdue reminder or the
//! internal-review request that a late portal or postal request's task asked for. The task is
//! done, the timeline says so, and an internal review asked for starts the review clock on
//! that day (as `foi approve` does for an emailed one).

use super::sent_by_hand::start_of_london_day;
use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::{london_date, ClockEventKind};
use crate::domain::{EventName, RequestState, TaskKind};
use crate::store::{events, requests, tasks, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::TransactionTrait;

#[derive(Debug, Clone, Default)]
pub struct Chase {
    pub reference: String,
    /// The day it was done; today when not given.
    pub on: Option<NaiveDate>,
    pub note: Option<String>,
    pub actor: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Chased {
    pub reference: String,
    pub on: NaiveDate,
    /// The tasks closed, with what each was.
    pub tasks: Vec<(i32, TaskKind)>,
    /// The request's state now, when closing the tasks moved it (an internal review asked for).
    pub state: Option<RequestState>,
    pub review_due: Option<NaiveDate>,
}

#[tracing::instrument(skip_all, fields(reference = %input.reference))]
pub async fn chased(app: &AppContext, now: DateTime<Utc>, input: Chase) -> ServiceResult<Chased> {
    let r = requests::get_by_reference(&app.db, &input.reference).await?;
    let today = london_date(now);
    let on = input.on.unwrap_or(today);
    if on > today {
        return Err(ServiceError::refused(format!("--on {on} is in the future")));
    }
    if let Some(sent) = r.sent_at.map(london_date).filter(|s| on < *s) {
        return Err(ServiceError::refused(format!(
            "--on {on} is before {} was sent ({sent})",
            r.reference
        )));
    }
    let open = tasks::open_for_request(&app.db, r.id).await?;
    let chases: Vec<_> = open.iter().filter(|t| t.kind.is_chase()).collect();
    if chases.is_empty() {
        let why = if open.iter().any(|t| t.kind == TaskKind::Submit) {
            format!(
                "{} has not been submitted yet: submit it {} and record the day with `foi requests sent {} --on DATE`",
                r.reference,
                r.channel.how(),
                r.reference
            )
        } else {
            format!(
                "{} has no open task to chase (see `foi tasks list`); the sweep makes one when a request \
                 sent through a web form or by post is late, and foi chases email requests itself",
                r.reference
            )
        };
        return Err(ServiceError::refused(why));
    }
    let ids: Vec<i32> = chases.iter().map(|t| t.id).collect();
    let kinds: Vec<(i32, TaskKind)> = chases.iter().map(|t| (t.id, t.kind)).collect();
    let review = chases.iter().any(|t| t.kind == TaskKind::InternalReview);
    // A day given is kept as that day, but never before the task existed.
    let done_at = if on == today {
        now
    } else {
        let created = chases.iter().map(|t| t.created_at).max().unwrap_or(now);
        start_of_london_day(on).max(created)
    };
    let what: Vec<&str> = chases
        .iter()
        .map(|t| match t.kind {
            TaskKind::InternalReview => "the internal-review request",
            _ => "the overdue reminder",
        })
        .collect();
    let mut detail = format!("{} sent {} on {on}", what.join(" and "), r.channel.how());
    if let Some(p) = &r.portal_reference {
        detail = format!("{detail} (case ref {p})");
    }
    if let Some(n) = &input.note {
        detail = format!("{detail}: {n}");
    }
    let actor = input.actor.as_str();
    let cal = app.calendar().await?;
    let txn = app.db.begin().await?;
    // Keep the letter as it read on the day it went (the stored one counts the days late as
    // of the sweep that made the task).
    for t in &chases {
        if !super::tasks::rewritten_when_read(t.kind, r.state) {
            continue;
        }
        if let Some(template) = super::tasks::template_for(t.kind) {
            let letter = super::follow_up::render(app, &txn, &cal, &r, template, on).await?;
            tasks::set_letter(&txn, t.id, &letter.subject, &letter.body).await?;
        }
    }
    let closed = tasks::close(&txn, &ids, done_at, actor, input.note.as_deref()).await?;
    if closed as usize != ids.len() {
        txn.rollback().await?;
        return Err(ServiceError::refused(format!(
            "someone else recorded {}'s task(s) done just now; see `foi requests show {}`",
            r.reference, r.reference
        )));
    }
    events::record(
        &txn,
        r.id,
        now,
        EventName::Chased,
        detail.clone(),
        actor,
        Some(serde_json::json!({"tasks": ids})),
    )
    .await?;
    let mut state = None;
    if review {
        let recorded = super::clock::record_in(
            &txn,
            &cal,
            &app.clock_settings(),
            &r,
            ClockEventKind::InternalReviewRequested,
            on,
            actor,
            Some(&detail),
            now,
        )
        .await?;
        state = recorded.state;
    }
    let fresh = requests::get_by_id(&txn, r.id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("request {} vanished", r.reference)))?;
    let review_due = requests::deadlines_of(&fresh)?.and_then(|d| d.review_due);
    txn.commit().await?;
    Ok(Chased {
        reference: r.reference,
        on,
        tasks: kinds,
        state,
        review_due,
    })
}
