//! Reads the web dashboard needs beyond the CLI's: the request list filtered and sorted
//! by what staff ask of it (nation, channel, overdue, as well as state, campaign and
//! authority), each row with its response date and working days overdue; and a request's
//! deadlines each with the calculator's day-by-day explanation.

use super::ServiceResult;
use crate::app::AppContext;
use crate::calendar::{explain_clock, london_date, Explanation};
use crate::domain::{Channel, RequestState};
use crate::store::requests::{self, RequestFilter, RequestRow};
use crate::store::{authorities, clock_events};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// What the request list is narrowed to, and its order.
#[derive(Debug, Clone, Default)]
pub struct Browse {
    pub state: Option<RequestState>,
    pub campaign: Option<String>,
    pub authority: Option<String>,
    /// England, Wales, Scotland, Northern Ireland.
    pub nation: Option<String>,
    pub channel: Option<Channel>,
    /// Only requests past their response date (or marked overdue by the sweep).
    pub overdue: bool,
    pub sort: Sort,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Newest reference first.
    #[default]
    Newest,
    Reference,
    Authority,
    State,
    /// Earliest response date first (requests without one last).
    Due,
    /// Most working days overdue first.
    Overdue,
}

impl Sort {
    pub const ALL: [(Sort, &'static str); 6] = [
        (Sort::Newest, "newest"),
        (Sort::Reference, "reference"),
        (Sort::Authority, "authority"),
        (Sort::State, "state"),
        (Sort::Due, "due"),
        (Sort::Overdue, "overdue"),
    ];

    pub fn parse(s: &str) -> Result<Sort, String> {
        Sort::ALL
            .iter()
            .find(|(_, n)| *n == s.trim())
            .map(|(k, _)| *k)
            .ok_or_else(|| {
                format!(
                    "'{s}' is not a sort order: {}",
                    Sort::ALL.map(|(_, n)| n).join(", ")
                )
            })
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct BrowseRow {
    #[serde(flatten)]
    pub row: RequestRow,
    pub nation: String,
    /// Working days past the response date, while the council still owes an answer.
    pub working_days_overdue: Option<i64>,
}

pub async fn browse(
    app: &AppContext,
    now: DateTime<Utc>,
    b: &Browse,
) -> ServiceResult<Vec<BrowseRow>> {
    let db = &app.db;
    let rows = requests::list(
        db,
        &RequestFilter {
            state: b.state,
            authority_slug: b.authority.clone(),
            campaign: b.campaign.clone(),
        },
    )
    .await?;
    let nations: HashMap<String, String> = authorities::list(db, None)
        .await?
        .into_iter()
        .map(|a| (a.slug, a.nation))
        .collect();
    let cal = app.calendar().await?;
    let today = london_date(now);
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let nation = nations.get(&row.authority).cloned().unwrap_or_default();
        let overdue_days = match row.response_due {
            Some(due) if row.state.awaiting_authority() && due < today => {
                let regime = super::deadlines::parse_regime(&row.reference, &row.regime)?;
                cal.working_days_between(regime, due, today)
                    .ok()
                    .filter(|d| *d > 0)
            }
            _ => None,
        };
        let keep = b
            .nation
            .as_deref()
            .is_none_or(|n| n.eq_ignore_ascii_case(&nation))
            && b.channel.is_none_or(|c| c == row.channel)
            && (!b.overdue
                || overdue_days.is_some()
                || matches!(row.state, RequestState::Overdue | RequestState::VeryOverdue));
        if keep {
            out.push(BrowseRow {
                row,
                nation,
                working_days_overdue: overdue_days,
            });
        }
    }
    match b.sort {
        Sort::Newest => out.reverse(),
        Sort::Reference => {}
        Sort::Authority => out.sort_by(|a, b| a.row.authority_name.cmp(&b.row.authority_name)),
        Sort::State => out.sort_by(|a, b| a.row.state.as_str().cmp(b.row.state.as_str())),
        Sort::Due => out.sort_by_key(|r| (r.row.response_due.is_none(), r.row.response_due)),
        Sort::Overdue => out.sort_by_key(|r| std::cmp::Reverse(r.working_days_overdue)),
    }
    Ok(out)
}

/// The response date as the calculator explains it: each counted day, each skipped day
/// with its reason, and how the clock events shaped the count. None before the clock starts
/// or while it is paused.
pub async fn explain_response(
    app: &AppContext,
    reference: &str,
) -> ServiceResult<Option<Explanation>> {
    let model = requests::get_by_reference(&app.db, reference).await?;
    let events = clock_events::for_request(&app.db, model.id).await?;
    if events.is_empty() {
        return Ok(None);
    }
    let cal = app.calendar().await?;
    explain_clock(
        &cal,
        super::deadlines::regime_of(&model)?,
        &events,
        &app.clock_settings(),
    )
    .map_err(|source| super::ServiceError::Clock {
        reference: model.reference.clone(),
        source,
    })
}

/// One of the reporting charts (`foi stats`) as an SVG document, drawn from today's figures;
/// None for a name that is no chart.
pub async fn chart_svg(
    app: &AppContext,
    now: DateTime<Utc>,
    name: &str,
) -> ServiceResult<Option<String>> {
    use crate::report::charts::{self, Chart};
    let Some(chart) = Chart::ALL.into_iter().find(|c| c.name() == name) else {
        return Ok(None);
    };
    let report = super::stats::stats(app, now, None, &super::progress::Silent).await?;
    super::stats::chart_font(app)?;
    charts::svg(chart, &report.charts)
        .map(Some)
        .map_err(|e| super::ServiceError::refused(e.to_string()))
}
