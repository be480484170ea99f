//! Queries on `twinnings`.

use super::entities::{
    authority,
    twinning::{self, Entity as Twinning},
};
use super::{authorities, bulk, StoreError, StoreResult};
use crate::domain::TwinningStatus;
use crate::import::TwinningRow;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use std::collections::HashMap;

pub use twinning::Model as TwinningModel;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TwinningImportSummary {
    pub authorities_created: usize,
    pub links_created: usize,
    pub links_updated: usize,
    pub links_unchanged: usize,
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> StoreResult<TwinningModel> {
    Twinning::find_by_id(id).one(db).await?.ok_or_else(|| {
        StoreError::NotFound(format!(
            "no twinning link with id {id} (see `foi twinnings list`)"
        ))
    })
}

/// Links with their authority, optionally filtered by link status and authority tag.
pub async fn list(
    db: &impl ConnectionTrait,
    status: Option<TwinningStatus>,
    tag: Option<&str>,
) -> StoreResult<Vec<(TwinningModel, authority::Model)>> {
    let mut q = Twinning::find()
        .find_also_related(authority::Entity)
        .order_by_asc(authority::Column::Slug)
        .order_by_asc(twinning::Column::PartnerCity);
    if let Some(s) = status {
        q = q.filter(twinning::Column::Status.eq(s.as_str()));
    }
    if let Some(tag) = tag {
        q = q.filter(
            authority::Column::Tags.contains(format!(",{},", tag.trim().to_ascii_lowercase())),
        );
    }
    Ok(q.all(db)
        .await?
        .into_iter()
        .filter_map(|(t, a)| a.map(|a| (t, a)))
        .collect())
}

pub async fn for_authority(
    db: &impl ConnectionTrait,
    authority_id: i32,
) -> StoreResult<Vec<TwinningModel>> {
    Ok(Twinning::find()
        .filter(twinning::Column::AuthorityId.eq(authority_id))
        .order_by_asc(twinning::Column::PartnerCity)
        .all(db)
        .await?)
}

/// Upserts every row, keyed by (authority, partner city), in one transaction. A row's
/// authority is the stored one with its name (see [`authorities::ByName`]), else the one with
/// the slug derived from it, else a new one.
pub async fn import_rows<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    file: &str,
    rows: &[TwinningRow],
) -> StoreResult<TwinningImportSummary> {
    let txn = db.begin().await?;
    let mut by_name = authorities::ByName::load(&txn).await?;
    by_name.check_all(
        file,
        "uk_authority",
        rows.iter().map(|r| (r.line, r.authority_name.as_str())),
    )?;
    let mut s = TwinningImportSummary::default();
    let now = Utc::now();
    // Every stored link read once, and the new ones written in a few multi-row INSERTs: one
    // SELECT and one INSERT per row made a 100,000-row import take minutes.
    let mut stored: HashMap<(i32, String), TwinningModel> = Twinning::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|t| ((t.authority_id, t.partner_city.clone()), t))
        .collect();
    let mut new_links: Vec<twinning::ActiveModel> = Vec::new();
    let mut pending: HashMap<(i32, String), usize> = HashMap::new();
    for row in rows {
        let known = by_name.find_at(file, row.line, "uk_authority", &row.authority_name)?;
        let authority = match known {
            Some(a) => a.clone(),
            None => {
                let (a, created) =
                    authorities::ensure(&txn, &row.authority_slug, &row.authority_name, row.nation)
                        .await?;
                if created {
                    s.authorities_created += 1;
                    by_name.add(a.clone());
                }
                a
            }
        };
        let key = (authority.id, row.partner_city.clone());
        // Two names of one council in the file, each with the same city: the second row
        // updates the link the first creates, as it would once that one is stored.
        let existing = match pending.get(&key) {
            Some(&i) => Some(new_links[i].clone()),
            None => stored.remove(&key).map(twinning::ActiveModel::from),
        };
        let Some(mut am) = existing else {
            pending.insert(key, new_links.len());
            new_links.push(twinning::ActiveModel {
                authority_id: Set(authority.id),
                partner_city: Set(row.partner_city.clone()),
                uk_place: Set(row.uk_place.clone()),
                partner_province: Set(row.partner_province.clone()),
                relationship: Set(row.relationship.clone()),
                since_year: Set(row.since_year),
                status: Set(row.status.to_string()),
                ended_year: Set(row.ended_year),
                source: Set(row.source.clone()),
                notes: Set(row.notes.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
            s.links_created += 1;
            continue;
        };
        let new = pending.get(&key).copied();
        if new.is_some() {
            // Compare with what the first row gave, as if it had been stored.
            am = unchanged(am);
        }
        // set_if_not_equals keeps an unchanged row unchanged, so a re-import reports it as such.
        am.uk_place.set_if_not_equals(row.uk_place.clone());
        am.partner_province
            .set_if_not_equals(row.partner_province.clone());
        am.relationship.set_if_not_equals(row.relationship.clone());
        am.since_year.set_if_not_equals(row.since_year);
        am.status.set_if_not_equals(row.status.to_string());
        am.ended_year.set_if_not_equals(row.ended_year);
        am.source.set_if_not_equals(row.source.clone());
        am.notes.set_if_not_equals(row.notes.clone());
        if let Some(i) = new {
            if am.is_changed() {
                s.links_updated += 1;
            } else {
                s.links_unchanged += 1;
            }
            new_links[i] = am.reset_all();
        } else if am.is_changed() {
            am.updated_at = Set(now);
            am.update(&txn).await?;
            s.links_updated += 1;
        } else {
            s.links_unchanged += 1;
        }
    }
    bulk::insert_all(&txn, new_links).await?;
    txn.commit().await?;
    Ok(s)
}

/// The same values, marked as stored (so `set_if_not_equals` reports only real changes).
fn unchanged(am: twinning::ActiveModel) -> twinning::ActiveModel {
    use sea_orm::ActiveValue;
    fn keep<V: Into<sea_orm::Value>>(v: ActiveValue<V>) -> ActiveValue<V> {
        match v {
            ActiveValue::Set(x) | ActiveValue::Unchanged(x) => ActiveValue::Unchanged(x),
            ActiveValue::NotSet => ActiveValue::NotSet,
        }
    }
    twinning::ActiveModel {
        id: keep(am.id),
        authority_id: keep(am.authority_id),
        uk_place: keep(am.uk_place),
        partner_city: keep(am.partner_city),
        partner_province: keep(am.partner_province),
        relationship: keep(am.relationship),
        since_year: keep(am.since_year),
        status: keep(am.status),
        ended_year: keep(am.ended_year),
        source: keep(am.source),
        notes: keep(am.notes),
        created_at: keep(am.created_at),
        updated_at: keep(am.updated_at),
    }
}
