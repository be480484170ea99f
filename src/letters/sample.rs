//! Fully-populated sample contexts, used at start-up to render every template once so that a
//! misspelt variable is caught before any letter is sent (strict mode fails on it).

use super::context::{LetterContext, LetterExemption, LetterRequest, LetterResponse};
use crate::domain::{Channel, Regime};
use crate::settings::RequesterSettings;
use crate::store::authorities::AuthorityModel;
use crate::store::twinnings::TwinningModel;
use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The sample for a request of each channel: the letters branch on it, and strict mode only
/// checks the branch a sample takes.
pub fn letters() -> Vec<Value> {
    Channel::ALL.iter().map(|c| letter_via(*c, 1)).collect()
}

/// The same for one letter covering two of a council's links (one letter per council):
/// `twinning` is null and `twinnings` holds the links.
pub fn letters_about_several_links() -> Vec<Value> {
    Channel::ALL.iter().map(|c| letter_via(*c, 2)).collect()
}

/// A letter to a council with no link on record, for templates that do not need one.
pub fn letter_about_no_link() -> Value {
    letter_via(Channel::Email, 0)
}

pub fn letter() -> Value {
    letter_via(Channel::Email, 1)
}

fn letter_via(channel: Channel, links: usize) -> Value {
    let now = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d);
    let authority = AuthorityModel {
        id: 1,
        slug: "sample-council".into(),
        name: "Sample Council".into(),
        nation: "England".into(),
        regime: "FOIA".into(),
        foi_email: Some("foi@sample.invalid".into()),
        foi_email_source: None,
        website: Some("https://sample.invalid".into()),
        tags: String::new(),
        notes: None,
        created_at: now,
        updated_at: now,
    };
    let first = TwinningModel {
        id: 1,
        authority_id: 1,
        uk_place: "Sample".into(),
        partner_city: "Partner City".into(),
        partner_province: "Partner Province".into(),
        relationship: "twinning".into(),
        since_year: Some(1990),
        status: "active".into(),
        ended_year: Some(2020),
        source: None,
        notes: None,
        created_at: now,
        updated_at: now,
    };
    // The second link has the other shape: no province, no start year, ended (year unknown).
    let second = TwinningModel {
        id: 2,
        partner_city: "Second City".into(),
        partner_province: String::new(),
        relationship: "friendship".into(),
        since_year: None,
        status: "ended".into(),
        ended_year: None,
        ..first.clone()
    };
    let twinnings: Vec<TwinningModel> = [first, second].into_iter().take(links).collect();
    let request = LetterRequest {
        reference: "foi-2026-0001".into(),
        reply_to: "foi+foi-2026-0001@reply.sample.invalid".into(),
        subject: "Freedom of Information request (foi-2026-0001)".into(),
        sent_on: day(1, 5),
        due: day(2, 2),
        review_due: day(3, 2),
        complaint_window_end: day(4, 13),
        working_days_overdue: Some(3),
        channel,
        portal_reference: (channel == Channel::Portal).then(|| "CASE-123".to_string()),
    };
    let requester = RequesterSettings {
        name: "Sample Requester".into(),
        organisation: "Sample Organisation".into(),
        email: "requester@sample.invalid".into(),
        postal_address: vec!["1 Sample Street".into(), "Sampletown".into()],
    };
    let vars: BTreeMap<String, String> = BTreeMap::new();
    // A response with every shape a review letter speaks to, so every branch is checked.
    let response = LetterResponse {
        outcome: "partially_successful".into(),
        received_on: day(2, 2),
        exemptions: vec![
            LetterExemption {
                code: "s27".into(),
                name: "international relations".into(),
                qualified: true,
            },
            LetterExemption {
                code: "s41".into(),
                name: "information provided in confidence".into(),
                qualified: false,
            },
        ],
        qualified: true,
        not_held: true,
        partly: true,
    };
    LetterContext {
        authority: &authority,
        regime: Regime::Foia,
        twinnings: &twinnings,
        request: &request,
        response: Some(&response),
        requester: &requester,
        today: day(1, 5).unwrap_or_default(),
        vars: &vars,
    }
    .to_json()
}

