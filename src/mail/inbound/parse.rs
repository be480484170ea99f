//! Raw RFC 5322 bytes → [`ParsedMail`], via mail-parser, with fix-ups for
//! the ways real council mail goes wrong.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use mail_parser::{
    Address as MpAddress, Encoding, Header, HeaderName, HeaderValue, Message, MessageParser,
    MessagePart, MimeHeaders, PartType,
};

use super::{
    attachments::{
        content_type_for_name, default_filename, extract_uuencoded, name_from_headers, sha256_hex,
    },
    dsn::normalise_id,
    safe_filename,
    text::{
        clean_text, decode_cp1252, fix_c1_controls, has_cp1252_only_chars, html_to_text, unfold,
    },
    Address, Attachment, AutoHeaders, ParsedMail,
};

/// Charset labels that mail-parser (like browsers) decodes as Windows-1252.
/// Seeing a Windows-1252-only character in such a part means the label lied.
const LATIN1_LABELS: &[&str] = &[
    "iso-8859-1",
    "iso8859-1",
    "iso_8859-1",
    "latin1",
    "latin-1",
    "l1",
    "us-ascii",
    "ascii",
    "iso-ir-100",
    "cp819",
    "ibm819",
];

/// Parses a raw message. Never fails and never panics: whatever cannot be
/// understood is reported in `parse_warnings` and the rest is kept.
pub fn parse(raw: &[u8]) -> ParsedMail {
    // mail-parser is large and fed hostile input; should it (or this code)
    // ever panic, ingestion must carry on with the raw text. The fuzz tests
    // fail on the warning, so such a panic is still noticed.
    std::panic::catch_unwind(|| parse_structured(raw)).unwrap_or_else(|_| {
        let mut mail = raw_text_only(raw);
        mail.parse_warnings.push(PANIC_WARNING.into());
        mail
    })
}

/// The warning left when parsing panicked and only raw text was kept.
pub const PANIC_WARNING: &str = "mail parser panicked; raw bytes kept as text";

fn raw_text_only(raw: &[u8]) -> ParsedMail {
    let (text, _) = clean_text(&String::from_utf8_lossy(raw));
    ParsedMail {
        raw_sha256: sha256_hex(raw),
        content_sha256: content_fingerprint(raw),
        text,
        ..ParsedMail::default()
    }
}

fn parse_structured(raw: &[u8]) -> ParsedMail {
    let parsed = MessageParser::default().parse(raw);
    if parsed.as_ref().and_then(broken_multipart).is_none() {
        return from_message(raw, raw, parsed);
    }
    drop(parsed);
    match repair_folded_parameters(raw) {
        Some(repaired) => {
            let mut mail = from_message(raw, &repaired, MessageParser::default().parse(&repaired));
            mail.parse_warnings.push(
                "Content-Type folded inside a parameter (mail-parser missed the boundary); \
                 unfolded before reading"
                    .into(),
            );
            mail
        }
        None => from_message(raw, raw, MessageParser::default().parse(raw)),
    }
}

/// `raw` is what arrived (its digests are the message's identity); `bytes` is what was
/// parsed, the same or a repaired copy, and what the parser's offsets point into.
fn from_message(raw: &[u8], bytes: &[u8], parsed: Option<Message<'_>>) -> ParsedMail {
    let Some(message) = parsed.filter(has_real_headers) else {
        let mut mail = raw_text_only(raw);
        mail.parse_warnings
            .push("no mail headers found; raw bytes kept as text".into());
        return mail;
    };
    let mut mail = ParsedMail {
        raw_sha256: sha256_hex(raw),
        content_sha256: content_fingerprint(raw),
        ..ParsedMail::default()
    };
    let Some(root) = message.parts.first() else {
        return mail;
    };

    read_headers(&mut mail, bytes, root.headers());
    read_body(&mut mail, &message);
    read_attachments(&mut mail, bytes, &message);
    unpack_uuencoded(&mut mail);
    check_structure(&mut mail, bytes, &message);
    mail
}

/// Header fields that say what a message is (see [`ParsedMail::content_sha256`]).
const CONTENT_FIELDS: &[&str] = &[
    "message-id",
    "date",
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "subject",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
];

