//! Attachment names we can store and serve without trusting the sender.

use sha2::{Digest, Sha256};

const MAX_FILENAME_BYTES: usize = 200;
/// Longer "extensions" are just a dot in the middle of a name.
const MAX_EXTENSION_BYTES: usize = 16;

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Makes a sender-supplied attachment name safe to use as one path component
/// on any platform and to show to people:
/// - only the last path component survives (`..\..\evil.pdf` → `evil.pdf`);
/// - control characters and bidirectional overrides (used to disguise
///   `exe` as `pdf`) are removed, Windows-reserved punctuation becomes `_`;
/// - no leading dots (hidden files, `..`), no trailing dots or spaces;
/// - Windows device names (`CON`, `NUL`, …) get a `_` prefix;
/// - at most 200 bytes, cut on a char boundary, keeping the extension;
/// - never empty: `attachment` stands in.
pub fn safe_filename(name: &str) -> String {
    let last = name
        .split(['/', '\\'])
        .map(str::trim)
        .rfind(|c| !c.is_empty() && *c != "." && *c != "..")
        .unwrap_or_default();

    let mut cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c => c,
        })
        .collect();

    cleaned = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
        .to_string();

    if cleaned.is_empty() {
        return "attachment".to_string();
    }

    let stem_upper = cleaned
        .split('.')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_uppercase();
    if is_windows_device(&stem_upper) {
        cleaned.insert(0, '_');
    }

    truncate_keeping_extension(&cleaned, MAX_FILENAME_BYTES)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn is_windows_device(stem: &str) -> bool {
    matches!(stem, "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.ends_with(|c: char| c.is_ascii_digit()))
}

fn truncate_keeping_extension(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty() && !ext.is_empty() && ext.len() <= MAX_EXTENSION_BYTES =>
        {
            (stem, Some(ext))
        }
        _ => (name, None),
    };
    let budget = max.saturating_sub(ext.map_or(0, |e| e.len() + 1));
    let cut = floor_char_boundary(stem, budget);
    let stem = stem.get(..cut).unwrap_or_default().trim_end();
    let stem = if stem.is_empty() { "attachment" } else { stem };
    match ext {
        Some(ext) => format!("{stem}.{ext}"),
        None => stem.to_string(),
    }
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    (0..=max)
        .rev()
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(0)
}

/// A name for an attachment the sender did not name.
pub(crate) fn default_filename(index: usize, content_type: &str) -> String {
    let ext = match content_type {
        "application/pdf" => "pdf",
        "text/plain"
        | "message/delivery-status"
        | "text/rfc822-headers"
        | "message/disposition-notification" => "txt",
        "text/html" => "html",
        "text/csv" => "csv",
        "message/rfc822" | "message/global" => "eml",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "application/zip" => "zip",
        "application/msword" => "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/ms-tnef" | "application/vnd.ms-tnef" => "dat",
        _ => "bin",
    };
    format!("attachment-{index}.{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_stripped() {
        assert_eq!(safe_filename("..\\..\\evil.pdf"), "evil.pdf");
        assert_eq!(safe_filename("/etc/passwd"), "passwd");
        assert_eq!(safe_filename("../.."), "attachment");
        assert_eq!(safe_filename(""), "attachment");
        assert_eq!(safe_filename("..."), "attachment");
        assert_eq!(safe_filename(".htaccess"), "htaccess");
        assert_eq!(safe_filename("a\0b\r\n.pdf"), "ab.pdf");
        assert_eq!(safe_filename("report\u{202E}fdp.exe"), "reportfdp.exe");
        assert_eq!(safe_filename("CON.txt"), "_CON.txt");
        assert_eq!(safe_filename("what?.pdf. "), "what_.pdf");
        assert_eq!(safe_filename("Réponse FOI.pdf"), "Réponse FOI.pdf");
    }

    #[test]
    fn long_names_keep_extension_and_char_boundaries() {
        let long = format!("{}.pdf", "é".repeat(300));
        let s = safe_filename(&long);
        assert!(s.len() <= 200);
        assert!(s.ends_with(".pdf"));
        let long = "x".repeat(500);
        assert_eq!(safe_filename(&long).len(), 200);
        let s = safe_filename(&format!("{}.{}", "a", "b".repeat(300)));
        assert!(s.len() <= 200);
    }
}
