use crate::domain::{Direction, MessageKind, MessageState};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub request_id: Option<i32>,
    pub direction: Direction,
    pub kind: MessageKind,
    pub state: MessageState,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub from_addr: String,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
    pub raw_path: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTimeUtc>,
    pub lease_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub server_reply: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub received_at: Option<DateTimeUtc>,
    pub reply_to: Option<String>,
    pub references_hdr: Option<String>,
    pub auto_submitted: bool,
    pub to_domain: String,
    pub claimed_by: Option<String>,
    pub raw_sha256: Option<String>,
    pub classification: Option<MessageKind>,
    pub matched_via: Option<String>,
    pub sender_flagged: bool,
    pub source: Option<String>,
    pub html_body: Option<String>,
    /// JSON array of what the parser had to repair or could not read (inbound only).
    pub parse_warnings: Option<String>,
    /// Fingerprint an inbound duplicate is recognised by (see `mail::inbound::ParsedMail`).
    pub content_sha256: Option<String>,
    /// When staff last changed a draft: its words stand, and `foi approve` does not write it
    /// again from the template.
    pub edited_at: Option<DateTimeUtc>,
    pub edited_by: Option<String>,
    /// Images the HTML part shows inline (JSON list of `mail::InlineRef`); outbound only.
    pub inline_parts: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
