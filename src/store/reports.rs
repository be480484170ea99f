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

/// Requests (of one campaign, or all) with ids in `(after, upto]`, oldest first, without
/// their letters: no report prints one, and they are most of a request's bytes. A range of
/// ids, not `LIMIT`: a campaign's `LIMIT` page must find and sort every later request of the
/// campaign before it keeps its first few, so each page would cost more than the last.
pub async fn requests_page(
    db: &impl ConnectionTrait,
    campaign: Option<i32>,
    after: i32,
    upto: i32,
) -> StoreResult<Vec<RequestModel>> {
    use request::Column as C;
    let mut q = super::requests::without_letters(&[C::Subject, C::ReplyTo, C::ToAddress, C::Vars])
        .filter(request::Column::Id.gt(after))
        .filter(request::Column::Id.lte(upto));
    if let Some(c) = campaign {
        q = q.filter(request::Column::CampaignId.eq(c));
    }
    Ok(q.order_by_asc(request::Column::Id)
        .into_model::<RequestModel>()
        .all(db)
        .await?)
}

/// What every page of a report names by id: the councils and the campaigns, read once
/// (there are hundreds of them, and a page of requests names most).
pub struct Names {
    authorities: HashMap<i32, authority::Model>,
    campaigns: HashMap<i32, String>,
}

impl Names {
    pub async fn load(db: &impl ConnectionTrait) -> StoreResult<Names> {
        Ok(Names {
            authorities: authority::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|a| (a.id, a))
                .collect(),
            campaigns: campaign::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect(),
        })
    }
}

/// The facts of these requests, in the order given.
pub async fn facts_for(
    db: &impl ConnectionTrait,
    names: &Names,
    rows: Vec<RequestModel>,
) -> StoreResult<Vec<RequestFacts>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let (authorities, campaigns) = (&names.authorities, &names.campaigns);
    let mut links = links_by_request(db, &ids).await?;
    let mut link_ids: Vec<i32> = links.values().flatten().copied().collect();
    link_ids.extend(rows.iter().filter_map(|r| r.twinning_id));
    link_ids.sort_unstable();
    link_ids.dedup();
    let cities: HashMap<i32, String> = twinning::Entity::find()
        .select_only()
        .column(twinning::Column::Id)
        .column(twinning::Column::PartnerCity)
        .filter(twinning::Column::Id.is_in(link_ids))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    // Only the columns a figure reads: a report reads every request's clock, answers and
    // review events, a few rows each, hundreds of thousands in all.
    let mut clock: HashMap<i32, Vec<ClockEvent>> = HashMap::new();
    let clock_rows: Vec<(i32, i32, String, chrono::NaiveDate)> = clock_event::Entity::find()
        .select_only()
        .column(clock_event::Column::Id)
        .column(clock_event::Column::RequestId)
        .column(clock_event::Column::Kind)
        .column(clock_event::Column::Date)
        .filter(clock_event::Column::RequestId.is_in(ids.clone()))
        .order_by_asc(clock_event::Column::Date)
        .order_by_asc(clock_event::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    for (id, request_id, kind, date) in clock_rows {
        let kind = kind.parse::<ClockEventKind>().map_err(|e| {
            StoreError::Invalid(format!("clock event {id} of request {request_id}: {e}"))
        })?;
        clock
            .entry(request_id)
            .or_default()
            .push(ClockEvent::new(date, kind));
    }
    let mut recorded: HashMap<i32, Vec<Recorded>> = HashMap::new();
    let answers: Vec<(i32, String, String, Option<chrono::NaiveDate>)> =
        classification::Entity::find()
            .select_only()
            .column(classification::Column::RequestId)
            .column(classification::Column::Outcome)
            .column(classification::Column::Exemptions)
            .column(classification::Column::ReceivedOn)
            .filter(classification::Column::RequestId.is_in(ids.clone()))
            .order_by_asc(classification::Column::At)
            .order_by_asc(classification::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
    for (request_id, outcome, exemptions, received_on) in answers {
        recorded.entry(request_id).or_default().push(Recorded {
            outcome,
            exemptions: exemptions
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            received_on,
        });
    }
    let wanted = [
        RequestState::ReviewUpheld,
        RequestState::ReviewOverturned,
        RequestState::Complaint,
    ];
    let mut reviews: HashMap<i32, Vec<bool>> = HashMap::new();
    let mut complaints: HashMap<i32, bool> = HashMap::new();
    let review_events: Vec<(i32, String)> = event::Entity::find()
        .select_only()
        .column(event::Column::RequestId)
        .column(event::Column::Kind)
        .filter(event::Column::RequestId.is_in(ids.clone()))
        .filter(event::Column::Kind.is_in(wanted.iter().map(|s| s.as_str())))
        .order_by_asc(event::Column::At)
        .order_by_asc(event::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    for (request_id, kind) in review_events {
        match kind.as_str() {
            "complaint" => {
                complaints.insert(request_id, true);
            }
            k => reviews
                .entry(request_id)
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

/// These requests by id, without their letters (ids that are not there are left out).
pub async fn requests_by_id(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> StoreResult<HashMap<i32, RequestModel>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(super::requests::IN_CHUNK) {
        for r in super::requests::without_letters(&[])
            .filter(request::Column::Id.is_in(chunk.iter().copied()))
            .into_model::<RequestModel>()
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
