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

/// Decodes bytes in a MIME charset; unlabelled or unknown non-UTF-8 bytes are read as
/// Windows-1252, as for text parts.
fn decode_charset(charset: Option<&str>, bytes: &[u8]) -> String {
    let decoder = charset
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .and_then(|c| mail_parser::decoders::charsets::map::charset_decoder(c.as_bytes()));
    match (decoder, std::str::from_utf8(bytes)) {
        (Some(decode), _) => decode(bytes),
        (None, Ok(s)) => s.to_string(),
        (None, Err(_)) => super::text::decode_cp1252(bytes),
    }
}

/// Decodes every RFC 2047 encoded word (`=?charset?Q|B?text?=`) in `s`; whitespace between
/// two encoded words is dropped, as the RFC says. Text that is not an encoded word, and an
/// encoded word that does not decode, is kept as it is.
pub(crate) fn decode_encoded_words(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let before = rest.get(..start).unwrap_or_default();
        let from = rest.get(start..).unwrap_or_default();
        match encoded_word(from) {
            Some((decoded, used)) => {
                if !(after_word && before.chars().all(char::is_whitespace)) {
                    out.push_str(before);
                }
                out.push_str(&decoded);
                after_word = true;
                rest = from.get(used..).unwrap_or_default();
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                after_word = false;
                rest = from.get(2..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// One encoded word at the start of `s`: its text and the bytes it took. Spaces inside the
/// text are tolerated (Outlook writes them), though RFC 2047 forbids them.
fn encoded_word(s: &str) -> Option<(String, usize)> {
    let body = s.strip_prefix("=?")?;
    let (charset, body) = body.split_once('?')?;
    let (encoding, body) = body.split_once('?')?;
    let end = body.find("?=")?;
    let text = body.get(..end)?;
    if charset.is_empty() || charset.contains(char::is_whitespace) {
        return None;
    }
    let used = 2 + charset.len() + 1 + encoding.len() + 1 + end + 2;
    // RFC 2231 allows a language after the charset: `UTF-8*en`.
    let charset = charset.split('*').next().unwrap_or(charset);
    let bytes = match encoding {
        "Q" | "q" => q_decode(text)?,
        "B" | "b" => mail_parser::decoders::base64::base64_decode(text.as_bytes())?,
        _ => return None,
    };
    Some((decode_charset(Some(charset), &bytes), used))
}

fn q_decode(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = b.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Some(out)
}

/// `%XX` escapes to bytes (RFC 2231 extended values); a stray `%` stays as it is.
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (c, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The parameters of an unfolded `Content-Type` or `Content-Disposition` value, names
/// lower-cased, values unquoted. Lenient: an unquoted value runs to the next `;`, so encoded
/// words a client forgot to quote survive whole.
fn header_params(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some((_, mut rest)) = value.split_once(';') else {
        return out;
    };
    while out.len() < MAX_PARAMS {
        rest = rest.trim_start_matches(|c: char| c == ';' || c.is_whitespace());
        if rest.is_empty() {
            break;
        }
        let Some(eq) = rest
            .find(['=', ';'])
            .filter(|i| rest.get(*i..*i + 1) == Some("="))
        else {
            // A parameter without a value: skip it.
            rest = rest
                .find(';')
                .and_then(|i| rest.get(i..))
                .unwrap_or_default();
            continue;
        };
        let name = rest
            .get(..eq)
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        rest = rest.get(eq + 1..).unwrap_or_default().trim_start();
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => v.push(c),
                }
            }
            rest = quoted.get(end..).unwrap_or_default();
            v
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            let v = rest.get(..end).unwrap_or_default().trim().to_string();
            rest = rest.get(end..).unwrap_or_default();
            v
        };
        if !name.is_empty() {
            out.push((name, value));
        }
    }
    out
}

/// Bounds the work a hostile header can cause.
const MAX_PARAMS: usize = 64;

/// The value of parameter `base` (e.g. `filename`) with RFC 2231 (`base*`, continuations
/// `base*0`, `base*1*`, … with `charset'language'` and `%XX`) undone. Continuations are
/// joined as bytes before the charset is applied, since a client may split a UTF-8 character
/// between two of them.
fn rfc2231_param(params: &[(String, String)], base: &str) -> Option<String> {
    let extended = format!("{base}*");
    if let Some((_, v)) = params.iter().find(|(n, _)| *n == extended) {
        let (charset, bytes) = split_extended(v, true);
        return Some(decode_charset(charset.as_deref(), &bytes));
    }
    let mut sections: Vec<(u32, bool, &str)> = params
        .iter()
        .filter_map(|(n, v)| {
            let rest = n.strip_prefix(&extended)?;
            let (num, ext) = match rest.strip_suffix('*') {
                Some(num) => (num, true),
                None => (rest, false),
            };
            Some((num.parse::<u32>().ok()?, ext, v.as_str()))
        })
        .collect();
    if sections.is_empty() {
        return params
            .iter()
            .find(|(n, _)| n == base)
            .map(|(_, v)| v.clone());
    }
    sections.sort_by_key(|(n, _, _)| *n);
    sections.dedup_by_key(|(n, _, _)| *n);
    let mut charset: Option<String> = None;
    let mut bytes = Vec::new();
    for (i, (_, ext, v)) in sections.iter().enumerate() {
        if *ext {
            let (cs, decoded) = split_extended(v, i == 0);
            if i == 0 {
                charset = cs;
            }
            bytes.extend(decoded);
        } else {
            bytes.extend_from_slice(v.as_bytes());
        }
    }
    Some(decode_charset(charset.as_deref(), &bytes))
}

/// `charset'language'%XX…` (the prefix only in the first section) → charset and bytes.
fn split_extended(v: &str, first: bool) -> (Option<String>, Vec<u8>) {
    if first {
        let mut it = v.splitn(3, '\'');
        if let (Some(cs), Some(_lang), Some(text)) = (it.next(), it.next(), it.next()) {
            return (Some(cs.to_string()), percent_decode(text));
        }
    }
    (None, percent_decode(v))
}

/// The attachment's name from its raw (unfolded) `Content-Disposition` and `Content-Type`
/// values: `filename` first, then `name`; RFC 2231 and RFC 2047 (also when a client wrapped
/// an encoded word in RFC 2231 continuations) undone. Not yet made safe.
pub(crate) fn name_from_headers(
    content_disposition: Option<&str>,
    content_type: Option<&str>,
) -> Option<String> {
    [(content_disposition, "filename"), (content_type, "name")]
        .into_iter()
        .filter_map(|(value, base)| rfc2231_param(&header_params(value?), base))
        .map(|name| decode_encoded_words(&name))
        .map(|name| name.trim().to_string())
        .find(|name| !name.is_empty())
}

/// A MIME type for a file that arrived without one (uuencoded, inside winmail.dat).
pub(crate) fn content_type_for_name(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "htm" | "html" => "text/html",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "zip" => "application/zip",
        "eml" => "message/rfc822",
        _ => "application/octet-stream",
    }
}

/// A file uuencoded into a text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UuFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Bounds on uuencoded content: old clients put a few files in a body, not thousands. Failed
/// attempts count too, so a text full of `begin` lines stays linear.
const MAX_UU_ATTEMPTS: usize = 32;

/// Takes the uuencoded files (`begin 644 name` … `end`) out of `text`, leaving a
/// `[attachment: name]` line in each one's place. A block that does not decode cleanly
/// stays in the text, named in the warnings.
pub(crate) fn extract_uuencoded(text: &str) -> (String, Vec<UuFile>, Vec<String>) {
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    if !text.contains("begin ") {
        return (text.to_string(), files, warnings);
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    let mut attempts = 0;
    while let Some(line) = lines.get(i) {
        let name = (attempts < MAX_UU_ATTEMPTS)
            .then(|| uu_begin(line))
            .flatten();
        let Some(name) = name else {
            out.push((*line).to_string());
            i += 1;
            continue;
        };
        attempts += 1;
        match uu_block(lines.get(i + 1..).unwrap_or_default()) {
            Ok((bytes, used)) => {
                out.push(format!("[attachment: {name}]"));
                files.push(UuFile { name, bytes });
                i += 1 + used;
            }
            Err(damaged) => {
                if damaged {
                    warnings.push(format!(
                        "uuencoded file {name} could not be decoded; left in the text"
                    ));
                }
                out.push((*line).to_string());
                i += 1;
            }
        }
    }
    (out.join("\n"), files, warnings)
}

/// `begin 644 name` → name. The mode must be octal and a name must follow.
fn uu_begin(line: &str) -> Option<String> {
    let rest = line.trim_end_matches('\r').strip_prefix("begin ")?;
    let (mode, name) = rest.split_once(' ')?;
    if !(3..=4).contains(&mode.len()) || !mode.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// Decodes the lines after `begin` up to `end`; returns the bytes and how many lines were
/// used (including `end`). Err(false) when the first line is not uuencoded at all (prose
/// that happens to start with "begin"), Err(true) when a block is damaged or never ends.
fn uu_block(lines: &[&str]) -> Result<(Vec<u8>, usize), bool> {
    let mut bytes = Vec::new();
    for (n, raw_line) in lines.iter().enumerate() {
        let damaged = n > 0;
        let line = raw_line.trim_end_matches('\r');
        if line == "end" {
            // An encoder always writes at least the zero-length line before `end`.
            return if damaged {
                Ok((bytes, n + 1))
            } else {
                Err(false)
            };
        }
        let Some(&first) = line.as_bytes().first() else {
            return Err(damaged);
        };
        let len = usize::from(first.wrapping_sub(b' ') & 0x3f);
        if len == 0 {
            continue;
        }
        let data = line.as_bytes().get(1..).unwrap_or_default();
        let needed = len.div_ceil(3) * 4;
        // Some encoders drop trailing spaces; pad them back.
        if data.len() + 2 < needed || data.iter().any(|b| !(b' '..=b'`').contains(b)) {
            return Err(damaged);
        }
        let mut decoded = Vec::with_capacity(needed / 4 * 3);
        for chunk in (0..needed).step_by(4) {
            let c = |k: usize| {
                u32::from(
                    data.get(chunk + k)
                        .map_or(0, |b| b.wrapping_sub(b' ') & 0x3f),
                )
            };
            let v = (c(0) << 18) | (c(1) << 12) | (c(2) << 6) | c(3);
            decoded.extend_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]);
        }
        decoded.truncate(len);
        bytes.extend(decoded);
    }
    Err(true)
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

    #[test]
    fn encoded_words_decode_and_join() {
        assert_eq!(
            decode_encoded_words("=?UTF-8?Q?M=C3=BCller_Liste.xlsx?="),
            "Müller Liste.xlsx"
        );
        assert_eq!(
            decode_encoded_words("=?utf-8?B?TcO8bGxlciBMaXN0ZS54bHN4?="),
            "Müller Liste.xlsx"
        );
        assert_eq!(
            decode_encoded_words("=?UTF-8?Q?M=C3=BCller?= \t =?UTF-8?Q?_Liste.xlsx?="),
            "Müller Liste.xlsx"
        );
        assert_eq!(
            decode_encoded_words("Report =?windows-1252?Q?Stra=DFe?=.xlsx"),
            "Report Straße.xlsx"
        );
        assert_eq!(decode_encoded_words("=?UTF-8*en?Q?a?="), "a");
        // Not encoded words: kept as they are.
        for s in [
            "=?",
            "=?x?Q?",
            "=?UTF-8?X?abc?=",
            "a =? b ?= c",
            "=?UTF-8?Q?=Z?=",
        ] {
            assert_eq!(decode_encoded_words(s), s);
        }
    }

    #[test]
    fn names_from_raw_parameters() {
        let cd = |v: &str| name_from_headers(Some(v), None);
        // An encoded word split over RFC 2231 continuations (JavaMail).
        assert_eq!(
            cd("attachment; filename*0=\"=?UTF-8?Q?M=C3=BCller_Li\"; filename*1=\"ste.xlsx?=\""),
            Some("Müller Liste.xlsx".into())
        );
        // A UTF-8 character split between two percent-encoded continuations.
        assert_eq!(
            cd("attachment; filename*0*=UTF-8''M%C3; filename*1*=%BCller.xlsx"),
            Some("Müller.xlsx".into())
        );
        // Continuations out of order, a plain one among extended ones.
        assert_eq!(
            cd("attachment; filename*1*=ller%20; filename*0*=utf-8'de'M%C3%BC; filename*2=\"2025.xlsx\""),
            Some("Müller 2025.xlsx".into())
        );
        assert_eq!(
            cd("attachment; filename*=iso-8859-1'en'Stra%DFe.xlsx"),
            Some("Straße.xlsx".into())
        );
        // Unquoted encoded words a client folded: the whole value, not the first word.
        assert_eq!(
            name_from_headers(
                None,
                Some("text/csv; name==?UTF-8?Q?Costs_=E2=80=93?= =?UTF-8?Q?_2024.csv?=")
            ),
            Some("Costs – 2024.csv".into())
        );
        // filename beats name; quoted strings keep their semicolons and escapes.
        assert_eq!(
            name_from_headers(
                Some("attachment; filename=\"a;b \\\"c\\\".pdf\""),
                Some("application/pdf; name=other.pdf")
            ),
            Some("a;b \"c\".pdf".into())
        );
        assert_eq!(
            name_from_headers(Some("attachment"), Some("application/pdf; name=r.pdf")),
            Some("r.pdf".into())
        );
        assert_eq!(name_from_headers(Some("attachment; filename="), None), None);
        assert_eq!(name_from_headers(None, None), None);
    }

    #[test]
    fn uuencoded_files_come_out_of_the_text() {
        let text = "Hello\n\nbegin 644 a b.txt\n&86)C9&4*\n`\nend\n\nBye";
        let (rest, files, warnings) = extract_uuencoded(text);
        assert_eq!(
            files,
            vec![UuFile {
                name: "a b.txt".into(),
                bytes: b"abcde\n".to_vec()
            }]
        );
        assert_eq!(rest, "Hello\n\n[attachment: a b.txt]\n\nBye");
        assert!(warnings.is_empty());
        // Damaged or unterminated blocks stay in the text, with a warning.
        let (rest, files, warnings) = extract_uuencoded("begin 644 x.bin\n%86)C9&4*\n");
        assert!(files.is_empty());
        assert_eq!(rest, "begin 644 x.bin\n%86)C9&4*\n");
        assert_eq!(warnings.len(), 1);
        // Prose that merely starts with "begin" is left alone.
        let (rest, files, warnings) = extract_uuencoded("begin 2026 with a plan\nend");
        assert!(files.is_empty() && warnings.is_empty());
        assert_eq!(rest, "begin 2026 with a plan\nend");
    }
}