/// See [`ParsedMail::content_sha256`]. Works on bytes: 8-bit text that is not UTF-8 must not
/// blur two messages into one.
pub fn content_fingerprint(raw: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut text = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if !(b == b'\r' && raw.get(i + 1) == Some(&b'\n')) {
            text.push(b);
        }
        i += 1;
    }
    let split = text.windows(2).position(|w| w == b"\n\n");
    let (head, body) = match split {
        Some(at) => (
            text.get(..at).unwrap_or_default(),
            text.get(at + 2..).unwrap_or_default(),
        ),
        None => (text.as_slice(), &[][..]),
    };
    let mut hasher = Sha256::new();
    hasher.update(b"foi-content-v1\0");
    // Each field with its continuation lines, so folding differences do not matter.
    let mut fields: Vec<Vec<u8>> = Vec::new();
    for line in head.split(|b| *b == b'\n') {
        match fields.last_mut() {
            Some(last) if line.starts_with(b" ") || line.starts_with(b"\t") => {
                last.push(b' ');
                last.extend_from_slice(line);
            }
            _ => fields.push(line.to_vec()),
        }
    }
    for field in &fields {
        let colon = field.iter().position(|b| *b == b':');
        let name = colon
            .and_then(|c| field.get(..c))
            .filter(|n| !n.is_empty() && n.iter().all(u8::is_ascii_graphic));
        match name {
            Some(name) => {
                let lower = name.to_ascii_lowercase();
                if CONTENT_FIELDS
                    .iter()
                    .any(|f| f.as_bytes() == lower.as_slice())
                {
                    let value = field.get(name.len() + 1..).unwrap_or_default();
                    hasher.update(&lower);
                    hasher.update(b":");
                    for (n, word) in value
                        .split(u8::is_ascii_whitespace)
                        .filter(|w| !w.is_empty())
                        .enumerate()
                    {
                        if n > 0 {
                            hasher.update(b" ");
                        }
                        hasher.update(word);
                    }
                    hasher.update(b"\n");
                }
            }
            None => {
                hasher.update(field);
                hasher.update(b"\n");
            }
        }
    }
    hasher.update(b"\0");
    hasher.update(body.trim_ascii_end());
    hex::encode(hasher.finalize())
}

/// A multipart part mail-parser found no boundary for: its header's byte range.
fn broken_multipart(message: &Message<'_>) -> Option<(usize, usize)> {
    message
        .parts
        .iter()
        .find(|p| {
            p.content_type().is_some_and(|ct| {
                ct.ctype().eq_ignore_ascii_case("multipart") && ct.attribute("boundary").is_none()
            }) && !matches!(p.body, PartType::Multipart(_))
        })
        .map(|p| (p.offset_header as usize, p.offset_body as usize))
}

/// How many nested multiparts one message may need repaired.
const MAX_REPAIRS: usize = 8;

/// mail-parser 0.11 reads no parameter whose `=` has folding whitespace beside it
/// (`boundary=\r\n\t"xyz"`), so such a multipart becomes one undecoded blob. Each broken
/// Content-Type field is rewritten on one line, innermost found last, until every multipart
/// has its boundary. None when nothing could be repaired.
fn repair_folded_parameters(raw: &[u8]) -> Option<Vec<u8>> {
    let mut owned: Option<Vec<u8>> = None;
    for _ in 0..MAX_REPAIRS {
        let bytes = owned.as_deref().unwrap_or(raw);
        let Some(range) = MessageParser::default()
            .parse(bytes)
            .as_ref()
            .and_then(broken_multipart)
        else {
            break;
        };
        match unfold_content_type(bytes, range) {
            Some(fixed) => owned = Some(fixed),
            None => break,
        }
    }
    owned
}

/// `bytes` with the Content-Type field inside `start..end` on one line and no space around
/// its parameters' `=`; None when it has no boundary parameter or is already so.
fn unfold_content_type(bytes: &[u8], (start, end): (usize, usize)) -> Option<Vec<u8>> {
    let head = bytes.get(start..end)?;
    let mut pos = 0;
    let mut field: Option<(usize, usize)> = None;
    while pos < head.len() {
        let line_end = head
            .get(pos..)?
            .iter()
            .position(|b| *b == b'\n')
            .map_or(head.len(), |i| pos + i + 1);
        let line = head.get(pos..line_end)?;
        match field {
            None if line.len() >= 13 && line.get(..13)?.eq_ignore_ascii_case(b"content-type:") => {
                field = Some((pos, line_end));
            }
            Some((s, _)) if line.starts_with(b" ") || line.starts_with(b"\t") => {
                field = Some((s, line_end));
            }
            Some(_) => break,
            None => {}
        }
        pos = line_end;
    }
    let (fs, fe) = field?;
    let old = head.get(fs..fe)?;
    let eol: &[u8] = if old.ends_with(b"\r\n") {
        b"\r\n"
    } else {
        b"\n"
    };
    let value = unfold(&String::from_utf8_lossy(old.get(13..)?));
    if !value.to_ascii_lowercase().contains("boundary") {
        return None;
    }
    let mut joined = String::with_capacity(value.len());
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            '=' if !quoted => {
                while joined.ends_with(' ') {
                    joined.pop();
                }
            }
            ' ' if !quoted && joined.ends_with('=') => continue,
            _ => {}
        }
        joined.push(c);
    }
    let mut new_field = b"Content-Type: ".to_vec();
    new_field.extend_from_slice(joined.as_bytes());
    new_field.extend_from_slice(eol);
    if new_field == old {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(bytes.get(..start + fs)?);
    out.extend_from_slice(&new_field);
    out.extend_from_slice(bytes.get(start + fe..)?);
    Some(out)
}

/// Files an old client uuencoded into the text become attachments.
fn unpack_uuencoded(mail: &mut ParsedMail) {
    let (text, files, warnings) = extract_uuencoded(&mail.text);
    if files.is_empty() && warnings.is_empty() {
        return;
    }
    mail.text = text;
    for f in files {
        let filename = safe_filename(&f.name);
        mail.attachments.push(Attachment {
            content_type: content_type_for_name(&filename).to_string(),
            filename,
            original_filename: Some(f.name),
            sha256: sha256_hex(&f.bytes),
            bytes: f.bytes,
        });
    }
    mail.parse_warnings.extend(warnings);
}

