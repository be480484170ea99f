//! What a document is. The bytes decide where they can (magic numbers, the entries of a zip,
//! the streams of an OLE file); the content type and file name the sender gave only choose
//! between the text formats, which have no magic, and word the reason when nothing fits.

use super::archive::{self, ZipProblem};
use super::Extraction;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Pdf,
    Docx,
    Odt,
    Xlsx,
    Xls,
    Ods,
    Html,
    Text,
    Eml,
}

impl Format {
    /// The name stored with the extraction.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Odt => "odt",
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Html => "html",
            Format::Text => "text",
            Format::Eml => "eml",
        }
    }

    /// For reasons: "not a readable {describe}".
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Format::Pdf => "PDF",
            Format::Docx => "Word document (.docx)",
            Format::Odt => "OpenDocument text (.odt)",
            Format::Xlsx => "Excel workbook (.xlsx)",
            Format::Xls => "Excel 97-2003 workbook (.xls)",
            Format::Ods => "OpenDocument spreadsheet (.ods)",
            Format::Html => "HTML page",
            Format::Text => "text file",
            Format::Eml => "email message (.eml)",
        }
    }
}

const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ENCRYPTED_OFFICE: &str = "encrypted (password-protected) Office document: foi cannot read it";

/// The format to read the bytes as, or the extraction to hand back unread (unsupported,
/// or failed when the bytes already show the file cannot be read).
pub(crate) fn detect(
    bytes: &[u8],
    content_type: &str,
    filename: &str,
) -> Result<Format, Extraction> {
    let ct = essence(content_type);
    let ext = extension(filename);

    if bytes.is_empty() {
        return Err(Extraction::failed(None, "the file is empty (0 bytes)"));
    }
    // PDF writers may put junk before the header; readers look in the first kilobyte.
    if find(&bytes[..bytes.len().min(1024)], b"%PDF-").is_some() {
        return Ok(Format::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return zip_kind(bytes, &ext);
    }
    if bytes.starts_with(OLE_MAGIC) {
        return ole_kind(bytes);
    }
    if let Some(what) = binary_kind(bytes) {
        return Err(Extraction::unsupported(what));
    }

    let text_like = !looks_binary(bytes);
    if text_like {
        if ct == "message/rfc822" || ext == "eml" {
            return Ok(Format::Eml);
        }
        if matches!(ct.as_str(), "text/html" | "application/xhtml+xml")
            || matches!(ext.as_str(), "html" | "htm" | "xhtml")
            || sniff_html(bytes)
        {
            return Ok(Format::Html);
        }
        if looks_like_mail(bytes) {
            return Ok(Format::Eml);
        }
        return Ok(Format::Text);
    }

    // Binary without a signature foi knows. When the sender said it was a format foi reads,
    // the file is that format, damaged, and saying so helps more than "unknown".
    let claimed = match (ct.as_str(), ext.as_str()) {
        ("application/pdf", _) | (_, "pdf") => Some(("PDF", "no %PDF- header")),
        (_, "docx" | "xlsx" | "odt" | "ods") => Some(("Office document", "not a zip container")),
        (_, "xls") => Some(("Excel 97-2003 workbook (.xls)", "no OLE header")),
        _ => None,
    };
    if let Some((what, missing)) = claimed {
        return Err(Extraction::failed(
            None,
            format!("not a readable {what}: {missing}"),
        ));
    }
    Err(Extraction::unsupported(format!(
        "an unrecognised binary file ({}): foi reads PDF, Word, OpenDocument, Excel, HTML, text and email files",
        sender_said(&ct, filename)
    )))
}

/// The MIME type without parameters, lower-cased.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn extension(filename: &str) -> String {
    let base = filename.rsplit(['/', '\\']).next().unwrap_or_default();
    match base.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.trim().to_ascii_lowercase(),
        _ => String::new(),
    }
}

