//! The weekly digests sent, one per ISO week.

use super::entities::digest::{self, Entity as Digest};
use super::StoreResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

/// Claims the digest for an ISO week; false when it was already sent.
pub async fn claim(
    db: &impl ConnectionTrait,
    iso_week: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let inserted = Digest::insert(digest::ActiveModel {
        iso_week: Set(iso_week.to_string()),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(digest::Column::IsoWeek)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(inserted == 1)
}
