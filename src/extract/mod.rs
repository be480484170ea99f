//! Text from the documents councils release: PDF (text layer, and OCR for scanned pages),
//! DOCX, ODT, XLSX, XLS, ODS, HTML, plain text and `.eml`. Pure apart from running the OCR
//! programs (poppler's `pdftoppm`, `tesseract`). Never panics on a file, and bounds the time
//! and size of the work per document; a file that cannot be read is a `Failed` extraction
//! with a reason a person understands.
//!
//! THIS FILE IS THE AGREED INTERFACE; the implementation is being written on branch
//! issue12/extract.

use std::path::PathBuf;
use std::time::Duration;

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
    (
        None,
        OcrAvailability::Missing {
            reason: "OCR support is not built yet".into(),
        },
    )
}

/// Reads the text of one document. `content_type` and `filename` are as the sender gave them
/// (either may be wrong: the bytes decide where they can).
pub fn extract(
    _bytes: &[u8],
    _content_type: &str,
    _filename: &str,
    _limits: &Limits,
    _ocr: Option<&OcrEngine>,
) -> Extraction {
    Extraction {
        status: Status::Unsupported,
        pages: Vec::new(),
        reason: Some("text extraction is not built yet".into()),
        format: None,
    }
}
