use super::{deadline::parse_date, Ctx};
use crate::domain::Outcome;
use crate::responses::{classify, Classified, Classify};
use crate::store::{inbound, requests};
use anyhow::Context as _;
use chrono::NaiveDate;
use sea_orm::TransactionTrait;
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
    let db = ctx.db().await?;
    let request = requests::get_by_reference(&db, &a.reference).await?;
    let cal = crate::deadlines::working_calendar(&db).await?;
    let txn = db.begin().await?;
    let c = classify(
        &txn,
        &cal,
        &ctx.settings,
        &request,
        Classify {
            outcome: a.outcome,
            exemptions: &a.exemptions,
            note: a.note.as_deref(),
            received_on: a.received,
            message_id: None,
            actor: "cli",
        },
        ctx.now,
    )
    .await?;
    txn.commit().await?;
    report(&c);
    Ok(())
}

pub async fn run_log_response(ctx: &Ctx, a: LogResponseArgs) -> anyhow::Result<()> {
    // Read every file first: a missing one stops the command before anything is stored.
    let mut files = Vec::new();
    for path in &a.files {
        let bytes = std::fs::read(path).with_context(|| format!("--file {}", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        files.push((crate::mail::inbound::safe_filename(&name), bytes));
    }
    let db = ctx.db().await?;
    let request = requests::get_by_reference(&db, &a.reference).await?;
    let cal = crate::deadlines::working_calendar(&db).await?;
    let data_dir = &ctx.settings.paths.data_dir;
    let mut fingerprint = format!(
        "{}|{}|{}|{}",
        request.reference,
        a.received,
        a.outcome,
        ctx.now.to_rfc3339()
    );
    let mut stored = Vec::new();
    for (name, bytes) in &files {
        let sha = crate::files::sha256_hex(bytes);
        let path = crate::files::store(data_dir, "attachments", &sha, "", bytes)
            .with_context(|| format!("cannot store {name} under {}", data_dir.display()))?;
        fingerprint.push_str(&sha);
        stored.push((name.clone(), bytes.len(), sha, path));
    }
    let txn = db.begin().await?;
    let message = inbound::insert(
        &txn,
        inbound::NewInbound {
            request_id: Some(request.id),
            kind: "response".into(),
            message_id: None,
            // A logged response is its own content: the fingerprint of what staff gave.
            content_sha256: crate::files::sha256_hex(fingerprint.as_bytes()),
            parse_warnings: Vec::new(),
            in_reply_to: None,
            from_addr: "(post or portal)".into(),
            to_addr: String::new(),
            subject: format!(
                "Response to {} received {} (logged by staff)",
                request.reference, a.received
            ),
            body: a.note.clone().unwrap_or_default(),
            raw_path: None,
            raw_sha256: crate::files::sha256_hex(fingerprint.as_bytes()),
            matched_via: Some("staff".into()),
            sender_flagged: false,
            source: "log-response".into(),
            received_at: ctx.now,
        },
    )
    .await?;
    inbound::link(&txn, message.id, request.id, Some("staff"), ctx.now).await?;
    for (name, size, sha, path) in &stored {
        let content_type = mime_of(name);
        inbound::add_attachment(
            &txn,
            message.id,
            name,
            content_type,
            *size as i64,
            sha,
            &path.display().to_string(),
        )
        .await?;
    }
    let c = classify(
        &txn,
        &cal,
        &ctx.settings,
        &request,
        Classify {
            outcome: a.outcome,
            exemptions: &a.exemptions,
            note: a.note.as_deref(),
            received_on: Some(a.received),
            message_id: Some(message.id),
            actor: "cli",
        },
        ctx.now,
    )
    .await?;
    txn.commit().await?;
    report(&c);
    if !stored.is_empty() {
        println!("  {} file(s) kept with the response", stored.len());
    }
    Ok(())
}

fn mime_of(name: &str) -> &'static str {
    match name
        .rsplit('.')
        .next()
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("pdf") => "application/pdf",
        Some("jpg") | Some("jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("txt") => "text/plain",
        Some("doc") => "application/msword",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}
