//! Queries on `requests`.

use super::entities::{
    authority, campaign,
    request::{self, Entity as Request},
    request_twinning, twinning,
};
use super::{events, StoreError, StoreResult};
use crate::domain::{Channel, Reference, RequestState};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use std::collections::HashMap;

pub use request::Model as RequestModel;

/// What the caller knows before a reference is allocated; the letter is rendered once the
/// reference is known, because the reference and reply address appear in it.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub authority_id: i32,
    pub campaign_id: Option<i32>,
    /// Set for a letter about this one link (`--per link`, `--twinning`).
    pub twinning_id: Option<i32>,
    /// Every link the letter covers (one for a letter about one link).
    pub twinning_ids: Vec<i32>,
    pub template: String,
    pub regime: String,
    pub state: RequestState,
    pub subject: String,
    pub body: String,
    pub reply_to: String,
    pub to_address: Option<String>,
    pub vars: serde_json::Value,
    pub channel: Channel,
}

/// The next free reference for `year`, e.g. `foi-2026-0043` after `foi-2026-0042`.
pub async fn next_reference(db: &impl ConnectionTrait, year: i32) -> StoreResult<Reference> {
    let prefix = format!("{}-{year:04}-", crate::domain::reference_prefix());
    let existing: Vec<String> = Request::find()
        .select_only()
        .column(request::Column::Reference)
        .filter(request::Column::Reference.starts_with(&prefix))
        .into_tuple()
        .all(db)
        .await?;
    let max = existing
        .iter()
        .filter_map(|r| Reference::parse(r).ok())
        .map(|r| r.number())
        .max()
        .unwrap_or(0);
    Ok(Reference::new(year, max + 1))
}

/// Allocates a reference, builds the request for it and inserts it with a `created` event.
/// Another writer may take the same number between our read and our insert; the unique
/// constraint catches that inside a savepoint and we try the next number.
pub async fn insert<C, F, E>(
    db: &C,
    now: DateTime<Utc>,
    actor: &str,
    build: F,
) -> Result<RequestModel, E>
where
    C: ConnectionTrait + TransactionTrait,
    F: FnMut(&Reference) -> Result<NewRequest, E>,
    E: From<StoreError>,
{
    let mut next = None;
    insert_numbered(db, now, actor, &mut next, build).await
}

/// [`insert`] for a caller inserting many in one transaction (a campaign): `next` carries the
/// number to try first from one call to the next, so the year's references are read once
/// rather than once per request (which made queueing a campaign quadratic). A number taken
/// meanwhile is caught by the unique constraint, and the references are read again.
pub async fn insert_numbered<C, F, E>(
    db: &C,
    now: DateTime<Utc>,
    actor: &str,
    next: &mut Option<u32>,
    mut build: F,
) -> Result<RequestModel, E>
where
    C: ConnectionTrait + TransactionTrait,
    F: FnMut(&Reference) -> Result<NewRequest, E>,
    E: From<StoreError>,
{
    let mut last_err = None;
    for _ in 0..8 {
        let reference = match next.take() {
            Some(n) => Reference::new(now.year(), n),
            None => next_reference(db, now.year()).await?,
        };
        let new = build(&reference)?;
        let sp = db.begin().await.map_err(StoreError::from)?;
        let result = new_row(&reference, &new, now).insert(&sp).await;
        match result {
            Ok(model) => {
                if !new.twinning_ids.is_empty() {
                    request_twinning::Entity::insert_many(new.twinning_ids.iter().map(|t| {
                        request_twinning::ActiveModel {
                            request_id: Set(model.id),
                            twinning_id: Set(*t),
                        }
                    }))
                    .exec(&sp)
                    .await
                    .map_err(StoreError::from)?;
                }
                events::record(
                    &sp,
                    model.id,
                    now,
                    new.state,
                    created_detail(&reference, &new),
                    actor,
                    None,
                )
                .await?;
                sp.commit().await.map_err(StoreError::from)?;
                *next = Some(reference.number() + 1);
                return Ok(model);
            }
            Err(e) => {
                sp.rollback().await.map_err(StoreError::from)?;
                if !is_unique_violation(&e) {
                    return Err(StoreError::from(e).into());
                }
                if exists_in_campaign(db, &new).await? {
                    return Err(E::from(StoreError::Conflict(format!(
                        "the campaign already holds a {} request to this council about link {} \
                         (another foi command queued it just now?); see `foi requests list --campaign NAME`",
                        new.template,
                        new.twinning_id.map(|t| t.to_string()).unwrap_or_default()
                    ))));
                }
                last_err = Some(e);
            }
        }
    }
    Err(StoreError::Conflict(format!(
        "could not allocate a free reference: {}",
        last_err.map(|e| e.to_string()).unwrap_or_default()
    ))
    .into())
}