/// mail-parser treats any `word: text` line as a header, so plain text with
/// a colon in its first line "parses". Insist on one field a mail has.
fn has_real_headers(message: &Message<'_>) -> bool {
    message.parts.first().is_some_and(|root| {
        root.headers()
            .iter()
            .any(|h| !matches!(h.name, HeaderName::Other(_)))
            || root.headers().iter().any(|h| {
                let n = h.name();
                n.eq_ignore_ascii_case("x-original-to") || n.eq_ignore_ascii_case("x-autoreply")
            })
    })
}

fn raw_value(raw: &[u8], h: &Header<'_>) -> String {
    let bytes = raw
        .get(h.offset_start as usize..h.offset_end as usize)
        .unwrap_or_default();
    unfold(&String::from_utf8_lossy(bytes))
}

fn read_headers(mail: &mut ParsedMail, raw: &[u8], headers: &[Header<'_>]) {
    let mut auto = AutoHeaders::default();
    let mut sender: Option<Address> = None;
    let mut eight_bit_fixed = false;

    for h in headers {
        match &h.name {
            HeaderName::MessageId => {
                if mail.message_id.is_none() {
                    mail.message_id = ids(&h.value)
                        .into_iter()
                        .next()
                        .or_else(|| normalise_id(&raw_value(raw, h)));
                }
            }
            HeaderName::InReplyTo => mail.in_reply_to.extend(ids(&h.value)),
            HeaderName::References => mail.references.extend(ids(&h.value)),
            HeaderName::From => {
                if mail.from.is_none() {
                    let mut list = addresses(&h.value);
                    if list.is_empty() {
                        list = loose_addresses(&raw_value(raw, h))
                            .into_iter()
                            .map(|address| Address {
                                name: None,
                                address,
                            })
                            .collect();
                    }
                    mail.from = list.into_iter().next();
                    if let Some(from) = mail.from.as_mut() {
                        eight_bit_fixed |= fix_8bit_name(raw, h, from);
                    }
                }
            }
            HeaderName::Sender => {
                if sender.is_none() {
                    sender = addresses(&h.value).into_iter().next();
                }
            }
            HeaderName::ReplyTo => mail.reply_to.extend(addresses(&h.value)),
            HeaderName::To => mail.to.extend(addresses(&h.value)),
            HeaderName::Cc => mail.cc.extend(addresses(&h.value)),
            HeaderName::DeliveredTo => mail
                .delivered_to
                .extend(loose_addresses(&raw_value(raw, h))),
            HeaderName::Subject => {
                if mail.subject.is_empty() {
                    let (subject, fixed) = subject_text(raw, h);
                    mail.subject = subject;
                    eight_bit_fixed |= fixed;
                }
            }
            HeaderName::Date => {
                if mail.date.is_none() {
                    mail.date = h.value.as_datetime().and_then(to_chrono);
                }
            }
            HeaderName::AutoSubmitted => set_once(&mut auto.auto_submitted, raw_value(raw, h)),
            HeaderName::ReturnPath => set_once(&mut auto.return_path, raw_value(raw, h)),
            HeaderName::ContentType => set_once(&mut auto.content_type, raw_value(raw, h)),
            _ => {
                let name = h.name();
                let value = || raw_value(raw, h);
                if name.eq_ignore_ascii_case("x-original-to") {
                    mail.x_original_to.extend(loose_addresses(&value()));
                } else if name.eq_ignore_ascii_case("x-autoreply") {
                    set_once(&mut auto.x_autoreply, value());
                } else if name.eq_ignore_ascii_case("x-autorespond") {
                    set_once(&mut auto.x_autorespond, value());
                } else if name.eq_ignore_ascii_case("x-auto-response-suppress") {
                    set_once(&mut auto.x_auto_response_suppress, value());
                } else if name.eq_ignore_ascii_case("precedence") {
                    set_once(&mut auto.precedence, value());
                } else if name.eq_ignore_ascii_case("x-failed-recipients") {
                    auto.x_failed_recipients.extend(loose_addresses(&value()));
                } else if name.eq_ignore_ascii_case("x-post-messageclass") {
                    set_once(&mut auto.x_post_messageclass, value());
                }
            }
        }
    }

    if mail.from.is_none() {
        mail.from = sender;
    }
    if eight_bit_fixed {
        mail.parse_warnings
            .push("8-bit header bytes that are not UTF-8 decoded as windows-1252".into());
    }
    mail.headers = auto;
}

fn set_once(slot: &mut Option<String>, value: String) {
    if slot.is_none() && !value.is_empty() {
        *slot = Some(value);
    }
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => normalise_id(t).into_iter().collect(),
        HeaderValue::TextList(list) => list.iter().filter_map(|t| normalise_id(t)).collect(),
        _ => Vec::new(),
    }
}

