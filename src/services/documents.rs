//! The text of what councils send: every inbound message's own text and every attachment
//! becomes a document, read by the daemon's `extract` job (off the ingest path, so a large
//! PDF never delays storing a reply) or on demand with `foi documents extract`. Reading runs
//! on a blocking thread with the bounds of `extract::Limits`; a file that cannot be read is
//! marked failed with the reason and never stops the job.

use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::domain::{DocumentKind, DocumentStatus};
use crate::extract::{self, Extraction, Limits, OcrAvailability};
use crate::findings::WatchList;
use crate::search::fold;
use crate::store::documents::{self, DocumentModel, NewPage, Read};
use crate::store::{authorities, inbound, requests};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

/// A worker that dies three times while reading the same document gives up on it.
const MAX_ATTEMPTS: i32 = 3;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum ExtractOutcome {
    /// Nothing waiting.
    Idle,
    Read {
        document: i32,
        status: DocumentStatus,
        pages: usize,
        ocr_pages: usize,
        /// Candidate facts proposed for staff.
        suggestions: usize,
        watch_hits: usize,
    },
    /// Another worker finished it first; its result stands.
    Lost { document: i32 },
}

/// What one run of the job (or `foi documents extract`) did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ExtractRun {
    pub discovered: u64,
    pub given_up: u64,
    pub by_status: BTreeMap<String, u64>,
    pub pages: u64,
    pub ocr_pages: u64,
    pub suggestions: u64,
    pub watch_hits: u64,
    /// Set when scanned pages could not be read for want of OCR.
    pub ocr_missing: Option<String>,
}

impl std::fmt::Display for ExtractRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let read: u64 = self.by_status.values().sum();
        write!(
            f,
            "{read} document(s) read ({} pages, {} by OCR)",
            self.pages, self.ocr_pages
        )?;
        for (status, n) in &self.by_status {
            write!(f, ", {n} {status}")?;
        }
        if self.suggestions > 0 {
            write!(f, "; {} suggestion(s) for the register", self.suggestions)?;
        }
        if self.watch_hits > 0 {
            write!(f, "; {} watch-list hit(s)", self.watch_hits)?;
        }
        if self.discovered > 0 {
            write!(f, "; {} new", self.discovered)?;
        }
        if self.given_up > 0 {
            write!(f, "; {} given up after repeated crashes", self.given_up)?;
        }
        if let Some(why) = &self.ocr_missing {
            write!(f, "; OCR unavailable: {why}")?;
        }
        Ok(())
    }
}

/// What a document is read from: a message's own text is already text (its HTML was
/// converted when it was stored); an attachment is the stored file's bytes.
enum Source {
    Text(String),
    File {
        bytes: Vec<u8>,
        content_type: String,
        name: String,
    },
}

async fn source(app: &AppContext, doc: &DocumentModel) -> Result<Source, String> {
    let Some(attachment_id) = doc.attachment_id else {
        let m = inbound::get(&app.db, doc.message_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("message {} is gone", doc.message_id))?;
        return Ok(Source::Text(format!("{}\n\n{}", m.subject, m.body)));
    };
    let a = inbound::attachment(&app.db, attachment_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("attachment {attachment_id} is gone"))?;
    let path = crate::files::locate(
        &app.settings.paths.data_dir,
        "attachments",
        &a.sha256,
        "",
        &a.path,
    )
    .ok_or_else(|| format!("its stored file {} is missing", a.path))?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| format!("cannot read its stored file {}: {e}", path.display()))?;
    let name = a.original_filename.clone().unwrap_or(a.filename.clone());
    Ok(Source::File {
        bytes,
        content_type: a.content_type,
        name,
    })
}

/// The extraction as stored: each page folded for the index.
fn to_read(x: Extraction) -> Read {
    let status = match x.status {
        extract::Status::Extracted => DocumentStatus::Extracted,
        extract::Status::Partial => DocumentStatus::Partial,
        extract::Status::Failed => DocumentStatus::Failed,
        extract::Status::Unsupported => DocumentStatus::Unsupported,
    };
    Read {
        status,
        reason: x.reason,
        format: x.format.map(str::to_string),
        pages: x
            .pages
            .into_iter()
            .map(|p| NewPage {
                page: p.number as i32,
                search_text: fold(&p.text),
                text: p.text,
                ocr: p.ocr,
            })
            .collect(),
    }
}

