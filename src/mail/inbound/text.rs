//! Turning whatever a mail client produced into readable plain text.

/// What Windows-1252 puts at 0x80–0x9F. `None` marks the five holes, which
/// real text never contains.
const CP1252_HIGH: [Option<char>; 32] = [
    Some('\u{20AC}'),
    None,
    Some('\u{201A}'),
    Some('\u{0192}'),
    Some('\u{201E}'),
    Some('\u{2026}'),
    Some('\u{2020}'),
    Some('\u{2021}'),
    Some('\u{02C6}'),
    Some('\u{2030}'),
    Some('\u{0160}'),
    Some('\u{2039}'),
    Some('\u{0152}'),
    None,
    Some('\u{017D}'),
    None,
    None,
    Some('\u{2018}'),
    Some('\u{2019}'),
    Some('\u{201C}'),
    Some('\u{201D}'),
    Some('\u{2022}'),
    Some('\u{2013}'),
    Some('\u{2014}'),
    Some('\u{02DC}'),
    Some('\u{2122}'),
    Some('\u{0161}'),
    Some('\u{203A}'),
    Some('\u{0153}'),
    None,
    Some('\u{017E}'),
    Some('\u{0178}'),
];

fn cp1252_high(b: u32) -> Option<char> {
    b.checked_sub(0x80)
        .and_then(|i| CP1252_HIGH.get(i as usize))
        .copied()
        .flatten()
}

/// Decodes bytes as Windows-1252, the de-facto meaning of "ISO-8859-1" and of
/// unlabelled 8-bit text from Outlook.
pub(crate) fn decode_cp1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => cp1252_high(u32::from(b)).unwrap_or('\u{FFFD}'),
            _ => char::from(b),
        })
        .collect()
}

/// True when `s` holds a character that only Windows-1252 (not ISO-8859-1)
/// can produce from a single byte: proof that a part labelled ISO-8859-1 or
/// ASCII was really Windows-1252.
pub(crate) fn has_cp1252_only_chars(s: &str) -> bool {
    s.chars().any(|c| CP1252_HIGH.contains(&Some(c)))
}

/// C1 control characters in decoded text almost always mean a strict
/// ISO-8859-1 decoder met Windows-1252 bytes; map them back. Returns whether
/// anything changed.
pub(crate) fn fix_c1_controls(s: &mut String) -> bool {
    if !s.chars().any(|c| ('\u{80}'..='\u{9F}').contains(&c)) {
        return false;
    }
    *s = s
        .chars()
        .filter_map(|c| {
            if ('\u{80}'..='\u{9F}').contains(&c) {
                cp1252_high(u32::from(c))
            } else {
                Some(c)
            }
        })
        .collect();
    true
}

/// `\r\n` and lone `\r` become `\n`; NUL and other control characters
/// (except tab and newline) are dropped, since they only break storage
/// (PostgreSQL text cannot hold NUL) and terminals. Returns whether any
/// control character was removed.
pub(crate) fn clean_text(s: &str) -> (String, bool) {
    let mut out = String::with_capacity(s.len());
    let mut removed = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() => removed = true,
            c => out.push(c),
        }
    }
    (out, removed)
}

/// Header values arrive folded across lines; a single line is what callers
/// want. Control characters go too.
pub(crate) fn unfold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace() || c.is_control()) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Lower-case, typographic quotes straightened, whitespace collapsed: the
/// form in which heuristic phrases are looked for.
pub(crate) fn normalise_for_matching(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = true;
    for c in s.chars() {
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '`' | '\u{00B4}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' => '"',
            '\u{2010}' | '\u{2011}' | '\u{2013}' | '\u{2014}' => '-',
            c => c,
        };
        if c.is_whitespace() || c.is_control() {
            if !space {
                out.push(' ');
                space = true;
            }
            continue;
        }
        space = false;
        out.extend(c.to_lowercase());
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Block-level elements: each starts and ends a line.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "caption",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "tr",
    "ul",
];

/// Elements whose content is never text for a reader.
const SKIP_TAGS: &[&str] = &["head", "script", "style", "title", "template", "xml"];