fn addresses(value: &HeaderValue<'_>) -> Vec<Address> {
    let list: Vec<&mail_parser::Addr<'_>> = match value {
        HeaderValue::Address(MpAddress::List(list)) => list.iter().collect(),
        HeaderValue::Address(MpAddress::Group(groups)) => {
            groups.iter().flat_map(|g| g.addresses.iter()).collect()
        }
        _ => Vec::new(),
    };
    list.into_iter()
        .filter_map(|a| {
            let address = normalise_address(a.address.as_deref()?)?;
            let name = a
                .name
                .as_deref()
                .map(|n| clean_text(&unfold(n)).0)
                .filter(|n| !n.is_empty());
            Some(Address { name, address })
        })
        .collect()
}

/// Trims, strips angle brackets, lower-cases the domain.
fn normalise_address(a: &str) -> Option<String> {
    let a = a
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    if a.is_empty() || a.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    Some(match a.rsplit_once('@') {
        Some((local, domain)) => format!(
            "{local}@{}",
            domain.trim_end_matches('.').to_ascii_lowercase()
        ),
        None => a.to_string(),
    })
}

/// Addresses in a header mail-parser leaves raw (Delivered-To and friends):
/// `a@b`, `<a@b>`, or several separated by commas.
fn loose_addresses(value: &str) -> Vec<String> {
    value
        .split([',', ' ', '\t'])
        .filter(|t| t.contains('@'))
        .filter_map(normalise_address)
        .collect()
}

/// The decoded subject, re-decoded from the raw bytes as Windows-1252 when
/// the sender put 8-bit non-UTF-8 bytes in the header.
fn subject_text(raw: &[u8], h: &Header<'_>) -> (String, bool) {
    let decoded = h.value.as_text().unwrap_or_default();
    let bytes = raw
        .get(h.offset_start as usize..h.offset_end as usize)
        .unwrap_or_default();
    if decoded.contains('\u{FFFD}') && std::str::from_utf8(bytes).is_err() {
        return (unfold(&decode_cp1252(bytes)), true);
    }
    (unfold(decoded), false)
}

fn fix_8bit_name(raw: &[u8], h: &Header<'_>, from: &mut Address) -> bool {
    let bytes = raw
        .get(h.offset_start as usize..h.offset_end as usize)
        .unwrap_or_default();
    let broken = from.name.as_deref().is_some_and(|n| n.contains('\u{FFFD}'));
    if !broken || std::str::from_utf8(bytes).is_ok() {
        return false;
    }
    let decoded = unfold(&decode_cp1252(bytes));
    let name = decoded
        .split('<')
        .next()
        .unwrap_or_default()
        .trim()
        .trim_matches('"')
        .trim()
        .to_string();
    from.name = (!name.is_empty()).then_some(name);
    true
}

fn to_chrono(d: &mail_parser::DateTime) -> Option<DateTime<Utc>> {
    let naive = NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))?
        .and_hms_opt(
        u32::from(d.hour),
        u32::from(d.minute),
        u32::from(d.second.min(59)),
    )?;
    let offset = (i64::from(d.tz_hour) * 3600 + i64::from(d.tz_minute) * 60)
        * if d.tz_before_gmt { -1 } else { 1 };
    let utc = Utc.from_utc_datetime(&naive);
    utc.checked_sub_signed(chrono::Duration::try_seconds(offset)?)
}

fn read_body(mail: &mut ParsedMail, message: &Message<'_>) {
    let (mut text, mut warnings) = body_text(message);

    // Outlook's "forward as attachment" puts the substance inside a
    // message/rfc822 part; a reader of the reply needs it in the text.
    // Returned originals inside reports are our own words, so not those.
    let is_report = message.parts.iter().any(|p| {
        p.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        })
    });
    if !is_report {
        for id in &message.attachments {
            let Some(PartType::Message(inner)) = message.parts.get(*id as usize).map(|p| &p.body)
            else {
                continue;
            };
            let (inner_text, inner_warnings) = body_text(inner);
            text.push_str(&forward_block(inner, &inner_text));
            warnings.extend(inner_warnings);
        }
    }

    let (cleaned, removed) = clean_text(&text);
    if removed {
        warnings.push("control characters (such as NUL) removed from text".into());
    }
    mail.text = cleaned.trim_end().to_string();
    for w in warnings {
        if !mail.parse_warnings.contains(&w) {
            mail.parse_warnings.push(w);
        }
    }
}