/// One step: claim the oldest pending document, read it, store its text.
#[tracing::instrument(skip_all, fields(document = tracing::field::Empty))]
pub async fn try_execute_task(
    app: &AppContext,
    now: DateTime<Utc>,
    watch: &WatchList,
) -> ServiceResult<ExtractOutcome> {
    let limits = Limits::default();
    let lease = now
        + Duration::from_std(limits.timeout).unwrap_or(Duration::minutes(5))
        + Duration::minutes(1);
    let Some(doc) = documents::claim(&app.db, now, lease, &app.worker).await? else {
        return Ok(ExtractOutcome::Idle);
    };
    tracing::Span::current().record("document", doc.id);
    let read = match source(app, &doc).await {
        Err(why) => Read {
            status: DocumentStatus::Failed,
            reason: Some(why),
            format: None,
            pages: Vec::new(),
        },
        Ok(Source::Text(text)) => Read {
            status: DocumentStatus::Extracted,
            reason: None,
            format: Some("message".into()),
            pages: vec![NewPage {
                page: 1,
                search_text: fold(&text),
                text,
                ocr: false,
            }],
        },
        Ok(Source::File {
            bytes,
            content_type,
            name,
        }) => {
            let engine = app.ocr().0.clone();
            let x = tokio::task::spawn_blocking(move || {
                extract::extract(&bytes, &content_type, &name, &limits, engine.as_ref())
            })
            .await
            .unwrap_or_else(|e| Extraction {
                status: extract::Status::Failed,
                pages: Vec::new(),
                reason: Some(format!("reading it failed unexpectedly: {e}")),
                format: None,
            });
            to_read(x)
        }
    };
    let (status, pages) = (read.status, read.pages.len());
    let ocr_pages = read.pages.iter().filter(|p| p.ocr).count();
    if !documents::store_read(&app.db, doc.id, &app.worker, read, now).await? {
        return Ok(ExtractOutcome::Lost { document: doc.id });
    }
    // Suggestions are proposed once the text is stored, so a failure here never loses it.
    let proposed = super::findings::propose(&app.db, doc.id, watch, now).await?;
    tracing::info!(status = %status, pages, ocr_pages, suggestions = proposed.suggestions, watch_hits = proposed.watch_hits, "document read");
    Ok(ExtractOutcome::Read {
        document: doc.id,
        status,
        pages,
        ocr_pages,
        suggestions: proposed.suggestions,
        watch_hits: proposed.watch_hits,
    })
}

/// Finds new documents and reads every pending one (up to `limit`), until `stopping`.
pub async fn run(
    app: &AppContext,
    now: DateTime<Utc>,
    stopping: &AtomicBool,
    limit: Option<usize>,
) -> ServiceResult<ExtractRun> {
    run_with(app, now, stopping, limit, &super::progress::Silent).await
}

/// `run`, saying how far it has got (one step per document read).
async fn run_with(
    app: &AppContext,
    now: DateTime<Utc>,
    stopping: &AtomicBool,
    limit: Option<usize>,
    progress: &dyn super::progress::Progress,
) -> ServiceResult<ExtractRun> {
    // A broken watch list stops the run before anything is claimed: it names the file and
    // line, and the documents wait for the fix.
    let watch = super::findings::watch_list(app)?;
    let mut out = ExtractRun {
        discovered: documents::discover(&app.db, now).await?,
        given_up: documents::give_up_stuck(&app.db, now, MAX_ATTEMPTS).await?,
        ..Default::default()
    };
    let mut handled = 0;
    while !stopping.load(Ordering::SeqCst) && limit.is_none_or(|l| handled < l) {
        match try_execute_task(app, now, &watch).await? {
            ExtractOutcome::Idle => break,
            ExtractOutcome::Lost { .. } => {}
            ExtractOutcome::Read {
                status,
                pages,
                ocr_pages,
                suggestions,
                watch_hits,
                ..
            } => {
                *out.by_status.entry(status.to_string()).or_default() += 1;
                out.pages += pages as u64;
                out.ocr_pages += ocr_pages as u64;
                out.suggestions += suggestions as u64;
                out.watch_hits += watch_hits as u64;
                if status == DocumentStatus::Partial {
                    if let OcrAvailability::Missing { reason } = &app.ocr().1 {
                        out.ocr_missing = Some(reason.clone());
                    }
                }
            }
        }
        handled += 1;
        progress.advance(1);
    }
    progress.finish();
    Ok(out)
}

/// `foi documents extract [--all | --id N…]`: read what is pending now; `--all` reads every
/// document again (after installing OCR, say), `--id` the ones named.
pub async fn extract_now(
    app: &AppContext,
    now: DateTime<Utc>,
    all: bool,
    ids: &[i32],
    progress: &dyn super::progress::Progress,
) -> ServiceResult<ExtractRun> {
    documents::discover(&app.db, now).await?;
    for id in ids {
        documents::get(&app.db, *id).await?;
    }
    if all {
        documents::reset(&app.db, None).await?;
    } else if !ids.is_empty() {
        documents::reset(&app.db, Some(ids)).await?;
    }
    progress.start("reading documents", None);
    run_with(app, now, &AtomicBool::new(false), None, progress).await
}

