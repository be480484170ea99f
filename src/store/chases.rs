//! Chases made per request, kind and period of waiting. The unique key makes "once" hold
//! across restarts and between two daemons.

use super::entities::chase::{self, Entity as Chase};
use super::StoreResult;
use crate::domain::MessageKind;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use std::collections::HashSet;

/// Claims a chase for one period of waiting. False when it was already made: the unique key
/// decides, so two daemons cannot both win, and a due date that moves within the period
/// does not make it again. `deadline` is kept for the record.
pub async fn claim(
    db: &impl ConnectionTrait,
    request_id: i32,
    kind: MessageKind,
    period: &str,
    deadline: NaiveDate,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let inserted = Chase::insert(chase::ActiveModel {
        request_id: Set(request_id),
        kind: Set(kind),
        period: Set(Some(period.to_string())),
        deadline: Set(deadline),
        message_id: Set(None),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            chase::Column::RequestId,
            chase::Column::Kind,
            chase::Column::Period,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(inserted == 1)
}

/// Records which message a claimed chase produced.
pub async fn set_message(
    db: &impl ConnectionTrait,
    request_id: i32,
    kind: MessageKind,
    period: &str,
    message_id: i32,
) -> StoreResult<()> {
    Chase::update_many()
        .col_expr(chase::Column::MessageId, Expr::value(message_id))
        .filter(chase::Column::RequestId.eq(request_id))
        .filter(chase::Column::Kind.eq(kind))
        .filter(chase::Column::Period.eq(period))
        .exec(db)
        .await?;
    Ok(())
}

/// The chases already made for these requests, as (request, kind, period): read once for a
/// page of the sweep, so that a request chased before costs no write to find it out.
pub async fn made_for(
    db: &impl ConnectionTrait,
    request_ids: &[i32],
) -> StoreResult<HashSet<(i32, MessageKind, String)>> {
    let mut out = HashSet::new();
    for chunk in request_ids.chunks(super::requests::IN_CHUNK) {
        let rows: Vec<(i32, MessageKind, Option<String>)> = Chase::find()
            .select_only()
            .column(chase::Column::RequestId)
            .column(chase::Column::Kind)
            .column(chase::Column::Period)
            .filter(chase::Column::RequestId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(
            rows.into_iter()
                .filter_map(|(r, k, p)| p.map(|p| (r, k, p))),
        );
    }
    Ok(out)
}
