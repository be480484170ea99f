//! Writing many rows at once: multi-row INSERTs cut into chunks that stay under the bind
//! parameter limits (PostgreSQL's protocol allows 65,535 per statement, SQLite 32,766 by
//! default), for the generator and the batched import and queueing.

use super::StoreResult;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbBackend, EntityTrait, Iterable, Statement};

/// Bind parameters per statement: below both databases' limits.
pub const MAX_BINDS: usize = 30_000;

/// How many rows of `columns` columns fit in one statement.
pub fn rows_per_statement(columns: usize) -> usize {
    (MAX_BINDS / columns.max(1)).max(1)
}

/// Inserts every row, in as few statements as the bind limit allows. Every row must set the
/// same columns (build them from a `Model` with `reset_all`).
pub async fn insert_all<A>(db: &impl ConnectionTrait, rows: Vec<A>) -> StoreResult<u64>
where
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    let per = rows_per_statement(<A::Entity as EntityTrait>::Column::iter().count());
    let mut done = 0u64;
    let mut it = rows.into_iter().peekable();
    while it.peek().is_some() {
        let chunk: Vec<A> = it.by_ref().take(per).collect();
        done += chunk.len() as u64;
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(done)
}

/// The largest id in `E`'s table (0 when empty), to number rows written with their ids.
pub async fn max_id<E: EntityTrait>(db: &impl ConnectionTrait) -> StoreResult<i64> {
    let table = sea_orm::EntityName::table_name(&E::default()).to_string();
    let backend = db.get_database_backend();
    let row = db
        .query_one(Statement::from_string(
            backend,
            format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS m FROM \"{table}\""),
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<i64>("", "m")?,
        None => 0,
    })
}

/// After rows were written with explicit ids, PostgreSQL's sequence must move past them, or
/// the next ordinary insert would take an id already used. (SQLite takes MAX(id) + 1.)
pub async fn resync_ids<E: EntityTrait>(db: &impl ConnectionTrait) -> StoreResult<()> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let table = sea_orm::EntityName::table_name(&E::default()).to_string();
    db.execute_unprepared(&format!(
        "SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), \
         (SELECT COALESCE(MAX(id), 0) + 1 FROM \"{table}\"), false)"
    ))
    .await?;
    Ok(())
}
