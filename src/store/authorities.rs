//! Queries on `authorities`.

use super::entities::authority::{self, Entity as Authority};
use super::{StoreError, StoreResult};
use crate::domain::{name_key, EmailAddress, Nation, Regime, Slug};
use crate::import::{AuthorityRow, ImportError, RowError};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use std::collections::HashMap;

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

/// The stored authorities by [`name_key`], so that a file naming "Brighton & Hove City
/// Council" finds the council first imported as "Brighton and Hove City Council" under a slug
/// of staff's choosing, instead of deriving a new slug and creating a second one.
#[derive(Debug, Default)]
pub struct ByName(HashMap<String, Vec<AuthorityModel>>);

impl ByName {
    pub async fn load(db: &impl ConnectionTrait) -> StoreResult<Self> {
        let mut index = ByName::default();
        for a in Authority::find().all(db).await? {
            index.add(a);
        }
        Ok(index)
    }

    pub fn add(&mut self, a: AuthorityModel) {
        self.0.entry(name_key(&a.name)).or_default().push(a);
    }

    /// The one stored authority with this name; `Ok(None)` when there is none, and the
    /// reason when several match, for the operator to read.
    pub fn find(&self, name: &str) -> Result<Option<&AuthorityModel>, String> {
        match self.0.get(&name_key(name)).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([one]) => Ok(Some(one)),
            Some(many) => Err(format!(
                "'{name}' matches {} authorities ({}): which one is meant is unclear; give \
                 them distinct names (`foi authorities import` with their slugs and new names)",
                many.len(),
                many.iter()
                    .map(|a| format!("{} \"{}\"", a.slug, a.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// [`find`](Self::find) for a name on a line of an import file.
    pub fn find_at(
        &self,
        file: &str,
        line: u64,
        field: &str,
        name: &str,
    ) -> StoreResult<Option<&AuthorityModel>> {
        self.find(name).map_err(|message| {
            StoreError::Rows(ImportError {
                file: file.to_string(),
                errors: vec![RowError {
                    line,
                    field: Some(field.to_string()),
                    message,
                }],
            })
        })
    }

    /// Checks every name a file gives before anything is written, so one ambiguous row
    /// stops the whole import and all of them are reported at once.
    pub fn check_all<'a>(
        &self,
        file: &str,
        field: &str,
        names: impl IntoIterator<Item = (u64, &'a str)>,
    ) -> Result<(), ImportError> {
        let errors: Vec<RowError> = names
            .into_iter()
            .filter_map(|(line, name)| {
                self.find(name).err().map(|message| RowError {
                    line,
                    field: Some(field.to_string()),
                    message,
                })
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ImportError {
                file: file.to_string(),
                errors,
            })
        }
    }
}

/// Inserts or updates every row in one transaction: either the whole file lands or none of it.
/// A row with a slug is matched by slug; one without is matched by name first (see [`ByName`]).
pub async fn upsert_rows<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    file: &str,
    rows: &[AuthorityRow],
) -> StoreResult<UpsertSummary> {
    let txn = db.begin().await?;
    let mut by_name = ByName::load(&txn).await?;
    by_name.check_all(
        file,
        "name",
        rows.iter()
            .filter(|r| r.slug_derived)
            .map(|r| (r.line, r.name.as_str())),
    )?;
    let mut summary = UpsertSummary::default();
    let now = Utc::now();
    for row in rows {
        let stored = if row.slug_derived {
            match by_name.find_at(file, row.line, "name", &row.name)? {
                Some(a) => Some(a.clone()),
                None => find_by_slug(&txn, row.slug.as_str()).await?,
            }
        } else {
            find_by_slug(&txn, row.slug.as_str()).await?
        };
        match stored {
            None => {
                let created = authority::ActiveModel {
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
                by_name.add(created);
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
