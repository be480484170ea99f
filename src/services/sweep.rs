//! The daily deadline sweep: states derived from the statutory clock (overdue, very overdue),
//! one reminder per deadline, the internal review when very overdue, and a regulator
//! complaint draft when the review is late or upheld. Every action is on the timeline, and
//! every chase is claimed in `chases` first, so it happens once per deadline. A request that
//! went through a council's web form or by post has no address to email: its reminder and
//! internal review become staff tasks, with the letter to paste or print.

use super::follow_up::{self, FollowUp};
use super::lifecycle::advance_from;
use super::ServiceResult;
use crate::app::AppContext;
use crate::calendar::{london_date, Regime, WorkingCalendar};
use crate::domain::lifecycle::{ClockView, Trigger};
use crate::domain::{EventName, MessageKind, MessageState, RequestState as S, TaskKind};
use crate::store::requests::{self, RequestModel};
use crate::store::{chases, events, locks, tasks};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use std::collections::HashSet;

/// The templates the sweep writes with; checked when the daemon starts.
pub const TEMPLATES: &[&str] = &["overdue-reminder", "internal-review", "regulator-complaint"];

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct SweepReport {
    pub skipped_locked: bool,
    pub overdue: Vec<String>,
    pub very_overdue: Vec<String>,
    pub reminders: Vec<String>,
    pub reviews: Vec<String>,
    pub complaints: Vec<String>,
    /// Staff tasks made (reminders and internal reviews of requests not sent by email).
    pub tasks: Vec<String>,
    /// Open tasks closed because the request no longer needs them (the council answered).
    pub tasks_withdrawn: Vec<String>,
    /// Requests whose clock runs again (a clarification answered, a fee paid) that still
    /// showed the stopped state.
    pub resumed: Vec<String>,
    /// Requests no longer late because their due date moved later.
    pub no_longer_overdue: Vec<String>,
    /// Unpaid fees notices older than three months.
    pub lapsed: Vec<String>,
}

impl std::fmt::Display for SweepReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.skipped_locked {
            return f.write_str("another daemon is sweeping; skipped");
        }
        write!(
            f,
            "{} newly overdue, {} newly very overdue, {} reminders, {} internal reviews, {} complaint drafts",
            self.overdue.len(),
            self.very_overdue.len(),
            self.reminders.len(),
            self.reviews.len(),
            self.complaints.len()
        )?;
        for (n, what) in [
            (self.tasks.len(), "staff tasks (web form or post)"),
            (self.tasks_withdrawn.len(), "staff tasks withdrawn"),
            (self.resumed.len(), "clocks running again"),
            (self.no_longer_overdue.len(), "no longer overdue"),
            (self.lapsed.len(), "unpaid fees lapsed"),
        ] {
            if n > 0 {
                write!(f, ", {n} {what}")?;
            }
        }
        Ok(())
    }
}

/// Every state in which the council owes something or the clock may be running: waiting for
/// the answer, for the review, or stopped for a clarification or a fee (whose clock may have
/// restarted, or whose fee may have lapsed).
const WATCHED: [S; 9] = [
    S::Sent,
    S::Acknowledged,
    S::Extended,
    S::Overdue,
    S::VeryOverdue,
    S::InternalReview,
    S::ReviewUpheld,
    S::ClarificationRequested,
    S::FeesNotice,
];

