//! The variables a letter template sees. Built from plain values so rendering can be tested
//! without a database. Every key is always present (null when unknown) because the
//! templates run in strict mode, where a missing key is an error but a null one is not.

use super::helpers::format_uk_date;
use crate::domain::{Channel, Regime};
use crate::settings::RequesterSettings;
use crate::store::authorities::AuthorityModel;
use crate::store::twinnings::TwinningModel;
use chrono::NaiveDate;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The request-specific part of a letter's context.
#[derive(Debug, Clone, Default)]
pub struct LetterRequest {
    pub reference: String,
    pub reply_to: String,
    /// Subject of the original request (for letters that continue its thread); "" for the first letter.
    pub subject: String,
    pub sent_on: Option<NaiveDate>,
    pub due: Option<NaiveDate>,
    pub review_due: Option<NaiveDate>,
    pub complaint_window_end: Option<NaiveDate>,
    pub working_days_overdue: Option<i64>,
    /// How the request went: letters that recount it must say so truly.
    pub channel: Channel,
    /// The case number the council's web form gave, for letters to quote.
    pub portal_reference: Option<String>,
}

/// The council's answer a follow-up letter (an internal review) responds to.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LetterResponse {
    /// As staff classified it: `refused`, `partially_successful`, `not_held`, …
    pub outcome: String,
    pub received_on: Option<NaiveDate>,
    pub exemptions: Vec<LetterExemption>,
    /// Any of the exemptions is subject to the public-interest test.
    pub qualified: bool,
    pub not_held: bool,
    pub partly: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct LetterExemption {
    /// As cited: `s27`, `reg12(5)(e)`.
    pub code: String,
    /// In words: "international relations" (empty when the program does not know it).
    pub name: String,
    pub qualified: bool,
}

pub struct LetterContext<'a> {
    pub authority: &'a AuthorityModel,
    pub regime: Regime,
    /// The twinning links the letter is about: all of the council's (one letter per council)
    /// or one.
    pub twinnings: &'a [TwinningModel],
    pub request: &'a LetterRequest,
    /// The answer being reviewed, for a letter about one.
    pub response: Option<&'a LetterResponse>,
    pub requester: &'a RequesterSettings,
    pub today: NaiveDate,
    pub vars: &'a BTreeMap<String, String>,
}

fn iso(d: Option<NaiveDate>) -> Value {
    d.map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
        .unwrap_or(Value::Null)
}

fn opt(s: &Option<String>) -> Value {
    s.as_ref()
        .filter(|s| !s.is_empty())
        .map(|s| Value::String(s.clone()))
        .unwrap_or(Value::Null)
}

impl LetterContext<'_> {
    pub fn to_json(&self) -> Value {
        let a = self.authority;
        let link = |t: &TwinningModel| {
            json!({
                "id": t.id,
                "uk_place": t.uk_place,
                "partner_city": t.partner_city,
                "partner_province": t.partner_province,
                "relationship": t.relationship,
                "since_year": t.since_year,
                "status": t.status,
                "ended_year": t.ended_year,
            })
        };
        let twinnings: Vec<Value> = self.twinnings.iter().map(link).collect();
        // `twinning` is the link when there is exactly one, so that a template written about
        // one link reads the same whichever way the letter was queued.
        let twinning = match self.twinnings {
            [only] => link(only),
            _ => Value::Null,
        };
        let r = self.request;
        let requester = self.requester;
        json!({
            "authority": {
                "name": a.name,
                "slug": a.slug,
                "nation": a.nation,
                "regime": self.regime.as_str(),
                "foi_email": opt(&a.foi_email),
                "website": opt(&a.website),
            },
            "twinning": twinning,
            "twinnings": twinnings,
            "any_link_ended": self.twinnings.iter().any(|t| t.status == "ended"),
            "request": {
                "reference": r.reference,
                "reply_to": r.reply_to,
                "subject": r.subject,
                "sent_on": iso(r.sent_on),
                "due": iso(r.due),
                "review_due": iso(r.review_due),
                "complaint_window_end": iso(r.complaint_window_end),
                "working_days_overdue": r.working_days_overdue,
                "channel": r.channel.as_str(),
                "portal_reference": opt(&r.portal_reference),
            },
            "response": self.response.map(|resp| json!({
                "outcome": resp.outcome,
                "received_on": iso(resp.received_on),
                "exemptions": resp.exemptions,
                "qualified": resp.qualified,
                "not_held": resp.not_held,
                "partly": resp.partly,
            })),
            "law": law_for(self.regime),
            "requester": {
                "name": requester.name,
                "organisation": Some(requester.organisation.clone()).filter(|s| !s.trim().is_empty()),
                "email": requester.email,
                "postal_address": requester.postal_address,
            },
            "today": self.today.format("%Y-%m-%d").to_string(),
            "today_uk": format_uk_date(self.today),
            "vars": self.vars,
        })
    }
}

/// What a letter needs to cite the right law (rules a1–h2 of the deadline specification).
pub fn law_for(regime: Regime) -> Value {
    let (time_limit, review_provision, complaint_provision, complaint_window) = match regime {
        Regime::Foia => (
            "section 10(1)",
            "the section 45 Code of Practice",
            "section 50",
            "six weeks",
        ),
        Regime::Foisa => ("section 10(1)", "section 20", "section 47", "six months"),
        Regime::Eir => (
            "regulation 5(2)",
            "regulation 11",
            "regulation 18",
            "six weeks",
        ),
        Regime::Eisr => (
            "regulation 5(2)",
            "regulation 16",
            "regulation 17",
            "six months",
        ),
    };
    json!({
        "regime": regime.as_str(),
        "act": regime.act_name(),
        "scottish": regime.is_scottish(),
        "time_limit": time_limit,
        "review_provision": review_provision,
        "regulator": format!("the {}", regime.regulator()),
        "regulator_short": regime.regulator_short(),
        "complaint_provision": complaint_provision,
        "complaint_window": complaint_window,
    })
}
