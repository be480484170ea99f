//! Indexes for the queries that ran over whole tables as they grew (BENCHMARKS.md): the
//! outbox claim, the throttle's count of recent sends, and the digest's reads of this week's
//! mail, timeline and classifications. Plain SQL: partial indexes are written the same way
//! on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (name, definition). The claim's two partial indexes hold only the messages a worker may
/// take (for the file transport; and with the written ones, for SMTP), in id order, so the
/// next one is found at once however many were sent before; each matches the
/// `state IN (…)` term of the claim query word for word, as SQLite requires.
const INDEXES: [(&str, &str); 6] = [
    (
        "ix_messages_claim",
        "messages (id) WHERE direction = 'outbound' AND state IN ('queued', 'retry')",
    ),
    (
        "ix_messages_claim_written",
        "messages (id) WHERE direction = 'outbound' AND state IN ('queued', 'retry', 'written')",
    ),
    ("ix_messages_state_sent_at", "messages (state, sent_at)"),
    ("ix_messages_received_at", "messages (received_at)"),
    ("ix_events_kind_at", "events (kind, at)"),
    ("ix_classifications_at", "classifications (at)"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        crate::index_list::create(m, &INDEXES).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        crate::index_list::drop(m, &INDEXES).await
    }
}