pub fn digest() -> Value {
    let item = json!({
        "reference": "foi-2026-0001", "authority": "Sample Council", "subject": "Sample subject",
        "date": "2026-01-05", "kind": "response", "outcome": "refused", "due": "2026-01-05",
        "working_days_overdue": 3, "working_days_left": 4, "state": "overdue", "received": "2026-01-05",
        "detail": "550 5.1.1 user unknown"
    });
    json!({
        "week": {"iso": "2026-W02", "start": "2026-01-05", "end": "2026-01-11"},
        "generated_at": "2026-01-05 08:00",
        "counts": [{"state": "sent", "count": 3}],
        "sent": [item], "answered": [item], "classified": [item], "overdue": [item],
        "overdue_total": 61, "overdue_more": 60, "overdue_authorities": 1,
        "overdue_by_authority": [{"name": "Sample Council", "count": 61}],
        "overdue_by_campaign": [{"name": "Sample campaign", "count": 61}],
        "upcoming": [item], "awaiting_classification": [item], "delivery_problems": [item],
        "drafts": [{"id": 7, "reference": "foi-2026-0001", "authority": "Sample Council",
            "kind": "reminder", "subject": "Sample subject", "created": "2026-01-05"}],
        "late_reviews": [{"reference": "foi-2026-0001", "authority": "Sample Council",
            "requested": "2025-11-03", "due": "2025-12-01", "due_max": "2026-01-13",
            "working_days_late": 20, "regulator": "Information Commissioner"}],
        "review_replies": [{"reference": "foi-2026-0001", "authority": "Sample Council", "received": "2026-01-05"}],
        "complaint_windows": [{"reference": "foi-2026-0001", "authority": "Sample Council",
            "ends": "2026-01-30", "days_left": 25, "regulator": "Information Commissioner", "state": "review_upheld"}],
        "stopped_clocks": [{"reference": "foi-2026-0001", "authority": "Sample Council",
            "why": "an unpaid fees notice", "since": "2025-12-01", "days_stopped": 35, "fee_lapses_on": "2026-03-02"}],
        "unmatched": [{"id": 1, "from": "someone@sample.invalid", "subject": "Hello", "date": "2026-01-05"}],
        "renewals": [{"link": "sample-council:Partner City", "authority": "Sample Council",
            "partner_city": "Partner City", "renews_on": "2026-03-02", "weeks_left": 8,
            "source": "document 3 (agreement.pdf), page 2, foi-2026-0001"}],
        "renewal_weeks": 12,
        // One mention in a reply and one in unmatched mail: the templates branch.
        "first_mentions": [
            {"term": "Sample Association", "authority": "Sample Council", "reference": "foi-2026-0001",
             "document": 3, "name": "agreement.pdf", "page": 2, "received": "2026-01-05"},
            {"term": "Other Society", "authority": null, "reference": null,
             "document": 4, "name": "message text", "page": 1, "received": null}
        ],
        "suggestions_waiting": 2,
        "chart": {"cid": "responses-over-time.0123456789ab@sample.invalid",
            "title": "Requests sent, answered and overdue per week"},
        // One task to paste from the digest and one to find elsewhere: the templates branch.
        "tasks": [
            {"id": 1, "reference": "foi-2026-0001", "authority": "Sample Council", "kind": "reminder",
             "channel": "portal", "what": "paste the overdue reminder into the council's web form",
             "subject": "Re: Sample subject - response overdue", "text": "Dear Freedom of Information Officer,\n",
             "find": null, "portal_reference": "CASE-123", "website": "https://sample.invalid",
             "created": "2026-01-05"},
            {"id": 2, "reference": "foi-2026-0002", "authority": "Sample Council", "kind": "submit",
             "channel": "post", "what": "print, sign and post the request letter",
             "subject": "Sample subject", "text": null,
             "find": "`foi requests show foi-2026-0002` or `foi tasks list`", "portal_reference": null,
             "website": null, "created": "2026-01-05"}
        ],
        "requester": {
            "name": "Sample Requester", "organisation": "Sample Organisation",
            "email": "requester@sample.invalid", "postal_address": ["1 Sample Street"]
        }
    })
}
