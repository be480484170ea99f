//! Understanding inbound mail from public authorities.
//!
//! Everything here is pure: bytes in, plain data out. Nothing in this module
//! may panic on any input, because the input is whatever a council's mail
//! system (or anyone else) chose to send us.

mod attachments;
mod classify;
mod dsn;
mod keys;
mod parse;
mod text;
mod tnef;

use serde::{Deserialize, Serialize};

pub use attachments::safe_filename;
pub use classify::classify;
pub use keys::{
    find_references, match_keys, reference_from_message_id, registrable_domain, sender_differs,
};
pub use parse::{content_fingerprint, parse, PANIC_WARNING};
pub use text::html_to_text;

/// A mailbox. The domain is lower-cased; the local part keeps its case
/// because some systems treat it as case-sensitive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: Option<String>,
    pub address: String,
}

impl Address {
    /// The part after the last `@`, empty when there is none.
    pub fn domain(&self) -> &str {
        self.address
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or_default()
    }

    /// The part before the last `@` (the whole address when there is none).
    pub fn local_part(&self) -> &str {
        self.address
            .rsplit_once('@')
            .map(|(l, _)| l)
            .unwrap_or(&self.address)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Safe to use as the last component of a path on any platform.
    pub filename: String,
    /// The name as the sender gave it (decoded from RFC 2231 / RFC 2047).
    pub original_filename: Option<String>,
    /// `type/subtype`, lower-case, without parameters.
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// Hex SHA-256 of `bytes`.
    pub sha256: String,
}

/// The header fields that say whether a message was sent by a machine.
/// Values are unfolded and trimmed but otherwise as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoHeaders {
    pub auto_submitted: Option<String>,
    pub x_autoreply: Option<String>,
    pub x_autorespond: Option<String>,
    pub x_auto_response_suppress: Option<String>,
    pub precedence: Option<String>,
    pub return_path: Option<String>,
    /// The top-level Content-Type, parameters included.
    pub content_type: Option<String>,
    /// Exim names the failed addresses here, which beats guessing from text.
    pub x_failed_recipients: Vec<String>,
    /// Some mail gateways mark their autoresponders only here (`9; Autoresponder`).
    pub x_post_messageclass: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedMail {
    pub raw_sha256: String,
    /// What makes two copies the same message: SHA-256 over the header fields that say what
    /// the message is (Message-ID, Date, From, Sender, Reply-To, To, Cc, Subject,
    /// In-Reply-To, References and the MIME fields; unfolded, whitespace collapsed) and the
    /// body with line ends normalised and trailing blank space dropped. Trace fields that a
    /// re-delivery changes (Received, Delivered-To, X-Original-To, Return-Path, signatures,
    /// spam scores) are left out, so a second copy of a message is recognised while a
    /// different message that reuses a Message-ID is not. Lines in the header block that are
    /// not fields count in full, so text without headers is never mistaken for a copy.
    pub content_sha256: String,
    /// Normalised to `<id>`.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    /// In header order (oldest first), as sent.
    pub references: Vec<String>,
    pub from: Option<Address>,
    pub reply_to: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub delivered_to: Vec<String>,
    pub x_original_to: Vec<String>,
    pub subject: String,
    pub date: Option<chrono::DateTime<chrono::Utc>>,
    /// The plain-text body, or the HTML body converted to text when there is
    /// no plain part. Forwarded messages (message/rfc822) are appended below a
    /// "Forwarded message" marker. Line ends are `\n`; NULs are removed.
    pub text: String,
    pub attachments: Vec<Attachment>,
    pub headers: AutoHeaders,
    pub parse_warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Classification {
    Bounce {
        /// false for a delay warning: the mail system is still trying.
        permanent: bool,
        /// Enhanced status code such as "5.1.1".
        status: Option<String>,
        diagnostic: Option<String>,
        recipient: Option<String>,
        /// Every address the report names as failed or delayed (lower-case); empty when it
        /// names none. A bounce fails our letter only if the letter's To is among them, or
        /// if this is empty.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        recipients: Vec<String>,
        /// Message-ID of the message that could not be delivered.
        original_message_id: Option<String>,
    },
    AutoReply {
        reason: String,
    },
    Acknowledgement,
    Response,
}

impl Classification {
    /// A stable short name, handy for logs, storage and test fixtures.
    pub fn kind(&self) -> &'static str {
        match self {
            Classification::Bounce {
                permanent: true, ..
            } => "bounce_permanent",
            Classification::Bounce {
                permanent: false, ..
            } => "bounce_delay",
            Classification::AutoReply { .. } => "auto_reply",
            Classification::Acknowledgement => "acknowledgement",
            Classification::Response => "response",
        }
    }
}

/// Everything in a message that could tie it to a request, strongest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchKeys {
    /// References in the local parts of To, Cc, Delivered-To, X-Original-To
    /// (in that order, reply-domain addresses first), lower-case, deduped.
    pub address_refs: Vec<String>,
    /// In-Reply-To, then References most recent first, then for a bounce the
    /// Message-ID of the returned original. Normalised `<id>`, deduped.
    pub thread_ids: Vec<String>,
    pub subject_refs: Vec<String>,
    /// References quoted in the body: only a hint for the holding pen.
    pub body_refs: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchVia {
    Address,
    Thread,
    Subject,
}

impl MatchVia {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchVia::Address => "address",
            MatchVia::Thread => "thread",
            MatchVia::Subject => "subject",
        }
    }
}

impl MatchKeys {
    /// The reference this message most probably belongs to, using only the
    /// keys themselves: address, then one of our own Message-IDs in the
    /// thread, then the subject. Body references never count. A caller with
    /// a database should also look `thread_ids` up against stored messages.
    pub fn best_reference(&self) -> Option<(String, MatchVia)> {
        if let Some(r) = self.address_refs.first() {
            return Some((r.clone(), MatchVia::Address));
        }
        if let Some(r) = self
            .thread_ids
            .iter()
            .find_map(|id| reference_from_message_id(id))
        {
            return Some((r, MatchVia::Thread));
        }
        self.subject_refs
            .first()
            .map(|r| (r.clone(), MatchVia::Subject))
    }

    /// Every request this message names, by the strongest kind of key it has: all the
    /// references in its addresses (one reply may answer two of our requests), else the one
    /// thread reference, else all the references in the subject.
    pub fn all_references(&self) -> (Vec<String>, Option<MatchVia>) {
        if !self.address_refs.is_empty() {
            return (self.address_refs.clone(), Some(MatchVia::Address));
        }
        match self.best_reference() {
            Some((r, MatchVia::Thread)) => (vec![r], Some(MatchVia::Thread)),
            Some(_) => (self.subject_refs.clone(), Some(MatchVia::Subject)),
            None => (Vec::new(), None),
        }
    }
}
