use super::{deadline::parse_date, Ctx};
use crate::domain::Outcome;
use crate::services::classify::{classify, Classified, Classify};
use crate::services::log_response::{log_response, Document, LogResponse};
use crate::services::CLI;
use anyhow::Context as _;
use chrono::NaiveDate;
use std::path::PathBuf;

/// `foi classify`: record what a council's answer was.
#[derive(Debug, clap::Args)]
pub struct ClassifyArgs {
    reference: String,
    #[arg(long, value_enum)]
    outcome: Outcome,
    /// Exemptions (FOIA s21–s44, FOISA s25–s41) or exceptions (EIR reg12–13, EISR reg10–11)
    /// cited, comma-separated: s27,s43(2)
    #[arg(long, default_value = "")]
    exemptions: String,
    #[arg(long)]
    note: Option<String>,
    /// When the answer arrived (default: today).
    #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD")]
    received: Option<NaiveDate>,
}

/// `foi log-response`: a reply that came by post or through a portal.
#[derive(Debug, clap::Args)]
pub struct LogResponseArgs {
    reference: String,
    #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD")]
    received: NaiveDate,
    #[arg(long, value_enum)]
    outcome: Outcome,
    #[arg(long, default_value = "")]
    exemptions: String,
    #[arg(long)]
    note: Option<String>,
    /// A scan or document that came with it (repeatable); kept with the response.
    #[arg(long = "file", value_name = "PATH")]
    files: Vec<PathBuf>,
}

fn report(c: &Classified) {
    println!("{}: now {}", c.reference, c.state);
    if !c.exemptions.is_empty() {
        println!("  exemptions: {}", c.exemptions.join(", "));
    }
    if let Some(n) = &c.clock_note {
        println!("  note: {n}");
    }
}

pub async fn run_classify(ctx: &Ctx, a: ClassifyArgs) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    let c = classify(
        &app,
        ctx.clock(),
        &a.reference,
        Classify {
            outcome: a.outcome,
            exemptions: &a.exemptions,
            note: a.note.as_deref(),
            received_on: a.received,
            message_id: None,
            actor: CLI,
        },
    )
    .await?;
    report(&c);
    Ok(())
}

pub async fn run_log_response(ctx: &Ctx, a: LogResponseArgs) -> anyhow::Result<()> {
    // Read every file first: a missing one stops the command before anything is stored.
    let mut documents = Vec::new();
    for path in &a.files {
        let bytes = std::fs::read(path).with_context(|| format!("--file {}", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        documents.push(Document {
            name: crate::mail::inbound::safe_filename(&name),
            bytes,
        });
    }
    let app = ctx.app().await?;
    let done = log_response(
        &app,
        ctx.clock(),
        LogResponse {
            reference: a.reference,
            received: a.received,
            outcome: a.outcome,
            exemptions: a.exemptions,
            note: a.note,
            documents,
            actor: CLI.into(),
        },
    )
    .await?;
    report(&done.classified);
    if done.documents > 0 {
        println!("  {} file(s) kept with the response", done.documents);
    }
    Ok(())
}