/// The daily sweep (the daemon's `sweep` job, `foi run --once sweep`).
#[tracing::instrument(skip_all)]
pub async fn sweep(app: &AppContext, now: DateTime<Utc>) -> ServiceResult<SweepReport> {
    let cal = app.calendar().await?;
    let today = london_date(now);
    let txn = app.db.begin().await?;
    let mut report = SweepReport::default();
    if !locks::try_job_lock(&txn, "sweep").await? {
        report.skipped_locked = true;
        return Ok(report);
    }
    // A page at a time, without the letters (the sweep never reads one): memory stays flat
    // however many requests are open.
    for (after, upto) in requests::id_ranges(&txn, PAGE).await? {
        let page = requests::in_states_between(&txn, &WATCHED, after, upto).await?;
        let ids: Vec<i32> = page.iter().map(|r| r.id).collect();
        let made = chases::made_for(&txn, &ids).await?;
        for r in page {
            let span = tracing::info_span!("request", reference = %r.reference);
            let _enter = span.enter();
            sweep_one(app, &txn, &cal, &r, &made, today, now, &mut report).await?;
        }
    }
    withdraw_stale_tasks(&txn, now, &mut report).await?;
    txn.commit().await?;
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
async fn sweep_one(
    app: &AppContext,
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    r: &RequestModel,
    made: &HashSet<(i32, MessageKind, String)>,
    today: NaiveDate,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> ServiceResult<()> {
    let Some(mut d) = requests::deadlines_of(r)? else {
        return Ok(());
    };
    let regime: Regime = super::deadlines::regime_of(r)?;
    let mut state = r.state;
    let actor = ACTOR;

    // A clock stopped for a clarification or a fee that runs again: the council owes an
    // answer, so the request shows it is waiting and is chased like any other. Read afresh
    // from the clock, since the stored copy may predate the fields that say so.
    if matches!(state, S::ClarificationRequested | S::FeesNotice) {
        if let Some(fresh) = super::deadlines::current(db, cal, &app.clock_settings(), r).await? {
            d = fresh;
        }
    }
    let detail = format!(
        "the clock is running again: the answer is due on {}",
        d.response_due.map(|d| d.to_string()).unwrap_or_default()
    );
    if let Some(next) = advance_from(
        db,
        r,
        state,
        Trigger::ClockResumed(ClockView::of(&d)),
        Some(detail),
        actor,
        now,
    )
    .await?
    {
        report.resumed.push(r.reference.clone());
        state = next;
    }

    // FOIA s.9(2): an unpaid fee lapses three months after the notice, and with it the duty.
    if state == S::FeesNotice {
        if let Some(lapsed) = d.fee_lapses_on.filter(|l| *l <= today) {
            let detail = format!(
                    "the fee asked for was not paid within three months, so the request lapsed on {lapsed}; \
                     if it was paid, record it with `foi requests clock {} fee_received DATE`",
                    r.reference
                );
            advance_from(db, r, state, Trigger::FeeUnpaid, Some(detail), actor, now).await?;
            report.lapsed.push(r.reference.clone());
        }
        return Ok(());
    }
    if state == S::ClarificationRequested {
        return Ok(());
    }

    // Overdue and very overdue are derived from the clock, never typed in.
    if matches!(state, S::Sent | S::Acknowledged | S::Extended | S::Overdue) {
        if let Some(due) = d.response_due.filter(|due| *due < today) {
            let very = d.very_overdue_from.is_some_and(|v| v <= today);
            let late = cal.working_days_between(regime, due, today).unwrap_or(0);
            let detail = format!("the response was due on {due}; it is {late} working day(s) late");
            if let Some(target) = advance_from(
                db,
                r,
                state,
                Trigger::Late { very },
                Some(detail),
                actor,
                now,
            )
            .await?
            {
                if very {
                    events::record(
                        db,
                        r.id,
                        now,
                        EventName::StaffAlert,
                        format!(
                            "{} is very overdue (due {due}, {late} working days late)",
                            r.reference
                        ),
                        actor,
                        None,
                    )
                    .await?;
                    report.very_overdue.push(r.reference.clone());
                } else {
                    report.overdue.push(r.reference.clone());
                }
                state = target;
            }
        }
    }
    // A due date that moved later (new holiday data, say) can make a late request timely again.
    if let Some(due) = d.response_due.filter(|due| *due >= today) {
        let detail = format!("no longer overdue: the response is now due on {due}");
        if let Some(next) = advance_from(
            db,
            r,
            state,
            Trigger::NoLongerLate(ClockView::of(&d)),
            Some(detail),
            actor,
            now,
        )
        .await?
        {
            report.no_longer_overdue.push(r.reference.clone());
            state = next;
        }
    }

    // One polite reminder per period of lateness, in the same thread. The period is the
    // count the due date belongs to, so a due date that moves a day does not remind again.
    let period = d.response_period();
    let after = app.settings.chase.reminder_after_working_days;
    // A request not sent by email found very overdue gets the internal-review task below,
    // which says all a reminder would: staff are not asked to send both.
    let remind = if r.channel.by_email() {
        matches!(state, S::Overdue | S::VeryOverdue)
    } else {
        state == S::Overdue
    };
    if after > 0 && remind {
        if let Some(due) = d.response_due {
            let send_from = cal.add_working_days(regime, due, after)?;
            if today >= send_from
                && !made.contains(&(r.id, MessageKind::Reminder, period.clone()))
                && chases::claim(db, r.id, MessageKind::Reminder, &period, due, now).await?
            {
                if r.channel.by_email() {
                    let id = follow_up::write(app, db, cal, r, REMINDER, actor, today, now).await?;
                    chases::set_message(db, r.id, MessageKind::Reminder, &period, id).await?;
                    events::record(
                        db,
                        r.id,
                        now,
                        EventName::ReminderQueued,
                        format!("overdue reminder queued (response was due {due})"),
                        actor,
                        None,
                    )
                    .await?;
                    report.reminders.push(r.reference.clone());
                } else {
                    // No address to email: staff paste it into the web form or post it.
                    follow_up::task(
                        app,
                        db,
                        cal,
                        r,
                        REMINDER_TEMPLATE,
                        TaskKind::Reminder,
                        actor,
                        today,
                        now,
                    )
                    .await?;
                    report.tasks.push(r.reference.clone());
                }
            }
        }
    }

    // Very overdue: the internal review, sent at once or drafted for staff; for a request not
    // sent by email, a task for staff to submit it (a web form cannot be sent automatically).
    if state == S::VeryOverdue {
        if let Some(due) = d.response_due {
            if !made.contains(&(r.id, MessageKind::InternalReview, period.clone()))
                && chases::claim(db, r.id, MessageKind::InternalReview, &period, due, now).await?
            {
                if r.channel.by_email() {
                    let auto = app.settings.escalation.auto_internal_review;
                    let review = FollowUp {
                        state: if auto {
                            MessageState::Queued
                        } else {
                            MessageState::Draft
                        },
                        ..INTERNAL_REVIEW
                    };
                    let id = follow_up::write(app, db, cal, r, review, actor, today, now).await?;
                    chases::set_message(db, r.id, MessageKind::InternalReview, &period, id).await?;
                    if auto {
                        follow_up::start_internal_review(app, db, cal, r, today, actor, now)
                            .await?;
                        events::record(
                            db,
                            r.id,
                            now,
                            EventName::InternalReviewQueued,
                            "internal review request queued automatically",
                            actor,
                            None,
                        )
                        .await?;
                    } else {
                        events::record(
                            db,
                            r.id,
                            now,
                            EventName::InternalReviewDrafted,
                            format!("internal review request drafted (message {id}); read it with `foi drafts show {id}`, change it with `foi drafts edit {id}` if need be, and send it with `foi approve {}`", r.reference),
                            actor,
                            None,
                        )
                        .await?;
                    }
                    report.reviews.push(r.reference.clone());
                } else {
                    let review = follow_up::task(
                        app,
                        db,
                        cal,
                        r,
                        REVIEW_TEMPLATE,
                        TaskKind::InternalReview,
                        actor,
                        today,
                        now,
                    )
                    .await?;
                    report.tasks.push(r.reference.clone());
                    // The review says the council has not answered; a reminder still to be
                    // sent as well would only repeat it.
                    for t in tasks::open_for_request(db, r.id).await? {
                        if t.kind == TaskKind::Reminder {
                            let why = format!(
                                "superseded by the internal-review request (task {})",
                                review.id
                            );
                            withdraw(db, r.id, &r.reference, t.id, t.kind, &why, now, report)
                                .await?;
                        }
                    }
                }
            }
        }
    }

    // A late or upheld review: a complaint draft for the regulator, once per review.
    let late_review = state == S::InternalReview && d.review_due.is_some_and(|rd| rd < today);
    if late_review || state == S::ReviewUpheld {
        let key = d.review_due.unwrap_or(today);
        let period = d
            .review_period()
            .unwrap_or_else(|| format!("deadline:{key}"));
        if !made.contains(&(r.id, MessageKind::Complaint, period.clone()))
            && chases::claim(db, r.id, MessageKind::Complaint, &period, key, now).await?
        {
            let id = follow_up::write(app, db, cal, r, COMPLAINT, actor, today, now).await?;
            chases::set_message(db, r.id, MessageKind::Complaint, &period, id).await?;
            let window = d
                .complaint_window_end
                .map(|w| format!("; the complaint window ends on {w}"))
                .unwrap_or_default();
            events::record(
                db,
                r.id,
                now,
                EventName::ComplaintDrafted,
                format!(
                    "a complaint to the {} was drafted (message {id}) for staff to check and submit{window}; read it with `foi drafts show {id}`",
                    regime.regulator()
                ),
                actor,
                None,
            )
            .await?;
            report.complaints.push(r.reference.clone());
        }
    }
    Ok(())
}

/// Closes the open tasks whose request no longer needs them: a reminder to a council that has
/// answered since, or a request withdrawn before it was submitted.
async fn withdraw_stale_tasks(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> ServiceResult<()> {
    for t in tasks::rows_for(db, tasks::open(db).await?).await? {
        if super::tasks::still_applies(db, &t).await? {
            continue;
        }
        let why = if t.kind.applies_in(t.request_state) {
            format!(
                "the council answered after it was written (the request is now {}); ask for a review of the answer with `foi review {}`",
                t.request_state, t.reference
            )
        } else {
            format!("no longer needed: the request is now {}", t.request_state)
        };
        withdraw(
            db,
            t.request_id,
            &t.reference,
            t.id,
            t.kind,
            &why,
            now,
            report,
        )
        .await?;
    }
    Ok(())
}

/// Closes an open task staff should no longer do, saying why on the timeline.
#[allow(clippy::too_many_arguments)]
async fn withdraw(
    db: &impl ConnectionTrait,
    request_id: i32,
    reference: &str,
    task_id: i32,
    kind: TaskKind,
    why: &str,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> ServiceResult<()> {
    if tasks::close(db, &[task_id], now, ACTOR, Some(why)).await? == 1 {
        events::record(
            db,
            request_id,
            now,
            EventName::TaskWithdrawn,
            format!("staff task {task_id} ({kind}) withdrawn: {why}"),
            ACTOR,
            Some(serde_json::json!({"task": task_id})),
        )
        .await?;
        report.tasks_withdrawn.push(reference.to_string());
    }
    Ok(())
}

const ACTOR: &str = "daemon:sweep";

/// Ids per range read: at most this many requests are held at once.
const PAGE: i32 = 1000;

/// The overdue reminder the sweep writes (and a staff task shows as of the day it is read).
pub const REMINDER_TEMPLATE: &str = "overdue-reminder";

const REMINDER: FollowUp = FollowUp {
    template: REMINDER_TEMPLATE,
    kind: MessageKind::Reminder,
    auto_submitted: true,
    state: MessageState::Queued,
};

/// The internal review the sweep drafts (and `foi approve` writes again before sending).
pub const REVIEW_TEMPLATE: &str = "internal-review";

const INTERNAL_REVIEW: FollowUp = FollowUp {
    template: REVIEW_TEMPLATE,
    kind: MessageKind::InternalReview,
    auto_submitted: false,
    state: MessageState::Draft,
};

const COMPLAINT: FollowUp = FollowUp {
    template: "regulator-complaint",
    kind: MessageKind::Complaint,
    auto_submitted: false,
    state: MessageState::Draft,
};
