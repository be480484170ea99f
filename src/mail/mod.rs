//! Mail: building and sending letters (transports, the outbox worker). Inbound mail joins
//! this module later.

pub mod imap;
pub mod inbound;
mod message;
mod outbox;
mod send_error;
mod transport;
mod window;

pub use message::{new_message_id, OutgoingEmail};
pub use outbox::{backoff, DispatchOutcome, Outbox};
pub use send_error::{SendError, SendErrorKind};
pub use transport::{Accepted, MailTransport, SentMail};
pub use window::SendingWindow;
