//! The request timeline: every change to a request is an event saying what, when and who.

use super::entities::event::{self, Entity as Event};
use super::StoreResult;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

pub use event::Model as EventModel;

pub async fn record(
    db: &impl ConnectionTrait,
    request_id: i32,
    at: DateTime<Utc>,
    kind: &str,
    detail: impl Into<String>,
    actor: &str,
    data: Option<serde_json::Value>,
) -> StoreResult<EventModel> {
    Ok(event::ActiveModel {
        request_id: Set(request_id),
        at: Set(at),
        kind: Set(kind.to_string()),
        detail: Set(detail.into()),
        actor: Set(actor.to_string()),
        data: Set(data.map(|d| d.to_string())),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn timeline(db: &impl ConnectionTrait, request_id: i32) -> StoreResult<Vec<EventModel>> {
    Ok(Event::find()
        .filter(event::Column::RequestId.eq(request_id))
        .order_by_asc(event::Column::At)
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?)
}
