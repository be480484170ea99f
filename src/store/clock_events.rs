//! The statutory clock's inputs for each request (received, clarification, fees, extensions,
//! response, review...). Deadlines are always derived from these, never typed in.

use super::entities::clock_event::{self, Entity as ClockEventRow};
use super::StoreResult;
use crate::calendar::{ClockEvent, ClockEventKind};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

pub use clock_event::Model as ClockEventModel;

pub async fn add(
    db: &impl ConnectionTrait,
    request_id: i32,
    kind: ClockEventKind,
    date: NaiveDate,
    actor: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<ClockEventModel> {
    Ok(clock_event::ActiveModel {
        request_id: Set(request_id),
        kind: Set(kind.as_str().to_string()),
        date: Set(date),
        actor: Set(actor.to_string()),
        note: Set(note.map(str::to_string)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Removes one clock event (a receipt that turned out wrong); the caller refreshes the
/// deadlines and says why on the timeline.
pub async fn remove(db: &impl ConnectionTrait, id: i32) -> StoreResult<()> {
    ClockEventRow::delete_by_id(id).exec(db).await?;
    Ok(())
}

pub async fn rows(db: &impl ConnectionTrait, request_id: i32) -> StoreResult<Vec<ClockEventModel>> {
    Ok(ClockEventRow::find()
        .filter(clock_event::Column::RequestId.eq(request_id))
        .order_by_asc(clock_event::Column::Date)
        .order_by_asc(clock_event::Column::Id)
        .all(db)
        .await?)
}

pub async fn for_request(
    db: &impl ConnectionTrait,
    request_id: i32,
) -> StoreResult<Vec<ClockEvent>> {
    Ok(rows(db, request_id)
        .await?
        .into_iter()
        .filter_map(|r| {
            r.kind
                .parse::<ClockEventKind>()
                .ok()
                .map(|k| ClockEvent::new(r.date, k))
        })
        .collect())
}

/// Ids of requests that have any clock events: the ones whose deadlines can move.
pub async fn request_ids(db: &impl ConnectionTrait) -> StoreResult<Vec<i32>> {
    use sea_orm::QuerySelect;
    let mut ids: Vec<i32> = ClockEventRow::find()
        .select_only()
        .column(clock_event::Column::RequestId)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    ids.sort_unstable();
    Ok(ids)
}

/// The clock events of each of `request_ids` (ordered as [`rows`] orders them), read in a
/// few queries rather than one per request.
pub async fn for_requests(
    db: &impl ConnectionTrait,
    request_ids: &[i32],
) -> StoreResult<std::collections::HashMap<i32, Vec<ClockEvent>>> {
    let mut out: std::collections::HashMap<i32, Vec<ClockEvent>> = Default::default();
    for chunk in request_ids.chunks(super::requests::IN_CHUNK) {
        for r in ClockEventRow::find()
            .filter(clock_event::Column::RequestId.is_in(chunk.iter().copied()))
            .order_by_asc(clock_event::Column::Date)
            .order_by_asc(clock_event::Column::Id)
            .all(db)
            .await?
        {
            if let Ok(k) = r.kind.parse::<ClockEventKind>() {
                out.entry(r.request_id)
                    .or_default()
                    .push(ClockEvent::new(r.date, k));
            }
        }
    }
    Ok(out)
}