fn forward_block(inner: &Message<'_>, inner_text: &str) -> String {
    let root = inner.parts.first();
    let field = |name: HeaderName<'static>| {
        root.and_then(|p| p.headers.iter().find(|h| h.name == name))
            .map(|h| match &h.value {
                HeaderValue::Text(t) => unfold(t),
                HeaderValue::Address(_) => addresses(&h.value)
                    .iter()
                    .map(|a| match &a.name {
                        Some(n) => format!("{n} <{}>", a.address),
                        None => a.address.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                HeaderValue::DateTime(d) => d.to_rfc822(),
                _ => String::new(),
            })
            .unwrap_or_default()
    };
    let mut block = String::from("\n\n---------- Forwarded message ----------\n");
    for (label, name) in [
        ("From", HeaderName::From),
        ("Date", HeaderName::Date),
        ("Subject", HeaderName::Subject),
        ("To", HeaderName::To),
    ] {
        let v = field(name);
        if !v.is_empty() {
            block.push_str(&format!("{label}: {v}\n"));
        }
    }
    block.push('\n');
    block.push_str(inner_text);
    block
}

/// The readable text of one message (not its attachments), plus warnings.
fn body_text(message: &Message<'_>) -> (String, Vec<String>) {
    let mut warnings = Vec::new();
    let mut pieces: Vec<String> = Vec::new();
    for id in body_part_ids(message) {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        let recovered = recover_transfer_encoding(message, part).map(|b| decode_text(part, &b));
        let (decoded, is_html) = match &part.body {
            PartType::Text(t) => (recovered.as_deref().unwrap_or(t), is_html_type(part)),
            PartType::Html(h) => (recovered.as_deref().unwrap_or(h), true),
            _ => continue,
        };
        let fixed = fix_charset(message, part, decoded, &mut warnings);
        let piece = if is_html { html_to_text(&fixed) } else { fixed };
        if !piece.trim().is_empty() {
            pieces.push(piece);
        }
    }
    (pieces.join("\n\n"), warnings)
}

/// The parts that make up the readable body: mail-parser's text bodies, or
/// its HTML bodies when no plain part exists. A text part it could not
/// transfer-decode is filed as an attachment instead, so when nothing else
/// is left, the first such unnamed text part is the body.
fn body_part_ids(message: &Message<'_>) -> Vec<u32> {
    let part = |id: &u32| message.parts.get(*id as usize);
    let is_text = |id: &u32| part(id).is_some_and(|p| matches!(p.body, PartType::Text(_)));
    let is_textual = |id: &u32| {
        part(id).is_some_and(|p| matches!(p.body, PartType::Text(_) | PartType::Html(_)))
    };

    if message.text_body.iter().any(is_text) {
        return message
            .text_body
            .iter()
            .copied()
            .filter(is_textual)
            .collect();
    }
    let html: Vec<u32> = message
        .html_body
        .iter()
        .copied()
        .filter(is_textual)
        .collect();
    if !html.is_empty() {
        return html;
    }
    message
        .attachments
        .iter()
        .copied()
        .find(|id| {
            part(id).is_some_and(|p| {
                p.is_encoding_problem
                    && matches!(p.body, PartType::Text(_))
                    && p.attachment_name().is_none()
                    && !p.content_disposition().is_some_and(|d| d.is_attachment())
                    && p.content_type().is_none_or(|ct| {
                        ct.ctype().eq_ignore_ascii_case("text")
                            && ct.subtype().is_some_and(|s| {
                                s.eq_ignore_ascii_case("plain") || s.eq_ignore_ascii_case("html")
                            })
                    })
            })
        })
        .into_iter()
        .collect()
}

fn is_html_type(part: &MessagePart<'_>) -> bool {
    part.content_type()
        .is_some_and(|ct| ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("html")))
}

/// Repairs what mail-parser's charset handling leaves wrong and notes what
/// the label got wrong.
fn fix_charset(
    message: &Message<'_>,
    part: &MessagePart<'_>,
    decoded: &str,
    warnings: &mut Vec<String>,
) -> String {
    let label = part
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .map(|c| c.trim().to_ascii_lowercase());
    let mut text = decoded.to_string();

    if fix_c1_controls(&mut text) {
        warnings.push("charset mislabelled: C1 control characters read as windows-1252".into());
    }
    if label.as_deref().is_some_and(|l| LATIN1_LABELS.contains(&l)) && has_cp1252_only_chars(&text)
    {
        warnings.push(format!(
            "charset mislabelled: {} part contains windows-1252 characters",
            label.as_deref().unwrap_or_default()
        ));
    }

    // Text labelled UTF-8 (or not labelled) that is not UTF-8 is nearly
    // always Windows-1252 from an old client.
    let utf8_or_none = label.as_deref().is_none_or(|l| l == "utf-8" || l == "utf8");
    if utf8_or_none && text.contains('\u{FFFD}') {
        if let Some(bytes) = transfer_decoded(message, part) {
            if std::str::from_utf8(&bytes).is_err() {
                text = decode_cp1252(&bytes);
                warnings.push(format!(
                    "charset mislabelled: part labelled {} is not UTF-8; decoded as windows-1252",
                    label.as_deref().unwrap_or("(none)")
                ));
            }
        }
    }
    text
}

/// mail-parser gives up on a base64 or quoted-printable part that no
/// boundary closes (a truncated message) and keeps the encoded text, though
/// the encoding itself is usually intact. Decode it here.
fn recover_transfer_encoding(message: &Message<'_>, part: &MessagePart<'_>) -> Option<Vec<u8>> {
    if !part.is_encoding_problem {
        return None;
    }
    let cte = part
        .headers
        .iter()
        .find(|h| h.name == HeaderName::ContentTransferEncoding)?
        .value
        .as_text()?
        .trim()
        .to_ascii_lowercase();
    let raw = message
        .raw_message
        .get(part.offset_body as usize..part.offset_end as usize)?;
    match cte.as_str() {
        "base64" => mail_parser::decoders::base64::base64_decode(raw.trim_ascii_end()),
        "quoted-printable" => mail_parser::decoders::quoted_printable::quoted_printable_decode(raw),
        _ => None,
    }
}

