//! Queries on `campaigns`.

use super::entities::campaign::{self, Entity as Campaign};
use super::{StoreError, StoreResult};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

pub use campaign::Model as CampaignModel;

pub async fn find(db: &impl ConnectionTrait, name: &str) -> StoreResult<Option<CampaignModel>> {
    Ok(Campaign::find()
        .filter(campaign::Column::Name.eq(name))
        .one(db)
        .await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> StoreResult<CampaignModel> {
    Campaign::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no campaign with id {id}")))
}

pub async fn find_or_create(db: &impl ConnectionTrait, name: &str) -> StoreResult<CampaignModel> {
    let name = name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(StoreError::Invalid(
            "a campaign name must be 1 to 200 characters".into(),
        ));
    }
    if let Some(c) = find(db, name).await? {
        return Ok(c);
    }
    Ok(campaign::ActiveModel {
        name: Set(name.to_string()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Every campaign.
pub async fn all(db: &impl ConnectionTrait) -> StoreResult<Vec<CampaignModel>> {
    Ok(Campaign::find().all(db).await?)
}