fn sender_said(ct: &str, filename: &str) -> String {
    match (ct.is_empty(), filename.is_empty()) {
        (false, false) => format!("{ct}, {filename}"),
        (false, true) => ct.to_string(),
        (true, false) => filename.to_string(),
        (true, true) => "no type or name given".to_string(),
    }
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn zip_kind(bytes: &[u8], ext: &str) -> Result<Format, Extraction> {
    let mut zip = archive::open(bytes).map_err(|p| zip_failure(&p, ext))?;
    let names = archive::names(&zip);
    let has = |n: &str| names.iter().any(|x| x == n);
    if has("word/document.xml") {
        return Ok(Format::Docx);
    }
    if has("xl/workbook.xml") {
        return Ok(Format::Xlsx);
    }
    if has("xl/workbook.bin") {
        return Err(Extraction::unsupported(
            "an Excel binary workbook (.xlsb), which foi does not read; save it as .xlsx",
        ));
    }
    if has("ppt/presentation.xml") {
        return Err(Extraction::unsupported(
            "a PowerPoint presentation (.pptx), which foi does not read; save it as PDF",
        ));
    }
    if has("mimetype") {
        let mut budget = 1024;
        let mimetype = archive::read_entry(&mut zip, "mimetype", &mut budget)
            .ok()
            .flatten()
            .map(|m| String::from_utf8_lossy(&m).trim().to_string())
            .unwrap_or_default();
        match mimetype.as_str() {
            "application/vnd.oasis.opendocument.text" => return Ok(Format::Odt),
            "application/vnd.oasis.opendocument.spreadsheet" => return Ok(Format::Ods),
            m if m.starts_with("application/vnd.oasis.opendocument.") => {
                return Err(Extraction::unsupported(format!(
                    "an OpenDocument file of a kind foi does not read ({m})"
                )));
            }
            // EPUB and others also carry a mimetype entry.
            _ => {}
        }
    }
    Err(Extraction::unsupported(
        "a zip archive that is not a Word, Excel or OpenDocument file; foi does not open archives",
    ))
}

fn zip_failure(problem: &ZipProblem, ext: &str) -> Extraction {
    let what = match ext {
        "docx" => "Word document (.docx)",
        "xlsx" => "Excel workbook (.xlsx)",
        "odt" => "OpenDocument text (.odt)",
        "ods" => "OpenDocument spreadsheet (.ods)",
        _ => "zip file",
    };
    Extraction::failed(
        None,
        format!("not a readable {what}: {}", problem.message()),
    )
}

/// Old Office files are OLE compound files; the names of their streams (UTF-16 in the
/// directory) say which program wrote them. A password-protected DOCX or XLSX is also an OLE
/// file, holding an "EncryptedPackage" stream.
fn ole_kind(bytes: &[u8]) -> Result<Format, Extraction> {
    let has = |name: &str| {
        let utf16: Vec<u8> = name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        find(bytes, &utf16).is_some()
    };
    if has("EncryptedPackage") {
        return Err(Extraction::failed(None, ENCRYPTED_OFFICE));
    }
    if has("Workbook") || has("Book") {
        return Ok(Format::Xls);
    }
    if has("WordDocument") {
        return Err(Extraction::unsupported(
            "a Word 97-2003 document (.doc), which foi does not read; save it as .docx or PDF",
        ));
    }
    if has("PowerPoint Document") {
        return Err(Extraction::unsupported(
            "a PowerPoint 97-2003 presentation (.ppt), which foi does not read; save it as PDF",
        ));
    }
    if has("__substg1.0_") {
        return Err(Extraction::unsupported(
            "an Outlook message (.msg), which foi does not read; forward it as an email instead",
        ));
    }
    Err(Extraction::unsupported(
        "an OLE compound file that is not an Excel workbook",
    ))
}

/// Images, archives and other binary formats with a signature, as a person would name them.
fn binary_kind(bytes: &[u8]) -> Option<String> {
    let image = |kind: &str| {
        Some(format!(
            "an image ({kind}); foi reads text from documents, and from scanned pages only inside a PDF"
        ))
    };
    let starts = |m: &[u8]| bytes.starts_with(m);
    if starts(b"\x89PNG\r\n\x1a\n") {
        return image("PNG");
    }
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return image("JPEG");
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return image("GIF");
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return image("TIFF");
    }
    if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        return image("WebP");
    }
    if starts(b"BM") && bytes.len() > 26 && bytes.get(6..10) == Some(&[0, 0, 0, 0]) {
        return image("BMP");
    }
    if bytes.get(4..12) == Some(b"ftypheic") || bytes.get(4..12) == Some(b"ftypmif1") {
        return image("HEIC");
    }
    let archive = |kind: &str| Some(format!("an archive ({kind}); foi does not open archives"));
    if starts(&[0x1F, 0x8B]) {
        return archive("gzip");
    }
    if starts(b"7z\xBC\xAF\x27\x1C") {
        return archive("7-Zip");
    }
    if starts(b"Rar!\x1A\x07") {
        return archive("RAR");
    }
    if starts(b"{\\rtf") {
        return Some(
            "a Rich Text Format document (.rtf), which foi does not read; save it as .docx or PDF"
                .into(),
        );
    }
    None
}

/// Text has no NULs (UTF-16 aside, which announces itself with a byte order mark) and few
/// control characters.
fn looks_binary(bytes: &[u8]) -> bool {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return false;
    }
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return true;
    }
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B))
        .count();
    controls * 20 > head.len()
}

fn sniff_html(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{FEFF}').trim_start();
    head.starts_with("<!doctype html") || head.starts_with("<html") || head.contains("<html")
}

