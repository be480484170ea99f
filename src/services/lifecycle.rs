//! Moving a request through its lifecycle: the rules are `domain::lifecycle`; this stores
//! the move and puts it on the timeline.

use super::ServiceResult;
use crate::domain::lifecycle::{next, Move, Trigger};
use crate::domain::RequestState;
use crate::store::requests::{self, RequestModel};
use crate::store::{events, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

/// Applies `trigger` to the request as stored now. When it changes the state, the new state
/// is stored and, when `detail` is given, recorded on the timeline under the state's name.
pub async fn advance(
    db: &impl ConnectionTrait,
    request_id: i32,
    trigger: Trigger,
    detail: Option<String>,
    actor: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Option<RequestState>> {
    let r = requests::get_by_id(db, request_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("request {request_id} vanished")))?;
    advance_from(db, &r, r.state, trigger, detail, actor, now).await
}

/// Like `advance`, for a caller that already holds the request as it is stored.
#[allow(clippy::too_many_arguments)]
pub async fn advance_from(
    db: &impl ConnectionTrait,
    r: &RequestModel,
    current: RequestState,
    trigger: Trigger,
    detail: Option<String>,
    actor: &str,
    now: DateTime<Utc>,
) -> ServiceResult<Option<RequestState>> {
    let Move::To(state) = next(current, trigger) else {
        return Ok(None);
    };
    tracing::info!(reference = %r.reference, from = %current, to = %state, "state");
    requests::set_state(db, r.id, state, now).await?;
    if let Some(detail) = detail {
        events::record(db, r.id, now, state, detail, actor, None).await?;
    }
    Ok(Some(state))
}
