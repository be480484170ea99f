//! `foi log-response REF --received DATE --outcome O [--file F]…`: a reply that came by post
//! or through a portal. It is kept like an emailed reply (with its documents in the
//! content-addressed store) and classified at once.

use super::classify::{classify_in, Classified, Classify};
use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::domain::{MessageKind, Outcome};
use crate::store::{inbound, requests};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::TransactionTrait;

/// A document that came with the reply: its (already made-safe) name and bytes.
#[derive(Debug, Clone)]
pub struct Document {
    pub name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct LogResponse {
    pub reference: String,
    pub received: NaiveDate,
    pub outcome: Outcome,
    pub exemptions: String,
    pub note: Option<String>,
    pub documents: Vec<Document>,
    pub actor: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Logged {
    pub classified: Classified,
    pub message: i32,
    pub documents: usize,
}

#[tracing::instrument(skip_all, fields(reference = %input.reference))]
pub async fn log_response(
    app: &AppContext,
    now: DateTime<Utc>,
    input: LogResponse,
) -> ServiceResult<Logged> {
    let request = requests::get_by_reference(&app.db, &input.reference).await?;
    let cal = app.calendar().await?;
    let data_dir = &app.settings.paths.data_dir;
    let mut fingerprint = format!(
        "{}|{}|{}|{}",
        request.reference,
        input.received,
        input.outcome,
        now.to_rfc3339()
    );
    // Bytes reach the disk before the rows that point at them.
    let mut stored = Vec::new();
    for d in &input.documents {
        let sha = crate::files::sha256_hex(&d.bytes);
        let path =
            crate::files::store(data_dir, "attachments", &sha, "", &d.bytes).map_err(|e| {
                ServiceError::Disk {
                    dir: data_dir.display().to_string(),
                    message: format!("{}: {e}", d.name),
                }
            })?;
        fingerprint.push_str(&sha);
        stored.push((d, sha, path));
    }
    let txn = app.db.begin().await?;
    // A logged response is its own content: the fingerprint of what staff gave.
    let digest = crate::files::sha256_hex(fingerprint.as_bytes());
    let message = inbound::insert(
        &txn,
        inbound::NewInbound {
            request_id: Some(request.id),
            kind: MessageKind::Response,
            message_id: None,
            content_sha256: digest.clone(),
            parse_warnings: Vec::new(),
            in_reply_to: None,
            from_addr: "(post or portal)".into(),
            to_addr: String::new(),
            subject: format!(
                "Response to {} received {} (logged by staff)",
                request.reference, input.received
            ),
            body: input.note.clone().unwrap_or_default(),
            raw_path: None,
            raw_sha256: digest,
            matched_via: Some("staff".into()),
            sender_flagged: false,
            source: "log-response".into(),
            received_at: now,
        },
    )
    .await?;
    inbound::link(&txn, message.id, request.id, Some("staff"), now).await?;
    for (d, sha, path) in &stored {
        inbound::add_attachment(
            &txn,
            message.id,
            inbound::NewAttachment {
                filename: &d.name,
                original_filename: None,
                content_type: mime_of(&d.name),
                size: d.bytes.len() as i64,
                sha256: sha,
                path: &path.display().to_string(),
            },
        )
        .await?;
    }
    let classified = classify_in(
        &txn,
        &cal,
        &app.settings,
        &request,
        Classify {
            outcome: input.outcome,
            exemptions: &input.exemptions,
            note: input.note.as_deref(),
            received_on: Some(input.received),
            message_id: Some(message.id),
            actor: &input.actor,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Logged {
        classified,
        message: message.id,
        documents: stored.len(),
    })
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
