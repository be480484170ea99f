//! Plain validated types. Each has a `parse` that is the only way in from user input,
//! so the rest of the program can trust what it holds.

mod channel;
mod document;
mod email;
mod event_kind;
mod exemption;
mod finding;
pub mod lifecycle;
mod message;
#[macro_use]
mod stored_enum;
mod nation;
mod outcome;
mod reference;
mod retry;
pub mod schedule;
mod sending_window;
mod slug;
mod state;
mod twinning_status;

pub use crate::calendar::Regime;
pub use channel::{parse_portal_reference, Channel, TaskKind};
pub use document::{DocumentKind, DocumentStatus};
pub use email::EmailAddress;
pub use event_kind::{EventKind, Named as EventName};
pub use exemption::Exemption;
pub use finding::{CommitmentArea, FindingField, FindingState};
pub use message::{Direction, MessageKind, MessageState};
pub use nation::Nation;
pub use outcome::Outcome;
pub use reference::Reference;

/// The fixed first part of every reference (`foi-…`).
pub fn reference_prefix() -> &'static str {
    reference::PREFIX
}
pub use retry::backoff;
pub use sending_window::SendingWindow;
pub use slug::{name_key, Slug};
pub use state::RequestState;
pub use twinning_status::TwinningStatus;

/// Why a value from outside was refused. The message is written for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub fn new(msg: impl Into<String>) -> Self {
        ParseError(msg.into())
    }
}
