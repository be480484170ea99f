//! The agreements register: facts about each twinning link, each citing its source (a
//! document and page, or a message); suggestions read from documents, which are never facts
//! until staff confirm them; the watch list's hits; renewals coming up.

use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::domain::{CommitmentArea, FindingField, FindingState};
use crate::findings::{suggest, WatchList};
use crate::store::documents::{self, DocumentModel};
use crate::store::findings::{self as stored, FindingModel, NewFinding};
use crate::store::twinnings::{self, TwinningModel};
use crate::store::{authorities, inbound, requests};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use std::collections::BTreeMap;

/// The watch list in the configured file; a missing file is an empty list.
pub fn watch_list(app: &AppContext) -> ServiceResult<WatchList> {
    let path = &app.settings.findings.watch_list;
    match std::fs::read_to_string(path) {
        Ok(text) => WatchList::parse(&path.display().to_string(), &text)
            .map_err(|e| ServiceError::refused(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(WatchList::default()),
        Err(e) => Err(ServiceError::refused(format!(
            "findings.watch_list {}: {e}",
            path.display()
        ))),
    }
}

/// A link as staff name it: its id (`foi twinnings list`), or `council-slug:City`.
pub async fn resolve_link(db: &impl ConnectionTrait, text: &str) -> ServiceResult<TwinningModel> {
    let t = text.trim();
    if let Ok(id) = t.parse::<i32>() {
        return Ok(twinnings::get(db, id).await?);
    }
    let Some((slug, city)) = t.split_once(':') else {
        return Err(ServiceError::refused(format!(
            "'{t}' is not a link: give its id (see `foi twinnings list`) or council-slug:City, e.g. sheffield-city-council:Chengdu"
        )));
    };
    let a = authorities::get_by_slug(db, slug.trim()).await?;
    let links = twinnings::for_authority(db, a.id).await?;
    let names: Vec<String> = links.iter().map(|l| l.partner_city.clone()).collect();
    links
        .into_iter()
        .find(|l| l.partner_city.eq_ignore_ascii_case(city.trim()))
        .ok_or_else(|| {
            ServiceError::refused(format!(
                "{} has no link with '{}' (its links: {})",
                a.slug,
                city.trim(),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ))
        })
}

/// Where a fact was read: `DOC[:PAGE]` (a document id from `foi documents list`) or
/// `message:ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Document { id: i32, page: Option<i32> },
    Message { id: i32 },
}

impl Source {
    pub fn parse(text: &str) -> Result<Source, String> {
        let t = text.trim();
        let bad = || {
            format!("--source '{t}': give a document and page as DOC:PAGE (e.g. 12:3), a document as DOC, or a message as message:ID")
        };
        if let Some(id) = t.strip_prefix("message:") {
            return id
                .trim()
                .parse()
                .map(|id| Source::Message { id })
                .map_err(|_| bad());
        }
        let (doc, page) = match t.split_once(':') {
            Some((d, p)) => (d, Some(p.trim().parse::<i32>().map_err(|_| bad())?)),
            None => (t, None),
        };
        let id = doc.trim().parse::<i32>().map_err(|_| bad())?;
        if page.is_some_and(|p| p < 1) {
            return Err(bad());
        }
        Ok(Source::Document { id, page })
    }
}

/// `foi findings set LINK --FIELD VALUE … --source SRC`.
#[derive(Debug, Clone)]
pub struct SetFacts {
    pub link: String,
    pub facts: Vec<(FindingField, Option<CommitmentArea>, String)>,
    pub source: Source,
    pub note: Option<String>,
    pub actor: String,
}

async fn check_source(db: &impl ConnectionTrait, source: Source) -> ServiceResult<()> {
    match source {
        Source::Document { id, page } => {
            let d = documents::get(db, id).await?;
            if let Some(p) = page {
                if p > d.pages {
                    return Err(ServiceError::refused(format!(
                        "--source {id}:{p}: document {id} ({}) has {} page(s) of text",
                        d.name, d.pages
                    )));
                }
            }
        }
        Source::Message { id } => {
            inbound::get(db, id).await?.ok_or_else(|| {
                ServiceError::refused(format!("--source message:{id}: no message {id}"))
            })?;
        }
    }
    Ok(())
}

fn source_columns(source: Source) -> (Option<i32>, Option<i32>, Option<i32>) {
    match source {
        Source::Document { id, page } => (Some(id), page, None),
        Source::Message { id } => (None, None, Some(id)),
    }
}

/// Records facts staff read, all from one source, in one transaction. A one-value field's
/// earlier value is kept as superseded.
pub async fn set(
    app: &AppContext,
    now: DateTime<Utc>,
    input: SetFacts,
) -> ServiceResult<Vec<FindingModel>> {
    if input.facts.is_empty() {
        return Err(ServiceError::refused(
            "nothing to record: give at least one of --signed-on, --term, --renewal-cycle, \
             --next-renewal, --status, --signatory, --commitment, --organisation, --money, --visit",
        ));
    }
    let txn = app.db.begin().await?;
    let link = resolve_link(&txn, &input.link).await?;
    check_source(&txn, input.source).await?;
    let (document_id, page, message_id) = source_columns(input.source);
    let mut out = Vec::new();
    for (field, area, value) in input.facts {
        let value = field
            .parse_value(&value)
            .map_err(|e| ServiceError::refused(e.to_string()))?;
        if field == FindingField::Commitment && area.is_none() {
            return Err(ServiceError::refused(
                "--commitment needs its area: AREA=TEXT, e.g. education=\"student exchanges\"",
            ));
        }
        let f = stored::insert(
            &txn,
            NewFinding {
                twinning_id: link.id,
                field,
                area,
                value,
                state: FindingState::Confirmed,
                document_id,
                page,
                message_id,
                rule: None,
                excerpt: None,
                note: input.note.clone(),
                actor: input.actor.clone(),
            },
            now,
        )
        .await?;
        if field.single() {
            stored::supersede(&txn, link.id, field, f.id).await?;
        }
        out.push(f);
    }
    txn.commit().await?;
    Ok(out)
}

/// `foi findings confirm ID [--link L]` / `reject ID`: staff decide a suggestion.
pub async fn decide(
    app: &AppContext,
    now: DateTime<Utc>,
    id: i32,
    confirm: bool,
    link: Option<&str>,
    actor: &str,
) -> ServiceResult<FindingModel> {
    let txn = app.db.begin().await?;
    let f = stored::get(&txn, id).await?;
    if f.state != FindingState::Suggested {
        return Err(ServiceError::refused(format!(
            "finding {id} is {}, not a suggestion waiting for a decision",
            f.state
        )));
    }
    let link_id = match link {
        Some(l) => Some(resolve_link(&txn, l).await?.id),
        None => None,
    };
    let state = if confirm {
        FindingState::Confirmed
    } else {
        FindingState::Rejected
    };
    if !stored::decide(&txn, id, state, link_id, now, actor).await? {
        return Err(ServiceError::refused(format!(
            "finding {id} was decided by someone else just now"
        )));
    }
    let decided = stored::get(&txn, id).await?;
    if confirm && decided.field.single() {
        stored::supersede(&txn, decided.twinning_id, decided.field, id).await?;
    }
    txn.commit().await?;
    Ok(decided)
}

/// A fact (or suggestion) as the register shows it: its value and where it was read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Fact {
    pub id: i32,
    pub field: FindingField,
    pub area: Option<CommitmentArea>,
    pub value: String,
    pub state: FindingState,
    /// "document 12 (agreement.pdf), page 3, foi-2026-0005" or "message 7".
    pub source: String,
    pub document_id: Option<i32>,
    pub page: Option<i32>,
    pub message_id: Option<i32>,
    pub rule: Option<String>,
    pub excerpt: Option<String>,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// A document obtained about the link, as staff tagged it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LinkDocument {
    pub id: i32,
    pub name: String,
    pub kind: Option<String>,
    pub pages: i32,
    pub references: Vec<String>,
    pub publishable: bool,
}

