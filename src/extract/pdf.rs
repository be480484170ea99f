//! PDF: the text layer page by page (lopdf parses, pdf-extract lays the text out), and OCR for
//! pages that are pictures of text.

use std::time::{Duration, Instant};

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::guard;
use super::ocr::{self, PACKAGES};
use super::text::{count, normalise, visible_chars, whole_seconds, MIN_TEXT_CHARS};
use super::{Extraction, Limits, OcrEngine, Page};

const ENCRYPTED: &str = "encrypted (password-protected) PDF: foi cannot read it";
/// Below this much time left, starting another page's OCR would only be killed part-way.
const MIN_OCR_TIME: Duration = Duration::from_secs(1);
/// A content stream this long draws something: a page of text turned into outlines, or a
/// drawing. With no text layer it needs OCR as much as a scan does; a blank page's stream is
/// empty or a few bytes.
const DRAWN_CONTENT_BYTES: usize = 2048;

/// A page whose text layer is empty or nearly so, and that draws something.
struct Candidate {
    /// Index into the pages read.
    index: usize,
    number: u32,
    /// Why its text layer could not be read, when that is why it is here.
    error: Option<String>,
    /// Its content shows text that pdf-extract gave nothing for (some producers' operators
    /// it does not follow): poppler's reader is tried before OCR.
    shows_text: bool,
}

pub(crate) fn extract(
    bytes: &[u8],
    limits: &Limits,
    ocr: Option<&OcrEngine>,
    deadline: Instant,
) -> Extraction {
    let doc = match load(bytes) {
        Ok(doc) => doc,
        Err(failed) => return failed,
    };
    let page_ids = match guard::catch(|| doc.get_pages()) {
        Ok(ids) => ids,
        Err(panic) => return not_readable(&format!("its page tree is damaged ({panic})")),
    };
    if page_ids.is_empty() {
        return not_readable("it has no pages");
    }
    let total = page_ids.len();
    let limit = limits.max_pages as usize;

    let mut pages = Vec::new();
    let mut candidates = Vec::new();
    let mut problems = Vec::new();
    for (&number, &id) in page_ids.iter().take(limit) {
        // Stopping here keeps the pages already read; the caller's own time-out would not.
        if Instant::now() >= deadline {
            problems.push(format!(
                "reading stopped at page {number} of {total}: the document's time limit ({} s) ran out",
                whole_seconds(limits.timeout)
            ));
            break;
        }
        let layer = guard::catch(|| text_layer(&doc, number))
            .unwrap_or_else(|panic| Err(format!("the reader crashed ({panic})")));
        let (text, error) = match layer {
            Ok(text) => (normalise(&text), None),
            Err(e) => (String::new(), Some(e)),
        };
        let thin = visible_chars(&text) < MIN_TEXT_CHARS;
        let shows_text = thin && guard::catch(|| shows_text(&doc, id)).unwrap_or(false);
        let needs_ocr = error.is_some()
            || (thin && (shows_text || guard::catch(|| draws_something(&doc, id)).unwrap_or(true)));
        if needs_ocr {
            candidates.push(Candidate {
                index: pages.len(),
                number,
                error,
                shows_text,
            });
        }
        pages.push(Page {
            number,
            text,
            ocr: false,
        });
    }

    if !candidates.is_empty() {
        match ocr {
            None => problems.extend(without_ocr(&candidates, pages.len())),
            Some(engine) => run_ocr(
                engine,
                bytes,
                &candidates,
                &mut pages,
                limits,
                deadline,
                &mut problems,
            ),
        }
    }
    if total > limit {
        problems.push(format!(
            "only the first {limit} of {total} pages were read (the page limit)"
        ));
    }

    let nothing_read = pages.iter().all(|p| p.text.is_empty());
    if nothing_read
        && !candidates.is_empty()
        && candidates.len() == pages.len()
        && candidates.iter().all(|c| c.error.is_some())
    {
        let first = &candidates[0];
        return not_readable(&format!(
            "no page could be read (page {}: {})",
            first.number,
            first.error.as_deref().unwrap_or_default()
        ));
    }
    Extraction::from_pages("pdf", pages, problems)
}

fn not_readable(why: &str) -> Extraction {
    Extraction::failed(Some("pdf"), format!("not a readable PDF: {why}"))
}

fn load(bytes: &[u8]) -> Result<Document, Extraction> {
    match guard::catch(|| Document::load_mem(bytes)) {
        Err(panic) => Err(not_readable(&format!(
            "damaged file (the parser crashed: {panic})"
        ))),
        Ok(Err(e)) if is_encryption_error(&e) || bytes_mention_encrypt(bytes) => {
            Err(Extraction::failed(Some("pdf"), ENCRYPTED))
        }
        Ok(Err(e)) => Err(not_readable(&format!("damaged or truncated file ({e})"))),
        // lopdf decrypts what opens with the empty password (permissions-only protection,
        // which viewers open without asking) and drops /Encrypt; one still there needs a
        // password.
        Ok(Ok(doc)) if doc.trailer.get(b"Encrypt").is_ok() => {
            Err(Extraction::failed(Some("pdf"), ENCRYPTED))
        }
        Ok(Ok(doc)) => Ok(doc),
    }
}

