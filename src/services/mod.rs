//! The use cases, one file each. The CLI, the daemon's jobs and (next) the web handlers only
//! parse input, call one of these with the application context and the clock, and present
//! the typed outcome. Below this layer sit `store/` (the only door to the database), `mail/`
//! (transports and mail parsing), `letters/` and the pure `calendar/` and `domain/`.

pub mod add_request;
pub mod approve;
pub mod assign;
pub mod attachments;
pub mod calendar_feed;
pub mod chased;
pub mod classify;
pub mod clock;
pub mod complaint;
pub mod dashboard;
pub mod deadlines;
pub mod digest;
pub mod directory;
pub mod dispatch;
pub mod documents;
pub mod drafts;
pub mod export;
pub mod findings;
pub mod follow_up;
pub mod generate;
pub mod holidays;
pub mod imports;
pub mod ingest;
pub mod lifecycle;
pub mod log_response;
pub mod messages;
pub mod poll;
pub mod progress;
pub mod publish;
pub mod queue;
pub mod requests;
pub mod retry;
pub mod review;
pub mod search;
pub mod seed;
pub mod sent_by_hand;
pub mod set_email;
pub mod staff;
pub mod stats;
pub mod status;
pub mod sweep;
pub mod tasks;

use crate::calendar::ClockError;
use crate::letters::LetterError;
use crate::mail::TransportConfigError;
use crate::store::StoreError;

/// Why a use case did not do what was asked. Each message is written for the person who
/// asked; `is_temporary` tells an MTA pipe to keep a message and try again.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{reference}: {source}")]
    Clock {
        reference: String,
        source: ClockError,
    },
    #[error(transparent)]
    Calendar(#[from] crate::calendar::CalendarError),
    #[error(transparent)]
    Letter(#[from] LetterError),
    /// A file staff gave has bad rows (each named with its line and field).
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    #[error(transparent)]
    Transport(#[from] TransportConfigError),
    /// A site template (`foi publish`) is broken; the message names its file and line.
    #[error(transparent)]
    Site(#[from] crate::publish::SiteError),
    #[error(transparent)]
    Inbox(#[from] crate::mail::imap::ImapError),
    #[error("cannot keep the message on disk under {dir}: {message}")]
    Disk { dir: String, message: String },
    /// Files staff asked for (attachments to save) could not be read or written; the message
    /// names each one and says what was left as it was.
    #[error("{0}")]
    Files(String),
    /// The request cannot be done as asked; the message says why and what to do instead.
    #[error("{0}")]
    Refused(String),
}

impl ServiceError {
    /// A storage failure (the database or the disk): nothing was stored, and trying again
    /// later may work.
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            ServiceError::Store(StoreError::Db(_)) | ServiceError::Disk { .. }
        )
    }

    pub fn refused(message: impl Into<String>) -> Self {
        ServiceError::Refused(message.into())
    }
}

impl From<sea_orm::DbErr> for ServiceError {
    fn from(e: sea_orm::DbErr) -> Self {
        ServiceError::Store(e.into())
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// Who did something, for the timeline: a person at the CLI (later, a staff account), or a
/// part of the program.
pub const CLI: &str = "cli";
