//! Staff tasks: the letters foi cannot send itself (a council's web form, the post), each
//! with the text to paste or print, open until staff record it done.

use super::entities::{
    authority, request,
    task::{self, Entity as Task},
};
use super::StoreResult;
use crate::domain::{Channel, RequestState, TaskKind};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;

pub use task::Model as TaskModel;

pub async fn add(
    db: &impl ConnectionTrait,
    request_id: i32,
    kind: TaskKind,
    subject: &str,
    text: &str,
    now: DateTime<Utc>,
) -> StoreResult<TaskModel> {
    Ok(task::ActiveModel {
        request_id: Set(request_id),
        kind: Set(kind),
        subject: Set(subject.to_string()),
        text: Set(text.to_string()),
        created_at: Set(now),
        done_at: Set(None),
        done_by: Set(None),
        note: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Every task of one request, oldest first.
pub async fn for_request(
    db: &impl ConnectionTrait,
    request_id: i32,
) -> StoreResult<Vec<TaskModel>> {
    Ok(Task::find()
        .filter(task::Column::RequestId.eq(request_id))
        .order_by_asc(task::Column::Id)
        .all(db)
        .await?)
}

/// The request's tasks not yet done, oldest first.
pub async fn open_for_request(
    db: &impl ConnectionTrait,
    request_id: i32,
) -> StoreResult<Vec<TaskModel>> {
    Ok(Task::find()
        .filter(task::Column::RequestId.eq(request_id))
        .filter(task::Column::DoneAt.is_null())
        .order_by_asc(task::Column::Id)
        .all(db)
        .await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> StoreResult<Option<TaskModel>> {
    Ok(Task::find_by_id(id).one(db).await?)
}

/// Every task not yet done, oldest first.
pub async fn open(db: &impl ConnectionTrait) -> StoreResult<Vec<TaskModel>> {
    Ok(Task::find()
        .filter(task::Column::DoneAt.is_null())
        .order_by_asc(task::Column::Id)
        .all(db)
        .await?)
}

/// An open task as a count of them needs it: its kind and its request's state.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct OpenHead {
    pub id: i32,
    pub request_id: i32,
    pub kind: TaskKind,
    pub created_at: DateTime<Utc>,
    pub request_state: RequestState,
}

/// Every task not yet done, oldest first, with its request's state and nothing else: how
/// many still apply is known without reading thousands of requests whole.
pub async fn open_with_states(db: &impl ConnectionTrait) -> StoreResult<Vec<OpenHead>> {
    use sea_orm::{FromQueryResult, Statement};
    Ok(OpenHead::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT t.id, t.request_id, t.kind, t.created_at, r.state AS request_state \
         FROM tasks t JOIN requests r ON r.id = t.request_id \
         WHERE t.done_at IS NULL ORDER BY t.id",
    ))
    .all(db)
    .await?)
}

/// These open tasks (by id), each without its letter, oldest first.
pub async fn open_without_text_by_id(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> StoreResult<Vec<TaskModel>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(super::requests::IN_CHUNK) {
        out.extend(
            without_text()
                .filter(task::Column::Id.is_in(chunk.iter().copied()))
                .order_by_asc(task::Column::Id)
                .into_model::<TaskModel>()
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// As [`open`], each task without its letter (`text` read as empty): for lists that name
/// tasks (the status, the digest past the tasks it shows), thousands of letters at scale.
pub async fn open_without_text(db: &impl ConnectionTrait) -> StoreResult<Vec<TaskModel>> {
    Ok(without_text()
        .filter(task::Column::DoneAt.is_null())
        .order_by_asc(task::Column::Id)
        .into_model::<TaskModel>()
        .all(db)
        .await?)
}

/// Every column of a task but its letter (`text` read as empty).
fn without_text() -> sea_orm::Select<Task> {
    use sea_orm::{IdenStatic, Iterable, QuerySelect};
    let mut q = Task::find().select_only();
    for c in task::Column::iter() {
        q = match c {
            task::Column::Text => q.column_as(Expr::value(""), c.as_str()),
            _ => q.column(c),
        };
    }
    q
}

/// Replaces a task's letter (with the one as it was on the day staff delivered it).
pub async fn set_letter(
    db: &impl ConnectionTrait,
    id: i32,
    subject: &str,
    text: &str,
) -> StoreResult<()> {
    Task::update_many()
        .col_expr(task::Column::Subject, Expr::value(subject.to_string()))
        .col_expr(task::Column::Text, Expr::value(text.to_string()))
        .filter(task::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks the tasks done, those still open only: of two people closing the same task, one
/// records it. Returns how many were closed.
pub async fn close(
    db: &impl ConnectionTrait,
    ids: &[i32],
    done_at: DateTime<Utc>,
    done_by: &str,
    note: Option<&str>,
) -> StoreResult<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let r = Task::update_many()
        .col_expr(task::Column::DoneAt, Expr::value(Some(done_at)))
        .col_expr(task::Column::DoneBy, Expr::value(Some(done_by.to_string())))
        .col_expr(task::Column::Note, Expr::value(note.map(str::to_string)))
        .filter(task::Column::Id.is_in(ids.to_vec()))
        .filter(task::Column::DoneAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// A task with what a person needs to do it: the council, the request, how to deliver it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TaskRow {
    pub id: i32,
    pub request_id: i32,
    pub reference: String,
    pub request_state: RequestState,
    pub authority: String,
    pub authority_name: String,
    pub website: Option<String>,
    pub channel: Channel,
    pub portal_reference: Option<String>,
    pub kind: TaskKind,
    /// What to do, and the command that records it.
    pub what: String,
    pub subject: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
    pub note: Option<String>,
}

pub async fn rows_for(
    db: &impl ConnectionTrait,
    tasks: Vec<TaskModel>,
) -> StoreResult<Vec<TaskRow>> {
    let mut ids: Vec<i32> = tasks.iter().map(|t| t.request_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut requests: HashMap<i32, request::Model> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(super::requests::IN_CHUNK) {
        // A task carries its own letter; the request's is never read here.
        for r in super::requests::without_letters(&[])
            .filter(request::Column::Id.is_in(chunk.iter().copied()))
            .into_model::<request::Model>()
            .all(db)
            .await?
        {
            requests.insert(r.id, r);
        }
    }
    let mut authority_ids: Vec<i32> = requests.values().map(|r| r.authority_id).collect();
    authority_ids.sort_unstable();
    authority_ids.dedup();
    let authorities: HashMap<i32, authority::Model> = authority::Entity::find()
        .filter(authority::Column::Id.is_in(authority_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut rows = Vec::with_capacity(tasks.len());
    for t in tasks {
        // The foreign key cascades, so a task always has its request.
        let Some(r) = requests.get(&t.request_id) else {
            continue;
        };
        let a = authorities.get(&r.authority_id);
        rows.push(TaskRow {
            id: t.id,
            request_id: t.request_id,
            reference: r.reference.clone(),
            request_state: r.state,
            authority: a.map(|a| a.slug.clone()).unwrap_or_default(),
            authority_name: a.map(|a| a.name.clone()).unwrap_or_default(),
            website: a.and_then(|a| a.website.clone()).filter(|w| !w.is_empty()),
            channel: r.channel,
            portal_reference: r.portal_reference.clone(),
            kind: t.kind,
            what: t.kind.instruction(r.channel, &r.reference),
            subject: t.subject,
            text: t.text,
            created_at: t.created_at,
            done_at: t.done_at,
            done_by: t.done_by,
            note: t.note,
        });
    }
    Ok(rows)
}