/// Everything the register holds about one link.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LinkRegister {
    pub link_id: i32,
    pub authority: String,
    pub authority_name: String,
    pub nation: String,
    pub partner_city: String,
    pub partner_province: String,
    pub relationship: String,
    pub link_status: String,
    /// The requests about the link: reference and state.
    pub requests: Vec<(String, String)>,
    pub documents: Vec<LinkDocument>,
    /// Confirmed facts by field (commitments as `commitment:AREA`).
    pub facts: BTreeMap<String, Vec<Fact>>,
    pub suggestions: Vec<Fact>,
}

async fn describe_source(db: &impl ConnectionTrait, f: &FindingModel) -> ServiceResult<String> {
    if let Some(id) = f.document_id {
        let d = documents::get(db, id).await?;
        let refs = references_of_document(db, &d).await?;
        let page = f.page.map(|p| format!(", page {p}")).unwrap_or_default();
        let refs = if refs.is_empty() {
            String::new()
        } else {
            format!(", {}", refs.join(", "))
        };
        return Ok(format!("document {id} ({}){page}{refs}", d.name));
    }
    if let Some(id) = f.message_id {
        return Ok(format!("message {id}"));
    }
    Ok("no source".into())
}

async fn references_of_document(
    db: &impl ConnectionTrait,
    d: &DocumentModel,
) -> ServiceResult<Vec<String>> {
    let (_, filed) = super::documents::filed_under(db, d.message_id).await?;
    Ok(filed.into_iter().map(|r| r.reference).collect())
}

