//! The weekly staff digest: where every request stands, what happened this week, what is late
//! and what falls due soon. Sent once per ISO week, however many daemons run.

use super::jobs::JobContext;
use crate::calendar::Regime;
use crate::mail::new_message_id;
use crate::queue::london_date;
use crate::store::entities::{classification, event, message, request};
use crate::store::messages::{self, state as msg_state, NewOutbound};
use crate::store::{authorities, daemon_state, inbound};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::London;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

pub struct DigestContext {
    pub iso_week: String,
    pub context: Value,
}

fn week_start(today: NaiveDate) -> NaiveDate {
    today - Duration::days(today.weekday().num_days_from_monday() as i64)
}

/// Gathers the digest's contents for the week containing `now` (Europe/London).
pub async fn build_digest(
    ctx: &JobContext,
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> anyhow::Result<DigestContext> {
    let cal = crate::deadlines::working_calendar(db).await?;
    let today = london_date(now);
    let start = week_start(today);
    let start_utc = London
        .from_local_datetime(&start.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now - Duration::days(7));
    let iso = today.iso_week();
    let iso_week = format!("{}-W{:02}", iso.year(), iso.week());

    let all = request::Entity::find()
        .order_by_asc(request::Column::Id)
        .all(db)
        .await?;
    let mut names: HashMap<i32, String> = HashMap::new();
    for a in authorities::list(db, None).await? {
        names.insert(a.id, a.name);
    }
    let by_id: HashMap<i32, &request::Model> = all.iter().map(|r| (r.id, r)).collect();
    let authority = |r: &request::Model| names.get(&r.authority_id).cloned().unwrap_or_default();
    let iso_date = |d: NaiveDate| d.format("%Y-%m-%d").to_string();

    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in &all {
        *counts.entry(r.state.clone()).or_default() += 1;
    }
    let counts: Vec<Value> = counts
        .into_iter()
        .map(|(state, count)| json!({"state": state, "count": count}))
        .collect();

    let week_events = event::Entity::find()
        .filter(event::Column::At.gte(start_utc))
        .filter(event::Column::At.lte(now))
        .order_by_asc(event::Column::At)
        .all(db)
        .await?;
    let mut sent = Vec::new();
    for e in week_events.iter().filter(|e| e.kind == "sent") {
        if let Some(r) = by_id.get(&e.request_id) {
            sent.push(
                json!({"reference": r.reference, "authority": authority(r), "subject": e.detail,
                "date": iso_date(london_date(e.at))}),
            );
        }
    }
    let inbound_week = message::Entity::find()
        .filter(message::Column::Direction.eq("inbound"))
        .filter(message::Column::ReceivedAt.gte(start_utc))
        .filter(message::Column::RequestId.is_not_null())
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?;
    // A reply filed under several requests is listed under each.
    let mut answered: Vec<Value> = Vec::new();
    for m in &inbound_week {
        for id in inbound::request_ids(db, m).await? {
            if let Some(r) = by_id.get(&id) {
                answered.push(json!({"reference": r.reference, "authority": authority(r),
                    "date": iso_date(london_date(m.received_at.unwrap_or(now))), "kind": m.kind}));
            }
        }
    }
    let classified: Vec<Value> = classification::Entity::find()
        .filter(classification::Column::At.gte(start_utc))
        .all(db)
        .await?
        .iter()
        .filter_map(|c| {
            let r = by_id.get(&c.request_id)?;
            Some(json!({"reference": r.reference, "authority": authority(r), "outcome": c.outcome}))
        })
        .collect();

    let horizon = |regime: Regime| cal.add_working_days(regime, today, 10).ok();
    let mut overdue = Vec::new();
    let mut upcoming = Vec::new();
    for r in &all {
        let Some(due) = r.response_due else { continue };
        let Ok(regime) = r.regime.parse::<Regime>() else {
            continue;
        };
        if matches!(r.state.as_str(), "overdue" | "very_overdue") {
            let late = cal.working_days_between(regime, due, today).unwrap_or(0);
            overdue.push(
                json!({"reference": r.reference, "authority": authority(r), "due": iso_date(due),
                "working_days_overdue": late, "state": r.state}),
            );
        } else if matches!(r.state.as_str(), "sent" | "acknowledged" | "extended")
            && due >= today
            && horizon(regime).is_some_and(|h| due <= h)
        {
            let left = cal.working_days_between(regime, today, due).unwrap_or(0);
            upcoming.push(
                json!({"reference": r.reference, "authority": authority(r), "due": iso_date(due),
                "working_days_left": left}),
            );
        }
    }
    let awaiting: Vec<Value> = all
        .iter()
        .filter(|r| r.state == "response_received")
        .map(|r| json!({"reference": r.reference, "authority": authority(r), "received": iso_date(london_date(r.updated_at))}))
        .collect();
    let mut problems = Vec::new();
    for m in message::Entity::find()
        .filter(message::Column::Direction.eq("outbound"))
        .filter(message::Column::State.is_in([msg_state::FAILED, msg_state::UNCERTAIN]))
        .all(db)
        .await?
    {
        let r = m.request_id.and_then(|id| by_id.get(&id));
        problems.push(json!({
            "reference": r.map(|r| r.reference.clone()).unwrap_or_default(),
            "authority": r.map(|r| authority(r)).unwrap_or_default(),
            "state": m.state,
            "detail": m.last_error.unwrap_or_default(),
        }));
    }
    let unmatched: Vec<Value> = inbound::unmatched(db)
        .await?
        .iter()
        .map(|m| {
            json!({"id": m.id, "from": m.from_addr, "subject": m.subject,
            "date": m.received_at.map(|d| iso_date(london_date(d))).unwrap_or_default()})
        })
        .collect();
    let requester = &ctx.settings.requester;
    let context = json!({
        "week": {"iso": iso_week, "start": iso_date(start), "end": iso_date(start + Duration::days(6))},
        "generated_at": now.with_timezone(&London).format("%Y-%m-%d %H:%M").to_string(),
        "counts": counts, "sent": sent, "answered": answered, "classified": classified,
        "overdue": overdue, "upcoming": upcoming, "awaiting_classification": awaiting,
        "delivery_problems": problems, "unmatched": unmatched,
        "requester": {"name": requester.name, "organisation": Some(requester.organisation.clone()).filter(|s| !s.is_empty()),
            "email": requester.email, "postal_address": requester.postal_address},
    });
    Ok(DigestContext { iso_week, context })
}

/// Queues this week's digest to the configured recipients, once per ISO week.
pub async fn send_digest(ctx: &JobContext, now: DateTime<Utc>) -> anyhow::Result<String> {
    if ctx.settings.digest.recipients.is_empty() {
        return Ok("no digest recipients configured".into());
    }
    let txn = ctx.db.begin().await?;
    if !daemon_state::try_job_lock(&txn, "digest").await? {
        return Ok("another daemon is sending the digest; skipped".into());
    }
    let digest = build_digest(ctx, &txn, now).await?;
    if !daemon_state::claim_digest(&txn, &digest.iso_week, now).await? {
        return Ok(format!(
            "the digest for {} was already sent",
            digest.iso_week
        ));
    }
    let text = ctx.letters.render("weekly-digest", &digest.context)?;
    let html = ctx
        .letters
        .render("weekly-digest.html", &digest.context)
        .ok()
        .map(|h| h.body);
    for to in &ctx.settings.digest.recipients {
        messages::enqueue(
            &txn,
            NewOutbound {
                request_id: None,
                kind: "digest".into(),
                from_addr: ctx.settings.mail.from_address.clone(),
                to_addr: to.clone(),
                reply_to: ctx.settings.mail.from_address.clone(),
                subject: text.subject.clone(),
                body: text.body.clone(),
                message_id: new_message_id(
                    &format!("digest-{}", digest.iso_week.to_lowercase()),
                    &ctx.settings.mail.reply_domain,
                    now,
                ),
                in_reply_to: None,
                references: None,
                auto_submitted: true,
                html_body: html.clone(),
                state: msg_state::QUEUED,
            },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(format!(
        "digest {} queued for {} recipient(s)",
        digest.iso_week,
        ctx.settings.digest.recipients.len()
    ))
}