/// Bytes of a text part to a string, by its charset label, falling back to
/// Windows-1252 for unlabelled non-UTF-8.
fn decode_text(part: &MessagePart<'_>, bytes: &[u8]) -> String {
    let decoder = part
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .and_then(|c| mail_parser::decoders::charsets::map::charset_decoder(c.as_bytes()));
    match (decoder, std::str::from_utf8(bytes)) {
        (Some(decode), _) => decode(bytes),
        (None, Ok(s)) => s.to_string(),
        (None, Err(_)) => decode_cp1252(bytes),
    }
}

/// The part's body bytes after undoing base64 / quoted-printable, before any
/// charset decoding.
fn transfer_decoded(message: &Message<'_>, part: &MessagePart<'_>) -> Option<Vec<u8>> {
    let raw = message
        .raw_message
        .get(part.offset_body as usize..part.offset_end as usize)?;
    match part.encoding {
        Encoding::None => Some(raw.to_vec()),
        Encoding::Base64 => mail_parser::decoders::base64::base64_decode(raw),
        Encoding::QuotedPrintable => {
            mail_parser::decoders::quoted_printable::quoted_printable_decode(raw)
        }
    }
}

fn read_attachments(mail: &mut ParsedMail, raw: &[u8], message: &Message<'_>) {
    let body = body_part_ids(message);
    let ids = message.attachments.iter().filter(|id| !body.contains(id));
    for (n, id) in ids.enumerate() {
        let Some(part) = message.parts.get(*id as usize) else {
            continue;
        };
        let content_type = part
            .content_type()
            .map(|ct| {
                format!(
                    "{}/{}",
                    ct.ctype().trim(),
                    ct.subtype().unwrap_or("octet-stream").trim()
                )
                .to_ascii_lowercase()
            })
            .unwrap_or_else(|| match part.body {
                PartType::Text(_) => "text/plain".into(),
                PartType::Html(_) => "text/html".into(),
                PartType::Message(_) => "message/rfc822".into(),
                _ => "application/octet-stream".into(),
            });

        let bytes: Vec<u8> = match (recover_transfer_encoding(message, part), &part.body) {
            (_, PartType::Multipart(_)) => continue,
            (Some(recovered), _) => recovered,
            (None, PartType::Binary(b) | PartType::InlineBinary(b)) => b.to_vec(),
            (None, PartType::Text(t) | PartType::Html(t)) => t.as_bytes().to_vec(),
            // A nested message that was not transfer-encoded shares the
            // outer buffer (mail-parser gives it the whole outer message as
            // raw_message), so slice it out by offsets.
            (None, PartType::Message(inner)) => match part.encoding {
                Encoding::None => raw
                    .get(part.offset_body as usize..part.offset_end as usize)
                    .unwrap_or_default()
                    .to_vec(),
                _ => inner.raw_message.to_vec(),
            },
        };

        // Our own reading of the raw parameters first: mail-parser leaves an encoded word
        // split over RFC 2231 continuations undecoded, cuts unquoted encoded words at a fold,
        // and decodes each continuation's %XX bytes apart.
        let field = |name: HeaderName<'static>| {
            part.headers
                .iter()
                .find(|h| h.name == name)
                .map(|h| raw_value(raw, h))
        };
        let ours = name_from_headers(
            field(HeaderName::ContentDisposition).as_deref(),
            field(HeaderName::ContentType).as_deref(),
        )
        .filter(|n| !n.contains('\u{FFFD}'));
        let original_filename = ours
            .or_else(|| part.attachment_name().map(str::to_string))
            .map(|n| clean_text(&unfold(&n)).0)
            .filter(|n| !n.is_empty());
        let filename = match (&original_filename, &part.body) {
            (Some(name), _) => safe_filename(name),
            (None, PartType::Message(inner)) => inner
                .parts
                .first()
                .and_then(|p| p.headers.iter().find(|h| h.name == HeaderName::Subject))
                .and_then(|h| h.value.as_text())
                .map(|s| safe_filename(&format!("{}.eml", unfold(s))))
                .unwrap_or_else(|| default_filename(n + 1, &content_type)),
            (None, _) => default_filename(n + 1, &content_type),
        };

        let is_tnef = matches!(
            content_type.as_str(),
            "application/ms-tnef" | "application/vnd.ms-tnef"
        ) || filename.eq_ignore_ascii_case("winmail.dat");
        let unpacked = is_tnef.then(|| super::tnef::unpack(&bytes));
        // The original winmail.dat is kept too: the body (RTF) and properties we do not
        // decode live only there.
        mail.attachments.push(Attachment {
            filename,
            original_filename,
            content_type,
            sha256: sha256_hex(&bytes),
            bytes,
        });
        match unpacked {
            Some(Ok(u)) => {
                for f in u.files {
                    let name = f.name.filter(|n| !n.is_empty());
                    let filename = name
                        .as_deref()
                        .map(safe_filename)
                        .unwrap_or_else(|| default_filename(mail.attachments.len() + 1, ""));
                    mail.attachments.push(Attachment {
                        content_type: content_type_for_name(&filename).to_string(),
                        filename,
                        original_filename: name,
                        sha256: sha256_hex(&f.bytes),
                        bytes: f.bytes,
                    });
                }
                mail.parse_warnings.extend(u.warnings);
            }
            Some(Err(e)) => mail.parse_warnings.push(format!(
                "winmail.dat could not be unpacked ({e}); kept as it is"
            )),
            None => {}
        }
    }
}