fn is_encryption_error(e: &lopdf::Error) -> bool {
    matches!(
        e,
        lopdf::Error::Decryption(_)
            | lopdf::Error::InvalidPassword
            | lopdf::Error::UnsupportedSecurityHandler(_)
            | lopdf::Error::AlreadyEncrypted
    )
}

/// Only consulted once loading has failed: then an /Encrypt key anywhere is the likelier
/// explanation than damage.
fn bytes_mention_encrypt(bytes: &[u8]) -> bool {
    super::detect::find(bytes, b"/Encrypt").is_some()
}

fn text_layer(doc: &Document, number: u32) -> Result<String, String> {
    let mut text = String::new();
    let mut output = pdf_extract::PlainTextOutput::new(&mut text);
    pdf_extract::output_doc_page(doc, &mut output, number).map_err(|e| e.to_string())?;
    Ok(text)
}

/// Whether the page's content uses a text-showing operator (`Tj`, `TJ`, `'`, `"`).
fn shows_text(doc: &Document, page: ObjectId) -> bool {
    let Ok(content) = doc.get_and_decode_page_content(page) else {
        return false;
    };
    content
        .operations
        .iter()
        .any(|op| matches!(op.operator.as_str(), "Tj" | "TJ" | "'" | "\""))
}

/// Whether a page without text shows something: an image (directly or inside a form), an
/// inline image, or enough drawing to be text set as outlines.
fn draws_something(doc: &Document, page: ObjectId) -> bool {
    if resources(doc, page).is_some_and(|r| has_image(doc, r, 0)) {
        return true;
    }
    let content = doc.get_page_content(page).unwrap_or_default();
    content.len() > DRAWN_CONTENT_BYTES || has_inline_image(&content)
}

/// The page's resources, inherited from the page tree when the page has none of its own.
fn resources(doc: &Document, page: ObjectId) -> Option<&Dictionary> {
    let mut node = doc.get_dictionary(page).ok()?;
    // Page trees are shallow; the bound stops a Parent cycle.
    for _ in 0..64 {
        if let Ok(r) = node.get(b"Resources") {
            return as_dict(doc, r);
        }
        let parent = node.get(b"Parent").ok()?.as_reference().ok()?;
        node = doc.get_dictionary(parent).ok()?;
    }
    None
}

fn as_dict<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Dictionary> {
    match o {
        Object::Dictionary(d) => Some(d),
        Object::Reference(id) => doc.get_dictionary(*id).ok(),
        _ => None,
    }
}

fn has_image(doc: &Document, resources: &Dictionary, depth: u8) -> bool {
    // Forms nest forms; a cycle of them must not recurse for ever.
    if depth > 8 {
        return false;
    }
    let Some(xobjects) = resources.get(b"XObject").ok().and_then(|o| as_dict(doc, o)) else {
        return false;
    };
    xobjects.iter().any(|(_, v)| {
        let stream = match v {
            Object::Reference(id) => doc.get_object(*id).ok().and_then(|o| o.as_stream().ok()),
            Object::Stream(s) => Some(s),
            _ => None,
        };
        let Some(stream) = stream else { return false };
        match stream.dict.get(b"Subtype").and_then(Object::as_name) {
            Ok(b"Image") => true,
            Ok(b"Form") => stream
                .dict
                .get(b"Resources")
                .ok()
                .and_then(|o| as_dict(doc, o))
                .is_some_and(|r| has_image(doc, r, depth + 1)),
            _ => false,
        }
    })
}

/// `BI … ID … EI` in the content stream.
fn has_inline_image(content: &[u8]) -> bool {
    content.starts_with(b"BI")
        || content
            .windows(4)
            .any(|w| w[0].is_ascii_whitespace() && &w[1..3] == b"BI" && w[3].is_ascii_whitespace())
}

/// The reasons when pages need OCR and there is none.
fn without_ocr(candidates: &[Candidate], pages_read: usize) -> Vec<String> {
    let mut problems = Vec::new();
    let scanned: Vec<u32> = candidates
        .iter()
        .filter(|c| c.error.is_none() && !c.shows_text)
        .map(|c| c.number)
        .collect();
    let unread: Vec<u32> = candidates
        .iter()
        .filter(|c| c.error.is_none() && c.shows_text)
        .map(|c| c.number)
        .collect();
    let not_installed = format!("OCR is not installed ({PACKAGES})");
    match scanned.as_slice() {
        [] => {}
        [_] if pages_read == 1 => {
            problems.push(format!("the page is a scanned image and {not_installed}"))
        }
        [only] => problems.push(format!(
            "page {only} of {pages_read} is a scanned image and {not_installed}"
        )),
        many if many.len() == pages_read => problems.push(format!(
            "all {pages_read} pages are scanned images and {not_installed}"
        )),
        many => problems.push(format!(
            "{} of {pages_read} pages are scanned images and {not_installed}: {}",
            many.len(),
            page_list(many)
        )),
    }
    if !unread.is_empty() {
        problems.push(format!(
            "the text of {} could not be read and {not_installed}",
            match unread.as_slice() {
                [one] => format!("page {one}"),
                many => page_list(many),
            }
        ));
    }
    for c in candidates {
        if let Some(e) = &c.error {
            problems.push(format!("page {} could not be read ({e})", c.number));
        }
    }
    problems
}