/// Inserts many requests at once, each under the reference it was built with, with their
/// links and `created` events, in a few multi-row INSERTs inside a savepoint. `Ok(None)` when
/// a reference or a campaign's link is already taken (another writer got there first): then
/// nothing was written, and the caller inserts them one by one with [`insert_numbered`],
/// which finds free numbers and names a clash.
pub async fn insert_batch<C>(
    db: &C,
    now: DateTime<Utc>,
    actor: &str,
    items: Vec<(Reference, NewRequest)>,
) -> StoreResult<Option<Vec<RequestModel>>>
where
    C: ConnectionTrait + TransactionTrait,
{
    let sp = db.begin().await?;
    let rows: Vec<request::ActiveModel> = items
        .iter()
        .map(|(reference, new)| new_row(reference, new, now))
        .collect();
    if let Err(e) = super::bulk::insert_all(&sp, rows).await {
        sp.rollback().await?;
        return match e {
            StoreError::Db(e) if is_unique_violation(&e) => Ok(None),
            e => Err(e),
        };
    }
    // The ids the database gave, by reference (unique).
    let refs: Vec<String> = items.iter().map(|(r, _)| r.to_string()).collect();
    let mut ids: HashMap<String, i32> = HashMap::new();
    for chunk in refs.chunks(IN_CHUNK) {
        let found: Vec<(i32, String)> = Request::find()
            .select_only()
            .column(request::Column::Id)
            .column(request::Column::Reference)
            .filter(request::Column::Reference.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(&sp)
            .await?;
        ids.extend(found.into_iter().map(|(id, r)| (r, id)));
    }
    let mut models = Vec::with_capacity(items.len());
    let mut links = Vec::new();
    let mut created = Vec::new();
    for (reference, new) in items {
        let id = *ids.get(reference.as_str()).ok_or_else(|| {
            StoreError::Conflict(format!("request {reference} vanished as it was stored"))
        })?;
        links.extend(
            new.twinning_ids
                .iter()
                .map(|t| request_twinning::ActiveModel {
                    request_id: Set(id),
                    twinning_id: Set(*t),
                }),
        );
        created.push(events::row(
            id,
            now,
            new.state,
            created_detail(&reference, &new),
            actor,
            None,
        ));
        models.push(RequestModel {
            id,
            reference: reference.to_string(),
            authority_id: new.authority_id,
            campaign_id: new.campaign_id,
            twinning_id: new.twinning_id,
            template: new.template,
            regime: new.regime,
            state: new.state,
            subject: new.subject,
            body: new.body,
            reply_to: new.reply_to,
            to_address: new.to_address,
            vars: new.vars.to_string(),
            created_at: now,
            updated_at: now,
            sent_at: None,
            response_due: None,
            deadlines: None,
            channel: new.channel,
            portal_reference: None,
        });
    }
    super::bulk::insert_all(&sp, links).await?;
    super::bulk::insert_all(&sp, created).await?;
    sp.commit().await?;
    Ok(Some(models))
}

/// What a new request's `created` event says.
fn created_detail(reference: &Reference, new: &NewRequest) -> String {
    format!(
        "{} request {} created from template {}{}",
        new.state,
        reference,
        new.template,
        if new.channel.by_email() {
            String::new()
        } else {
            format!(", to go {}", new.channel.how())
        }
    )
}

fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Whether a unique-index clash is the campaign's one-link index rather than a reference
/// taken by another writer. Only one-link letters are under that index (a per-council
/// letter's `twinning_id` is NULL, which the index does not compare).
async fn exists_in_campaign(db: &impl ConnectionTrait, new: &NewRequest) -> StoreResult<bool> {
    let (Some(campaign_id), Some(_)) = (new.campaign_id, new.twinning_id) else {
        return Ok(false);
    };
    campaign_holds(
        db,
        campaign_id,
        new.authority_id,
        new.twinning_id,
        &new.template,
    )
    .await
}

/// Whether the campaign already has a request for this authority, link and template.
pub async fn campaign_holds(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    authority_id: i32,
    twinning_id: Option<i32>,
    template: &str,
) -> StoreResult<bool> {
    let mut q = Request::find()
        .filter(request::Column::CampaignId.eq(campaign_id))
        .filter(request::Column::AuthorityId.eq(authority_id))
        .filter(request::Column::Template.eq(template));
    q = match twinning_id {
        Some(t) => q.filter(request::Column::TwinningId.eq(t)),
        None => q.filter(request::Column::TwinningId.is_null()),
    };
    Ok(q.one(db).await?.is_some())
}

/// The twinning links each request covers, by request id (ordered by link id).
pub async fn links_by_request(
    db: &impl ConnectionTrait,
    request_ids: &[i32],
) -> StoreResult<HashMap<i32, Vec<i32>>> {
    let mut out: HashMap<i32, Vec<i32>> = HashMap::new();
    if request_ids.is_empty() {
        return Ok(out);
    }
    // In chunks: PostgreSQL takes at most 65,535 parameters in one statement.
    for chunk in request_ids.chunks(IN_CHUNK) {
        let rows = request_twinning::Entity::find()
            .filter(request_twinning::Column::RequestId.is_in(chunk.iter().copied()))
            .order_by_asc(request_twinning::Column::TwinningId)
            .all(db)
            .await?;
        for row in rows {
            out.entry(row.request_id).or_default().push(row.twinning_id);
        }
    }
    Ok(out)
}

/// The twinning links a request is about, in the order its letter lists them.
pub async fn links_of(
    db: &impl ConnectionTrait,
    r: &RequestModel,
) -> StoreResult<Vec<twinning::Model>> {
    let ids = own_links(links_by_request(db, &[r.id]).await?.remove(&r.id), r);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(twinning::Entity::find()
        .filter(twinning::Column::Id.is_in(ids))
        .order_by_asc(twinning::Column::PartnerCity)
        .order_by_asc(twinning::Column::Id)
        .all(db)
        .await?)
}

/// The authority's requests (from `template`, or any), oldest first, each with the links it
/// covers; without their letters (see [`without_letters`]): a campaign reads every council's.
/// A withdrawn request counts: asking again after withdrawing is a decision
/// (`--again`), not something a campaign re-run should do by itself.
pub async fn covering(
    db: &impl ConnectionTrait,
    authority_id: i32,
    template: Option<&str>,
) -> StoreResult<Vec<(RequestModel, Vec<i32>)>> {
    let mut q = without_letters(&[]).filter(request::Column::AuthorityId.eq(authority_id));
    if let Some(t) = template {
        q = q.filter(request::Column::Template.eq(t));
    }
    let rows = q
        .order_by_asc(request::Column::Id)
        .into_model::<RequestModel>()
        .all(db)
        .await?;
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let mut links = links_by_request(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let l = own_links(links.remove(&r.id), &r);
            (r, l)
        })
        .collect())
}