async fn fact(db: &impl ConnectionTrait, f: FindingModel) -> ServiceResult<Fact> {
    Ok(Fact {
        source: describe_source(db, &f).await?,
        id: f.id,
        field: f.field,
        area: f.area,
        value: f.value,
        state: f.state,
        document_id: f.document_id,
        page: f.page,
        message_id: f.message_id,
        rule: f.rule,
        excerpt: f.excerpt,
        note: f.note,
        recorded_by: f.decided_by.unwrap_or(f.created_by),
        recorded_at: f.decided_at.unwrap_or(f.created_at),
    })
}

/// The field's key in the register: commitments by area.
pub fn field_key(field: FindingField, area: Option<CommitmentArea>) -> String {
    match (field, area) {
        (FindingField::Commitment, Some(a)) => format!("commitment:{a}"),
        _ => field.to_string(),
    }
}

async fn register_of(
    db: &impl ConnectionTrait,
    link: TwinningModel,
) -> ServiceResult<LinkRegister> {
    let a = authorities::get(db, link.authority_id).await?;
    let mut reqs = Vec::new();
    let mut docs = Vec::new();
    for (r, links) in requests::covering(db, a.id, None).await? {
        if !links.contains(&link.id) {
            continue;
        }
        let messages = crate::store::messages::for_request(db, r.id).await?;
        let ids: Vec<i32> = messages.iter().map(|m| m.id).collect();
        for d in documents::of_messages(db, &ids).await? {
            if docs.iter().any(|x: &LinkDocument| x.id == d.id) {
                continue;
            }
            docs.push(LinkDocument {
                references: references_of_document(db, &d).await?,
                id: d.id,
                name: d.name,
                kind: d.kind.map(|k| k.to_string()),
                pages: d.pages,
                publishable: d.publishable,
            });
        }
        reqs.push((r.reference, r.state.to_string()));
    }
    let mut facts: BTreeMap<String, Vec<Fact>> = BTreeMap::new();
    let mut suggestions = Vec::new();
    for f in stored::for_link(db, link.id).await? {
        match f.state {
            FindingState::Confirmed => {
                let key = field_key(f.field, f.area);
                facts.entry(key).or_default().push(fact(db, f).await?);
            }
            FindingState::Suggested => suggestions.push(fact(db, f).await?),
            FindingState::Rejected | FindingState::Superseded => {}
        }
    }
    Ok(LinkRegister {
        link_id: link.id,
        authority: a.slug,
        authority_name: a.name,
        nation: a.nation,
        partner_city: link.partner_city,
        partner_province: link.partner_province,
        relationship: link.relationship,
        link_status: link.status,
        requests: reqs,
        documents: docs,
        facts,
        suggestions,
    })
}

/// `foi findings show LINK`.
pub async fn show(app: &AppContext, link: &str) -> ServiceResult<LinkRegister> {
    let l = resolve_link(&app.db, link).await?;
    register_of(&app.db, l).await
}

