//! `foi export`: the data, portable. Requests as CSV or JSON (one row each, streamed a page at
//! a time), one request's timeline, and every reply with its attachments in folders named by
//! council and reference, with an index CSV (or all of it in one zip file).

use super::progress::Progress;
use super::stats::each_request;
use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::london_date;
use crate::report::rows::{export_row, ExportRow};
use crate::store::events::TimelineEvent;
use crate::store::{events, inbound, reports, requests};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Json,
}

fn io_error(what: &str) -> impl Fn(std::io::Error) -> ServiceError + '_ {
    move |e| ServiceError::Files(format!("cannot write {what}: {e}"))
}

/// Writes every request (of the campaign, or all) to `out`, one row each; returns how many.
#[tracing::instrument(skip_all)]
pub async fn requests(
    app: &AppContext,
    now: DateTime<Utc>,
    campaign: Option<&str>,
    format: Format,
    out: &mut dyn Write,
    progress: &dyn Progress,
) -> ServiceResult<usize> {
    let total =
        reports::count_requests(&app.db, reports::campaign_id(&app.db, campaign).await?).await?;
    progress.start("exporting requests", Some(total));
    let written = match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            let n = each_request(app, now, campaign, progress, |f, a| {
                w.serialize(export_row(f, a, f.deadlines.as_ref()))
                    .map_err(|e| ServiceError::Files(format!("cannot write the CSV: {e}")))
            })
            .await?;
            w.flush().map_err(io_error("the CSV"))?;
            if n == 0 {
                // An empty export still names its columns.
                w.write_record(ExportRow::COLUMNS)
                    .map_err(|e| ServiceError::Files(format!("cannot write the CSV: {e}")))?;
                w.flush().map_err(io_error("the CSV"))?;
            }
            n
        }
        Format::Json => {
            out.write_all(b"[").map_err(io_error("the JSON"))?;
            let mut first = true;
            let n = each_request(app, now, campaign, progress, |f, a| {
                let row = export_row(f, a, f.deadlines.as_ref());
                out.write_all(if first { b"\n  " } else { b",\n  " })
                    .map_err(io_error("the JSON"))?;
                first = false;
                serde_json::to_writer(&mut *out, &row)
                    .map_err(|e| ServiceError::Files(format!("cannot write the JSON: {e}")))
            })
            .await?;
            out.write_all(if n == 0 { b"]\n" } else { b"\n]\n" })
                .map_err(io_error("the JSON"))?;
            out.flush().map_err(io_error("the JSON"))?;
            n
        }
    };
    progress.finish();
    Ok(written)
}

impl ExportRow {
    /// The CSV header, for an export with no rows.
    pub const COLUMNS: [&'static str; 35] = [
        "reference",
        "campaign",
        "authority",
        "authority_name",
        "nation",
        "regime",
        "links",
        "link_ids",
        "template",
        "channel",
        "portal_reference",
        "state",
        "created",
        "sent",
        "received",
        "day_zero",
        "working_days_allowed",
        "response_due",
        "refusal_notice_due",
        "very_overdue_from",
        "fee_lapses_on",
        "review_request_last_day",
        "review_requested",
        "review_due",
        "review_due_max",
        "complaint_window_end",
        "responded",
        "due_at_response",
        "on_time",
        "working_days_late",
        "working_days_overdue",
        "outcome",
        "exemptions",
        "review_result",
        "complaint",
    ];
}

/// `foi export timeline REF`: every event of the request, oldest first.
pub async fn timeline(app: &AppContext, reference: &str) -> ServiceResult<Vec<TimelineEvent>> {
    let r = requests::get_by_reference(&app.db, reference).await?;
    Ok(events::timeline(&app.db, r.id).await?)
}