/// A request that already asks about a link (see [`asking_about`]).
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct Asking {
    pub id: i32,
    pub reference: String,
    pub campaign_id: Option<i32>,
    /// One of the links asked about.
    pub link: i32,
}

/// The authority's requests from `template` that ask about any of `links`, oldest first,
/// each with those of `links` it covers: the same answer as [`covering`] for these links,
/// found from the links (indexed) instead of from every request the council was ever sent,
/// which made queueing a campaign slower the more requests the database held.
pub async fn asking_about(
    db: &impl ConnectionTrait,
    authority_id: i32,
    template: &str,
    links: &[i32],
) -> StoreResult<Vec<(Asking, Vec<i32>)>> {
    use sea_orm::{FromQueryResult, Statement};
    let backend = db.get_database_backend();
    let mut found: Vec<Asking> = Vec::new();
    for chunk in links.chunks(IN_CHUNK) {
        let list = chunk
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        // The council and the template, bound once for each half.
        let [p1, p2, p3, p4] = match backend {
            sea_orm::DbBackend::Postgres => ["$1", "$2", "$3", "$4"],
            _ => ["?"; 4],
        };
        // The links as stored; and, as `own_links` reads them, the one link of a request
        // stored by hand before links had their own table.
        let sql = format!(
            "SELECT r.id, r.reference, r.campaign_id, rt.twinning_id AS link FROM requests r \
             JOIN request_twinnings rt ON rt.request_id = r.id \
             WHERE rt.twinning_id IN ({list}) AND r.authority_id = {p1} AND r.template = {p2} \
             UNION ALL \
             SELECT r.id, r.reference, r.campaign_id, r.twinning_id AS link FROM requests r \
             WHERE r.twinning_id IN ({list}) AND r.authority_id = {p3} AND r.template = {p4} \
             AND NOT EXISTS (SELECT 1 FROM request_twinnings rt WHERE rt.request_id = r.id)"
        );
        found.extend(
            Asking::find_by_statement(Statement::from_sql_and_values(
                backend,
                sql,
                [
                    authority_id.into(),
                    template.into(),
                    authority_id.into(),
                    template.into(),
                ],
            ))
            .all(db)
            .await?,
        );
    }
    found.sort_by_key(|a| (a.id, a.link));
    let mut out: Vec<(Asking, Vec<i32>)> = Vec::new();
    for a in found {
        match out.last_mut() {
            Some((last, ids)) if last.id == a.id => ids.push(a.link),
            _ => {
                let link = a.link;
                out.push((a, vec![link]));
            }
        }
    }
    Ok(out)
}