/// Converts an HTML body to readable plain text: script/style/head dropped,
/// block elements and `<br>` become line breaks, table cells are separated,
/// entities (named and numeric) decoded, whitespace collapsed, and at most
/// one blank line kept between paragraphs. Total: never fails, never panics.
pub fn html_to_text(html: &str) -> String {
    // ASCII lower-casing keeps every byte offset, so positions found in
    // `lower` are valid char boundaries in `html`.
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len() / 2);
    let mut pos = 0usize;
    let len = html.len();

    while pos < len {
        let Some(rest) = html.get(pos..) else { break };
        let next = rest.find(['<', '&']).map(|i| pos + i);
        let end = next.unwrap_or(len);
        if let Some(chunk) = html.get(pos..end) {
            push_collapsed(&mut out, chunk);
        }
        let Some(at) = next else { break };
        pos = at;

        if html.get(pos..pos + 1) == Some("&") {
            let (decoded, used) = decode_entity(html.get(pos..).unwrap_or_default());
            push_collapsed(&mut out, &decoded);
            pos += used.max(1);
            continue;
        }

        // A '<'. Comments and declarations first.
        let tail = lower.get(pos..).unwrap_or_default();
        if tail.starts_with("<!--") {
            pos = tail
                .get(4..)
                .and_then(|t| t.find("-->"))
                .map_or(len, |i| pos + 4 + i + 3);
            continue;
        }
        if tail.starts_with("<!") || tail.starts_with("<?") {
            pos = tail.find('>').map_or(len, |i| pos + i + 1);
            continue;
        }

        let (name, closing) = tag_name(tail);
        if name.is_empty() {
            // A bare '<' in text, such as "< 5 days".
            push_collapsed(&mut out, "<");
            pos += 1;
            continue;
        }
        let tag_end = find_tag_end(tail).map_or(len, |i| pos + i + 1);

        if !closing && SKIP_TAGS.contains(&name.as_str()) {
            let close = format!("</{name}");
            pos = lower
                .get(tag_end..)
                .and_then(|t| t.find(&close))
                .map_or(len, |i| {
                    let after = tag_end + i;
                    lower
                        .get(after..)
                        .and_then(|t| t.find('>'))
                        .map_or(len, |j| after + j + 1)
                });
            continue;
        }

        match name.as_str() {
            "br" => out.push('\n'),
            "td" | "th" if closing => out.push_str("  "),
            "img" => {
                if let Some(alt) = attribute(html.get(pos..tag_end).unwrap_or_default(), "alt") {
                    push_collapsed(&mut out, &alt);
                }
            }
            n if BLOCK_TAGS.contains(&n) => {
                let paragraph =
                    matches!(n, "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table");
                end_line(&mut out, paragraph);
                if n == "li" && !closing {
                    out.push_str("- ");
                }
            }
            _ => {}
        }
        pos = tag_end;
    }

    tidy_lines(&out)
}

/// Ends the current line (or paragraph) unless that already happened, so
/// nested blocks do not pile up blank lines.
fn end_line(out: &mut String, paragraph: bool) {
    let trimmed = out.trim_end_matches(' ').len();
    out.truncate(trimmed);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    if paragraph && !out.ends_with("\n\n") {
        out.push('\n');
    }
}

/// Appends text with HTML whitespace rules: any run of whitespace is one space.
fn push_collapsed(out: &mut String, chunk: &str) {
    for c in chunk.chars() {
        if c.is_whitespace() && c != '\u{A0}' {
            if !out.ends_with([' ', '\n']) && !out.is_empty() {
                out.push(' ');
            }
        } else if c.is_control() {
            continue;
        } else {
            out.push(c);
        }
    }
}

fn tag_name(tail: &str) -> (String, bool) {
    let mut chars = tail.chars().skip(1).peekable();
    let closing = chars.peek() == Some(&'/');
    if closing {
        chars.next();
    }
    let name: String = chars
        .take_while(|c| c.is_ascii_alphanumeric() || *c == ':' || *c == '-')
        .collect();
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        (name, closing)
    } else {
        (String::new(), closing)
    }
}

/// The offset of the '>' that ends the tag starting at `tail[0]`, honouring
/// quoted attribute values.
fn find_tag_end(tail: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in tail.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let key = format!(" {name}=");
    let start = lower.find(&key)? + key.len();
    let rest = tag.get(start..)?;
    let value = match rest.chars().next()? {
        q @ ('"' | '\'') => rest.get(1..)?.split(q).next()?,
        _ => rest.split([' ', '>', '/']).next()?,
    };
    let (decoded, _) = decode_entities(value);
    Some(decoded)
}