/// One file of the responses export, as the index lists it.
#[derive(Debug, Clone, Serialize)]
pub struct IndexRow {
    pub authority: String,
    pub reference: String,
    pub message: i32,
    pub kind: String,
    pub received: Option<NaiveDate>,
    pub from: String,
    pub subject: String,
    /// `message` (the reply's text) or `attachment`.
    pub part: &'static str,
    /// The path inside the export.
    pub file: String,
    /// The name the sender gave an attachment.
    pub original_filename: Option<String>,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResponsesExported {
    pub out: PathBuf,
    pub zip: bool,
    pub messages: usize,
    pub files: usize,
    /// Attachments whose stored file was missing (listed in the index with no file).
    pub missing: Vec<String>,
}

/// Where the export's files go: a folder, or entries of a zip file.
trait Sink {
    fn put(&mut self, path: &str, bytes: &[u8]) -> std::io::Result<()>;
    fn put_file(&mut self, path: &str, from: &Path) -> std::io::Result<()>;
    /// Everything is written (a zip file's directory at its end, say).
    fn finish(self: Box<Self>) -> std::io::Result<()>;
}

struct DirSink(PathBuf);

impl Sink for DirSink {
    fn put(&mut self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        let target = self.0.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(target, bytes)
    }
    fn put_file(&mut self, path: &str, from: &Path) -> std::io::Result<()> {
        let target = self.0.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(from, target).map(|_| ())
    }
    fn finish(self: Box<Self>) -> std::io::Result<()> {
        Ok(())
    }
}

struct ZipSink(zip::ZipWriter<std::fs::File>);

impl ZipSink {
    fn options() -> zip::write::SimpleFileOptions {
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true)
    }
}

impl Sink for ZipSink {
    fn put(&mut self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.0
            .start_file(path, Self::options())
            .map_err(std::io::Error::other)?;
        self.0.write_all(bytes)
    }
    fn put_file(&mut self, path: &str, from: &Path) -> std::io::Result<()> {
        self.0
            .start_file(path, Self::options())
            .map_err(std::io::Error::other)?;
        std::io::copy(&mut std::fs::File::open(from)?, &mut self.0).map(|_| ())
    }
    fn finish(self: Box<Self>) -> std::io::Result<()> {
        self.0.finish().map(|_| ()).map_err(std::io::Error::other)
    }
}

/// A name fit for one path component inside the export.
fn component(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.').trim();
    if cleaned.is_empty() {
        "unnamed".into()
    } else {
        cleaned.to_string()
    }
}

/// `foi export responses --out DIR [--zip]`: every reply filed under a request (of the
/// campaign, or all), its text and its attachments, under `AUTHORITY/REFERENCE/`, with
/// `index.csv` at the top. The folder must be new or empty; the zip file must not exist.
/// Written beside the target and renamed into place, so a failed export leaves nothing.
#[tracing::instrument(skip_all)]
pub async fn responses(
    app: &AppContext,
    campaign: Option<&str>,
    out: &Path,
    as_zip: bool,
    progress: &dyn Progress,
) -> ServiceResult<ResponsesExported> {
    let db = &app.db;
    let campaign_id = reports::campaign_id(db, campaign).await?;
    if as_zip {
        if out.exists() {
            return Err(ServiceError::refused(format!(
                "{} already exists: name a new zip file",
                out.display()
            )));
        }
    } else if out.exists() {
        let empty = std::fs::read_dir(out)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty {
            return Err(ServiceError::refused(format!(
                "{} exists and is not an empty folder: name a new or empty folder",
                out.display()
            )));
        }
    }
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io_error("the export"))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    let staging = parent.join(format!(".{name}.{}.partial", std::process::id()));
    let cleanup = |e: ServiceError| {
        let _ = std::fs::remove_dir_all(&staging);
        let _ = std::fs::remove_file(&staging);
        e
    };
    let mut sink: Box<dyn Sink> = if as_zip {
        let file = std::fs::File::create(&staging).map_err(io_error("the zip file"))?;
        Box::new(ZipSink(zip::ZipWriter::new(file)))
    } else {
        std::fs::create_dir_all(&staging).map_err(io_error("the export folder"))?;
        Box::new(DirSink(staging.clone()))
    };
    let result = fill(app, campaign_id, sink.as_mut(), progress).await;
    let (index, done) = match result {
        Ok(x) => x,
        Err(e) => return Err(cleanup(e)),
    };
    sink.put("index.csv", &index)
        .map_err(io_error("index.csv"))
        .map_err(cleanup)?;
    sink.finish()
        .map_err(io_error("the export"))
        .map_err(cleanup)?;
    if !as_zip && out.exists() {
        // The empty folder staff named is replaced by the finished one.
        std::fs::remove_dir(out)
            .map_err(io_error("the export folder"))
            .map_err(cleanup)?;
    }
    std::fs::rename(&staging, out)
        .map_err(io_error("the export"))
        .map_err(cleanup)?;
    Ok(ResponsesExported {
        out: out.to_path_buf(),
        zip: as_zip,
        ..done
    })
}