/// A message saved without the `.eml` name: the text opens with a block of mail header fields
/// that includes From and either Date or Subject.
fn looks_like_mail(bytes: &[u8]) -> bool {
    const KNOWN: &[&str] = &[
        "return-path",
        "received",
        "from",
        "to",
        "cc",
        "date",
        "subject",
        "message-id",
        "mime-version",
        "delivered-to",
        "reply-to",
        "sender",
        "content-type",
        "dkim-signature",
        "authentication-results",
        "thread-topic",
        "thread-index",
    ];
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(16 * 1024)]);
    let mut seen_from = false;
    let mut seen_date_or_subject = false;
    let mut fields = 0;
    for (i, line) in head.lines().enumerate() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) && i > 0 {
            continue;
        }
        let Some((name, _)) = line.split_once(':') else {
            return false;
        };
        let name = name.to_ascii_lowercase();
        if name.is_empty() || name.contains(' ') {
            return false;
        }
        // The first field is the one that decides whether this is mail at all.
        if i == 0
            && !(KNOWN.contains(&name.as_str())
                || name.starts_with("x-")
                || name.starts_with("arc-"))
        {
            return false;
        }
        seen_from |= name == "from";
        seen_date_or_subject |= name == "date" || name == "subject";
        fields += 1;
    }
    fields >= 2 && seen_from && seen_date_or_subject
}

#[cfg(test)]
mod tests {
    use super::super::archive::tests::zip_of;
    use super::super::Status;
    use super::*;

    fn unsupported_reason(bytes: &[u8], ct: &str, name: &str) -> String {
        let e = detect(bytes, ct, name).unwrap_err();
        assert_eq!(e.status, Status::Unsupported, "{:?}", e.reason);
        e.reason.unwrap()
    }

    #[test]
    fn bytes_win_over_the_sender_s_label() {
        assert_eq!(
            detect(b"%PDF-1.7\n...", "text/plain", "x.txt").unwrap(),
            Format::Pdf
        );
        assert_eq!(
            detect(b"<!DOCTYPE html><p>hi", "application/pdf", "x.pdf").unwrap(),
            Format::Html
        );
        assert_eq!(detect(b"plain words", "", "").unwrap(), Format::Text);
        assert_eq!(
            detect("¡hola!".as_bytes(), "text/plain", "a.csv").unwrap(),
            Format::Text
        );
        assert_eq!(
            detect(b"<p>x</p>", "text/html; charset=utf-8", "").unwrap(),
            Format::Html
        );
    }

    #[test]
    fn mail_is_known_by_label_or_by_its_header_block() {
        let mail = b"From: a@b.example\r\nSubject: FOI 123\r\nDate: Tue, 1 Jul 2025 10:00:00 +0100\r\n\r\nBody";
        assert_eq!(
            detect(mail, "application/octet-stream", "").unwrap(),
            Format::Eml
        );
        assert_eq!(
            detect(b"anything", "message/rfc822", "").unwrap(),
            Format::Eml
        );
        assert_eq!(
            detect(b"Note: this is text\nSubject: not mail", "", "n.txt").unwrap(),
            Format::Text
        );
    }

    #[test]
    fn zips_are_told_apart_by_their_entries() {
        let docx = zip_of(&[
            ("[Content_Types].xml", b"<x/>"),
            ("word/document.xml", b"<x/>"),
        ]);
        assert_eq!(detect(&docx, "", "").unwrap(), Format::Docx);
        let xlsx = zip_of(&[("xl/workbook.xml", b"<x/>")]);
        assert_eq!(detect(&xlsx, "", "").unwrap(), Format::Xlsx);
        let odt = zip_of(&[("mimetype", b"application/vnd.oasis.opendocument.text")]);
        assert_eq!(detect(&odt, "", "").unwrap(), Format::Odt);
        let ods = zip_of(&[(
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        )]);
        assert_eq!(detect(&ods, "", "").unwrap(), Format::Ods);
        let other = zip_of(&[("photos/1.jpg", b"..")]);
        assert!(unsupported_reason(&other, "application/zip", "photos.zip").contains("zip archive"));
        let pptx = zip_of(&[("ppt/presentation.xml", b"<x/>")]);
        assert!(unsupported_reason(&pptx, "", "").contains("PowerPoint"));
    }

    #[test]
    fn images_and_unknown_binaries_are_unsupported_and_named() {
        assert!(
            unsupported_reason(b"\x89PNG\r\n\x1a\n....", "image/png", "scan.png").contains("PNG")
        );
        assert!(unsupported_reason(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0], "", "").contains("JPEG"));
        let r = unsupported_reason(&[1, 2, 3, 0, 0, 9, 200], "application/x-foo", "a.bin");
        assert!(r.contains("application/x-foo, a.bin"), "{r}");
        let mut doc = OLE_MAGIC.to_vec();
        doc.extend("WordDocument".encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert!(unsupported_reason(&doc, "", "old.doc").contains(".doc"));
    }

    #[test]
    fn damaged_claims_and_encrypted_office_files_fail() {
        let e = detect(&[1, 0, 2, 0, 3], "application/pdf", "report.pdf").unwrap_err();
        assert_eq!(e.status, Status::Failed);
        assert!(e.reason.unwrap().contains("not a readable PDF"));
        let mut enc = OLE_MAGIC.to_vec();
        enc.extend(
            "EncryptedPackage"
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes()),
        );
        let e = detect(&enc, "", "secret.xlsx").unwrap_err();
        assert_eq!(e.status, Status::Failed);
        assert!(e.reason.unwrap().contains("encrypted"));
        assert_eq!(detect(b"", "", "").unwrap_err().status, Status::Failed);
    }
}