/// `foi findings list`: every link, council by council.
pub async fn list(app: &AppContext) -> ServiceResult<Vec<LinkRegister>> {
    let mut out = Vec::new();
    for (link, _) in twinnings::list(&app.db, None, None).await? {
        out.push(register_of(&app.db, link).await?);
    }
    Ok(out)
}

/// The register's fact columns, in order: (field key, heading).
pub const REGISTER_COLUMNS: &[(&str, &str)] = &[
    ("signed_on", "signed on"),
    ("term", "term"),
    ("renewal_cycle", "renewal cycle"),
    ("next_renewal", "next renewal"),
    ("status", "status"),
    ("signatory", "signatories"),
    ("commitment:education", "education"),
    ("commitment:trade", "trade"),
    ("commitment:culture", "culture"),
    ("commitment:policing", "policing or security"),
    ("commitment:data", "data"),
    ("commitment:other", "other commitments"),
    ("organisation", "organisations"),
    ("money", "money"),
    ("visit", "visits"),
];

/// The register as a table, one row per link (`foi findings list --csv`, and the public
/// site's `register.csv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl RegisterTable {
    pub fn write_csv(&self, out: impl std::io::Write) -> Result<(), csv::Error> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(&self.headers)?;
        for row in &self.rows {
            w.write_record(row)?;
        }
        w.flush()?;
        Ok(())
    }
}

/// Where a fact was read, short enough for a cell: "doc 12 p.3", "message 7".
pub fn cite(f: &Fact) -> String {
    match (f.document_id, f.page, f.message_id) {
        (Some(d), Some(p), _) => format!("doc {d} p.{p}"),
        (Some(d), None, _) => format!("doc {d}"),
        (_, _, Some(m)) => format!("message {m}"),
        _ => "no source".into(),
    }
}