/// Writes every message and attachment into `sink`; returns the index CSV and the counts.
async fn fill(
    app: &AppContext,
    campaign_id: Option<i32>,
    sink: &mut dyn Sink,
    progress: &dyn Progress,
) -> ServiceResult<(Vec<u8>, ResponsesExported)> {
    let db = &app.db;
    let data_dir = &app.settings.paths.data_dir;
    let total = reports::count_requests(db, campaign_id).await?;
    progress.start("exporting responses", Some(total));
    let mut index = csv::Writer::from_writer(Vec::new());
    let mut done = ResponsesExported {
        out: PathBuf::new(),
        zip: false,
        messages: 0,
        files: 0,
        missing: Vec::new(),
    };
    let names = reports::Names::load(db).await?;
    for (after, upto) in crate::store::requests::id_ranges(db, super::stats::PAGE).await? {
        let page = reports::requests_page(db, campaign_id, after, upto).await?;
        if page.is_empty() {
            continue;
        }
        let facts = reports::facts_for(db, &names, page).await?;
        let ids: Vec<i32> = facts.iter().map(|f| f.id).collect();
        for (m, under) in reports::inbound_for_requests(db, &ids).await? {
            let attachments = inbound::attachments(db, m.id).await?;
            let received = m.received_at.map(london_date);
            for f in facts.iter().filter(|f| under.contains(&f.id)) {
                let folder = format!("{}/{}", component(&f.authority), component(&f.reference));
                let row = |part, file: String, original, size, sha256: String| IndexRow {
                    authority: f.authority.clone(),
                    reference: f.reference.clone(),
                    message: m.id,
                    kind: m.kind.to_string(),
                    received,
                    from: m.from_addr.clone(),
                    subject: m.subject.clone(),
                    part,
                    file,
                    original_filename: original,
                    size,
                    sha256,
                };
                let text = format!(
                    "From: {}\nTo: {}\nSubject: {}\nReceived: {}\n\n{}",
                    m.from_addr,
                    m.to_addr,
                    m.subject,
                    m.received_at.map(|d| d.to_rfc3339()).unwrap_or_default(),
                    m.body
                );
                let file = format!(
                    "{folder}/{}-message-{}.txt",
                    received
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "undated".into()),
                    m.id
                );
                sink.put(&file, text.as_bytes()).map_err(io_error(&file))?;
                index
                    .serialize(row(
                        "message",
                        file,
                        None,
                        text.len() as u64,
                        crate::files::sha256_hex(text.as_bytes()),
                    ))
                    .map_err(|e| ServiceError::Files(format!("cannot write the index: {e}")))?;
                done.files += 1;
                for a in &attachments {
                    let file = format!("{folder}/{}-{}", m.id, component(&a.filename));
                    let found =
                        crate::files::locate(data_dir, "attachments", &a.sha256, "", &a.path);
                    let file = match found {
                        Some(path) => {
                            sink.put_file(&file, &path).map_err(io_error(&file))?;
                            done.files += 1;
                            file
                        }
                        None => {
                            done.missing.push(format!(
                                "{}: attachment {} of message {} ({})",
                                f.reference, a.filename, m.id, a.sha256
                            ));
                            String::new()
                        }
                    };
                    index
                        .serialize(row(
                            "attachment",
                            file,
                            a.original_filename.clone(),
                            a.size.max(0) as u64,
                            a.sha256.clone(),
                        ))
                        .map_err(|e| ServiceError::Files(format!("cannot write the index: {e}")))?;
                }
            }
            done.messages += 1;
        }
        progress.advance(ids.len() as u64);
    }
    progress.finish();
    let index = index
        .into_inner()
        .map_err(|e| ServiceError::Files(format!("cannot write the index: {e}")))?;
    Ok((index, done))
}
