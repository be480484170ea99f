//! What staff recorded about each council answer.

use super::entities::classification::{self, Entity as Classification};
use super::StoreResult;
use crate::domain::Outcome;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

pub use classification::Model as ClassificationModel;

#[allow(clippy::too_many_arguments)]
pub async fn add(
    db: &impl ConnectionTrait,
    request_id: i32,
    message_id: Option<i32>,
    outcome: Outcome,
    exemptions: &[String],
    note: Option<&str>,
    received_on: NaiveDate,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<ClassificationModel> {
    Ok(classification::ActiveModel {
        request_id: Set(request_id),
        message_id: Set(message_id),
        outcome: Set(outcome.to_string()),
        exemptions: Set(exemptions.join(",")),
        note: Set(note.map(str::to_string)),
        received_on: Set(Some(received_on)),
        at: Set(now),
        actor: Set(actor.to_string()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Classifications recorded since `from` (the digest's week).
pub async fn since(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
) -> StoreResult<Vec<ClassificationModel>> {
    Ok(Classification::find()
        .filter(classification::Column::At.gte(from))
        .all(db)
        .await?)
}

/// The latest classification of the request whose outcome is one of `outcomes`.
pub async fn latest_of(
    db: &impl ConnectionTrait,
    request_id: i32,
    outcomes: &[Outcome],
) -> StoreResult<Option<ClassificationModel>> {
    use sea_orm::QueryOrder;
    Ok(Classification::find()
        .filter(classification::Column::RequestId.eq(request_id))
        .filter(classification::Column::Outcome.is_in(outcomes.iter().map(|o| o.as_str())))
        .order_by_desc(classification::Column::At)
        .order_by_desc(classification::Column::Id)
        .one(db)
        .await?)
}

/// Everything recorded about these requests' answers, oldest first.
pub async fn for_requests(
    db: &impl ConnectionTrait,
    request_ids: &[i32],
) -> StoreResult<Vec<ClassificationModel>> {
    if request_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(Classification::find()
        .filter(classification::Column::RequestId.is_in(request_ids.iter().copied()))
        .order_by_asc(classification::Column::At)
        .order_by_asc(classification::Column::Id)
        .all(db)
        .await?)
}