/// A request's links as stored, or, for one stored by hand before links had their own table,
/// the one link it names.
fn own_links(stored: Option<Vec<i32>>, r: &RequestModel) -> Vec<i32> {
    match stored {
        Some(l) if !l.is_empty() => l,
        _ => r.twinning_id.into_iter().collect(),
    }
}

pub async fn find_by_reference(
    db: &impl ConnectionTrait,
    reference: &str,
) -> StoreResult<Option<RequestModel>> {
    Ok(Request::find()
        .filter(request::Column::Reference.eq(reference.trim().to_ascii_lowercase()))
        .one(db)
        .await?)
}

pub async fn get_by_reference(
    db: &impl ConnectionTrait,
    reference: &str,
) -> StoreResult<RequestModel> {
    find_by_reference(db, reference).await?.ok_or_else(|| {
        StoreError::NotFound(format!(
            "no request with the reference '{reference}' (see `foi requests list`)"
        ))
    })
}

#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub state: Option<RequestState>,
    pub authority_slug: Option<String>,
    pub campaign: Option<String>,
}

/// A request with the names a person needs to read it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RequestRow {
    pub reference: String,
    pub state: RequestState,
    pub regime: String,
    pub authority: String,
    pub authority_name: String,
    pub campaign: Option<String>,
    /// Set for a letter about one link (`--per link`, `--twinning`).
    pub twinning_id: Option<i32>,
    /// Every link the letter covers.
    pub twinning_ids: Vec<i32>,
    /// The partner cities of those links, joined with commas.
    pub partner_city: Option<String>,
    pub template: String,
    pub subject: String,
    pub to_address: Option<String>,
    pub reply_to: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// How the request goes to the council: email, portal (its web form) or post.
    pub channel: Channel,
    pub portal_reference: Option<String>,
    /// The statutory response date as last computed (none before the clock starts).
    pub response_due: Option<NaiveDate>,
}

/// Ids per `IN (…)` list: well under PostgreSQL's 65,535 parameters per statement.
pub const IN_CHUNK: usize = 10_000;

/// Requests without their letters: `body` (and each column in `blank`) read as empty text.
/// For the commands that read thousands of requests and never a letter (the list, the sweep,
/// the digest): the letters are most of a request's bytes.
pub fn without_letters(blank: &[request::Column]) -> sea_orm::Select<Request> {
    use sea_orm::sea_query::Expr;
    use sea_orm::Iterable;
    let mut q = Request::find().select_only();
    for c in request::Column::iter() {
        if c.as_str() == "body" || blank.iter().any(|b| b.as_str() == c.as_str()) {
            q = q.column_as(Expr::value(""), c.as_str());
        } else {
            q = q.column(c);
        }
    }
    q
}

pub async fn list(
    db: &impl ConnectionTrait,
    filter: &RequestFilter,
) -> StoreResult<Vec<RequestRow>> {
    let requests = filtered(db, filter)
        .await?
        .order_by_asc(request::Column::Id)
        .into_model::<RequestModel>()
        .all(db)
        .await?;
    rows_for(db, requests).await
}

