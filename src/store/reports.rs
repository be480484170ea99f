//! What the reports read: requests a page at a time with everything a figure needs (names,
//! links, clock events, recorded answers, review results, complaints), state counts, and the
//! responses to export. Pages keep memory flat however many requests there are.

use super::entities::{
    authority, campaign, classification, clock_event, event, message, message_request, request,
    twinning,
};
use super::requests::{links_by_request, RequestModel};
use super::{StoreError, StoreResult};
use crate::calendar::{ClockEvent, ClockEventKind};
use crate::domain::{Direction, RequestState};
use crate::report::{Recorded, RequestFacts};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// The campaign's id for a name given on the command line; an unknown name is an error.
pub async fn campaign_id(
    db: &impl ConnectionTrait,
    name: Option<&str>,
) -> StoreResult<Option<i32>> {
    let Some(name) = name else { return Ok(None) };
    super::campaigns::find(db, name)
        .await?
        .map(|c| Some(c.id))
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "no campaign named '{name}' (campaigns are named by `foi queue --campaign NAME`)"
            ))
        })
}

/// Requests (of one campaign, or all) with ids above `after`, oldest first, at most `limit`.
pub async fn requests_page(
    db: &impl ConnectionTrait,
    campaign: Option<i32>,
    after: i32,
    limit: u64,
) -> StoreResult<Vec<RequestModel>> {
    let mut q = request::Entity::find().filter(request::Column::Id.gt(after));
    if let Some(c) = campaign {
        q = q.filter(request::Column::CampaignId.eq(c));
    }
    Ok(q.order_by_asc(request::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// One page of requests with their facts (see `requests_page`).
pub async fn facts_page(
    db: &impl ConnectionTrait,
    campaign: Option<i32>,
    after: i32,
    limit: u64,
) -> StoreResult<Vec<RequestFacts>> {
    let rows = requests_page(db, campaign, after, limit).await?;
    facts_for(db, rows).await
}

/// The facts of these requests, in the order given.
pub async fn facts_for(
    db: &impl ConnectionTrait,
    rows: Vec<RequestModel>,
) -> StoreResult<Vec<RequestFacts>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let distinct = |f: fn(&RequestModel) -> Option<i32>| -> Vec<i32> {
        let mut v: Vec<i32> = rows.iter().filter_map(f).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let authorities: HashMap<i32, authority::Model> = authority::Entity::find()
        .filter(authority::Column::Id.is_in(distinct(|r| Some(r.authority_id))))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let campaigns: HashMap<i32, String> = campaign::Entity::find()
        .filter(campaign::Column::Id.is_in(distinct(|r| r.campaign_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut links = links_by_request(db, &ids).await?;
    let mut link_ids: Vec<i32> = links.values().flatten().copied().collect();
    link_ids.extend(rows.iter().filter_map(|r| r.twinning_id));
    link_ids.sort_unstable();
    link_ids.dedup();
    let cities: HashMap<i32, String> = twinning::Entity::find()
        .filter(twinning::Column::Id.is_in(link_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.partner_city))
        .collect();
    let mut clock: HashMap<i32, Vec<ClockEvent>> = HashMap::new();
    for c in clock_event::Entity::find()
        .filter(clock_event::Column::RequestId.is_in(ids.clone()))
        .order_by_asc(clock_event::Column::Date)
        .order_by_asc(clock_event::Column::Id)
        .all(db)
        .await?
    {
        let kind = c.kind.parse::<ClockEventKind>().map_err(|e| {
            StoreError::Invalid(format!(
                "clock event {} of request {}: {e}",
                c.id, c.request_id
            ))
        })?;
        clock
            .entry(c.request_id)
            .or_default()
            .push(ClockEvent::new(c.date, kind));
    }
    let mut recorded: HashMap<i32, Vec<Recorded>> = HashMap::new();
    for c in classification::Entity::find()
        .filter(classification::Column::RequestId.is_in(ids.clone()))
        .order_by_asc(classification::Column::At)
        .order_by_asc(classification::Column::Id)
        .all(db)
        .await?
    {
        recorded.entry(c.request_id).or_default().push(Recorded {
            outcome: c.outcome,
            exemptions: c
                .exemptions
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            received_on: c.received_on,
        });
    }
    let wanted = [
        RequestState::ReviewUpheld,
        RequestState::ReviewOverturned,
        RequestState::Complaint,
    ];
    let mut reviews: HashMap<i32, Vec<bool>> = HashMap::new();
    let mut complaints: HashMap<i32, bool> = HashMap::new();
    for e in event::Entity::find()
        .filter(event::Column::RequestId.is_in(ids.clone()))
        .filter(event::Column::Kind.is_in(wanted.iter().map(|s| s.as_str())))
        .order_by_asc(event::Column::At)
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?
    {
        match e.kind.as_str() {
            "complaint" => {
                complaints.insert(e.request_id, true);
            }
            k => reviews
                .entry(e.request_id)
                .or_default()
                .push(k == RequestState::ReviewUpheld.as_str()),
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let deadlines = super::requests::deadlines_of(&r)?;
        out.push({
            let a = authorities.get(&r.authority_id);
            let link_ids = match links.remove(&r.id) {
                Some(l) if !l.is_empty() => l,
                _ => r.twinning_id.into_iter().collect(),
            };
            let mut partner_cities: Vec<String> = link_ids
                .iter()
                .filter_map(|t| cities.get(t).cloned())
                .collect();
            partner_cities.sort();
            RequestFacts {
                id: r.id,
                authority: a.map(|a| a.slug.clone()).unwrap_or_default(),
                authority_name: a.map(|a| a.name.clone()).unwrap_or_default(),
                nation: a.map(|a| a.nation.clone()).unwrap_or_default(),
                campaign: r.campaign_id.and_then(|c| campaigns.get(&c).cloned()),
                clock: clock.remove(&r.id).unwrap_or_default(),
                recorded: recorded.remove(&r.id).unwrap_or_default(),
                review_results: reviews.remove(&r.id).unwrap_or_default(),
                complaint: complaints.contains_key(&r.id),
                deadlines,
                link_ids,
                partner_cities,
                reference: r.reference,
                regime: r.regime,
                channel: r.channel,
                portal_reference: r.portal_reference,
                state: r.state,
                template: r.template,
                created_at: r.created_at,
                sent_at: r.sent_at,
            }
        });
    }
    Ok(out)
}

/// How many requests are in each state, per campaign (None: requests outside any campaign).
pub async fn state_counts(
    db: &impl ConnectionTrait,
    campaign: Option<i32>,
) -> StoreResult<Vec<(Option<String>, RequestState, i64)>> {
    let mut q = request::Entity::find()
        .select_only()
        .column(request::Column::CampaignId)
        .column(request::Column::State)
        .column_as(Expr::col(request::Column::Id).count(), "n")
        .group_by(request::Column::CampaignId)
        .group_by(request::Column::State);
    if let Some(c) = campaign {
        q = q.filter(request::Column::CampaignId.eq(c));
    }
    let rows: Vec<(Option<i32>, RequestState, i64)> = q.into_tuple().all(db).await?;
    let names: HashMap<i32, String> = campaign::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|(c, s, n)| (c.and_then(|c| names.get(&c).cloned()), s, n))
        .collect())
}

/// Inbound messages filed under any of these requests (as their first request or linked),
/// with the requests each is filed under among them, oldest first.
pub async fn inbound_for_requests(
    db: &impl ConnectionTrait,
    request_ids: &[i32],
) -> StoreResult<Vec<(message::Model, Vec<i32>)>> {
    if request_ids.is_empty() {
        return Ok(Vec::new());
    }
    let linked = Query::select()
        .column(message_request::Column::MessageId)
        .from(message_request::Entity)
        .and_where(message_request::Column::RequestId.is_in(request_ids.iter().copied()))
        .to_owned();
    let messages = message::Entity::find()
        .filter(message::Column::Direction.eq(Direction::Inbound))
        .filter(
            sea_orm::Condition::any()
                .add(message::Column::RequestId.is_in(request_ids.iter().copied()))
                .add(message::Column::Id.in_subquery(linked)),
        )
        .order_by_asc(message::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = messages.iter().map(|m| m.id).collect();
    let mut filed: HashMap<i32, Vec<i32>> = HashMap::new();
    if !ids.is_empty() {
        for l in message_request::Entity::find()
            .filter(message_request::Column::MessageId.is_in(ids))
            .filter(message_request::Column::RequestId.is_in(request_ids.iter().copied()))
            .all(db)
            .await?
        {
            filed.entry(l.message_id).or_default().push(l.request_id);
        }
    }
    Ok(messages
        .into_iter()
        .map(|m| {
            let mut under = filed.remove(&m.id).unwrap_or_default();
            if let Some(r) = m.request_id.filter(|r| request_ids.contains(r)) {
                if !under.contains(&r) {
                    under.insert(0, r);
                }
            }
            (m, under)
        })
        .collect())
}

/// These requests by id (ids that are not there are left out).
pub async fn requests_by_id(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> StoreResult<HashMap<i32, RequestModel>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(1000) {
        for r in request::Entity::find()
            .filter(request::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            out.insert(r.id, r);
        }
    }
    Ok(out)
}

/// How many requests there are (of one campaign, or all).
pub async fn count_requests(db: &impl ConnectionTrait, campaign: Option<i32>) -> StoreResult<u64> {
    use sea_orm::PaginatorTrait;
    let mut q = request::Entity::find();
    if let Some(c) = campaign {
        q = q.filter(request::Column::CampaignId.eq(c));
    }
    Ok(q.count(db).await?)
}
