//! Queries on `documents` and `document_pages`: finding the documents to read, claiming one
//! for a worker, storing its text, and the full-text search (FTS5 on SQLite, a GIN
//! `tsvector` index on PostgreSQL, both over the folded `search_text`).

use super::entities::{
    document::{self, Entity as Document},
    document_page::{self, Entity as DocumentPage},
};
use super::{StoreError, StoreResult};
use crate::domain::{DocumentKind, DocumentStatus};
use crate::search::Query;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, Set, Statement, TransactionTrait, Value,
};

pub use document::Model as DocumentModel;
pub use document_page::Model as PageModel;

fn param(backend: DbBackend, i: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${i}"),
        _ => "?".to_string(),
    }
}

/// Adds a `pending` document for every inbound message's own text and every attachment that
/// has none yet; returns how many. Safe from several daemons at once: the unique indexes
/// let only one row per message text and per attachment in.
pub async fn discover(db: &impl ConnectionTrait, now: DateTime<Utc>) -> StoreResult<u64> {
    let backend = db.get_database_backend();
    let p1 = param(backend, 1);
    let texts = format!(
        "INSERT INTO documents (message_id, attachment_id, name, content_type, status, created_at) \
         SELECT m.id, NULL, 'message text', 'text/plain', 'pending', {p1} FROM messages m \
         WHERE m.direction = 'inbound' AND NOT EXISTS \
         (SELECT 1 FROM documents d WHERE d.message_id = m.id AND d.attachment_id IS NULL) \
         ON CONFLICT DO NOTHING"
    );
    let files = format!(
        "INSERT INTO documents (message_id, attachment_id, name, content_type, status, created_at) \
         SELECT a.message_id, a.id, COALESCE(a.original_filename, a.filename), a.content_type, \
         'pending', {p1} FROM attachments a WHERE NOT EXISTS \
         (SELECT 1 FROM documents d WHERE d.attachment_id = a.id) \
         ON CONFLICT DO NOTHING"
    );
    let mut added = 0;
    for sql in [texts, files] {
        added += db
            .execute(Statement::from_sql_and_values(
                backend,
                sql,
                [Value::from(now)],
            ))
            .await?
            .rows_affected();
    }
    Ok(added)
}

/// Documents whose worker died while reading them `max_attempts` times (a file that kills
/// the process, say) are failed with that reason rather than tried for ever.
pub async fn give_up_stuck(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    max_attempts: i32,
) -> StoreResult<u64> {
    Ok(Document::update_many()
        .col_expr(
            document::Column::Status,
            sea_orm::sea_query::Expr::value(DocumentStatus::Failed.as_str()),
        )
        .col_expr(
            document::Column::Reason,
            sea_orm::sea_query::Expr::value(format!(
                "reading it stopped {max_attempts} times without finishing (the program was \
                 stopped or ran out of memory while reading it); `foi documents extract --id ID` tries again"
            )),
        )
        .col_expr(
            document::Column::LeaseUntil,
            sea_orm::sea_query::Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(document::Column::Status.eq(DocumentStatus::Pending))
        .filter(document::Column::Attempts.gte(max_attempts))
        .filter(document::Column::LeaseUntil.lt(now))
        .exec(db)
        .await?
        .rows_affected)
}

/// Takes the oldest pending document not held by another worker until `lease_until`.
pub async fn claim(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    worker: &str,
) -> StoreResult<Option<DocumentModel>> {
    let backend = db.get_database_backend();
    let lock = if backend == DbBackend::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE documents SET lease_until = {}, claimed_by = {}, attempts = attempts + 1 \
         WHERE status = 'pending' AND id = (SELECT id FROM documents WHERE status = 'pending' \
         AND (lease_until IS NULL OR lease_until < {}) ORDER BY id LIMIT 1{lock}) RETURNING id",
        param(backend, 1),
        param(backend, 2),
        param(backend, 3),
    );
    let row = db
        .query_one(Statement::from_sql_and_values(
            backend,
            sql,
            [
                Value::from(lease_until),
                Value::from(worker.to_string()),
                Value::from(now),
            ],
        ))
        .await?;
    let Some(row) = row else { return Ok(None) };
    let id: i32 = row.try_get("", "id")?;
    Ok(Document::find_by_id(id).one(db).await?)
}

/// A page of text to store, with its folded form for the index.
#[derive(Debug, Clone)]
pub struct NewPage {
    pub page: i32,
    pub text: String,
    pub ocr: bool,
    pub search_text: String,
}

/// What reading a document gave.
#[derive(Debug, Clone)]
pub struct Read {
    pub status: DocumentStatus,
    pub reason: Option<String>,
    pub format: Option<String>,
    pub pages: Vec<NewPage>,
}