const MAX_BOUNDARY_CHECKS: usize = 16;

/// Notes structural damage mail-parser silently recovered from.
fn check_structure(mail: &mut ParsedMail, raw: &[u8], message: &Message<'_>) {
    // Each check scans the whole message, so a crafted message with
    // thousands of multiparts must not make this quadratic.
    let mut boundaries: Vec<&str> = Vec::new();
    for part in &message.parts {
        if let Some(b) = part
            .content_type()
            .filter(|ct| ct.ctype().eq_ignore_ascii_case("multipart"))
            .and_then(|ct| ct.attribute("boundary"))
        {
            if !boundaries.contains(&b) {
                boundaries.push(b);
            }
        }
        if boundaries.len() >= MAX_BOUNDARY_CHECKS {
            break;
        }
    }
    let missing_boundary = boundaries
        .iter()
        .any(|b| !contains(raw, format!("--{b}--").as_bytes()));
    if missing_boundary {
        mail.parse_warnings.push("no final MIME boundary".into());
    }
    // mail-parser flags a part it could not transfer-decode and keeps its
    // raw text instead; a header-only message is flagged too, with no body.
    if message.parts.iter().any(|p| {
        p.is_encoding_problem
            && !matches!(&p.body, PartType::Text(t) if t.is_empty())
            && recover_transfer_encoding(message, p).is_none()
    }) {
        mail.parse_warnings.push(
            "a part could not be decoded (broken base64 or quoted-printable); kept as sent".into(),
        );
    }
    // mail-parser skips characters outside the base64 alphabet without
    // telling anyone, so the decoded bytes of such a part are suspect.
    let corrupt_base64 = message.parts.iter().any(|p| {
        p.encoding == Encoding::Base64
            && raw
                .get(p.offset_body as usize..p.offset_end as usize)
                .is_some_and(|body| body.iter().any(|b| !is_base64_byte(*b)))
    });
    if corrupt_base64 {
        mail.parse_warnings
            .push("base64 part contains invalid characters; decoded bytes may be damaged".into());
    }
}

fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\r' | b'\n' | b'\t' | b' ')
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_normalised() {
        let raw = b"Return-Path: <>\r\nDelivered-To: foi+foi-2026-0001@Reply.FOI.invalid\r\n\
Delivered-To: <requests@foi.invalid>\r\nMessage-ID:  bare@Example.org \r\n\
In-Reply-To: <a@b>\r\n <c@d>\r\nReferences: <r1@x> <r2@x>\r\nFrom: \"X\" <Someone@Council.EXAMPLE.gov.uk>\r\n\
To: undisclosed-recipients:;\r\nDate: Mon, 2 Mar 2026 10:00:00 +0100\r\nSubject: hi\r\n\r\nbody\r\n";
        let m = parse(raw);
        assert_eq!(m.message_id.as_deref(), Some("<bare@Example.org>"));
        assert_eq!(m.in_reply_to, vec!["<a@b>", "<c@d>"]);
        assert_eq!(m.references, vec!["<r1@x>", "<r2@x>"]);
        assert_eq!(
            m.delivered_to,
            vec![
                "foi+foi-2026-0001@reply.foi.invalid",
                "requests@foi.invalid"
            ]
        );
        assert_eq!(
            m.from.as_ref().map(|a| a.address.as_str()),
            Some("Someone@council.example.gov.uk")
        );
        assert!(m.to.is_empty());
        assert_eq!(m.headers.return_path.as_deref(), Some("<>"));
        assert_eq!(
            m.date.map(|d| d.to_rfc3339()),
            Some("2026-03-02T09:00:00+00:00".into())
        );
        assert_eq!(m.text, "body");
    }

    #[test]
    fn mail_parser_debug_assertion_input_parses() {
        // Reaches debug_assert!(false) inside mail-parser 0.11 ("Invalid part
        // ID, could not find multipart"): needs the profile override in
        // Cargo.toml, and catch_unwind as the last line of defence.
        let raw = b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n--b\r\n\
Auto-Submitted: auto-replied\r\nContent-Type: message/rfc822\r\n=E9=8\r\n\r\n\
Content-Type: message/rfc822\r\n\r\n\r\n--b--\r\n";
        let m = parse(raw);
        assert!(
            !m.parse_warnings.iter().any(|w| w == PANIC_WARNING),
            "{:?}",
            m.parse_warnings
        );
    }

    #[test]
    fn impossible_dates_are_dropped() {
        let m = parse(b"From: a@b.example\nDate: Mon, 31 Feb 2026 25:61:00 +0000\n\nx");
        assert_eq!(m.date, None);
    }

    #[test]
    fn truncated_base64_text_is_still_decoded() {
        let raw = b"From: a@b.example\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\n\
Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n\
VGhlIGNvdW5jaWwgc3BlbnQgwqM1LjI=\n";
        let m = parse(raw);
        assert_eq!(m.text, "The council spent £5.2");
        assert!(m
            .parse_warnings
            .iter()
            .any(|w| w.contains("final MIME boundary")));
    }

    #[test]
    fn utf8_label_on_windows_1252_bytes_falls_back() {
        let raw = b"From: a@b.example\nContent-Type: text/plain; charset=utf-8\n\n\x93Quoted\x94 \x96 \x80 5\n";
        let m = parse(raw);
        assert_eq!(m.text, "“Quoted” – € 5");
        assert!(m.parse_warnings.iter().any(|w| w.contains("mislabelled")));
    }

    #[test]
    fn base64_windows_1252_labelled_utf8_falls_back() {
        let raw = b"From: a@b.example\nContent-Type: text/plain; charset=utf-8\n\
Content-Transfer-Encoding: base64\n\nk1F1b3RlZJQgliCAIDUNCg==\n";
        assert_eq!(parse(raw).text, "“Quoted” – € 5");
    }

    #[test]
    fn headerless_text_is_kept_raw() {
        let m = parse(b"Please reply: thanks\n\nfoi-2026-0001");
        assert!(m.text.contains("Please reply: thanks"));
        assert!(m.from.is_none());
        let m = parse(b"");
        assert_eq!(m.text, "");
        assert_eq!(m.raw_sha256.len(), 64);
    }

    #[test]
    fn nested_message_bytes_are_the_nested_message_only() {
        let raw = b"From: a@b.example\nContent-Type: multipart/mixed; boundary=q\n\n--q\n\
Content-Type: text/plain\n\nouter\n--q\nContent-Type: message/rfc822\n\n\
From: c@d.example\nSubject: inner\nMessage-ID: <inner@d.example>\n\ninner body\n--q--\n";
        let m = parse(raw);
        let inner = m.attachments.first().expect("nested message kept");
        assert_eq!(inner.filename, "inner.eml");
        assert!(inner.bytes.starts_with(b"From: c@d.example"));
        assert!(!inner.bytes.windows(5).any(|w| w == b"outer"));
        assert_eq!(
            parse(&inner.bytes).message_id.as_deref(),
            Some("<inner@d.example>")
        );
        assert!(m.text.contains("inner body"));
    }

    #[test]
    fn multipart_boundaries_on_folded_lines_are_found() {
        // The shape (mail-parser reads this one itself) and the folds it misses:
        // beside the '=' of the boundary parameter.
        for header in [
            "multipart/mixed;\r\n\tboundary=\"xyz\"",
            "multipart/mixed;\r\n\tboundary=\r\n\t\"xyz\"",
            "multipart/mixed;\r\n\tboundary\r\n\t=\"xyz\"",
            "multipart/mixed;\r\n    boundary =\r\n    xyz",
        ] {
            let raw = format!(
                "From: a@b.example\r\nSubject: x\r\nContent-Type: {header}\r\n\r\n--xyz\r\n\
                 Content-Type: text/plain\r\n\r\nHello body\r\n--xyz\r\n\
                 Content-Type: application/pdf; name=\"r.pdf\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--xyz--\r\n"
            );
            let m = parse(raw.as_bytes());
            assert_eq!(m.text, "Hello body", "{header:?}");
            assert_eq!(m.attachments.len(), 1, "{header:?}");
            assert_eq!(m.attachments[0].filename, "r.pdf", "{header:?}");
            assert_eq!(m.attachments[0].bytes, b"%PDF-1.4\n", "{header:?}");
            // The digests are of what arrived, not of the repaired copy.
            assert_eq!(m.raw_sha256, sha256_hex(raw.as_bytes()));
        }
        // A multipart with no boundary at all is left as it is, without a false note.
        let m = parse(
            b"From: a@b.example\r\nContent-Type: multipart/mixed;\r\n charset=x\r\n\r\nbody\r\n",
        );
        assert!(
            !m.parse_warnings.iter().any(|w| w.contains("folded")),
            "{:?}",
            m.parse_warnings
        );
    }

    #[test]
    fn content_fingerprint_ignores_trace_fields_only() {
        let a =
            b"Received: from a\r\nDelivered-To: x@y\r\nFrom: c@d.example\r\nMessage-ID: <1@d>\r\n\
Subject: Re: FOI\r\n\r\nThe answer.\r\n";
        let b =
            b"Received: from b\nReceived: from a\nX-Original-To: z@y\nReturn-Path: <c@d.example>\n\
From: c@d.example\nMessage-ID: <1@d>\nSubject: Re:\n FOI\n\nThe answer.\n\n";
        assert_eq!(content_fingerprint(a), content_fingerprint(b));
        // Same Message-ID, different body or subject: different messages.
        let c = b"From: c@d.example\r\nMessage-ID: <1@d>\r\nSubject: Re: FOI\r\n\r\nAnother answer.\r\n";
        let d =
            b"From: c@d.example\r\nMessage-ID: <1@d>\r\nSubject: Re: FOI 2\r\n\r\nThe answer.\r\n";
        assert_ne!(content_fingerprint(a), content_fingerprint(c));
        assert_ne!(content_fingerprint(a), content_fingerprint(d));
        // Text without headers counts in full.
        assert_ne!(
            content_fingerprint(b"just text"),
            content_fingerprint(b"other text")
        );
        assert_eq!(parse(a).content_sha256, content_fingerprint(a));
        assert_eq!(parse(b"").content_sha256.len(), 64);
    }
}
