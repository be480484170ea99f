//! Persistence: the sea-orm entities (generated shape, in `entities/`) and the hand-written
//! queries the rest of the program needs, one file per table or concern.

pub mod authorities;
pub mod bulk;
pub mod campaigns;
pub mod chases;
pub mod classifications;
pub mod clock_events;
mod db;
pub mod digests;
pub mod documents;
pub mod entities;
pub mod events;
pub mod findings;
pub mod holidays;
pub mod inbound;
pub mod job_runs;
pub mod locks;
pub mod messages;
pub mod reports;
pub mod requests;
pub mod staff;
pub mod tasks;
pub mod twinnings;

pub use db::{connect, migrate, migration_status, DbKind, MigrationInfo};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    /// Rows of an import file that the stored data makes impossible (a name that matches two
    /// authorities), reported like the file's other errors, with line and field.
    #[error(transparent)]
    Rows(#[from] crate::import::ImportError),
}

pub type StoreResult<T> = Result<T, StoreError>;
