//! The daily deadline sweep: states derived from the statutory clock (overdue, very overdue),
//! one reminder per deadline, the internal review when very overdue, and a regulator
//! complaint draft when the review is late or upheld. Every action is on the timeline, and
//! every chase is claimed in `chases` first, so it happens once per deadline.

use super::jobs::JobContext;
use crate::calendar::{ClockEventKind, Regime, WorkingCalendar};
use crate::deadlines;
use crate::domain::lifecycle::waiting_state;
use crate::domain::RequestState as S;
use crate::letters::{LetterContext, LetterRequest};
use crate::mail::new_message_id;
use crate::queue::london_date;
use crate::store::entities::request;
use crate::store::messages::{self, state as msg_state, NewOutbound};
use crate::store::requests::{self, RequestModel};
use crate::store::{authorities, daemon_state, events, twinnings};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use std::collections::BTreeMap;

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct SweepReport {
    pub skipped_locked: bool,
    pub overdue: Vec<String>,
    pub very_overdue: Vec<String>,
    pub reminders: Vec<String>,
    pub reviews: Vec<String>,
    pub complaints: Vec<String>,
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

pub async fn sweep(ctx: &JobContext, now: DateTime<Utc>) -> anyhow::Result<SweepReport> {
    let cal = deadlines::working_calendar(&ctx.db).await?;
    let today = london_date(now);
    let txn = ctx.db.begin().await?;
    let mut report = SweepReport::default();
    if !daemon_state::try_job_lock(&txn, "sweep").await? {
        report.skipped_locked = true;
        return Ok(report);
    }
    let watched = request::Entity::find()
        .filter(request::Column::State.is_in(WATCHED.map(S::as_str)))
        .order_by_asc(request::Column::Id)
        .all(&txn)
        .await?;
    for r in watched {
        sweep_one(ctx, &txn, &cal, &r, today, now, &mut report).await?;
    }
    txn.commit().await?;
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
async fn sweep_one(
    ctx: &JobContext,
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    r: &RequestModel,
    today: NaiveDate,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> anyhow::Result<()> {
    let Some(mut d) = deadlines::stored(r) else {
        return Ok(());
    };
    let regime: Regime = r
        .regime
        .parse()
        .map_err(|e| anyhow::anyhow!("{}: {e}", r.reference))?;
    let mut state =
        S::parse(&r.state).map_err(|e| anyhow::anyhow!("{}: stored state {e}", r.reference))?;
    let actor = "daemon:sweep";

    // A clock stopped for a clarification or a fee that runs again: the council owes an
    // answer, so the request shows it is waiting and is chased like any other. Read afresh
    // from the clock, since the stored copy may predate the fields that say so.
    if matches!(state, S::ClarificationRequested | S::FeesNotice) {
        if let Some(fresh) = deadlines::current(db, cal, &ctx.settings.deadlines.clock(), r).await?
        {
            d = fresh;
        }
    }
    if matches!(state, S::ClarificationRequested | S::FeesNotice) && !d.stopped() {
        let next = waiting_state(&d);
        requests::set_state(db, r.id, next, now).await?;
        events::record(
            db,
            r.id,
            now,
            next.as_str(),
            format!(
                "the clock is running again: the answer is due on {}",
                d.response_due.map(|d| d.to_string()).unwrap_or_default()
            ),
            actor,
            None,
        )
        .await?;
        report.resumed.push(r.reference.clone());
        state = next;
    }

    // FOIA s.9(2): an unpaid fee lapses three months after the notice, and with it the duty.
    if state == S::FeesNotice {
        if let Some(lapsed) = d.fee_lapses_on.filter(|l| *l <= today) {
            requests::set_state(db, r.id, S::FeeLapsed, now).await?;
            events::record(
                db,
                r.id,
                now,
                S::FeeLapsed.as_str(),
                format!(
                    "the fee asked for was not paid within three months, so the request lapsed on {lapsed}; \
                     if it was paid, record it with `foi requests clock {} fee_received DATE`",
                    r.reference
                ),
                actor,
                None,
            )
            .await?;
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
            let target = if very { S::VeryOverdue } else { S::Overdue };
            if target != state {
                let late = cal.working_days_between(regime, due, today).unwrap_or(0);
                requests::set_state(db, r.id, target, now).await?;
                events::record(
                    db,
                    r.id,
                    now,
                    target.as_str(),
                    format!("the response was due on {due}; it is {late} working day(s) late"),
                    actor,
                    None,
                )
                .await?;
                if very {
                    events::record(
                        db,
                        r.id,
                        now,
                        "staff_alert",
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
    if matches!(state, S::Overdue | S::VeryOverdue) {
        if let Some(due) = d.response_due.filter(|due| *due >= today) {
            let next = waiting_state(&d);
            requests::set_state(db, r.id, next, now).await?;
            events::record(
                db,
                r.id,
                now,
                next.as_str(),
                format!("no longer overdue: the response is now due on {due}"),
                actor,
                None,
            )
            .await?;
            report.no_longer_overdue.push(r.reference.clone());
            state = next;
        }
    }

    // One polite reminder per period of lateness, in the same thread. The period is the
    // count the due date belongs to, so a due date that moves a day does not remind again.
    let period = d.response_period();
    let after = ctx.settings.chase.reminder_after_working_days;
    if after > 0 && matches!(state, S::Overdue | S::VeryOverdue) {
        if let Some(due) = d.response_due {
            let send_from = cal.add_working_days(regime, due, after)?;
            if today >= send_from
                && daemon_state::claim_chase(db, r.id, "reminder", &period, due, now).await?
            {
                let id = follow_up(
                    ctx,
                    db,
                    cal,
                    r,
                    "overdue-reminder",
                    "reminder",
                    true,
                    msg_state::QUEUED,
                    today,
                    now,
                )
                .await?;
                daemon_state::set_chase_message(db, r.id, "reminder", &period, id).await?;
                events::record(
                    db,
                    r.id,
                    now,
                    "reminder_queued",
                    format!("overdue reminder queued (response was due {due})"),
                    actor,
                    None,
                )
                .await?;
                report.reminders.push(r.reference.clone());
            }
        }
    }

    // Very overdue: the internal review, sent at once or drafted for staff.
    if state == S::VeryOverdue {
        if let Some(due) = d.response_due {
            if daemon_state::claim_chase(db, r.id, "internal_review", &period, due, now).await? {
                let auto = ctx.settings.escalation.auto_internal_review;
                let st = if auto {
                    msg_state::QUEUED
                } else {
                    msg_state::DRAFT
                };
                let id = follow_up(
                    ctx,
                    db,
                    cal,
                    r,
                    "internal-review",
                    "internal_review",
                    false,
                    st,
                    today,
                    now,
                )
                .await?;
                daemon_state::set_chase_message(db, r.id, "internal_review", &period, id).await?;
                if auto {
                    start_internal_review(db, cal, ctx, r, today, actor, now).await?;
                    events::record(
                        db,
                        r.id,
                        now,
                        "internal_review_queued",
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
                        "internal_review_drafted",
                        format!("internal review request drafted; check it and send it with `foi approve {}`", r.reference),
                        actor,
                        None,
                    )
                    .await?;
                }
                report.reviews.push(r.reference.clone());
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
        if daemon_state::claim_chase(db, r.id, "complaint", &period, key, now).await? {
            let id = follow_up(
                ctx,
                db,
                cal,
                r,
                "regulator-complaint",
                "complaint",
                false,
                msg_state::DRAFT,
                today,
                now,
            )
            .await?;
            daemon_state::set_chase_message(db, r.id, "complaint", &period, id).await?;
            let window = d
                .complaint_window_end
                .map(|w| format!("; the complaint window ends on {w}"))
                .unwrap_or_default();
            events::record(
                db,
                r.id,
                now,
                "complaint_drafted",
                format!(
                    "a complaint to the {} was drafted for staff to check and submit{window}",
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

/// The internal review starts when its letter is queued: the request's state and the clock say so.
pub async fn start_internal_review(
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    ctx_settings: &JobContext,
    r: &RequestModel,
    today: NaiveDate,
    actor: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    requests::set_state(db, r.id, S::InternalReview, now).await?;
    deadlines::add_clock_event(
        db,
        cal,
        &ctx_settings.settings.deadlines.clock(),
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

/// Renders a follow-up letter for `r` and puts it in the outbox, threaded under the request.
#[allow(clippy::too_many_arguments)]
pub async fn follow_up(
    ctx: &JobContext,
    db: &impl ConnectionTrait,
    cal: &WorkingCalendar,
    r: &RequestModel,
    template: &str,
    kind: &str,
    auto_submitted: bool,
    state: &'static str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<i32> {
    let authority = authorities::get(db, r.authority_id).await?;
    let twinning = match r.twinning_id {
        Some(id) => Some(twinnings::get(db, id).await?),
        None => None,
    };
    let d = deadlines::stored(r);
    let regime: Regime = r.regime.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let late = d
        .as_ref()
        .and_then(|d| d.response_due)
        .filter(|due| *due < today)
        .and_then(|due| cal.working_days_between(regime, due, today).ok());
    let request = LetterRequest {
        reference: r.reference.clone(),
        reply_to: r.reply_to.clone(),
        subject: r.subject.clone(),
        sent_on: r.sent_at.map(london_date),
        due: d.as_ref().and_then(|d| d.response_due),
        review_due: d.as_ref().and_then(|d| d.review_due),
        complaint_window_end: d.as_ref().and_then(|d| d.complaint_window_end),
        working_days_overdue: late,
    };
    let vars: BTreeMap<String, String> = serde_json::from_str(&r.vars).unwrap_or_default();
    let letter = ctx.letters.render(
        template,
        &LetterContext {
            authority: &authority,
            regime,
            twinning: twinning.as_ref(),
            request: &request,
            requester: &ctx.settings.requester,
            today,
            vars: &vars,
        }
        .to_json(),
    )?;
    // Thread under the original letter (and whatever followed it).
    let earlier: Vec<String> = messages::for_request(db, r.id)
        .await?
        .into_iter()
        .filter(|m| m.direction == "outbound")
        .filter_map(|m| m.message_id)
        .collect();
    let to = if kind == "complaint" {
        // Regulators take complaints through their own web forms: the draft is for staff.
        ctx.settings.requester.email.clone()
    } else {
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
                "readdressed",
                format!(
                    "letters now go to {current}, the council's current FOI address (the request went to {})",
                    r.to_address.as_deref().unwrap_or("no address")
                ),
                "daemon:sweep",
                None,
            )
            .await?;
        }
        current
    };
    let m = messages::enqueue(
        db,
        NewOutbound {
            request_id: Some(r.id),
            kind: kind.to_string(),
            from_addr: ctx.settings.mail.from_address.clone(),
            to_addr: to,
            reply_to: r.reply_to.clone(),
            subject: letter.subject,
            body: letter.body,
            message_id: new_message_id(&r.reference, &ctx.settings.mail.reply_domain, now),
            in_reply_to: earlier.first().cloned(),
            references: (!earlier.is_empty()).then(|| earlier.join(" ")),
            auto_submitted,
            html_body: None,
            state,
        },
        now,
    )
    .await?;
    Ok(m.id)
}
