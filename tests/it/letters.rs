//! The shipped letter templates, rendered for each regime: the right law, no stray markup.

use crate::common;

use chrono::{NaiveDate, TimeZone, Utc};
use foi::domain::Regime;
use foi::letters::{LetterContext, LetterRegistry, LetterRequest};
use foi::settings::Settings;
use foi::store::authorities::AuthorityModel;
use foi::store::twinnings::TwinningModel;
use std::collections::BTreeMap;

fn registry() -> LetterRegistry {
    LetterRegistry::load(&common::repo_path("letter-templates")).expect("shipped templates load")
}

fn authority(regime: Regime) -> AuthorityModel {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    AuthorityModel {
        id: 1,
        slug: "perth-and-kinross-council".into(),
        name: "Perth & Kinross Council".into(),
        nation: if regime.is_scottish() {
            "Scotland"
        } else {
            "England"
        }
        .into(),
        regime: regime.as_str().into(),
        foi_email: Some("foi@example.org".into()),
        foi_email_source: None,
        website: None,
        tags: String::new(),
        notes: None,
        created_at: now,
        updated_at: now,
    }
}

fn link() -> TwinningModel {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    TwinningModel {
        id: 7,
        authority_id: 1,
        uk_place: "Perth".into(),
        partner_city: "Haikou".into(),
        partner_province: "Hainan".into(),
        relationship: "twinning".into(),
        since_year: Some(1992),
        status: "active".into(),
        ended_year: None,
        source: None,
        notes: None,
        created_at: now,
        updated_at: now,
    }
}

fn render(
    reg: &LetterRegistry,
    name: &str,
    regime: Regime,
    request: &LetterRequest,
) -> foi::letters::Rendered {
    let settings = Settings::defaults();
    let a = authority(regime);
    let t = link();
    let vars = BTreeMap::new();
    let ctx = LetterContext {
        authority: &a,
        regime,
        twinnings: std::slice::from_ref(&t),
        request,
        response: None,
        requester: &settings.requester,
        today: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
        vars: &vars,
    };
    reg.render(name, &ctx.to_json())
        .unwrap_or_else(|e| panic!("{name} {regime}: {e}"))
}

fn follow_up() -> LetterRequest {
    LetterRequest {
        reference: "foi-2026-0042".into(),
        reply_to: "foi+foi-2026-0042@reply.example.org".into(),
        subject: "Freedom of Information request: link with Haikou, China [foi-2026-0042]".into(),
        sent_on: NaiveDate::from_ymd_opt(2026, 3, 2),
        due: NaiveDate::from_ymd_opt(2026, 3, 30),
        review_due: NaiveDate::from_ymd_opt(2026, 5, 28),
        complaint_window_end: NaiveDate::from_ymd_opt(2026, 7, 9),
        working_days_overdue: Some(4),
        ..Default::default()
    }
}

#[test]
fn every_letter_cites_the_law_of_its_regime() {
    let reg = registry();
    for regime in [Regime::Foia, Regime::Foisa, Regime::Eir, Regime::Eisr] {
        let first = LetterRequest {
            subject: String::new(),
            sent_on: None,
            due: None,
            ..follow_up()
        };
        let main = render(&reg, "twinning-agreement", regime, &first);
        assert!(
            main.body.contains(regime.act_name()),
            "{regime}: {}",
            main.body
        );
        assert!(
            main.body.contains("Haikou") && main.body.contains("Perth & Kinross Council"),
            "no escaping: {}",
            main.body
        );
        assert!(main.subject.contains("foi-2026-0042"));
        for name in [
            "twinning-agreement",
            "overdue-reminder",
            "internal-review",
            "regulator-complaint",
        ] {
            let r = render(&reg, name, regime, &follow_up());
            assert!(
                !r.body.contains("{{") && !r.body.contains("&amp;"),
                "{name} {regime}: {}",
                r.body
            );
            assert!(r.subject.contains("foi-2026-0042"), "{name}: {}", r.subject);
            assert!(
                r.body.contains("Campaign Requester"),
                "{name} is signed: {}",
                r.body
            );
        }
        let reminder = render(&reg, "overdue-reminder", regime, &follow_up());
        assert!(reminder.body.contains("30 March 2026"), "{}", reminder.body);
        let complaint = render(&reg, "regulator-complaint", regime, &follow_up());
        if regime.is_scottish() {
            assert!(
                complaint.body.contains("Scottish Information Commissioner"),
                "{}",
                complaint.body
            );
            assert!(
                !complaint.body.contains("Freedom of Information Act 2000"),
                "{}",
                complaint.body
            );
        } else {
            assert!(
                complaint.body.contains("Information Commissioner"),
                "{}",
                complaint.body
            );
            assert!(
                !complaint.body.contains("Scottish Information Commissioner"),
                "{}",
                complaint.body
            );
        }
    }
}