fn decode_entities(s: &str) -> (String, usize) {
    let mut out = String::with_capacity(s.len());
    let mut pos = 0;
    while let Some(i) = s.get(pos..).and_then(|r| r.find('&')) {
        out.push_str(s.get(pos..pos + i).unwrap_or_default());
        let (d, used) = decode_entity(s.get(pos + i..).unwrap_or_default());
        out.push_str(&d);
        pos += i + used.max(1);
    }
    out.push_str(s.get(pos..).unwrap_or_default());
    (out, s.len())
}

/// Decodes the entity at the start of `s` (which begins with '&'). Returns
/// the text and how many bytes were used; an unknown entity is left as is.
fn decode_entity(s: &str) -> (String, usize) {
    let body: String = s
        .chars()
        .skip(1)
        .take(32)
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '#')
        .collect();
    let used =
        1 + body.len() + usize::from(s.get(1 + body.len()..).is_some_and(|r| r.starts_with(';')));
    let decoded = if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse::<u32>().ok(),
        };
        // Browsers read &#150; and friends as Windows-1252, and so do
        // the people who write them.
        code.and_then(|c| cp1252_high(c).or_else(|| char::from_u32(c)))
            .filter(|c| *c != '\0')
            .map(String::from)
    } else {
        named_entity(&body).map(String::from)
    };
    match decoded {
        Some(d) if !body.is_empty() => (d, used),
        _ => ("&".to_string(), 1),
    }
}

fn named_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" | "AMP" => "&",
        "lt" | "LT" => "<",
        "gt" | "GT" => ">",
        "quot" | "QUOT" => "\"",
        "apos" => "'",
        "nbsp" => "\u{A0}",
        "ensp" | "emsp" | "thinsp" => " ",
        "shy" | "zwnj" | "zwj" | "lrm" | "rlm" => "",
        "pound" => "£",
        "euro" => "€",
        "cent" => "¢",
        "yen" => "¥",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "sect" => "§",
        "para" => "¶",
        "deg" => "°",
        "plusmn" => "±",
        "times" => "×",
        "divide" => "÷",
        "frac12" => "½",
        "frac14" => "¼",
        "frac34" => "¾",
        "hellip" => "…",
        "ndash" => "–",
        "mdash" => "—",
        "lsquo" => "‘",
        "rsquo" => "’",
        "sbquo" => "‚",
        "ldquo" => "“",
        "rdquo" => "”",
        "bdquo" => "„",
        "laquo" => "«",
        "raquo" => "»",
        "bull" => "•",
        "middot" => "·",
        "iexcl" => "¡",
        "iquest" => "¿",
        "aacute" => "á",
        "Aacute" => "Á",
        "agrave" => "à",
        "Agrave" => "À",
        "acirc" => "â",
        "Acirc" => "Â",
        "auml" => "ä",
        "Auml" => "Ä",
        "ccedil" => "ç",
        "Ccedil" => "Ç",
        "eacute" => "é",
        "Eacute" => "É",
        "egrave" => "è",
        "Egrave" => "È",
        "ecirc" => "ê",
        "Ecirc" => "Ê",
        "euml" => "ë",
        "iacute" => "í",
        "icirc" => "î",
        "iuml" => "ï",
        "ntilde" => "ñ",
        "oacute" => "ó",
        "ocirc" => "ô",
        "ouml" => "ö",
        "Ouml" => "Ö",
        "uacute" => "ú",
        "ucirc" => "û",
        "uuml" => "ü",
        "Uuml" => "Ü",
        "szlig" => "ß",
        "wcirc" => "ŵ",
        "Wcirc" => "Ŵ",
        "ycirc" => "ŷ",
        "Ycirc" => "Ŷ",
        _ => return None,
    })
}

/// Trims each line, turns no-break spaces into spaces, and keeps at most one
/// blank line in a row.
fn tidy_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank_run = 0usize;
    for line in s.split('\n') {
        let line = line.replace('\u{A0}', " ");
        let line = line.trim();
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(line);
    }
    out
}

