//! Names and words for the site: file names that are safe in a URL on any host, dates and
//! states as people read them.

use chrono::NaiveDate;

/// A name made only of ASCII letters, digits, `.`, `-` and `_`: it needs no escaping in a
/// URL and means the same on every file system and web host. Runs of anything else become
/// one `-`; the extension is kept, and a name with nothing readable becomes `fallback`.
pub fn url_safe(name: &str, fallback: &str) -> String {
    let part = |s: &str| {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            let c = if c.is_ascii_alphanumeric() || matches!(c, '_' | '.') {
                c
            } else {
                '-'
            };
            // No name starts with a dot or a dash, and no ".." ever appears.
            if matches!(c, '-' | '.') && (out.is_empty() || out.ends_with(['-', '.'])) {
                continue;
            }
            out.push(c);
        }
        out.trim_end_matches(['-', '.', '_']).to_string()
    };
    let or_fallback = |s: String| {
        if s.is_empty() {
            fallback.to_string()
        } else {
            s
        }
    };
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && (1..=10).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            format!("{}.{ext}", or_fallback(part(stem)))
        }
        _ => or_fallback(part(name)),
    }
}

/// Files a browser would run as a page of the campaign's site (HTML, SVG, XML): a council's
/// scripts must never run there, so these are published as text.
pub fn is_active_content(content_type: &str, name: &str) -> bool {
    let t = content_type.to_ascii_lowercase();
    let n = name.to_ascii_lowercase();
    t.contains("html")
        || t.contains("svg")
        || t.contains("xml")
        || [".html", ".htm", ".xhtml", ".svg", ".xml", ".shtml"]
            .iter()
            .any(|ext| n.ends_with(ext))
}

/// `files/<id>-<name>`: the published copy of document `id`. Active content gets `.txt`
/// after its name (see `is_active_content`).
pub fn document_file(id: i32, name: &str, content_type: &str) -> String {
    let safe = url_safe(name, "document");
    let safe = if is_active_content(content_type, name) {
        format!("{safe}.txt")
    } else {
        safe
    };
    format!("files/{id}-{safe}")
}

/// "2 March 2026".
pub fn uk_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// "response_received" → "response received".
pub fn words(state: &str) -> String {
    state.replace(['_', ':'], " ")
}

/// A size as people read it: `104 bytes`, `12.3 KB`, `3.7 MB`.
pub fn size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if b < KB * KB {
        format!("{:.1} KB", b / KB)
    } else {
        format!("{:.1} MB", b / (KB * KB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_in_urls() {
        assert_eq!(url_safe("Agreement (2005).pdf", "x"), "Agreement-2005.pdf");
        assert_eq!(url_safe(".htaccess", "x"), "htaccess");
        assert_eq!(url_safe("archive.tar.gz", "x"), "archive.tar.gz");
        assert_eq!(url_safe("../../etc/passwd", "x"), "etc-passwd");
        assert_eq!(url_safe("协议.pdf", "document"), "document.pdf");
        assert_eq!(url_safe("友好", "document"), "document");
        assert_eq!(url_safe("message text", "x"), "message-text");
        assert_eq!(url_safe("a#b?c%d&e.txt", "x"), "a-b-c-d-e.txt");
    }

    #[test]
    fn active_content_is_published_as_text() {
        assert_eq!(
            document_file(7, "minutes.html", "text/html"),
            "files/7-minutes.html.txt"
        );
        assert_eq!(
            document_file(8, "logo", "image/svg+xml"),
            "files/8-logo.txt"
        );
        assert_eq!(
            document_file(9, "Agreement.pdf", "application/pdf"),
            "files/9-Agreement.pdf"
        );
        assert!(!is_active_content("text/plain", "notes.txt"));
    }

    #[test]
    fn dates_states_and_sizes_read_naturally() {
        assert_eq!(
            uk_date(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()),
            "2 March 2026"
        );
        assert_eq!(words("response_received"), "response received");
        assert_eq!(words("clock:received"), "clock received");
        assert_eq!(size(104), "104 bytes");
        assert_eq!(size(12_595), "12.3 KB");
    }
}
