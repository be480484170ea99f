//! The integration tests, one binary with a module per area: against real SQLite and
//! PostgreSQL databases (each test its own), a real SMTP server (aiosmtpd) and a real IMAP
//! server (Dovecot) started on loopback ports, and the `foi` binary itself.

// Shared set-up: per-test databases, running the binary, the servers.
#[macro_use]
mod common;
mod support;

mod authorities_and_twinnings;
mod calendar_examples;
mod calendar_properties;
mod cli;
mod daemon_e2e;
mod daemon_process;
mod dashboard;
mod deadlines;
mod extract;
mod findings;
mod imap_harness;
mod inbound_corpus;
mod inbound_fuzz;
mod inbound_ingest;
mod inbox_imap;
mod letters;
mod no_secret_in_logs;
mod outbox_smtp;
mod per_council;
mod portal;
mod publish;
mod queueing;
mod reading;
mod reports;
mod reviews;
mod scale;
mod search;
mod smtp_harness;