/// A document as `foi documents list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DocumentRow {
    pub id: i32,
    pub name: String,
    pub content_type: String,
    pub status: DocumentStatus,
    pub reason: Option<String>,
    pub format: Option<String>,
    pub pages: i32,
    pub ocr_pages: i32,
    pub kind: Option<DocumentKind>,
    /// Staff marked it for the public site.
    pub publishable: bool,
    pub message_id: i32,
    pub attachment_id: Option<i32>,
    pub received_at: Option<DateTime<Utc>>,
    /// The requests its message is filed under.
    pub references: Vec<String>,
    /// Their councils (slugs).
    pub authorities: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    pub request: Option<String>,
    pub kind: Option<DocumentKind>,
    pub status: Option<DocumentStatus>,
}

pub async fn list(app: &AppContext, filter: &DocumentFilter) -> ServiceResult<Vec<DocumentRow>> {
    let db = &app.db;
    // A reply stored a moment ago is listed as pending at once, not only after the extract
    // job's next run; the insert is idempotent and cheap.
    documents::discover(db, chrono::Utc::now()).await?;
    let docs = match &filter.request {
        Some(reference) => {
            let r = requests::get_by_reference(db, reference).await?;
            let ids: Vec<i32> = crate::store::messages::for_request(db, r.id)
                .await?
                .into_iter()
                .map(|m| m.id)
                .collect();
            documents::of_messages(db, &ids).await?
        }
        None => documents::all(db).await?,
    };
    let mut rows = Vec::new();
    for d in docs {
        if filter.kind.is_some_and(|k| d.kind != Some(k))
            || filter.status.is_some_and(|s| d.status != s)
        {
            continue;
        }
        rows.push(row(app, d).await?);
    }
    Ok(rows)
}

/// The message a document came with, and the requests that message is filed under.
pub(super) async fn filed_under(
    db: &impl sea_orm::ConnectionTrait,
    message_id: i32,
) -> ServiceResult<(Option<inbound::MessageModel>, Vec<requests::RequestModel>)> {
    let Some(m) = inbound::get(db, message_id).await? else {
        return Ok((None, Vec::new()));
    };
    let mut found = Vec::new();
    for id in inbound::request_ids(db, &m).await? {
        found.extend(requests::get_by_id(db, id).await?);
    }
    Ok((Some(m), found))
}

async fn row(app: &AppContext, d: DocumentModel) -> ServiceResult<DocumentRow> {
    let db = &app.db;
    let (m, filed) = filed_under(db, d.message_id).await?;
    let (mut references, mut slugs) = (Vec::new(), Vec::new());
    for r in filed {
        let a = authorities::get(db, r.authority_id).await?;
        references.push(r.reference);
        if !slugs.contains(&a.slug) {
            slugs.push(a.slug);
        }
    }
    Ok(DocumentRow {
        id: d.id,
        name: d.name,
        content_type: d.content_type,
        status: d.status,
        reason: d.reason,
        format: d.format,
        pages: d.pages,
        ocr_pages: d.ocr_pages,
        kind: d.kind,
        publishable: d.publishable,
        message_id: d.message_id,
        attachment_id: d.attachment_id,
        received_at: m.and_then(|m| m.received_at),
        references,
        authorities: slugs,
    })
}

/// One document with its text, page by page (`foi documents show ID [--page N]`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct DocumentView {
    #[serde(flatten)]
    pub row: DocumentRow,
    pub pages: Vec<PageView>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PageView {
    pub page: i32,
    pub ocr: bool,
    pub text: String,
}

pub async fn show(app: &AppContext, id: i32, page: Option<i32>) -> ServiceResult<DocumentView> {
    let d = documents::get(&app.db, id).await?;
    let pages: Vec<PageView> = documents::pages(&app.db, id)
        .await?
        .into_iter()
        .filter(|p| page.is_none_or(|n| p.page == n))
        .map(|p| PageView {
            page: p.page,
            ocr: p.ocr,
            text: p.text,
        })
        .collect();
    if let Some(n) = page {
        if pages.is_empty() {
            return Err(ServiceError::refused(format!(
                "document {id} has no page {n} ({} page(s) of text)",
                d.pages
            )));
        }
    }
    Ok(DocumentView {
        row: row(app, d).await?,
        pages,
    })
}

/// `foi documents publish ID [--undo]`: whether `foi publish` may copy the document onto
/// the campaign's public site. Only documents staff mark are ever published.
pub async fn set_publishable(app: &AppContext, id: i32, publishable: bool) -> ServiceResult<()> {
    documents::set_publishable(&app.db, id, publishable).await?;
    Ok(())
}

/// `foi documents tag ID KIND`: what staff say the document is.
pub async fn tag(app: &AppContext, id: i32, kind: Option<DocumentKind>) -> ServiceResult<()> {
    documents::set_kind(&app.db, id, kind).await?;
    Ok(())
}
