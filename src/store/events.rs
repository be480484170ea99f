//! The request timeline: every change to a request is an event saying what, when and who.

use super::entities::event::{self, Entity as Event};
use super::{StoreError, StoreResult};
use crate::domain::EventKind;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

pub use event::Model as EventModel;

pub async fn record(
    db: &impl ConnectionTrait,
    request_id: i32,
    at: DateTime<Utc>,
    kind: impl Into<EventKind>,
    detail: impl Into<String>,
    actor: &str,
    data: Option<serde_json::Value>,
) -> StoreResult<EventModel> {
    Ok(row(request_id, at, kind, detail, actor, data)
        .insert(db)
        .await?)
}

/// The row [`record`] inserts, for a caller writing many at once (`bulk::insert_all`).
pub fn row(
    request_id: i32,
    at: DateTime<Utc>,
    kind: impl Into<EventKind>,
    detail: impl Into<String>,
    actor: &str,
    data: Option<serde_json::Value>,
) -> event::ActiveModel {
    event::ActiveModel {
        request_id: Set(request_id),
        at: Set(at),
        kind: Set(kind.into().as_str()),
        detail: Set(detail.into()),
        actor: Set(actor.to_string()),
        data: Set(data.map(|d| d.to_string())),
        ..Default::default()
    }
}

/// A timeline event, its kind read back as the program knows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TimelineEvent {
    pub id: i64,
    pub request_id: i32,
    pub at: DateTime<Utc>,
    #[serde(serialize_with = "as_text")]
    pub kind: EventKind,
    pub detail: String,
    pub actor: String,
    pub data: Option<serde_json::Value>,
}

fn as_text<S: serde::Serializer>(k: &EventKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&k.as_str())
}

fn typed(e: EventModel) -> StoreResult<TimelineEvent> {
    let kind = EventKind::parse(&e.kind)
        .map_err(|err| StoreError::Invalid(format!("timeline event {}: {err}", e.id)))?;
    Ok(TimelineEvent {
        id: e.id,
        request_id: e.request_id,
        at: e.at,
        kind,
        detail: e.detail,
        actor: e.actor,
        data: e.data.as_deref().and_then(|d| serde_json::from_str(d).ok()),
    })
}

pub async fn timeline(
    db: &impl ConnectionTrait,
    request_id: i32,
) -> StoreResult<Vec<TimelineEvent>> {
    Event::find()
        .filter(event::Column::RequestId.eq(request_id))
        .order_by_asc(event::Column::At)
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(typed)
        .collect()
}

/// Events of one kind recorded in `[from, to]`, oldest first (the digest's week).
pub async fn of_kind_between(
    db: &impl ConnectionTrait,
    kind: EventKind,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<TimelineEvent>> {
    Event::find()
        .filter(event::Column::Kind.eq(kind.as_str()))
        .filter(event::Column::At.gte(from))
        .filter(event::Column::At.lte(to))
        .order_by_asc(event::Column::At)
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(typed)
        .collect()
}
