//! `foi tasks list`: what staff must do by hand for the requests foi cannot send itself
//! (a council's web form, the post), with the text to paste or print. The digest lists the
//! same tasks.

use super::ServiceResult;
use crate::app::AppContext;
use crate::calendar::london_date;
use crate::domain::{Outcome, RequestState, TaskKind};
use crate::store::tasks::{self, TaskRow};
use crate::store::StoreError;
use crate::store::{classifications, requests};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

/// The letter a chase task asks staff to deliver (a request letter is the request's own).
pub fn template_for(kind: TaskKind) -> Option<&'static str> {
    match kind {
        TaskKind::Submit => None,
        TaskKind::Reminder => Some(super::sweep::REMINDER_TEMPLATE),
        TaskKind::InternalReview => Some(super::sweep::REVIEW_TEMPLATE),
    }
}

/// A review of an answer is written by `foi review`, with any grounds staff gave, and stands as
/// written; a chase of silence counts the days late, so it is written again when read.
pub fn rewritten_when_read(kind: TaskKind, state: RequestState) -> bool {
    template_for(kind).is_some() && !(kind == TaskKind::InternalReview && answered(state))
}

fn answered(state: RequestState) -> bool {
    matches!(
        state,
        RequestState::Refused | RequestState::PartiallySuccessful | RequestState::NotHeld
    )
}

/// Whether an open task still makes sense: its kind fits the request's state, and a review
/// task postdates the council's latest answer (one made before it argues about silence).
pub async fn still_applies(db: &impl ConnectionTrait, t: &TaskRow) -> ServiceResult<bool> {
    applies(db, t.kind, t.request_state, t.request_id, t.created_at).await
}

async fn applies(
    db: &impl ConnectionTrait,
    kind: TaskKind,
    request_state: RequestState,
    request_id: i32,
    created_at: DateTime<Utc>,
) -> ServiceResult<bool> {
    if !kind.applies_in(request_state) {
        return Ok(false);
    }
    if kind == TaskKind::InternalReview && answered(request_state) {
        let answered_at = classifications::latest_of(db, request_id, &Outcome::FINAL)
            .await?
            .map(|c| c.at);
        return Ok(answered_at.is_none_or(|at| created_at >= at));
    }
    Ok(true)
}

/// The open tasks that still apply, oldest first, each chase written again as of `now`: a
/// reminder pasted a week after the sweep made it must count the days late as they are then
/// (as `foi approve` does for an emailed review). A task the request has outgrown (a reminder
/// to a council that has answered since) is left out here and closed by the next sweep, so
/// nobody sends a wrong letter in between.
pub async fn open(
    app: &AppContext,
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<TaskRow>> {
    let mut rows = still_applying(db, tasks::open(db).await?).await?;
    write_again(app, db, now, &mut rows).await?;
    Ok(rows)
}

/// The letters of these tasks (read without them by [`open_heads`]): each chase written
/// again as of `now` (see [`open`]), any other as stored. For a list that shows only some
/// open tasks' letters (the digest), just those.
pub async fn with_letters(
    app: &AppContext,
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    rows: &mut [TaskRow],
) -> ServiceResult<()> {
    for t in rows.iter_mut() {
        if !rewritten_when_read(t.kind, t.request_state) {
            if let Some(stored) = tasks::get(db, t.id).await? {
                t.subject = stored.subject;
                t.text = stored.text;
            }
        }
    }
    write_again(app, db, now, rows).await
}

/// Writes each chase among `rows` again as of `now` (see [`open`]).
async fn write_again(
    app: &AppContext,
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    rows: &mut [TaskRow],
) -> ServiceResult<()> {
    if !rows
        .iter()
        .any(|t| rewritten_when_read(t.kind, t.request_state))
    {
        return Ok(());
    }
    let cal = app.calendar().await?;
    let today = london_date(now);
    for t in rows {
        let Some(template) = template_for(t.kind) else {
            continue;
        };
        if !rewritten_when_read(t.kind, t.request_state) {
            continue;
        }
        let r = requests::get_by_id(db, t.request_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("request {} vanished", t.reference)))?;
        let letter = super::follow_up::render(app, db, &cal, &r, template, today).await?;
        t.subject = letter.subject;
        t.text = letter.body;
    }
    Ok(())
}

/// The open tasks that still apply, oldest first, without their letters (`text` empty): for
/// the lists that name tasks (`foi status`), or show the letters of a few ([`write_again`]
/// writes those).
pub async fn open_heads(db: &impl ConnectionTrait) -> ServiceResult<Vec<TaskRow>> {
    still_applying(db, tasks::open_without_text(db).await?).await
}

/// The first `n` of [`open_heads`], and how many there are: which tasks still apply is
/// decided from each one's kind and its request's state, and only the first `n` are read
/// with their requests and councils.
pub async fn first_open_heads(
    db: &impl ConnectionTrait,
    n: usize,
) -> ServiceResult<(Vec<TaskRow>, usize)> {
    let mut applying = Vec::new();
    for h in tasks::open_with_states(db).await? {
        if applies(db, h.kind, h.request_state, h.request_id, h.created_at).await? {
            applying.push(h.id);
        }
    }
    let first = tasks::open_without_text_by_id(db, &applying[..applying.len().min(n)]).await?;
    Ok((tasks::rows_for(db, first).await?, applying.len()))
}

/// Those of these open tasks that still apply (see [`still_applies`]), oldest first.
async fn still_applying(
    db: &impl ConnectionTrait,
    open: Vec<tasks::TaskModel>,
) -> ServiceResult<Vec<TaskRow>> {
    let mut rows: Vec<TaskRow> = Vec::new();
    for t in tasks::rows_for(db, open).await? {
        if still_applies(db, &t).await? {
            rows.push(t);
        }
    }
    Ok(rows)
}

pub async fn list(app: &AppContext, now: DateTime<Utc>) -> ServiceResult<Vec<TaskRow>> {
    open(app, &app.db, now).await
}
