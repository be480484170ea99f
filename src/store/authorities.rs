//! Queries on `authorities`.

use super::entities::authority::{self, Entity as Authority};
use super::{StoreError, StoreResult};
use crate::domain::{EmailAddress, Nation, Regime, Slug};
use crate::import::AuthorityRow;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

pub use authority::Model as AuthorityModel;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct UpsertSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

pub fn tags_of(model: &AuthorityModel) -> Vec<String> {
    model
        .tags
        .split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Stored as `,a,b,` so one tag can be matched with LIKE '%,tag,%' without a join table.
fn tags_column(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!(",{},", tags.join(","))
    }
}

pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> StoreResult<Option<AuthorityModel>> {
    Ok(Authority::find()
        .filter(authority::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

pub async fn get_by_slug(db: &impl ConnectionTrait, slug: &str) -> StoreResult<AuthorityModel> {
    find_by_slug(db, slug).await?.ok_or_else(|| {
        StoreError::NotFound(format!(
            "no authority with the slug '{slug}' (see `foi authorities list`)"
        ))
    })
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> StoreResult<AuthorityModel> {
    Authority::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no authority with id {id}")))
}

pub async fn list(
    db: &impl ConnectionTrait,
    tag: Option<&str>,
) -> StoreResult<Vec<AuthorityModel>> {
    let mut q = Authority::find().order_by_asc(authority::Column::Slug);
    if let Some(tag) = tag {
        q = q.filter(
            authority::Column::Tags.contains(format!(",{},", tag.trim().to_ascii_lowercase())),
        );
    }
    Ok(q.all(db).await?)
}

/// Inserts or updates every row in one transaction: either the whole file lands or none of it.
pub async fn upsert_rows<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    rows: &[AuthorityRow],
) -> StoreResult<UpsertSummary> {
    let txn = db.begin().await?;
    let mut summary = UpsertSummary::default();
    let now = Utc::now();
    for row in rows {
        match find_by_slug(&txn, row.slug.as_str()).await? {
            None => {
                authority::ActiveModel {
                    slug: Set(row.slug.to_string()),
                    name: Set(row.name.clone()),
                    nation: Set(row.nation.to_string()),
                    regime: Set(row.regime.to_string()),
                    foi_email: Set(row.foi_email.as_ref().map(|e| e.to_string())),
                    foi_email_source: Set(row.foi_email.as_ref().map(|_| "import".to_string())),
                    website: Set(row.website.clone()),
                    tags: Set(tags_column(row.tags.as_deref().unwrap_or(&[]))),
                    notes: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                summary.created += 1;
            }
            Some(existing) => {
                let mut am: authority::ActiveModel = existing.clone().into();
                am.name.set_if_not_equals(row.name.clone());
                am.nation.set_if_not_equals(row.nation.to_string());
                am.regime.set_if_not_equals(row.regime.to_string());
                if let Some(e) = &row.foi_email {
                    if existing.foi_email.as_deref() != Some(e.as_str()) {
                        am.foi_email = Set(Some(e.to_string()));
                        am.foi_email_source = Set(Some("import".into()));
                    }
                }
                if row.website.is_some() {
                    am.website.set_if_not_equals(row.website.clone());
                }
                if let Some(tags) = &row.tags {
                    am.tags.set_if_not_equals(tags_column(tags));
                }
                if am.is_changed() {
                    am.updated_at = Set(now);
                    am.update(&txn).await?;
                    summary.updated += 1;
                } else {
                    summary.unchanged += 1;
                }
            }
        }
    }
    txn.commit().await?;
    Ok(summary)
}

/// The authority a twinning row names, created from the row when it is not yet known.
/// An existing authority is left as staff have it.
pub async fn ensure(
    db: &impl ConnectionTrait,
    slug: &Slug,
    name: &str,
    nation: Nation,
) -> StoreResult<(AuthorityModel, bool)> {
    if let Some(a) = find_by_slug(db, slug.as_str()).await? {
        return Ok((a, false));
    }
    let now = Utc::now();
    let model = authority::ActiveModel {
        slug: Set(slug.to_string()),
        name: Set(name.to_string()),
        nation: Set(nation.to_string()),
        regime: Set(nation.default_regime().to_string()),
        foi_email: Set(None),
        foi_email_source: Set(None),
        website: Set(None),
        tags: Set(String::new()),
        notes: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((model, true))
}

pub async fn set_email(
    db: &impl ConnectionTrait,
    slug: &str,
    email: &EmailAddress,
    source: &str,
) -> StoreResult<AuthorityModel> {
    let existing = get_by_slug(db, slug).await?;
    let mut am: authority::ActiveModel = existing.into();
    am.foi_email = Set(Some(email.to_string()));
    am.foi_email_source = Set(Some(source.to_string()));
    am.updated_at = Set(Utc::now());
    Ok(am.update(db).await?)
}

/// Fills a blank FOI address from reference data; an address staff already set is kept.
pub async fn fill_email(
    db: &impl ConnectionTrait,
    slug: &str,
    email: Option<&EmailAddress>,
    source: Option<&str>,
    notes: Option<&str>,
) -> StoreResult<bool> {
    let Some(existing) = find_by_slug(db, slug).await? else {
        return Ok(false);
    };
    let mut am: authority::ActiveModel = existing.clone().into();
    if let (Some(e), None) = (email, &existing.foi_email) {
        am.foi_email = Set(Some(e.to_string()));
        am.foi_email_source = Set(source.map(str::to_string));
    }
    if existing.notes.is_none() && notes.is_some() {
        am.notes = Set(notes.map(str::to_string));
    }
    if am.is_changed() {
        am.updated_at = Set(Utc::now());
        am.update(db).await?;
        return Ok(true);
    }
    Ok(false)
}

pub fn regime_of(model: &AuthorityModel) -> StoreResult<Regime> {
    model
        .regime
        .parse::<Regime>()
        .map_err(|e| StoreError::Invalid(format!("authority {}: {e}", model.slug)))
}