/// "pages 2-4, 7, 9-10".
fn page_list(numbers: &[u32]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < numbers.len() {
        let start = numbers[i];
        let mut end = start;
        while i + 1 < numbers.len() && numbers[i + 1] == end + 1 {
            i += 1;
            end = numbers[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    format!("pages {}", parts.join(", "))
}

fn run_ocr(
    engine: &OcrEngine,
    bytes: &[u8],
    candidates: &[Candidate],
    pages: &mut [Page],
    limits: &Limits,
    deadline: Instant,
    problems: &mut Vec<String>,
) {
    // The programs read files; the scratch directory goes when this returns.
    let scratch = match tempfile::Builder::new().prefix("foi-ocr-").tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            problems.push(format!("OCR could not run: no temporary directory ({e})"));
            return;
        }
    };
    let pdf = scratch.path().join("document.pdf");
    if let Err(e) = std::fs::write(&pdf, bytes) {
        problems.push(format!(
            "OCR could not run: cannot write {} ({e})",
            pdf.display()
        ));
        return;
    }
    for (done, c) in candidates.iter().enumerate() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left < MIN_OCR_TIME {
            let remaining = candidates.len() - done;
            problems.push(format!(
                "OCR stopped at page {}: the document's time limit ({} s) ran out, {} left without text",
                c.number,
                whole_seconds(limits.timeout),
                count(remaining, "scanned page", "scanned pages")
            ));
            return;
        }
        let timeout = limits.ocr_page_timeout.min(left);
        if c.shows_text || c.error.is_some() {
            // Text drawn as text reads exactly with poppler; OCR would only guess at it.
            if let Ok(text) = ocr::poppler_text(engine, &pdf, c.number, scratch.path(), timeout) {
                if visible_chars(&text) >= MIN_TEXT_CHARS {
                    pages[c.index].text = text;
                    continue;
                }
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let timeout = limits.ocr_page_timeout.min(left);
        match ocr::recognise_page(engine, &pdf, c.number, scratch.path(), timeout) {
            Ok(text) => {
                let page = &mut pages[c.index];
                // A blank scan with a stamped page number: the text layer said more.
                if !text.is_empty() || page.text.is_empty() {
                    page.text = text;
                    page.ocr = true;
                }
            }
            Err(e) => {
                let why = match &c.error {
                    Some(layer) => format!("; its text layer could not be read either ({layer})"),
                    None => String::new(),
                };
                problems.push(format!("OCR of page {} failed: {e}{why}", c.number));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_lists_are_compact() {
        assert_eq!(page_list(&[2, 3, 4, 7, 9, 10]), "pages 2-4, 7, 9-10");
        assert_eq!(page_list(&[5]), "pages 5");
    }

    #[test]
    fn scanned_pages_without_ocr_are_counted_in_words() {
        let c = |number, error: Option<&str>| Candidate {
            index: 0,
            number,
            error: error.map(str::to_string),
            shows_text: false,
        };
        assert_eq!(
            without_ocr(&[c(2, None), c(3, None), c(4, None)], 4),
            vec![format!(
                "3 of 4 pages are scanned images and OCR is not installed ({PACKAGES}): pages 2-4"
            )]
        );
        assert_eq!(
            without_ocr(&[c(1, None)], 1),
            vec![format!(
                "the page is a scanned image and OCR is not installed ({PACKAGES})"
            )]
        );
        assert_eq!(
            without_ocr(&[c(1, None), c(2, None)], 2),
            vec![format!(
                "all 2 pages are scanned images and OCR is not installed ({PACKAGES})"
            )]
        );
        assert_eq!(
            without_ocr(&[c(5, Some("bad font"))], 9),
            vec!["page 5 could not be read (bad font)".to_string()]
        );
    }

    #[test]
    fn inline_images_are_seen() {
        assert!(has_inline_image(
            b"q 100 0 0 100 0 0 cm\nBI /W 1 /H 1 ID x EI Q"
        ));
        assert!(!has_inline_image(b"BT /F1 12 Tf (BIG) Tj ET"));
    }

    #[test]
    fn garbage_after_the_header_is_not_readable() {
        let e = extract(
            b"%PDF-1.4\nthis is not a pdf",
            &Limits::default(),
            None,
            Instant::now(),
        );
        assert_eq!(e.status, super::super::Status::Failed);
        assert!(e.reason.unwrap().starts_with("not a readable PDF"));
    }
}
