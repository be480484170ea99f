//! Creating and dropping a migration's list of plain indexes, written the same way on SQLite
//! and PostgreSQL.

use sea_orm_migration::prelude::*;

/// Creates each `(name, "table (columns)…")` not there yet.
pub async fn create(m: &SchemaManager<'_>, indexes: &[(&str, &str)]) -> Result<(), DbErr> {
    let db = m.get_connection();
    for (name, on) in indexes {
        db.execute_unprepared(&format!("CREATE INDEX IF NOT EXISTS {name} ON {on}"))
            .await?;
    }
    Ok(())
}

/// Drops each of them that is there.
pub async fn drop(m: &SchemaManager<'_>, indexes: &[(&str, &str)]) -> Result<(), DbErr> {
    let db = m.get_connection();
    for (name, _) in indexes {
        db.execute_unprepared(&format!("DROP INDEX IF EXISTS {name}"))
            .await?;
    }
    Ok(())
}