/// Replaces the document's pages and records the outcome, in one transaction, if `worker`
/// still holds it; false when another worker took it over meanwhile (its result stands).
pub async fn store_read<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: i32,
    worker: &str,
    read: Read,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let txn = db.begin().await?;
    let held = Document::find_by_id(id)
        .filter(document::Column::ClaimedBy.eq(worker))
        .filter(document::Column::Status.eq(DocumentStatus::Pending))
        .one(&txn)
        .await?;
    if held.is_none() {
        txn.rollback().await?;
        return Ok(false);
    }
    DocumentPage::delete_many()
        .filter(document_page::Column::DocumentId.eq(id))
        .exec(&txn)
        .await?;
    let ocr_pages = read.pages.iter().filter(|p| p.ocr).count() as i32;
    let pages = read.pages.len() as i32;
    // In batches: a 500-page document is a few statements, not 500.
    for chunk in read.pages.chunks(100) {
        DocumentPage::insert_many(chunk.iter().map(|p| document_page::ActiveModel {
            document_id: Set(id),
            page: Set(p.page),
            text: Set(p.text.clone()),
            ocr: Set(p.ocr),
            search_text: Set(p.search_text.clone()),
            ..Default::default()
        }))
        .exec(&txn)
        .await?;
    }
    document::ActiveModel {
        id: Set(id),
        status: Set(read.status),
        reason: Set(read.reason),
        format: Set(read.format),
        pages: Set(pages),
        ocr_pages: Set(ocr_pages),
        lease_until: Set(None),
        extracted_at: Set(Some(now)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Puts documents back to `pending` to be read again (all of them with `ids` None).
pub async fn reset(db: &impl ConnectionTrait, ids: Option<&[i32]>) -> StoreResult<u64> {
    let mut q = Document::update_many()
        .col_expr(
            document::Column::Status,
            sea_orm::sea_query::Expr::value(DocumentStatus::Pending.as_str()),
        )
        .col_expr(
            document::Column::Attempts,
            sea_orm::sea_query::Expr::value(0),
        )
        .col_expr(
            document::Column::LeaseUntil,
            sea_orm::sea_query::Expr::value(Option::<DateTime<Utc>>::None),
        );
    if let Some(ids) = ids {
        q = q.filter(document::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(q.exec(db).await?.rows_affected)
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> StoreResult<DocumentModel> {
    Document::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no document {id} (see `foi documents list`)")))
}

pub async fn all(db: &impl ConnectionTrait) -> StoreResult<Vec<DocumentModel>> {
    Ok(Document::find()
        .order_by_asc(document::Column::Id)
        .all(db)
        .await?)
}

pub async fn of_messages(
    db: &impl ConnectionTrait,
    message_ids: &[i32],
) -> StoreResult<Vec<DocumentModel>> {
    Ok(Document::find()
        .filter(document::Column::MessageId.is_in(message_ids.iter().copied()))
        .order_by_asc(document::Column::Id)
        .all(db)
        .await?)
}

pub async fn pages(db: &impl ConnectionTrait, document_id: i32) -> StoreResult<Vec<PageModel>> {
    Ok(DocumentPage::find()
        .filter(document_page::Column::DocumentId.eq(document_id))
        .order_by_asc(document_page::Column::Page)
        .all(db)
        .await?)
}

pub async fn pages_by_id(db: &impl ConnectionTrait, ids: &[i32]) -> StoreResult<Vec<PageModel>> {
    Ok(DocumentPage::find()
        .filter(document_page::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

pub async fn set_kind(
    db: &impl ConnectionTrait,
    id: i32,
    kind: Option<DocumentKind>,
) -> StoreResult<()> {
    get(db, id).await?;
    document::ActiveModel {
        id: Set(id),
        kind: Set(kind),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

pub async fn set_publishable(
    db: &impl ConnectionTrait,
    id: i32,
    publishable: bool,
) -> StoreResult<()> {
    get(db, id).await?;
    document::ActiveModel {
        id: Set(id),
        publishable: Set(publishable),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// What a search is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct SearchScope {
    pub authority_id: Option<i32>,
    pub campaign_id: Option<i32>,
    pub limit: u64,
}

/// The ids of the pages that hold every phrase of `query`, best first.
pub async fn search(
    db: &impl ConnectionTrait,
    query: &Query,
    scope: &SearchScope,
) -> StoreResult<Vec<i32>> {
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = Vec::new();
    let next = |v: Value, values: &mut Vec<Value>| {
        values.push(v);
        param(backend, values.len())
    };
    let (from, matches, order) = match backend {
        DbBackend::Postgres => {
            let parts: Vec<String> = query
                .phrases
                .iter()
                .map(|p| {
                    format!(
                        "phraseto_tsquery('simple', {})",
                        next(Value::from(p.clone()), &mut values)
                    )
                })
                .collect();
            let q = format!("({})", parts.join(" && "));
            (
                "document_pages p".to_string(),
                // The stored vector (migration 000017): computing it again per matching page
                // made common words slow.
                format!("p.search_vector @@ {q}"),
                format!("ts_rank(p.search_vector, {q}) DESC, p.id"),
            )
        }
        _ => (
            "document_pages_fts f JOIN document_pages p ON p.id = f.rowid".to_string(),
            format!(
                "document_pages_fts MATCH {}",
                next(Value::from(query.fts5()), &mut values)
            ),
            "bm25(document_pages_fts), p.id".to_string(),
        ),
    };
    let mut filters = String::new();
    let of_message = "(r.id = m.request_id OR r.id IN \
                      (SELECT mr.request_id FROM message_requests mr WHERE mr.message_id = m.id))";
    if let Some(a) = scope.authority_id {
        let p = next(Value::from(a), &mut values);
        filters.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM requests r WHERE r.authority_id = {p} AND {of_message})"
        ));
    }
    if let Some(c) = scope.campaign_id {
        let p = next(Value::from(c), &mut values);
        filters.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM requests r WHERE r.campaign_id = {p} AND {of_message})"
        ));
    }
    let limit = next(Value::from(scope.limit.max(1) as i64), &mut values);
    let sql = format!(
        "SELECT p.id AS page_id FROM {from} JOIN documents d ON d.id = p.document_id \
         JOIN messages m ON m.id = d.message_id WHERE {matches}{filters} ORDER BY {order} LIMIT {limit}"
    );
    let rows = db
        .query_all(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<i32>("", "page_id").map_err(StoreError::from))
        .collect()
}
