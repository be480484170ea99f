//! Queries on `findings` (the agreements register) and `watch_hits`.

use super::entities::{
    finding::{self, Entity as Finding},
    watch_hit::{self, Entity as WatchHit},
};
use super::{StoreError, StoreResult};
use crate::domain::{CommitmentArea, FindingField, FindingState};
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::OnConflict, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, Set,
};

pub use finding::Model as FindingModel;
pub use watch_hit::Model as WatchHitModel;

#[derive(Debug, Clone)]
pub struct NewFinding {
    pub twinning_id: i32,
    pub field: FindingField,
    pub area: Option<CommitmentArea>,
    pub value: String,
    pub state: FindingState,
    pub document_id: Option<i32>,
    pub page: Option<i32>,
    pub message_id: Option<i32>,
    pub rule: Option<String>,
    pub excerpt: Option<String>,
    pub note: Option<String>,
    pub actor: String,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewFinding,
    now: DateTime<Utc>,
) -> StoreResult<FindingModel> {
    let decided = new.state != FindingState::Suggested;
    Ok(finding::ActiveModel {
        twinning_id: Set(new.twinning_id),
        field: Set(new.field),
        area: Set(new.area),
        value: Set(new.value),
        state: Set(new.state),
        document_id: Set(new.document_id),
        page: Set(new.page),
        message_id: Set(new.message_id),
        rule: Set(new.rule),
        excerpt: Set(new.excerpt),
        note: Set(new.note),
        created_at: Set(now),
        created_by: Set(new.actor.clone()),
        decided_at: Set(decided.then_some(now)),
        decided_by: Set(decided.then_some(new.actor)),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> StoreResult<FindingModel> {
    Finding::find_by_id(id).one(db).await?.ok_or_else(|| {
        StoreError::NotFound(format!(
            "no finding {id} (see `foi findings suggestions` or `foi findings show LINK`)"
        ))
    })
}

/// A one-value field's earlier confirmed values for the link become `superseded`.
pub async fn supersede(
    db: &impl ConnectionTrait,
    twinning_id: i32,
    field: FindingField,
    except: i32,
) -> StoreResult<u64> {
    Ok(Finding::update_many()
        .col_expr(
            finding::Column::State,
            sea_orm::sea_query::Expr::value(FindingState::Superseded.as_str()),
        )
        .filter(finding::Column::TwinningId.eq(twinning_id))
        .filter(finding::Column::Field.eq(field))
        .filter(finding::Column::State.eq(FindingState::Confirmed))
        .filter(finding::Column::Id.ne(except))
        .exec(db)
        .await?
        .rows_affected)
}

/// Confirms or rejects a suggestion (only while it is one); false when someone decided it
/// already.
pub async fn decide(
    db: &impl ConnectionTrait,
    id: i32,
    state: FindingState,
    twinning_id: Option<i32>,
    now: DateTime<Utc>,
    actor: &str,
) -> StoreResult<bool> {
    let mut q = Finding::update_many()
        .col_expr(
            finding::Column::State,
            sea_orm::sea_query::Expr::value(state.as_str()),
        )
        .col_expr(
            finding::Column::DecidedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .col_expr(
            finding::Column::DecidedBy,
            sea_orm::sea_query::Expr::value(actor.to_string()),
        );
    if let Some(t) = twinning_id {
        q = q.col_expr(
            finding::Column::TwinningId,
            sea_orm::sea_query::Expr::value(t),
        );
    }
    Ok(q.filter(finding::Column::Id.eq(id))
        .filter(finding::Column::State.eq(FindingState::Suggested))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

pub async fn for_link(
    db: &impl ConnectionTrait,
    twinning_id: i32,
) -> StoreResult<Vec<FindingModel>> {
    Ok(Finding::find()
        .filter(finding::Column::TwinningId.eq(twinning_id))
        .order_by_asc(finding::Column::Id)
        .all(db)
        .await?)
}

pub async fn in_state(
    db: &impl ConnectionTrait,
    state: FindingState,
) -> StoreResult<Vec<FindingModel>> {
    Ok(Finding::find()
        .filter(finding::Column::State.eq(state))
        .order_by_asc(finding::Column::TwinningId)
        .order_by_asc(finding::Column::Id)
        .all(db)
        .await?)
}

/// Whether the same suggestion (or a decision on it) exists already: a document read
/// again proposes nothing twice, and a rejected suggestion stays rejected.
pub async fn already_suggested(
    db: &impl ConnectionTrait,
    twinning_id: i32,
    field: FindingField,
    value: &str,
    document_id: i32,
    page: i32,
) -> StoreResult<bool> {
    Ok(Finding::find()
        .filter(finding::Column::TwinningId.eq(twinning_id))
        .filter(finding::Column::Field.eq(field))
        .filter(finding::Column::Value.eq(value))
        .filter(finding::Column::DocumentId.eq(document_id))
        .filter(finding::Column::Page.eq(page))
        .one(db)
        .await?
        .is_some())
}

/// Records a watch-list term on a page; false when it was recorded already.
pub async fn add_hit(
    db: &impl ConnectionTrait,
    document_id: i32,
    page: i32,
    term: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let res = WatchHit::insert(watch_hit::ActiveModel {
        document_id: Set(document_id),
        page: Set(page),
        term: Set(term.to_string()),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            watch_hit::Column::DocumentId,
            watch_hit::Column::Page,
            watch_hit::Column::Term,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(res == 1)
}

/// Every watch-list hit, oldest first.
pub async fn hits(db: &impl ConnectionTrait) -> StoreResult<Vec<WatchHitModel>> {
    Ok(WatchHit::find()
        .order_by_asc(watch_hit::Column::CreatedAt)
        .order_by_asc(watch_hit::Column::Id)
        .all(db)
        .await?)
}

/// The watch-list terms found on one page of a document.
pub async fn hits_on(
    db: &impl ConnectionTrait,
    document_id: i32,
    page: i32,
) -> StoreResult<Vec<String>> {
    Ok(WatchHit::find()
        .filter(watch_hit::Column::DocumentId.eq(document_id))
        .filter(watch_hit::Column::Page.eq(page))
        .order_by_asc(watch_hit::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|h| h.term)
        .collect())
}
