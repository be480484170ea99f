//! Mail adapters: building a letter as a message and handing it to a transport (files,
//! SMTP, or memory for tests); parsing and classifying what comes back (`inbound`, pure); and
//! the IMAP client. What the program does with either is in `services/`.

pub mod imap;
pub mod inbound;
mod message;
mod send_error;
mod transport;

pub use message::{new_message_id, InlinePart, InlineRef, OutgoingEmail};
pub use send_error::{SendError, SendErrorKind};
pub use transport::{Accepted, MailTransport, SentMail, TransportConfigError};
