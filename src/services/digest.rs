//! The weekly staff digest: where every request stands, what happened this week, what is late
//! and what falls due soon, and the staff tasks open (letters to paste into a council's web
//! form or post). Sent once per ISO week, however many daemons run.

use super::ServiceResult;
use crate::app::AppContext;
use crate::calendar::{london_date, ClockEventKind, Regime};
use crate::domain::{MessageKind, MessageState, RequestState};
use crate::mail::new_message_id;
use crate::store::messages::{self, NewOutbound};
use crate::store::requests::DueFacts;
use crate::store::{authorities, classifications, digests, events, inbound, locks, requests};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::London;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// The templates the digest is written with; checked when the daemon starts.
pub const TEMPLATES: &[&str] = &["weekly-digest", "weekly-digest.html"];

pub struct DigestContext {
    pub iso_week: String,
    pub context: Value,
}

fn week_start(today: NaiveDate) -> NaiveDate {
    today - Duration::days(today.weekday().num_days_from_monday() as i64)
}

/// Gathers the digest's contents for the week containing `now` (Europe/London).
pub async fn build(
    app: &AppContext,
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> ServiceResult<DigestContext> {
    let cal = app.calendar().await?;
    let today = london_date(now);
    let start = week_start(today);
    let start_utc = London
        .from_local_datetime(&start.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now - Duration::days(7));
    let iso = today.iso_week();
    let iso_week = format!("{}-W{:02}", iso.year(), iso.week());

    // What this week brought, read first, so that only the requests the digest names are read
    // (without their letters), not the whole table.
    let sent_events =
        events::of_kind_between(db, RequestState::Sent.into(), start_utc, now).await?;
    let inbound_week = inbound::filed_since(db, start_utc).await?;
    let mut filed_under: Vec<(usize, Vec<i32>)> = Vec::new();
    for (i, m) in inbound_week.iter().enumerate() {
        filed_under.push((i, inbound::request_ids(db, m).await?));
    }
    let classified_week = classifications::since(db, start_utc).await?;
    let problem_messages =
        messages::letter_lines(db, &[MessageState::Failed, MessageState::Uncertain], None).await?;
    let drafts = messages::letter_lines(db, &[MessageState::Draft], None).await?;
    let mut named: Vec<i32> = sent_events.iter().map(|e| e.request_id).collect();
    named.extend(filed_under.iter().flat_map(|(_, ids)| ids.iter().copied()));
    named.extend(classified_week.iter().map(|c| c.request_id));
    named.extend(problem_messages.iter().filter_map(|m| m.request_id));
    named.extend(drafts.iter().filter_map(|m| m.request_id));
    let all = requests::digest_rows(db, &LISTED, &named).await?;
    let mut names: HashMap<i32, String> = HashMap::new();
    for a in authorities::list(db, None).await? {
        names.insert(a.id, a.name);
    }
    let by_id: HashMap<i32, &DueFacts> = all.iter().map(|r| (r.id, r)).collect();
    let authority = |r: &DueFacts| names.get(&r.authority_id).cloned().unwrap_or_default();
    let iso_date = |d: NaiveDate| d.format("%Y-%m-%d").to_string();

    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (state, n) in requests::count_by_state(db).await? {
        *counts.entry(state.to_string()).or_default() += n as usize;
    }
    let counts: Vec<Value> = counts
        .into_iter()
        .map(|(state, count)| json!({"state": state, "count": count}))
        .collect();

    let mut sent = Vec::new();
    // Recording a send by hand logs the send and the clock's start as two `sent` events; a
    // request is listed once, with the first.
    let mut listed = std::collections::HashSet::new();
    for e in sent_events {
        if !listed.insert(e.request_id) {
            continue;
        }
        if let Some(r) = by_id.get(&e.request_id) {
            sent.push(
                json!({"reference": r.reference, "authority": authority(r), "subject": e.detail,
                "date": iso_date(london_date(e.at))}),
            );
        }
    }
    // A reply filed under several requests is listed under each.
    let mut answered: Vec<Value> = Vec::new();
    for (i, ids) in &filed_under {
        let m = &inbound_week[*i];
        for id in ids {
            if let Some(r) = by_id.get(id) {
                answered.push(json!({"reference": r.reference, "authority": authority(r),
                    "date": iso_date(london_date(m.received_at.unwrap_or(now))), "kind": m.kind}));
            }
        }
    }
    let classified: Vec<Value> = classified_week
        .iter()
        .filter_map(|c| {
            let r = by_id.get(&c.request_id)?;
            Some(json!({"reference": r.reference, "authority": authority(r), "outcome": c.outcome}))
        })
        .collect();

    // The same lists as `foi status` (one rule for what is late and what is due soon); the
    // digest lists the councils' answers coming due.
    let (overdue, upcoming) = super::status::deadline_lists(&all, &names, &cal, today)?;
    let id_of: HashMap<&str, i32> = all.iter().map(|r| (r.reference.as_str(), r.id)).collect();
    let overdue: Vec<(i32, Value)> = overdue
        .into_iter()
        .filter_map(|o| {
            let id = *id_of.get(o.reference.as_str())?;
            Some((
                id,
                json!({"reference": o.reference, "authority": o.authority, "due": iso_date(o.due),
                "working_days_overdue": o.working_days_overdue, "state": o.state}),
            ))
        })
        .collect();
    let upcoming: Vec<Value> = upcoming
        .into_iter()
        .filter(|u| u.what == crate::report::deadlines::DeadlineKind::ResponseDue)
        .map(|u| {
            json!({"reference": u.reference, "authority": u.authority, "due": iso_date(u.due),
            "working_days_left": u.working_days_left})
        })
        .collect();
    let awaiting: Vec<Value> = all
        .iter()
        .filter(|r| r.state == RequestState::ResponseReceived)
        .map(|r| json!({"reference": r.reference, "authority": authority(r), "received": iso_date(london_date(r.updated_at))}))
        .collect();
    let mut problems = Vec::new();
    for m in problem_messages {
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
    let overdue = summarise(overdue, &all, &names, &campaign_names(db).await?);
    let waiting = waiting_on_staff(app, db, &all, drafts, &authority, today).await?;
    // A chase is short enough to paste from the digest itself; a request letter is long, so
    // the digest says where it is.
    // Each listed chase is written again as of today; past `TASKS_LISTED`, the digest says
    // how many more there are and where they are (writing thousands would take seconds
    // and make a digest nobody reads to the end).
    let mut open_tasks = super::tasks::open_heads(db).await?;
    let tasks_total = open_tasks.len();
    open_tasks.truncate(TASKS_LISTED);
    super::tasks::with_letters(app, db, now, &mut open_tasks).await?;
    let tasks: Vec<Value> = open_tasks
        .into_iter()
        .map(|t| {
            let paste = t.kind.is_chase();
            json!({"id": t.id, "reference": t.reference, "authority": t.authority_name,
                "kind": t.kind, "channel": t.channel, "what": t.what, "subject": t.subject,
                "text": paste.then_some(t.text),
                "find": (!paste).then(|| format!("`foi requests show {}` or `foi tasks list`", t.reference)),
                "portal_reference": t.portal_reference, "website": t.website,
                "created": iso_date(london_date(t.created_at))})
        })
        .collect();
    let weeks = app.settings.findings.renewal_warning_weeks;
    let renewals: Vec<Value> = super::findings::renewals_due(db, today, weeks)
        .await?
        .into_iter()
        .map(|r| {
            json!({"link": r.link, "authority": r.authority, "partner_city": r.partner_city,
            "renews_on": iso_date(r.renews_on), "weeks_left": r.weeks_left, "source": r.source})
        })
        .collect();
    let mentions: Vec<Value> = super::findings::first_mentions(db, start_utc, now)
        .await?
        .into_iter()
        .map(|m| {
            json!({"term": m.term, "authority": m.authority, "reference": m.reference,
            "document": m.document, "name": m.name, "page": m.page,
            "received": m.received.map(iso_date)})
        })
        .collect();
    let suggestions_waiting =
        crate::store::findings::in_state(db, crate::domain::FindingState::Suggested)
            .await?
            .len();
    let requester = &app.settings.requester;
    let context = json!({
        "week": {"iso": iso_week, "start": iso_date(start), "end": iso_date(start + Duration::days(6))},
        "generated_at": now.with_timezone(&London).format("%Y-%m-%d %H:%M").to_string(),
        "counts": counts, "sent": sent, "answered": answered, "classified": classified,
        "overdue": overdue.shown, "overdue_total": overdue.total, "overdue_more": overdue.more,
        "overdue_by_authority": overdue.by_authority, "overdue_by_campaign": overdue.by_campaign,
        "overdue_authorities": overdue.authorities,
        "upcoming": upcoming, "awaiting_classification": awaiting,
        "delivery_problems": problems, "unmatched": unmatched, "tasks": tasks,
        "drafts": waiting.drafts, "late_reviews": waiting.late_reviews,
        "drafts_more": waiting.drafts_total.saturating_sub(DRAFTS_LISTED),
        "tasks_more": tasks_total.saturating_sub(TASKS_LISTED),
        "review_replies": waiting.review_replies, "complaint_windows": waiting.complaint_windows,
        "stopped_clocks": waiting.stopped_clocks,
        "renewals": renewals, "renewal_weeks": weeks, "first_mentions": mentions,
        "suggestions_waiting": suggestions_waiting,
        // Set by `send` when the chart could be drawn: the HTML shows it by Content-ID.
        "chart": Value::Null,
        "requester": {"name": requester.name, "organisation": Some(requester.organisation.clone()).filter(|s| !s.is_empty()),
            "email": requester.email, "postal_address": requester.postal_address},
    });
    Ok(DigestContext { iso_week, context })
}

/// The parts of the digest about a request's later life: what waits for staff, and which
/// windows close soon.
#[derive(Default)]
struct Waiting {
    drafts: Vec<Value>,
    drafts_total: usize,
    late_reviews: Vec<Value>,
    review_replies: Vec<Value>,
    complaint_windows: Vec<Value>,
    stopped_clocks: Vec<Value>,
}

/// How far ahead the digest warns that the window to complain to the regulator closes.
const COMPLAINT_WARNING_DAYS: i64 = 28;

async fn waiting_on_staff(
    app: &AppContext,
    db: &impl ConnectionTrait,
    all: &[DueFacts],
    drafts: Vec<crate::store::messages::LetterLine>,
    authority: &(dyn Fn(&DueFacts) -> String + Sync),
    today: NaiveDate,
) -> ServiceResult<Waiting> {
    use RequestState as S;
    let cal = app.calendar().await?;
    let iso_date = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let clock = app.clock_settings();
    let mut w = Waiting::default();
    let by_id: HashMap<i32, &DueFacts> = all.iter().map(|r| (r.id, r)).collect();
    // Only these states give the digest anything to say here (a late review, a reply to a
    // review, a closing complaint window, a stopped clock); their clocks and replies are read
    // in a few queries, not one per request.
    let interesting = |s: RequestState| {
        matches!(
            s,
            S::InternalReview | S::ReviewUpheld | S::ClarificationRequested | S::FeesNotice
        )
    };
    let ids: Vec<i32> = all
        .iter()
        .filter(|r| interesting(r.state))
        .map(|r| r.id)
        .collect();
    let mut clocks = crate::store::clock_events::for_requests(db, &ids).await?;
    let review_ids: Vec<i32> = all
        .iter()
        .filter(|r| r.state == S::InternalReview)
        .map(|r| r.id)
        .collect();
    let replies = inbound::response_times(db, &review_ids).await?;
    for m in drafts {
        let Some(r) = m.request_id.and_then(|id| by_id.get(&id)) else {
            continue;
        };
        w.drafts_total += 1;
        if w.drafts.len() >= DRAFTS_LISTED {
            continue;
        }
        w.drafts.push(json!({
            "id": m.id, "reference": r.reference, "authority": authority(r), "kind": m.kind,
            "subject": m.subject, "created": iso_date(london_date(m.created_at)),
        }));
    }
    for r in all {
        if !interesting(r.state) {
            continue;
        }
        let Ok(regime) = r.regime.parse::<Regime>() else {
            continue;
        };
        let events = clocks.remove(&r.id).unwrap_or_default();
        if events.is_empty() {
            continue;
        }
        let d = crate::calendar::compute(&cal, regime, &events, &clock).map_err(|source| {
            super::ServiceError::Clock {
                reference: r.reference.clone(),
                source,
            }
        })?;
        let base = || json!({"reference": r.reference, "authority": authority(r)});
        let with = |mut v: Value, extra: Value| {
            if let (Some(v), Value::Object(extra)) = (v.as_object_mut(), extra) {
                v.extend(extra);
            }
            v
        };
        if r.state == S::InternalReview {
            if let Some(due) = d.review_due.filter(|due| *due < today) {
                w.late_reviews.push(with(
                    base(),
                    json!({
                        "requested": d.review_requested.map(iso_date),
                        "due": iso_date(due),
                        "due_max": d.review_due_max.map(iso_date),
                        "working_days_late": cal.working_days_between(regime, due, today).unwrap_or(0),
                        "regulator": regime.regulator(),
                    }),
                ));
            }
            // A council's reply filed after the review was asked for is most likely its
            // outcome, which only staff can record (`foi review-outcome`).
            if let Some(asked) = d.review_requested {
                let reply = replies
                    .get(&r.id)
                    .into_iter()
                    .flatten()
                    .map(|at| london_date(*at))
                    .filter(|day| *day >= asked)
                    .max();
                if let Some(day) = reply {
                    w.review_replies
                        .push(with(base(), json!({"received": iso_date(day)})));
                }
            }
        }
        if let Some(end) = d.complaint_window_end {
            let closes_soon = end >= today && end <= today + Duration::days(COMPLAINT_WARNING_DAYS);
            if closes_soon && matches!(r.state, S::InternalReview | S::ReviewUpheld) {
                w.complaint_windows.push(with(
                    base(),
                    json!({"ends": iso_date(end), "days_left": (end - today).num_days(),
                        "regulator": regime.regulator(), "state": r.state}),
                ));
            }
        }
        if matches!(r.state, S::ClarificationRequested | S::FeesNotice) {
            let wanted = if r.state == S::FeesNotice {
                ClockEventKind::FeesNoticeGiven
            } else {
                ClockEventKind::ClarificationRequested
            };
            let since = events
                .iter()
                .filter(|e| e.kind == wanted)
                .map(|e| e.date)
                .max()
                .or(d.awaiting_clarification);
            let why = if r.state == S::FeesNotice {
                "an unpaid fees notice"
            } else {
                "a request for clarification"
            };
            w.stopped_clocks.push(with(
                base(),
                json!({
                    "why": why,
                    "since": since.map(iso_date),
                    "days_stopped": since.map(|s| (today - s).num_days()),
                    "fee_lapses_on": d.fee_lapses_on.map(iso_date),
                }),
            ));
        }
    }
    Ok(w)
}

/// The requests the digest lists by state: late, due soon, waiting to be classified, and
/// those whose later life it follows (see `waiting_on_staff`).
const LISTED: [RequestState; 10] = [
    RequestState::Sent,
    RequestState::Acknowledged,
    RequestState::Extended,
    RequestState::Overdue,
    RequestState::VeryOverdue,
    RequestState::ResponseReceived,
    RequestState::InternalReview,
    RequestState::ReviewUpheld,
    RequestState::ClarificationRequested,
    RequestState::FeesNotice,
];

/// Past this many overdue requests the digest lists the most overdue and counts the rest
/// by council and campaign: ten thousand lines is not a digest anyone reads.
pub const OVERDUE_LISTED: usize = 50;

/// Staff tasks listed, each with its letter, at most.
pub const TASKS_LISTED: usize = 20;

/// Drafts listed at most.
pub const DRAFTS_LISTED: usize = 50;
/// The councils counted by name in a summarised digest (those with the most overdue).
const COUNCILS_LISTED: usize = 20;

/// The overdue part of the digest: every request while there are few, else the most
/// overdue with counts.
struct Summary {
    shown: Vec<Value>,
    total: usize,
    /// How many are not listed (0 when all are).
    more: usize,
    /// Counts per council (the most-late councils, at most `COUNCILS_LISTED`) and per
    /// campaign, most first (empty when all requests are listed).
    by_authority: Vec<Value>,
    /// How many councils have overdue requests (when summarised).
    authorities: usize,
    by_campaign: Vec<Value>,
}

async fn campaign_names(db: &impl ConnectionTrait) -> ServiceResult<HashMap<i32, String>> {
    Ok(crate::store::campaigns::all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

fn summarise(
    mut overdue: Vec<(i32, Value)>,
    all: &[DueFacts],
    authorities: &HashMap<i32, String>,
    campaigns: &HashMap<i32, String>,
) -> Summary {
    let total = overdue.len();
    if total <= OVERDUE_LISTED {
        return Summary {
            shown: overdue.into_iter().map(|(_, v)| v).collect(),
            total,
            more: 0,
            authorities: 0,
            by_authority: Vec::new(),
            by_campaign: Vec::new(),
        };
    }
    let by_id: HashMap<i32, &DueFacts> = all.iter().map(|r| (r.id, r)).collect();
    let count = |key: &dyn Fn(&DueFacts) -> String| -> Vec<Value> {
        let mut n: HashMap<String, usize> = HashMap::new();
        for (id, _) in &overdue {
            if let Some(r) = by_id.get(id) {
                *n.entry(key(r)).or_default() += 1;
            }
        }
        let mut v: Vec<(String, usize)> = n.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.into_iter()
            .map(|(name, count)| json!({"name": name, "count": count}))
            .collect()
    };
    let mut by_authority = count(&|r| {
        authorities
            .get(&r.authority_id)
            .cloned()
            .unwrap_or_default()
    });
    let councils = by_authority.len();
    by_authority.truncate(COUNCILS_LISTED);
    let by_campaign = count(&|r| {
        r.campaign_id
            .and_then(|c| campaigns.get(&c).cloned())
            .unwrap_or_else(|| "(no campaign)".into())
    });
    // Kept in the order of the list (`deadlines::overdue_order`), as the status shows it.
    overdue.truncate(OVERDUE_LISTED);
    Summary {
        shown: overdue.into_iter().map(|(_, v)| v).collect(),
        total,
        more: total - OVERDUE_LISTED,
        authorities: councils,
        by_authority,
        by_campaign,
    }
}

/// What the digest job did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "digest", rename_all = "snake_case")]
pub enum DigestOutcome {
    NoRecipients,
    /// Another daemon holds the digest lock.
    Locked,
    AlreadySent {
        week: String,
    },
    Queued {
        week: String,
        recipients: usize,
    },
}

impl std::fmt::Display for DigestOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DigestOutcome::NoRecipients => f.write_str("no digest recipients configured"),
            DigestOutcome::Locked => f.write_str("another daemon is sending the digest; skipped"),
            DigestOutcome::AlreadySent { week } => {
                write!(f, "the digest for {week} was already sent")
            }
            DigestOutcome::Queued { week, recipients } => {
                write!(f, "digest {week} queued for {recipients} recipient(s)")
            }
        }
    }
}

/// The digest as staff would get it, in plain text or HTML (`foi digest --preview`).
pub async fn preview(
    app: &AppContext,
    now: DateTime<Utc>,
    html: bool,
) -> ServiceResult<crate::letters::Rendered> {
    let d = build(app, &app.db, now).await?;
    let name = if html { TEMPLATES[1] } else { TEMPLATES[0] };
    Ok(app.letters.render(name, &d.context)?)
}

/// Queues this week's digest to the configured recipients, once per ISO week.
#[tracing::instrument(skip_all)]
pub async fn send(app: &AppContext, now: DateTime<Utc>) -> ServiceResult<DigestOutcome> {
    if app.settings.digest.recipients.is_empty() {
        return Ok(DigestOutcome::NoRecipients);
    }
    // Drawn before the transaction: the figures read through the pool, and SQLite's pool has
    // one connection, which the transaction holds.
    let chart = digest_chart(app, now).await;
    let txn = app.db.begin().await?;
    if !locks::try_job_lock(&txn, "digest").await? {
        return Ok(DigestOutcome::Locked);
    }
    let mut digest = build(app, &txn, now).await?;
    if let Some(c) = &chart {
        digest.context["chart"] = json!({"cid": c.content_id, "title": CHART.title()});
    }
    if !digests::claim(&txn, &digest.iso_week, now).await? {
        return Ok(DigestOutcome::AlreadySent {
            week: digest.iso_week,
        });
    }
    let text = app.letters.render(TEMPLATES[0], &digest.context)?;
    let html = app.letters.render(TEMPLATES[1], &digest.context)?.body;
    for to in &app.settings.digest.recipients {
        messages::enqueue(
            &txn,
            NewOutbound::new(
                MessageKind::Digest,
                &app.settings.mail.from_address,
                to,
                &app.settings.mail.from_address,
                text.subject.clone(),
                text.body.clone(),
                new_message_id(
                    &format!("digest-{}", digest.iso_week.to_lowercase()),
                    &app.settings.mail.reply_domain,
                    now,
                ),
            )
            .auto_submitted(true)
            .html(html.clone())
            .inline(chart.iter().cloned().collect()),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(DigestOutcome::Queued {
        week: digest.iso_week,
        recipients: app.settings.digest.recipients.len(),
    })
}

/// The chart the digest's HTML shows.
const CHART: crate::report::charts::Chart = crate::report::charts::Chart::ResponsesOverTime;

/// Draws the digest's chart as PNG and keeps it under the data folder; None (logged) when it
/// cannot be drawn or kept: the digest goes out without it.
async fn digest_chart(app: &AppContext, now: DateTime<Utc>) -> Option<crate::mail::InlineRef> {
    let drawn = async {
        let report = super::stats::stats(app, now, None, &super::progress::Silent).await?;
        let png = super::stats::chart_png(app, CHART, &report.charts)?;
        let sha = crate::files::sha256_hex(&png);
        crate::files::store(&app.settings.paths.data_dir, "inline", &sha, "", &png).map_err(
            |e| super::ServiceError::Disk {
                dir: app.settings.paths.data_dir.display().to_string(),
                message: e.to_string(),
            },
        )?;
        Ok::<_, super::ServiceError>(crate::mail::InlineRef {
            content_id: format!(
                "{}.{}@{}",
                CHART.name(),
                &sha[..12],
                app.settings.mail.reply_domain
            ),
            content_type: "image/png".into(),
            filename: format!("{}.png", CHART.name()),
            sha256: sha,
        })
    };
    match drawn.await {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::warn!("the digest goes without its chart: {e}");
            None
        }
    }
}