fn register_cell(r: &LinkRegister, key: &str) -> String {
    r.facts
        .get(key)
        .map(|facts| {
            facts
                .iter()
                .map(|f| format!("{} [{}]", f.value, cite(f)))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

/// The documents staff tagged, each with its kind and id.
fn documents_cell(r: &LinkRegister) -> String {
    r.documents
        .iter()
        .filter(|d| d.kind.is_some())
        .map(|d| {
            format!(
                "{} ({}, doc {})",
                d.name,
                d.kind.as_deref().unwrap_or_default(),
                d.id
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The register as a table: the link, its requests and tagged documents, then one column
/// per fact field, each fact with its source.
pub fn register_rows(all: &[LinkRegister]) -> RegisterTable {
    let mut headers: Vec<String> = [
        "council",
        "nation",
        "partner",
        "province",
        "link status",
        "requests",
        "documents",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    headers.extend(REGISTER_COLUMNS.iter().map(|(_, h)| h.to_string()));
    let rows = all
        .iter()
        .map(|r| {
            let mut row = vec![
                r.authority_name.clone(),
                r.nation.clone(),
                r.partner_city.clone(),
                r.partner_province.clone(),
                r.link_status.clone(),
                r.requests
                    .iter()
                    .map(|(reference, state)| format!("{reference} ({state})"))
                    .collect::<Vec<_>>()
                    .join("; "),
                documents_cell(r),
            ];
            row.extend(REGISTER_COLUMNS.iter().map(|(k, _)| register_cell(r, k)));
            row
        })
        .collect();
    RegisterTable { headers, rows }
}

/// `foi findings suggestions`: what waits for a decision.
pub async fn suggestions(app: &AppContext) -> ServiceResult<Vec<(String, Fact)>> {
    let mut out = Vec::new();
    for f in stored::in_state(&app.db, FindingState::Suggested).await? {
        let link = twinnings::get(&app.db, f.twinning_id).await?;
        let a = authorities::get(&app.db, link.authority_id).await?;
        out.push((
            format!("{}:{}", a.slug, link.partner_city),
            fact(&app.db, f).await?,
        ));
    }
    Ok(out)
}

/// What reading one document proposed.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Proposed {
    pub suggestions: usize,
    pub watch_hits: usize,
}

/// Runs the suggestion rules and the watch list over a document just read, for every link
/// of the requests its message is filed under. Nothing is a fact until staff confirm it.
pub async fn propose(
    db: &impl ConnectionTrait,
    document_id: i32,
    watch: &WatchList,
    now: DateTime<Utc>,
) -> ServiceResult<Proposed> {
    let d = documents::get(db, document_id).await?;
    let pages = documents::pages(db, d.id).await?;
    let mut out = Proposed::default();
    for p in &pages {
        for term in watch.hits(&p.text) {
            if stored::add_hit(db, d.id, p.page, &term, now).await? {
                out.watch_hits += 1;
            }
        }
    }
    let mut links: Vec<i32> = Vec::new();
    for r in super::documents::filed_under(db, d.message_id).await?.1 {
        for l in requests::links_of(db, &r).await? {
            if !links.contains(&l.id) {
                links.push(l.id);
            }
        }
    }
    if links.is_empty() {
        return Ok(out);
    }
    let texts: Vec<(u32, &str)> = pages
        .iter()
        .map(|p| (p.page as u32, p.text.as_str()))
        .collect();
    for s in suggest(&texts, watch) {
        for link in &links {
            let page = s.page as i32;
            if stored::already_suggested(db, *link, s.field, &s.value, d.id, page).await? {
                continue;
            }
            stored::insert(
                db,
                NewFinding {
                    twinning_id: *link,
                    field: s.field,
                    area: None,
                    value: s.value.clone(),
                    state: FindingState::Suggested,
                    document_id: Some(d.id),
                    page: Some(page),
                    message_id: None,
                    rule: Some(s.rule.to_string()),
                    excerpt: Some(s.excerpt.clone()),
                    note: None,
                    actor: "foi".into(),
                },
                now,
            )
            .await?;
            out.suggestions += 1;
        }
    }
    Ok(out)
}

/// A renewal the digest warns of.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RenewalDue {
    pub link: String,
    pub authority: String,
    pub partner_city: String,
    pub renews_on: NaiveDate,
    pub weeks_left: i64,
    pub source: String,
}

/// Confirmed next renewals from `today` to `weeks` ahead, soonest first.
pub async fn renewals_due(
    db: &impl ConnectionTrait,
    today: NaiveDate,
    weeks: u32,
) -> ServiceResult<Vec<RenewalDue>> {
    let until = today + chrono::Duration::weeks(weeks as i64);
    let mut out = Vec::new();
    for f in stored::in_state(db, FindingState::Confirmed).await? {
        if f.field != FindingField::NextRenewal {
            continue;
        }
        let Ok(on) = NaiveDate::parse_from_str(&f.value, "%Y-%m-%d") else {
            continue;
        };
        if on < today || on > until {
            continue;
        }
        let link = twinnings::get(db, f.twinning_id).await?;
        let a = authorities::get(db, link.authority_id).await?;
        out.push(RenewalDue {
            link: format!("{}:{}", a.slug, link.partner_city),
            authority: a.name,
            partner_city: link.partner_city,
            renews_on: on,
            weeks_left: (on - today).num_days() / 7,
            source: describe_source(db, &f).await?,
        });
    }
    out.sort_by_key(|r| r.renews_on);
    Ok(out)
}

/// A watch-list name seen for the first time.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FirstMention {
    pub term: String,
    pub authority: Option<String>,
    pub reference: Option<String>,
    pub document: i32,
    pub name: String,
    pub page: i32,
    /// When the reply it came in arrived.
    pub received: Option<NaiveDate>,
}

/// Watch-list names whose first hit ever was recorded in [since, until).
pub async fn first_mentions(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> ServiceResult<Vec<FirstMention>> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for h in stored::hits(db).await? {
        let key = crate::search::fold(&h.term);
        if !seen.insert(key) {
            continue;
        }
        if h.created_at < since || h.created_at >= until {
            continue;
        }
        let d = documents::get(db, h.document_id).await?;
        let (m, filed) = super::documents::filed_under(db, d.message_id).await?;
        let (mut authority, mut reference) = (None, None);
        if let Some(r) = filed.into_iter().next() {
            authority = Some(authorities::get(db, r.authority_id).await?.name);
            reference = Some(r.reference);
        }
        out.push(FirstMention {
            term: h.term,
            authority,
            reference,
            document: d.id,
            name: d.name,
            page: h.page,
            received: m
                .and_then(|m| m.received_at)
                .map(crate::calendar::london_date),
        });
    }
    Ok(out)
}
