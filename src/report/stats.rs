//! The campaign's figures: per council, overall, per regime and per nation. Each figure says
//! what it counts (`DEFINITIONS`), so it can be quoted.

use super::facts::{Assessed, RequestFacts};
use serde::Serialize;
use std::collections::BTreeMap;

/// What each figure counts, in the words the output and README use.
pub const DEFINITIONS: &[(&str, &str)] = &[
    ("requests", "requests recorded (queued, sent or later), withdrawn ones included"),
    ("sent", "requests with a date of receipt (the `received` clock event): sent by email and accepted by the mail server, or recorded as sent by hand, portal or post"),
    ("answered", "sent requests with a substantive answer logged (successful, partially successful, refused or not held: the `response_received` clock event)"),
    ("answered_on_time", "answered requests whose answer was logged on or before the statutory due date in force at that moment, counting clock stops (clarification restarts, unpaid fees notices, extensions recorded before the answer)"),
    ("answered_late", "answered requests whose answer was logged after that due date"),
    ("late_median_working_days", "the median, over late answers, of the working days between the due date and the answer (the regime's working days: weekends and the nation's bank holidays excluded)"),
    ("late_worst_working_days", "the most working days any late answer came after its due date"),
    ("unanswered", "sent requests with no substantive answer logged, not withdrawn and not lapsed for an unpaid fee"),
    ("unanswered_overdue", "unanswered requests whose due date in force today has passed"),
    ("outcomes", "answered or withdrawn requests by their latest recorded outcome"),
    ("exemptions", "requests citing each exemption or exception (FOIA/FOISA sections, EIR/EISR regulations) in any recorded answer; a request citing a section twice counts once"),
    ("internal_reviews", "requests for which an internal review (EIR: reconsideration) was asked for (the `internal_review_requested` clock event)"),
    ("reviews_upheld", "internal reviews whose recorded result upheld the council's answer"),
    ("reviews_overturned", "internal reviews whose recorded result overturned the council's answer"),
    ("reviews_pending", "internal reviews asked for with no result recorded"),
    ("complaints", "requests taken to the regulator (ICO or Scottish Information Commissioner) as recorded with `foi complaint --submitted`"),
];

#[derive(Debug, Clone, Serialize)]
pub struct Definition {
    pub figure: &'static str,
    pub counts: &'static str,
}

pub fn definitions() -> Vec<Definition> {
    DEFINITIONS
        .iter()
        .map(|(figure, counts)| Definition { figure, counts })
        .collect()
}

/// One set of figures (see `DEFINITIONS`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub requests: usize,
    pub sent: usize,
    pub answered: usize,
    pub answered_on_time: usize,
    pub answered_late: usize,
    pub late_median_working_days: Option<f64>,
    pub late_worst_working_days: Option<i64>,
    pub unanswered: usize,
    pub unanswered_overdue: usize,
    pub outcomes: BTreeMap<String, usize>,
    pub exemptions: BTreeMap<String, usize>,
    pub internal_reviews: usize,
    pub reviews_upheld: usize,
    pub reviews_overturned: usize,
    pub reviews_pending: usize,
    pub complaints: usize,
}

/// Figures being added up, one request at a time.
#[derive(Debug, Clone, Default)]
struct Tally {
    f: Figures,
    late: Vec<i64>,
}

impl Tally {
    fn add(&mut self, facts: &RequestFacts, a: &Assessed) {
        let f = &mut self.f;
        f.requests += 1;
        if a.received.is_some() {
            f.sent += 1;
        }
        if a.responded.is_some() {
            f.answered += 1;
            match a.on_time {
                Some(true) => f.answered_on_time += 1,
                Some(false) => {
                    f.answered_late += 1;
                    self.late.push(a.working_days_late.unwrap_or(0));
                }
                None => {}
            }
        }
        if a.unanswered {
            f.unanswered += 1;
            if a.working_days_overdue.is_some() {
                f.unanswered_overdue += 1;
            }
        }
        if let Some(o) = &a.outcome {
            *f.outcomes.entry(o.clone()).or_default() += 1;
        }
        for e in &a.exemptions {
            *f.exemptions.entry(e.clone()).or_default() += 1;
        }
        if let Some(r) = a.review_result.as_deref() {
            f.internal_reviews += 1;
            match r {
                "upheld" => f.reviews_upheld += 1,
                "overturned" => f.reviews_overturned += 1,
                _ => f.reviews_pending += 1,
            }
        }
        if facts.complaint {
            f.complaints += 1;
        }
    }

    fn finish(mut self) -> Figures {
        self.late.sort_unstable();
        let n = self.late.len();
        self.f.late_median_working_days = match n {
            0 => None,
            _ if n % 2 == 1 => Some(self.late[n / 2] as f64),
            _ => Some((self.late[n / 2 - 1] + self.late[n / 2]) as f64 / 2.0),
        };
        self.f.late_worst_working_days = self.late.last().copied();
        self.f
    }
}

/// The figures for one council, regime or nation.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// The council's slug, the regime or the nation.
    pub key: String,
    /// The council's name (the key again for a regime or nation).
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// What each figure counts.
    pub definitions: Vec<Definition>,
    pub overall: Figures,
    pub by_authority: Vec<Group>,
    pub by_regime: Vec<Group>,
    pub by_nation: Vec<Group>,
}

/// Adds requests up, page by page, into overall, per-council, per-regime and per-nation figures.
#[derive(Debug, Default)]
pub struct StatsBuilder {
    overall: Tally,
    authority: BTreeMap<String, (String, Tally)>,
    regime: BTreeMap<String, Tally>,
    nation: BTreeMap<String, Tally>,
}

impl StatsBuilder {
    pub fn add(&mut self, facts: &RequestFacts, a: &Assessed) {
        self.overall.add(facts, a);
        self.authority
            .entry(facts.authority.clone())
            .or_insert_with(|| (facts.authority_name.clone(), Tally::default()))
            .1
            .add(facts, a);
        self.regime
            .entry(facts.regime.to_uppercase())
            .or_default()
            .add(facts, a);
        self.nation
            .entry(facts.nation.clone())
            .or_default()
            .add(facts, a);
    }

    pub fn finish(self) -> Stats {
        let plain = |m: BTreeMap<String, Tally>| -> Vec<Group> {
            m.into_iter()
                .map(|(k, t)| Group {
                    name: k.clone(),
                    key: k,
                    figures: t.finish(),
                })
                .collect()
        };
        let mut by_authority: Vec<Group> = self
            .authority
            .into_iter()
            .map(|(key, (name, t))| Group {
                key,
                name,
                figures: t.finish(),
            })
            .collect();
        by_authority.sort_by(|a, b| a.name.cmp(&b.name).then(a.key.cmp(&b.key)));
        Stats {
            definitions: definitions(),
            overall: self.overall.finish(),
            by_authority,
            by_regime: plain(self.regime),
            by_nation: plain(self.nation),
        }
    }
}