/// The requests that `filter` names, without their letters.
async fn filtered(
    db: &impl ConnectionTrait,
    filter: &RequestFilter,
) -> StoreResult<sea_orm::Select<Request>> {
    let mut q = without_letters(&[]);
    if let Some(state) = filter.state {
        q = q.filter(request::Column::State.eq(state));
    }
    if let Some(slug) = &filter.authority_slug {
        let a = super::authorities::get_by_slug(db, slug).await?;
        q = q.filter(request::Column::AuthorityId.eq(a.id));
    }
    if let Some(name) = &filter.campaign {
        let c = super::campaigns::find(db, name)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no campaign named '{name}'")))?;
        q = q.filter(request::Column::CampaignId.eq(c.id));
    }
    Ok(q)
}

/// [`list`] a range of ids at a time, for a list of any length printed as it is read
/// (`foi requests list --json` held 580 MB of rows at 100k requests).
pub struct ListPages {
    query: sea_orm::Select<Request>,
    ranges: std::vec::IntoIter<(i32, i32)>,
}

pub async fn list_pages(
    db: &impl ConnectionTrait,
    filter: &RequestFilter,
) -> StoreResult<ListPages> {
    Ok(ListPages {
        query: filtered(db, filter).await?,
        ranges: id_ranges(db, LIST_PAGE)
            .await?
            .collect::<Vec<_>>()
            .into_iter(),
    })
}

/// Ids per page of [`ListPages`].
const LIST_PAGE: i32 = 1_000;

impl ListPages {
    /// The next rows, oldest first; None after the last.
    pub async fn next(
        &mut self,
        db: &impl ConnectionTrait,
    ) -> StoreResult<Option<Vec<RequestRow>>> {
        for (after, upto) in self.ranges.by_ref() {
            let requests = self
                .query
                .clone()
                .filter(request::Column::Id.gt(after))
                .filter(request::Column::Id.lte(upto))
                .order_by_asc(request::Column::Id)
                .into_model::<RequestModel>()
                .all(db)
                .await?;
            if !requests.is_empty() {
                return Ok(Some(rows_for(db, requests).await?));
            }
        }
        Ok(None)
    }
}