#[test]
fn the_follow_ups_refuse_to_render_without_their_dates() {
    let reg = registry();
    let bare = LetterRequest {
        due: None,
        sent_on: None,
        ..follow_up()
    };
    let settings = Settings::defaults();
    let a = authority(Regime::Foia);
    let vars = BTreeMap::new();
    let ctx = LetterContext {
        authority: &a,
        regime: Regime::Foia,
        twinnings: &[],
        request: &bare,
        response: None,
        requester: &settings.requester,
        today: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
        vars: &vars,
    };
    let err = reg
        .render("overdue-reminder", &ctx.to_json())
        .unwrap_err()
        .to_string();
    assert!(err.contains("request.due"), "{err}");
}

#[test]
fn the_digest_renders_empty_sections_as_none() {
    let reg = registry();
    let ctx = serde_json::json!({
        "week": {"iso": "2026-W48", "start": "2026-11-23", "end": "2026-11-29"},
        "generated_at": "2026-11-23 08:00",
        "counts": [], "sent": [], "answered": [], "classified": [], "overdue": [], "upcoming": [],
        "overdue_total": 0, "overdue_more": 0, "overdue_authorities": 0,
        "overdue_by_authority": [], "overdue_by_campaign": [],
        "awaiting_classification": [], "delivery_problems": [], "unmatched": [],
        "drafts": [], "late_reviews": [], "review_replies": [], "complaint_windows": [], "stopped_clocks": [],
        "tasks": [], "renewals": [], "renewal_weeks": 12, "first_mentions": [], "suggestions_waiting": 0,
        "chart": null,
        "requester": {"name": "A", "organisation": null, "email": "a@example.org", "postal_address": []}
    });
    let text = reg.render("weekly-digest", &ctx).unwrap();
    assert!(text.subject.contains("2026-W48"));
    assert!(text.body.contains("None."), "{}", text.body);
    let html = reg.render("weekly-digest.html", &ctx).unwrap();
    assert!(html.body.contains("<"), "{}", html.body);
}

/// Letters about a request that went through a council's web form or by post say so, and
/// quote the form's case number; none of them claims it was emailed.
#[test]
fn follow_ups_say_how_the_request_went() {
    use foi::domain::Channel;
    let reg = registry();
    let via = |channel: Channel, case: Option<&str>| LetterRequest {
        channel,
        portal_reference: case.map(str::to_string),
        ..follow_up()
    };
    let portal = via(Channel::Portal, Some("PKC-FOI-77"));
    let complaint = render(&reg, "regulator-complaint", Regime::Foia, &portal).body;
    assert!(
        complaint.contains(
            "I submitted the request through the council's web form (its case reference: PKC-FOI-77)."
        ) && !complaint.contains("by email"),
        "{complaint}"
    );
    for name in ["overdue-reminder", "internal-review"] {
        let body = render(&reg, name, Regime::Foia, &portal).body;
        assert!(
            body.contains("Your case reference (from the council's web form): PKC-FOI-77."),
            "{name}: {body}"
        );
    }
    let posted = via(Channel::Post, None);
    let complaint = render(&reg, "regulator-complaint", Regime::Foisa, &posted).body;
    assert!(
        complaint.contains("I sent the request to the council by post.")
            && !complaint.contains("by email")
            && !complaint.contains("case reference"),
        "{complaint}"
    );
    let emailed = via(Channel::Email, None);
    let complaint = render(&reg, "regulator-complaint", Regime::Foia, &emailed).body;
    assert!(
        complaint.contains("I sent the request to the council by email (foi@example.org)."),
        "{complaint}"
    );
}
