//! Text from the documents councils release: PDF (text layer, and OCR for scanned pages),
//! DOCX, ODT, XLSX, XLS, ODS, HTML, plain text and `.eml`. Pure apart from running the OCR
//! programs (poppler's `pdftoppm`, `tesseract`). Never panics on a file, and bounds the time
//! and size of the work per document; a file that cannot be read is a `Failed` extraction
//! with a reason a person understands.
//!
//! One file per concern: `detect` (what the bytes are), `guard` (panic and time bounds),
//! `archive` (zip reading with a cap on what is decompressed), `pdf`, `ocr`, `office` (DOCX,
//! ODT), `sheet` (XLSX, XLS, ODS), `plain` (text and HTML), `eml`, and `text` (the
//! normalisation every page goes through).

mod archive;
mod detect;
mod eml;
mod guard;
mod ocr;
mod office;
mod pdf;
mod plain;
mod sheet;
mod text;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use detect::Format;
pub use ocr::probe_ocr_in;

/// One page of text (a sheet for a spreadsheet; the whole text for formats without pages).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Page {
    /// 1-based.
    pub number: u32,
    pub text: String,
    /// The text came from OCR of the page's image.
    pub ocr: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every page read.
    Extracted,
    /// Some pages have no text: scanned pages while OCR is not installed, or pages past the
    /// page limit. `reason` says which and why.
    Partial,
    /// Nothing could be read: corrupt, encrypted, too large, too slow. `reason` says which.
    Failed,
    /// A format foi does not read (images other than scanned PDFs, archives, …).
    Unsupported,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Extraction {
    pub status: Status,
    pub pages: Vec<Page>,
    pub reason: Option<String>,
    /// What it was read as: "pdf", "docx", "odt", "xlsx", "xls", "ods", "html", "text", "eml".
    pub format: Option<&'static str>,
}

impl Extraction {
    pub(crate) fn failed(format: Option<&'static str>, reason: impl Into<String>) -> Self {
        Extraction {
            status: Status::Failed,
            pages: Vec::new(),
            reason: Some(reason.into()),
            format,
        }
    }

    pub(crate) fn unsupported(reason: impl Into<String>) -> Self {
        Extraction {
            status: Status::Unsupported,
            pages: Vec::new(),
            reason: Some(reason.into()),
            format: None,
        }
    }

    /// Every page read: `Extracted`, or `Partial` when `problems` says what is missing.
    pub(crate) fn from_pages(
        format: &'static str,
        pages: Vec<Page>,
        problems: Vec<String>,
    ) -> Self {
        let (status, reason) = if problems.is_empty() {
            (Status::Extracted, None)
        } else {
            (Status::Partial, Some(problems.join("; ")))
        };
        Extraction {
            status,
            pages,
            reason,
            format: Some(format),
        }
    }

    /// The text of all pages, a blank line between pages.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for page in self.pages.iter().filter(|p| !p.text.is_empty()) {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&page.text);
        }
        out
    }
}

/// Bounds on the work done for one document.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_pages: u32,
    /// For the whole document, OCR included.
    pub timeout: Duration,
    /// For rendering and recognising one scanned page.
    pub ocr_page_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 50 * 1024 * 1024,
            max_pages: 500,
            timeout: Duration::from_secs(300),
            ocr_page_timeout: Duration::from_secs(60),
        }
    }
}

/// The OCR programs, found on the PATH (or where configured).
#[derive(Debug, Clone)]
pub struct OcrEngine {
    pub pdftoppm: PathBuf,
    pub tesseract: PathBuf,
    /// Tesseract's language list, e.g. "eng+chi_sim".
    pub languages: String,
}

/// Whether OCR can run here, and if not, why (for `foi doctor`, the start-up log and a
/// document's status).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum OcrAvailability {
    Ready { languages: String },
    Missing { reason: String },
}

/// Looks for `pdftoppm` and `tesseract` with English and Simplified Chinese data.
pub fn probe_ocr() -> (Option<OcrEngine>, OcrAvailability) {
    probe_ocr_in(std::env::var_os("PATH").as_deref())
}

/// Reads the text of one document. `content_type` and `filename` are as the sender gave them
/// (either may be wrong: the bytes decide where they can).
pub fn extract(
    bytes: &[u8],
    content_type: &str,
    filename: &str,
    limits: &Limits,
    ocr: Option<&OcrEngine>,
) -> Extraction {
    // Checked before anything is copied or parsed: the size is the one bound that protects
    // the caller's memory.
    let size = bytes.len() as u64;
    if size > limits.max_bytes {
        return Extraction::failed(
            None,
            format!(
                "too large ({}, limit {})",
                text::human_size(size),
                text::human_size(limits.max_bytes)
            ),
        );
    }

    // The work runs on its own thread so that a parser stuck in a loop costs the caller at
    // most `limits.timeout`; the thread keeps the bytes alive by itself when it is abandoned.
    let started = Instant::now();
    let job = Job {
        bytes: Arc::from(bytes),
        content_type: content_type.to_string(),
        filename: filename.to_string(),
        limits: limits.clone(),
        ocr: ocr.cloned(),
        deadline: started + work_budget(limits.timeout),
    };
    match guard::run_bounded(limits.timeout, move || job.run()) {
        Ok(extraction) => extraction,
        Err(guard::Stopped::TimedOut) => Extraction::failed(
            None,
            format!(
                "took longer than {} s to read",
                text::whole_seconds(limits.timeout)
            ),
        ),
        Err(guard::Stopped::Panicked(message)) => {
            Extraction::failed(None, format!("the reader crashed ({message})"))
        }
    }
}

/// How long the worker plans to take: a little less than the caller waits, so OCR that runs
/// long stops itself and hands back the pages it has instead of being abandoned with none.
fn work_budget(timeout: Duration) -> Duration {
    let margin = (timeout / 10).min(Duration::from_secs(2));
    timeout.saturating_sub(margin)
}

/// Everything the worker thread needs, owned.
struct Job {
    bytes: Arc<[u8]>,
    content_type: String,
    filename: String,
    limits: Limits,
    ocr: Option<OcrEngine>,
    deadline: Instant,
}

impl Job {
    fn run(self) -> Extraction {
        let bytes = &self.bytes[..];
        let format =
            match guard::catch(|| detect::detect(bytes, &self.content_type, &self.filename)) {
                Ok(Ok(format)) => format,
                Ok(Err(not_read)) => return not_read,
                Err(message) => {
                    return Extraction::failed(
                        None,
                        format!(
                        "could not tell what kind of file this is (the reader crashed: {message})"
                    ),
                    )
                }
            };
        let result = guard::catch(|| match format {
            Format::Pdf => pdf::extract(bytes, &self.limits, self.ocr.as_ref(), self.deadline),
            Format::Docx => office::docx(bytes),
            Format::Odt => office::odt(bytes),
            Format::Xlsx | Format::Xls | Format::Ods => sheet::extract(bytes, format, &self.limits),
            Format::Html => plain::html(bytes, &self.content_type),
            Format::Text => plain::text(bytes, &self.content_type),
            Format::Eml => eml::extract(bytes),
        });
        match result {
            Ok(extraction) => extraction,
            Err(message) => Extraction::failed(
                Some(format.name()),
                format!(
                    "not a readable {}: the reader crashed ({message})",
                    format.describe()
                ),
            ),
        }
    }
}