/// The part of a reply written for this message: stops at the first quoted
/// earlier message, so that our own request text, quoted back at us, does
/// not decide what kind of message this is.
pub(crate) fn fresh_text(text: &str, limit: usize) -> String {
    let lines: Vec<&str> = text.lines().take(4000).collect();
    let mut out = String::new();
    // A forwarded message is what the sender wants read (often the actual
    // answer from another department), so its header block is skipped
    // rather than treated as the start of quoted history.
    let mut in_forward_headers = false;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let lower = t.to_lowercase();
        if lower.starts_with("---------- forwarded message")
            || lower.starts_with("begin forwarded message")
        {
            in_forward_headers = true;
            continue;
        }
        if in_forward_headers {
            in_forward_headers = !t.is_empty();
            continue;
        }
        if t.starts_with('>') {
            continue;
        }
        let next: Vec<&str> = lines.iter().skip(i + 1).take(2).copied().collect();
        if is_quote_header(&lower, &next) {
            break;
        }
        out.push_str(t);
        out.push('\n');
        if out.len() >= limit {
            break;
        }
    }
    out
}

/// `l` is the lower-cased, trimmed line.
fn is_quote_header(l: &str, next: &[&str]) -> bool {
    if l.starts_with("-----original message")
        || l.starts_with("----- original message")
        || (l.len() >= 10 && l.chars().all(|c| c == '_'))
    {
        return true;
    }
    if l.starts_with("on ") && l.ends_with("wrote:") {
        return true;
    }
    if l.starts_with("from:") {
        return next.iter().any(|n| {
            let n = n.trim().to_lowercase();
            n.starts_with("sent:") || n.starts_with("date:")
        });
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp1252_bytes() {
        assert_eq!(
            decode_cp1252(b"\x93hi\x94 \x96 \x80 caf\xe9"),
            "“hi” – € café"
        );
        assert_eq!(decode_cp1252(b"\x81"), "\u{FFFD}");
    }

    #[test]
    fn c1_controls_are_mapped() {
        let mut s = "\u{93}x\u{94}\u{81}".to_string();
        assert!(fix_c1_controls(&mut s));
        assert_eq!(s, "“x”");
    }

    #[test]
    fn html_basics() {
        let html = "<html><head><title>T</title><style>p{color:red}</style></head>\
            <body><p>Dear&nbsp;Sir,</p><p>Cost: &pound;4,350 &amp; more&#8230; &#x2013; &#150;</p>\
            <script>alert('x')</script><ul><li>One</li><li>Two</li></ul>\
            <table><tr><td>A</td><td>B</td></tr></table>line<br>break &bogus; a < b</body></html>";
        let t = html_to_text(html);
        assert!(t.contains("Dear Sir,"), "{t}");
        assert!(t.contains("Cost: £4,350 & more… – –"), "{t}");
        assert!(!t.contains("alert"), "{t}");
        assert!(!t.contains("color"), "{t}");
        assert!(t.contains("- One\n- Two"), "{t}");
        assert!(t.contains("A  B"), "{t}");
        assert!(t.contains("line\nbreak &bogus; a < b"), "{t}");
        assert!(!t.contains('T') || t.contains("Two"));
    }

    #[test]
    fn html_garbage_is_total() {
        for s in [
            "<",
            "&",
            "&#",
            "&#x;",
            "<!--",
            "<a href=\"x",
            "&#99999999999;",
            "<scr",
            "<script>",
            "é<é&é",
        ] {
            let _ = html_to_text(s);
        }
    }

    #[test]
    fn fresh_text_stops_at_quote() {
        let t =
            "Thanks.\n\nFrom: FOI <requests@foi.invalid>\nSent: 2 March\n\nPlease find attached";
        assert_eq!(fresh_text(t, 1000).trim(), "Thanks.");
        let t = "See below.\n> quoted\nOn Mon, 2 Mar 2026, A wrote:\nold";
        assert_eq!(fresh_text(t, 1000).trim(), "See below.");
    }

    #[test]
    fn fresh_text_keeps_forwarded_content() {
        let t = "See below.\n\n---------- Forwarded message ----------\nFrom: H <h@x>\n\
Date: Wed\nSubject: s\n\nWe do not hold this.\n";
        assert_eq!(fresh_text(t, 1000), "See below.\n\nWe do not hold this.\n");
    }
}