pub async fn rows_for(
    db: &impl ConnectionTrait,
    requests: Vec<RequestModel>,
) -> StoreResult<Vec<RequestRow>> {
    let ids = |f: fn(&RequestModel) -> Option<i32>| -> Vec<i32> {
        let mut v: Vec<i32> = requests.iter().filter_map(f).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let mut authorities: HashMap<i32, authority::Model> = HashMap::new();
    for chunk in ids(|r| Some(r.authority_id)).chunks(IN_CHUNK) {
        for a in authority::Entity::find()
            .filter(authority::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            authorities.insert(a.id, a);
        }
    }
    let mut campaigns: HashMap<i32, String> = HashMap::new();
    for chunk in ids(|r| r.campaign_id).chunks(IN_CHUNK) {
        for c in campaign::Entity::find()
            .filter(campaign::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            campaigns.insert(c.id, c.name);
        }
    }
    let request_ids: Vec<i32> = requests.iter().map(|r| r.id).collect();
    let mut links = links_by_request(db, &request_ids).await?;
    let mut link_ids: Vec<i32> = links.values().flatten().copied().collect();
    link_ids.extend(requests.iter().filter_map(|r| r.twinning_id));
    link_ids.sort_unstable();
    link_ids.dedup();
    let mut twinnings: HashMap<i32, String> = HashMap::new();
    for chunk in link_ids.chunks(IN_CHUNK) {
        let rows: Vec<(i32, String)> = twinning::Entity::find()
            .select_only()
            .column(twinning::Column::Id)
            .column(twinning::Column::PartnerCity)
            .filter(twinning::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        twinnings.extend(rows);
    }
    Ok(requests
        .into_iter()
        .map(|r| {
            let a = authorities.get(&r.authority_id);
            let twinning_ids = own_links(links.remove(&r.id), &r);
            let mut cities: Vec<String> = twinning_ids
                .iter()
                .filter_map(|t| twinnings.get(t).cloned())
                .collect();
            cities.sort();
            RequestRow {
                authority: a.map(|a| a.slug.clone()).unwrap_or_default(),
                authority_name: a.map(|a| a.name.clone()).unwrap_or_default(),
                campaign: r.campaign_id.and_then(|c| campaigns.get(&c).cloned()),
                partner_city: (!cities.is_empty()).then(|| cities.join(", ")),
                twinning_id: r.twinning_id,
                twinning_ids,
                reference: r.reference,
                state: r.state,
                regime: r.regime,
                template: r.template,
                subject: r.subject,
                to_address: r.to_address,
                reply_to: r.reply_to,
                created_at: r.created_at,
                sent_at: r.sent_at,
                channel: r.channel,
                portal_reference: r.portal_reference,
                response_due: r.response_due,
            }
        })
        .collect())
}

pub async fn references_by_id(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> StoreResult<HashMap<i32, String>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(IN_CHUNK) {
        let rows: Vec<(i32, String)> = Request::find()
            .select_only()
            .column(request::Column::Id)
            .column(request::Column::Reference)
            .filter(request::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

pub async fn set_state(
    db: &impl ConnectionTrait,
    id: i32,
    state: RequestState,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if let Some(model) = Request::find_by_id(id).one(db).await? {
        let mut am: request::ActiveModel = model.into();
        am.state = Set(state);
        am.updated_at = Set(now);
        am.update(db).await?;
    }
    Ok(())
}

/// The deadlines stored with the request; a stored value that does not read is an error.
pub fn deadlines_of(model: &RequestModel) -> StoreResult<Option<crate::calendar::Deadlines>> {
    parse_deadlines(&model.reference, model.deadlines.as_deref())
}

fn parse_deadlines(
    reference: &str,
    stored: Option<&str>,
) -> StoreResult<Option<crate::calendar::Deadlines>> {
    stored
        .map(|s| {
            serde_json::from_str(s)
                .map_err(|e| StoreError::Invalid(format!("{reference}: stored deadlines: {e}")))
        })
        .transpose()
}

/// Stores the request's deadlines (`None`: no clock is running).
pub async fn set_deadlines(
    db: &impl ConnectionTrait,
    id: i32,
    deadlines: Option<&crate::calendar::Deadlines>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let json = deadlines
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Invalid(format!("deadlines: {e}")))?;
    Request::update_many()
        .col_expr(
            request::Column::ResponseDue,
            sea_orm::sea_query::Expr::value(deadlines.and_then(|d| d.response_due)),
        )
        .col_expr(
            request::Column::Deadlines,
            sea_orm::sea_query::Expr::value(json),
        )
        .col_expr(
            request::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(request::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn set_sent_at(db: &impl ConnectionTrait, id: i32, at: DateTime<Utc>) -> StoreResult<()> {
    Request::update_many()
        .col_expr(
            request::Column::SentAt,
            sea_orm::sea_query::Expr::value(Some(at)),
        )
        .col_expr(
            request::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(at),
        )
        .filter(request::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The case number the council's web form gave the request.
pub async fn set_portal_reference(
    db: &impl ConnectionTrait,
    id: i32,
    portal_reference: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    Request::update_many()
        .col_expr(
            request::Column::PortalReference,
            sea_orm::sea_query::Expr::value(Some(portal_reference.to_string())),
        )
        .col_expr(
            request::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(request::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn set_to_address(
    db: &impl ConnectionTrait,
    id: i32,
    to: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if let Some(model) = Request::find_by_id(id).one(db).await? {
        let mut am: request::ActiveModel = model.into();
        am.to_address = Set(Some(to.to_string()));
        am.updated_at = Set(now);
        am.update(db).await?;
    }
    Ok(())
}

/// Replaces the request's letter (written again under the same reference).
pub async fn set_letter(
    db: &impl ConnectionTrait,
    id: i32,
    subject: &str,
    body: &str,
    reply_to: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if let Some(model) = Request::find_by_id(id).one(db).await? {
        let mut am: request::ActiveModel = model.into();
        am.subject = Set(subject.to_string());
        am.body = Set(body.to_string());
        am.reply_to = Set(reply_to.to_string());
        am.updated_at = Set(now);
        am.update(db).await?;
    }
    Ok(())
}

/// Every request with its letter, oldest first (for small tables: the tests, one-off reads).
pub async fn all(db: &impl ConnectionTrait) -> StoreResult<Vec<RequestModel>> {
    Ok(Request::find()
        .order_by_asc(request::Column::Id)
        .all(db)
        .await?)
}

/// What a request's deadlines need (see `services::status::deadline_lists`), and no more.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct DueFacts {
    pub id: i32,
    pub reference: String,
    pub authority_id: i32,
    pub campaign_id: Option<i32>,
    pub regime: String,
    pub state: RequestState,
    pub response_due: Option<NaiveDate>,
    /// Read only for a request in one of [`DEADLINES_READ_IN`]; None for the others.
    pub deadlines: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// The states in which a list reads more of a request's stored deadlines than its response
/// date: the review's due date and the end of the complaint window
/// (`report::deadlines::DeadlineKind::open_in`, whose test holds the two together). Every
/// other request in a list (most of them, at scale) needs only `response_due`, and leaving
/// out its deadlines (a few hundred bytes of JSON) and their parsing made the status's read
/// of 30,000 requests much quicker.
pub const DEADLINES_READ_IN: [RequestState; 2] =
    [RequestState::InternalReview, RequestState::ReviewUpheld];

impl DueFacts {
    /// The deadlines as last computed and stored; None outside [`DEADLINES_READ_IN`], whose
    /// requests are read without them.
    pub fn deadlines(&self) -> StoreResult<Option<crate::calendar::Deadlines>> {
        parse_deadlines(&self.reference, self.deadlines.as_deref())
    }
}

/// The columns of [`DueFacts`].
fn due_columns() -> sea_orm::Select<Request> {
    use request::Column as C;
    use sea_orm::sea_query::{CaseStatement, Expr, SimpleExpr};
    let deadlines = CaseStatement::new()
        .case(
            C::State.is_in(DEADLINES_READ_IN),
            Expr::col((request::Entity, C::Deadlines)),
        )
        .finally(Expr::val(Option::<String>::None));
    Request::find()
        .select_only()
        .columns([
            C::Id,
            C::Reference,
            C::AuthorityId,
            C::CampaignId,
            C::Regime,
            C::State,
            C::ResponseDue,
            C::UpdatedAt,
        ])
        .column_as(Into::<SimpleExpr>::into(deadlines), "deadlines")
}

/// The requests in any of `states` (of one campaign, or all), oldest first, with what their
/// deadlines need: the status reads every open request, tens of thousands at scale.
pub async fn due_rows(
    db: &impl ConnectionTrait,
    states: &[RequestState],
    campaign: Option<i32>,
) -> StoreResult<Vec<DueFacts>> {
    Ok(due_columns()
        .filter(in_states_of(states, campaign))
        .order_by_asc(request::Column::Id)
        .into_model::<DueFacts>()
        .all(db)
        .await?)
}

/// Requests in any of `states`, of `campaign` when one is given.
fn in_states_of(states: &[RequestState], campaign: Option<i32>) -> sea_orm::Condition {
    use request::Column as C;
    let mut c = sea_orm::Condition::all().add(C::State.is_in(states.iter().copied()));
    if let Some(id) = campaign {
        c = c.add(C::CampaignId.eq(id));
    }
    c
}

/// The first `limit` requests in any of `states` with a response date, earliest date first
/// (then by reference), and how many there are in all: the first lines of the overdue list
/// without reading the thousands after them.
pub async fn late_first(
    db: &impl ConnectionTrait,
    states: &[RequestState],
    campaign: Option<i32>,
    limit: u64,
) -> StoreResult<(Vec<DueFacts>, u64)> {
    use request::Column as C;
    use sea_orm::{PaginatorTrait, QuerySelect};
    let late = in_states_of(states, campaign).add(C::ResponseDue.is_not_null());
    let total = Request::find().filter(late.clone()).count(db).await?;
    let rows = due_columns()
        .filter(late)
        .order_by_asc(C::ResponseDue)
        .order_by_asc(C::Reference)
        .limit(limit)
        .into_model::<DueFacts>()
        .all(db)
        .await?;
    Ok((rows, total))
}

/// The requests in any of `states` whose response is due from `from` to `to`, oldest first.
pub async fn due_between(
    db: &impl ConnectionTrait,
    states: &[RequestState],
    campaign: Option<i32>,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<DueFacts>> {
    use request::Column as C;
    Ok(due_columns()
        .filter(in_states_of(states, campaign).add(C::ResponseDue.between(from, to)))
        .order_by_asc(C::Id)
        .into_model::<DueFacts>()
        .all(db)
        .await?)
}

/// The requests in any of `states` whose ids lie in `(after_id, upto_id]`, oldest first,
/// without their letters (see [`without_letters`]): the sweep reads every open request a
/// range of ids at a time instead of holding them all. A range, not `LIMIT`: with the state
/// index, a `LIMIT` page must find and sort every later match before it keeps its first
/// thousand, so each page cost more than the last.
pub async fn in_states_between(
    db: &impl ConnectionTrait,
    states: &[RequestState],
    after_id: i32,
    upto_id: i32,
) -> StoreResult<Vec<RequestModel>> {
    Ok(without_letters(&[])
        .filter(request::Column::State.is_in(states.iter().copied()))
        .filter(request::Column::Id.gt(after_id))
        .filter(request::Column::Id.lte(upto_id))
        .order_by_asc(request::Column::Id)
        .into_model::<RequestModel>()
        .all(db)
        .await?)
}

/// The ranges `(after, upto]` of `span` ids that cover every request there is now, in
/// order: how the sweep and the reports read the table a part at a time.
pub async fn id_ranges(
    db: &impl ConnectionTrait,
    span: i32,
) -> StoreResult<impl Iterator<Item = (i32, i32)>> {
    let max: Option<Option<i32>> = Request::find()
        .select_only()
        .column_as(request::Column::Id.max(), "m")
        .into_tuple()
        .one(db)
        .await?;
    let last = max.flatten().unwrap_or(0);
    let span = span.max(1);
    Ok((0..last)
        .step_by(span as usize)
        .map(move |after| (after, after.saturating_add(span))))
}

/// How many requests are in each state.
pub async fn count_by_state(db: &impl ConnectionTrait) -> StoreResult<Vec<(RequestState, i64)>> {
    Ok(Request::find()
        .select_only()
        .column(request::Column::State)
        .column_as(request::Column::Id.count(), "n")
        .group_by(request::Column::State)
        .into_tuple()
        .all(db)
        .await?)
}

/// Requests in any of `states` or with one of `ids`, with what their deadlines need (see
/// [`DueFacts`]), oldest first: what the digest reads.
pub async fn digest_rows(
    db: &impl ConnectionTrait,
    states: &[RequestState],
    ids: &[i32],
) -> StoreResult<Vec<DueFacts>> {
    // The deadlines stay: the overdue and due-soon lists read the review and complaint dates.
    let mut out = due_rows(db, states, None).await?;
    let have: std::collections::HashSet<i32> = out.iter().map(|r| r.id).collect();
    let mut missing: Vec<i32> = ids.iter().copied().filter(|i| !have.contains(i)).collect();
    missing.sort_unstable();
    missing.dedup();
    for chunk in missing.chunks(IN_CHUNK) {
        out.extend(
            due_columns()
                .filter(request::Column::Id.is_in(chunk.iter().copied()))
                .into_model::<DueFacts>()
                .all(db)
                .await?,
        );
    }
    out.sort_by_key(|r| r.id);
    Ok(out)
}

pub async fn for_authority(
    db: &impl ConnectionTrait,
    authority_id: i32,
) -> StoreResult<Vec<RequestModel>> {
    Ok(Request::find()
        .filter(request::Column::AuthorityId.eq(authority_id))
        .order_by_asc(request::Column::Id)
        .all(db)
        .await?)
}

pub async fn get_by_id(db: &impl ConnectionTrait, id: i32) -> StoreResult<Option<RequestModel>> {
    Ok(Request::find_by_id(id).one(db).await?)
}

/// The row a new request is stored as, one-by-one or in bulk.
fn new_row(reference: &Reference, new: &NewRequest, now: DateTime<Utc>) -> request::ActiveModel {
    request::ActiveModel {
        reference: Set(reference.to_string()),
        authority_id: Set(new.authority_id),
        campaign_id: Set(new.campaign_id),
        twinning_id: Set(new.twinning_id),
        template: Set(new.template.clone()),
        regime: Set(new.regime.clone()),
        state: Set(new.state),
        subject: Set(new.subject.clone()),
        body: Set(new.body.clone()),
        reply_to: Set(new.reply_to.clone()),
        to_address: Set(new.to_address.clone()),
        vars: Set(new.vars.to_string()),
        channel: Set(new.channel),
        portal_reference: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    }
}
