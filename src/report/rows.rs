//! A request as one row of `foi export requests`: its council, links, channel, dates, every
//! deadline, state, outcome and exemptions. Flat, so the same row is a CSV line or a JSON
//! object.

use super::facts::{Assessed, RequestFacts};
use crate::calendar::Deadlines;
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportRow {
    pub reference: String,
    pub campaign: Option<String>,
    pub authority: String,
    pub authority_name: String,
    pub nation: String,
    pub regime: String,
    /// Partner cities of the links the request covers, joined with "; ".
    pub links: String,
    /// The links' ids, joined with "; ".
    pub link_ids: String,
    pub template: String,
    pub channel: String,
    pub portal_reference: Option<String>,
    pub state: String,
    pub created: NaiveDate,
    pub sent: Option<NaiveDate>,
    /// The date of receipt the statutory clock counts from.
    pub received: Option<NaiveDate>,
    pub day_zero: Option<NaiveDate>,
    pub working_days_allowed: Option<u32>,
    pub response_due: Option<NaiveDate>,
    pub refusal_notice_due: Option<NaiveDate>,
    pub very_overdue_from: Option<NaiveDate>,
    pub fee_lapses_on: Option<NaiveDate>,
    pub review_request_last_day: Option<NaiveDate>,
    pub review_requested: Option<NaiveDate>,
    pub review_due: Option<NaiveDate>,
    pub review_due_max: Option<NaiveDate>,
    pub complaint_window_end: Option<NaiveDate>,
    pub responded: Option<NaiveDate>,
    /// The due date in force when the answer was logged.
    pub due_at_response: Option<NaiveDate>,
    pub on_time: Option<bool>,
    pub working_days_late: Option<i64>,
    pub working_days_overdue: Option<i64>,
    pub outcome: Option<String>,
    /// Exemptions cited, joined with "; ".
    pub exemptions: String,
    pub review_result: Option<String>,
    pub complaint: bool,
}

/// The row for a request; `deadlines` are the ones in force now (as stored).
pub fn export_row(f: &RequestFacts, a: &Assessed, deadlines: Option<&Deadlines>) -> ExportRow {
    let d = |g: fn(&Deadlines) -> Option<NaiveDate>| deadlines.and_then(g);
    ExportRow {
        reference: f.reference.clone(),
        campaign: f.campaign.clone(),
        authority: f.authority.clone(),
        authority_name: f.authority_name.clone(),
        nation: f.nation.clone(),
        regime: f.regime.to_uppercase(),
        links: f.partner_cities.join("; "),
        link_ids: f
            .link_ids
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join("; "),
        template: f.template.clone(),
        channel: f.channel.to_string(),
        portal_reference: f.portal_reference.clone(),
        state: f.state.to_string(),
        created: crate::calendar::london_date(f.created_at),
        sent: f.sent_at.map(crate::calendar::london_date),
        received: a.received,
        day_zero: deadlines.map(|d| d.day_zero).or(a.day_zero),
        working_days_allowed: deadlines.map(|d| d.working_days).or(a.working_days_allowed),
        response_due: d(|d| d.response_due),
        refusal_notice_due: d(|d| d.refusal_notice_due),
        very_overdue_from: d(|d| d.very_overdue_from),
        fee_lapses_on: d(|d| d.fee_lapses_on),
        review_request_last_day: d(|d| d.review_request_last_day),
        review_requested: a.review_requested,
        review_due: d(|d| d.review_due),
        review_due_max: d(|d| d.review_due_max),
        complaint_window_end: d(|d| d.complaint_window_end),
        responded: a.responded,
        due_at_response: a.due_at_response,
        on_time: a.on_time,
        working_days_late: a.working_days_late,
        working_days_overdue: a.working_days_overdue,
        outcome: a.outcome.clone(),
        exemptions: a.exemptions.join("; "),
        review_result: a.review_result.clone(),
        complaint: f.complaint,
    }
}
