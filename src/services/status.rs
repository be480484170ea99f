//! `foi status`: where the campaign stands at a glance: requests by state (overall and per
//! campaign), the late ones with how late, the deadlines of the next two weeks, and what
//! waits for staff. The dashboard shows the same `Status`.

use super::ServiceResult;
use crate::app::AppContext;
use crate::calendar::{london_date, Regime};
use crate::domain::{MessageKind, MessageState, RequestState};
use crate::report::deadlines::{self, DueRow, OverdueLine, UpcomingLine};
use crate::store::requests::{self, DueFacts, RequestModel};
use crate::store::{authorities, inbound, messages, reports};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Serialize)]
pub struct StateCount {
    pub state: RequestState,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignCounts {
    /// None: requests made outside any campaign.
    pub campaign: Option<String>,
    pub total: i64,
    pub counts: Vec<StateCount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestLine {
    pub reference: String,
    pub authority: String,
    pub since: NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
pub struct DraftLine {
    pub id: i32,
    pub reference: String,
    pub authority: String,
    pub kind: MessageKind,
    pub subject: String,
    pub created: NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnmatchedLine {
    pub id: i32,
    pub from: String,
    pub subject: String,
    pub received: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProblemLine {
    pub id: i32,
    pub reference: Option<String>,
    pub authority: Option<String>,
    pub state: MessageState,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskLine {
    pub id: i32,
    pub reference: String,
    pub authority: String,
    pub what: String,
    pub created: NaiveDate,
}

/// What waits for staff.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Waiting {
    /// Replies filed under a request whose outcome nobody has recorded (`foi classify`).
    pub replies_to_classify: Vec<RequestLine>,
    /// Letters drafted for staff to read and approve (`foi approve`).
    pub drafts: Vec<DraftLine>,
    /// Mail that matched no request (`foi inbox assign`).
    pub unmatched_mail: Vec<UnmatchedLine>,
    /// Outgoing mail that failed or may not have gone (`foi outbox retry`).
    pub delivery_problems: Vec<ProblemLine>,
    /// Letters to submit or post by hand, chases to make (`foi tasks list`).
    pub open_tasks: Vec<TaskLine>,
    /// Letters the file transport wrote and nobody has sent yet: no clock runs for them
    /// until SMTP sends them or staff record them sent (`foi requests sent`).
    pub written_not_sent: Vec<DraftLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub today: NaiveDate,
    pub campaign: Option<String>,
    pub total: i64,
    pub counts: Vec<StateCount>,
    pub by_campaign: Vec<CampaignCounts>,
    /// The late requests, longest past their due date first (with [`Lines::First`], only
    /// the first of them: `totals` says how many there are).
    pub overdue: Vec<OverdueLine>,
    /// Open deadlines from today to ten working days ahead, soonest first.
    pub upcoming: Vec<UpcomingLine>,
    pub waiting: Waiting,
    pub totals: Totals,
}

/// How many lines the lists that [`Lines::First`] shortens have in all.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub overdue: usize,
    pub drafts: usize,
    pub written_not_sent: usize,
    pub open_tasks: usize,
}

/// How much of the longest lists a status reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// Every line (`foi status --json`, `/api/status`).
    All,
    /// The first n of the late requests and of the letters waiting, and how many there are
    /// (the table of `foi status`, the dashboard's overview): at 100k requests the late
    /// ones alone run to 15,000, and reading them all cost more than the rest of the
    /// status together.
    First(usize),
}

/// Lines of each list the status shows people at most (the table of `foi status`, the
/// dashboard's overview): at scale the late requests alone run to thousands, and a status is
/// read at a glance. `--json` and `/api/status` keep every one.
pub const SHOWN: usize = 50;

/// The late requests and the deadlines coming up among `rows` (one rule for the status,
/// the digest and the calendar feed).
pub fn deadline_lists(
    rows: &[DueFacts],
    names: &HashMap<i32, String>,
    cal: &crate::calendar::WorkingCalendar,
    today: NaiveDate,
) -> ServiceResult<(Vec<OverdueLine>, Vec<UpcomingLine>)> {
    let mut overdue = Vec::new();
    let mut upcoming = Vec::new();
    for r in rows {
        let Ok(regime) = r.regime.parse::<Regime>() else {
            continue;
        };
        let d = r.deadlines()?;
        let row = DueRow {
            reference: &r.reference,
            authority: names.get(&r.authority_id).map(String::as_str).unwrap_or(""),
            regime,
            state: r.state,
            response_due: r.response_due,
            review_due: d.and_then(|d| d.review_due),
            complaint_window_end: d.and_then(|d| d.complaint_window_end),
        };
        overdue.extend(deadlines::overdue(&row, cal, today));
        upcoming.extend(deadlines::upcoming(&row, cal, today));
    }
    overdue.sort_by(deadlines::overdue_order);
    upcoming.sort_by(|a, b| a.due.cmp(&b.due).then(a.reference.cmp(&b.reference)));
    Ok((overdue, upcoming))
}

/// The states whose requests can be late or have a deadline coming.
const WITH_DEADLINES: [RequestState; 7] = [
    RequestState::Sent,
    RequestState::Acknowledged,
    RequestState::Extended,
    RequestState::Overdue,
    RequestState::VeryOverdue,
    RequestState::InternalReview,
    RequestState::ReviewUpheld,
];

pub async fn authority_names(db: &impl ConnectionTrait) -> ServiceResult<HashMap<i32, String>> {
    Ok(authorities::list(db, None)
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect())
}

/// `foi status [--campaign C]`.
pub async fn status(
    app: &AppContext,
    now: DateTime<Utc>,
    campaign: Option<&str>,
    lines: Lines,
) -> ServiceResult<Status> {
    let db = &app.db;
    let today = london_date(now);
    let campaign_id = reports::campaign_id(db, campaign).await?;
    let mut per: BTreeMap<Option<String>, Vec<StateCount>> = BTreeMap::new();
    let mut overall: BTreeMap<&'static str, (RequestState, i64)> = BTreeMap::new();
    for (c, state, n) in reports::state_counts(db, campaign_id).await? {
        per.entry(c)
            .or_default()
            .push(StateCount { state, count: n });
        overall.entry(state.as_str()).or_insert((state, 0)).1 += n;
    }
    let by_campaign: Vec<CampaignCounts> = per
        .into_iter()
        .map(|(campaign, mut counts)| {
            counts.sort_by_key(|c| c.state.as_str());
            CampaignCounts {
                campaign,
                total: counts.iter().map(|c| c.count).sum(),
                counts,
            }
        })
        .collect();
    let counts: Vec<StateCount> = overall
        .into_values()
        .map(|(state, count)| StateCount { state, count })
        .collect();

    let in_scope = |r: &RequestModel| campaign_id.is_none() || r.campaign_id == campaign_id;
    let names = authority_names(db).await?;
    let cal = app.calendar().await?;
    let mut totals = Totals::default();
    let (overdue, upcoming) = match lines {
        Lines::All => {
            let rows = requests::due_rows(db, &WITH_DEADLINES, campaign_id).await?;
            let lists = deadline_lists(&rows, &names, &cal, today)?;
            totals.overdue = lists.0.len();
            lists
        }
        Lines::First(n) => {
            // The first late requests by the database's own order (the list's), then the
            // requests whose deadlines can fall soon: those whose response is due in the
            // coming fortnight, and those with a review or complaint date, which only the
            // stored deadlines hold.
            let (mut rows, total) =
                requests::late_first(db, &deadlines::LATE, campaign_id, n as u64).await?;
            totals.overdue = usize::try_from(total).unwrap_or(usize::MAX);
            if let Some(horizon) = deadlines::soon_horizon(&cal, today) {
                rows.extend(
                    requests::due_between(
                        db,
                        &deadlines::ANSWER_AWAITED,
                        campaign_id,
                        today,
                        horizon,
                    )
                    .await?,
                );
            }
            rows.extend(requests::due_rows(db, &requests::DEADLINES_READ_IN, campaign_id).await?);
            deadline_lists(&rows, &names, &cal, today)?
        }
    };

    let name_of = |r: &DueFacts| names.get(&r.authority_id).cloned().unwrap_or_default();
    let mut waiting = Waiting::default();
    for r in requests::due_rows(db, &[RequestState::ResponseReceived], campaign_id).await? {
        waiting.replies_to_classify.push(RequestLine {
            authority: name_of(&r),
            since: london_date(r.updated_at),
            reference: r.reference,
        });
    }
    // A letter waiting on staff (a draft, or one written and not sent), in the campaign.
    let letter_line = |m: messages::LetterLine| {
        Some(DraftLine {
            id: m.id,
            reference: m.reference?,
            authority: m.authority.unwrap_or_default(),
            kind: m.kind,
            subject: m.subject,
            created: london_date(m.created_at),
        })
    };
    for (state, list, total) in [
        (MessageState::Draft, &mut waiting.drafts, &mut totals.drafts),
        (
            MessageState::Written,
            &mut waiting.written_not_sent,
            &mut totals.written_not_sent,
        ),
    ] {
        let (found, all) = match lines {
            Lines::All => {
                let found = messages::letter_lines(db, &[state], campaign_id).await?;
                (found, None)
            }
            Lines::First(n) => {
                let (found, all) =
                    messages::request_letter_lines(db, &[state], campaign_id, n as u64).await?;
                (found, Some(all))
            }
        };
        *list = found.into_iter().filter_map(letter_line).collect();
        *total = all.map_or(list.len(), |n| usize::try_from(n).unwrap_or(usize::MAX));
    }
    // Staff mail (no request) that failed is shown only when no campaign is asked for.
    for m in messages::letter_lines(
        db,
        &[MessageState::Failed, MessageState::Uncertain],
        campaign_id,
    )
    .await?
    {
        waiting.delivery_problems.push(ProblemLine {
            id: m.id,
            reference: m.reference,
            authority: m.authority,
            state: m.state,
            detail: m.last_error.unwrap_or_default(),
        });
    }
    let tasks = match (lines, campaign_id) {
        (Lines::First(n), None) => {
            let (tasks, all) = super::tasks::first_open_heads(db, n).await?;
            totals.open_tasks = all;
            tasks
        }
        // With a campaign, which tasks are the campaign's is known only from their
        // requests, read below.
        _ => super::tasks::open_heads(db).await?,
    };
    // A task names its request but not its campaign: read those requests only to filter.
    let by_id: HashMap<i32, RequestModel> = if campaign_id.is_some() {
        let mut ids: Vec<i32> = tasks.iter().map(|t| t.request_id).collect();
        ids.sort_unstable();
        ids.dedup();
        reports::requests_by_id(db, &ids).await?
    } else {
        HashMap::new()
    };
    // Unmatched mail belongs to no request, so to no campaign: shown whatever the filter.
    for m in inbound::unmatched(db).await? {
        waiting.unmatched_mail.push(UnmatchedLine {
            id: m.id,
            from: m.from_addr,
            subject: m.subject,
            received: m.received_at.map(london_date),
        });
    }
    for t in tasks {
        if campaign_id.is_some() && !by_id.get(&t.request_id).is_some_and(&in_scope) {
            continue;
        }
        waiting.open_tasks.push(TaskLine {
            id: t.id,
            reference: t.reference,
            authority: t.authority_name,
            what: t.what,
            created: london_date(t.created_at),
        });
    }
    if lines == Lines::All || campaign_id.is_some() {
        totals.open_tasks = waiting.open_tasks.len();
    }
    Ok(Status {
        today,
        campaign: campaign.map(str::to_string),
        total: counts.iter().map(|c| c.count).sum(),
        counts,
        by_campaign,
        overdue,
        upcoming,
        waiting,
        totals,
    })
}
