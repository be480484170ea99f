//! Delivery failure reports: RFC 3464 DSNs and the free-text forms that
//! Postfix, Exim and Exchange still send.

use super::{text::normalise_for_matching, ParsedMail};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BounceInfo {
    pub permanent: bool,
    pub status: Option<String>,
    pub diagnostic: Option<String>,
    pub recipient: Option<String>,
    /// Every address the report says failed (or was delayed): DSN Final- and
    /// Original-Recipients, or in the text forms X-Failed-Recipients and the addresses in
    /// the explanation. Lower-cased. Empty when the report names nobody.
    pub recipients: Vec<String>,
    pub original_message_id: Option<String>,
}

/// What kind of `multipart/report` this is, if it is one. A report some gateway wrapped in a
/// `multipart/mixed` (with its own note on top) still is one: its status part gives it away.
pub(crate) fn report_type(mail: &ParsedMail) -> Option<String> {
    let ct = mail
        .headers
        .content_type
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if ct.trim_start().starts_with("multipart/report") {
        return Some(content_type_param(&ct, "report-type").unwrap_or_default());
    }
    mail.attachments
        .iter()
        .find_map(|a| match a.content_type.as_str() {
            "message/delivery-status" | "message/global-delivery-status" => Some("delivery-status"),
            "message/disposition-notification" | "message/global-disposition-notification" => {
                Some("disposition-notification")
            }
            _ => None,
        })
        .map(str::to_string)
}

fn content_type_param(ct: &str, name: &str) -> Option<String> {
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case(name)).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Lines that start the copy of the returned message in free-text bounces;
/// status codes after them belong to the original, not the failure.
const COPY_MARKERS: &[&str] = &[
    "------ this is a copy of the message",
    "----- original message -----",
    "--- below this line is a copy of the message",
    "original message headers:",
    "------ this is a copy of your message",
    "----- the header of the original message is following",
    "-----original message-----",
];

const BOUNCE_SUBJECTS: &[&str] = &[
    "undelivered mail returned to sender",
    "delivery status notification (failure)",
    "delivery status notification (delay)",
    "mail delivery failed",
    "mail delivery failure",
    "mail delivery delayed",
    "undeliverable:",
    "undeliverable mail",
    "undeliverable message",
    "undelivered mail",
    "returned mail:",
    "failure notice",
    "delivery failure",
    "delivery has failed",
    "delivery delayed",
    "delayed mail",
    "message not delivered",
    "non-delivery report",
];

const BOUNCE_PHRASES: &[&str] = &[
    "could not be delivered",
    "couldn't be delivered",
    "delivery has failed",
    "permanent error",
    "undeliverable",
    "user unknown",
    "mailbox unavailable",
    "recipient address rejected",
    "delivery to the following recipient",
    "has not yet been delivered",
];

const DELAY_PHRASES: &[&str] = &[
    "delayed",
    "has not yet been delivered",
    "will retry",
    "will continue to try",
    "still trying",
    "temporary failure",
    "is a temporary error",
];

/// Bounce details when `mail` is a delivery failure or delay report.
pub(crate) fn bounce_info(mail: &ParsedMail) -> Option<BounceInfo> {
    let report = report_type(mail);
    let status_part = mail
        .attachments
        .iter()
        .find(|a| {
            matches!(
                a.content_type.as_str(),
                "message/delivery-status" | "message/global-delivery-status"
            )
        })
        .map(|a| String::from_utf8_lossy(&a.bytes).into_owned());

    // The status part is looked for wherever it is nested in this message's own MIME tree
    // (never inside a forwarded message, which is one opaque attachment).
    let is_dsn = report.as_deref() == Some("delivery-status") || status_part.is_some();
    if is_dsn {
        if let Some(fields) = status_part.as_deref().and_then(parse_delivery_status) {
            return Some(BounceInfo {
                original_message_id: returned_message_id(mail),
                ..fields
            });
        }
        // A report that only says "delivered" is a receipt, not a bounce.
        if status_part.is_some() {
            return None;
        }
    }

    classic_bounce(mail)
}

/// Parses a message/delivery-status body: per-message fields, a blank line,
/// then per-recipient groups. The first failed (else delayed) recipient wins;
/// a report where every recipient was delivered gives None.
fn parse_delivery_status(body: &str) -> Option<BounceInfo> {
    let mut best: Option<(u8, BounceInfo)> = None;
    for group in status_groups(body) {
        let field = |name: &str| {
            group
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let action = field("action").map(|a| a.to_ascii_lowercase());
        let status = field("status").and_then(|s| first_status_code(&s));
        let rank = group_rank(action.as_deref(), status.as_deref());
        if rank == 0 || best.as_ref().is_some_and(|(r, _)| *r >= rank) {
            continue;
        }
        let recipient = field("final-recipient")
            .or_else(|| field("original-recipient"))
            .map(|r| strip_type(&r));
        let diagnostic = field("diagnostic-code").map(|d| strip_type(&d));
        best = Some((
            rank,
            BounceInfo {
                permanent: rank == 2,
                status,
                diagnostic,
                recipient,
                recipients: Vec::new(),
                original_message_id: None,
            },
        ));
    }
    let (rank, mut info) = best?;
    // Everyone the report names at that level, finally and originally addressed.
    for group in status_groups(body) {
        let field = |name: &str| {
            group
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let action = field("action").map(|a| a.to_ascii_lowercase());
        let status = field("status").and_then(|s| first_status_code(&s));
        if group_rank(action.as_deref(), status.as_deref()) != rank {
            continue;
        }
        for name in ["final-recipient", "original-recipient"] {
            if let Some(r) = field(name).map(|r| strip_type(&r).to_ascii_lowercase()) {
                if !r.is_empty()
                    && info.recipients.len() < MAX_RECIPIENTS
                    && !info.recipients.contains(&r)
                {
                    info.recipients.push(r);
                }
            }
        }
    }
    Some(info)
}

fn group_rank(action: Option<&str>, status: Option<&str>) -> u8 {
    match (action, status) {
        (Some(a), _) if a.starts_with("failed") => 2,
        (Some(a), _) if a.starts_with("delayed") => 1,
        (None, Some(s)) if s.starts_with('5') => 2,
        (None, Some(s)) if s.starts_with('4') => 1,
        _ => 0,
    }
}

/// "rfc822; foi@example.org" → "foi@example.org"
fn strip_type(v: &str) -> String {
    v.split_once(';')
        .map_or(v, |(_, rest)| rest)
        .trim()
        .trim_matches(['<', '>'])
        .to_string()
}

fn status_groups(body: &str) -> Vec<Vec<(String, String)>> {
    let mut groups = Vec::new();
    let mut current: Vec<(String, String)> = Vec::new();
    for line in body.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                groups.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = current.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            current.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// The first enhanced status code (RFC 3463, class 4 or 5) in `s`.
fn first_status_code(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let starts = matches!(b.get(i), Some(b'4' | b'5'))
            && (i == 0
                || b.get(i - 1)
                    .is_some_and(|p| !p.is_ascii_digit() && *p != b'.'));
        if starts {
            if let Some(len) = status_code_len(b.get(i..).unwrap_or_default()) {
                return String::from_utf8(b.get(i..i + len).unwrap_or_default().to_vec()).ok();
            }
        }
        i += 1;
    }
    None
}

/// `d.ddd.ddd` at the start of `s`, not followed by more of the same.
fn status_code_len(s: &[u8]) -> Option<usize> {
    let digits = |from: usize| {
        s.get(from..)
            .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count())
    };
    if s.get(1) != Some(&b'.') {
        return None;
    }
    let a = digits(2);
    if !(1..=3).contains(&a) || s.get(2 + a) != Some(&b'.') {
        return None;
    }
    let c = digits(3 + a);
    if !(1..=3).contains(&c) {
        return None;
    }
    let end = 3 + a + c;
    match s.get(end) {
        Some(b'.') if s.get(end + 1).is_some_and(u8::is_ascii_digit) => None,
        Some(d) if d.is_ascii_digit() => None,
        _ => Some(end),
    }
}

/// A basic SMTP reply code ("550 ", "451-") as a permanent flag.
fn basic_reply_class(s: &str) -> Option<bool> {
    let b = s.as_bytes();
    (0..b.len()).find_map(|i| {
        let code = b.get(i..i + 3)?;
        let next = b.get(i + 3).copied();
        let prev_ok = i == 0 || b.get(i - 1).is_some_and(|p| !p.is_ascii_alphanumeric());
        if prev_ok
            && code.iter().all(u8::is_ascii_digit)
            && matches!(next, Some(b' ' | b'-'))
            && matches!(code.first(), Some(b'4' | b'5'))
            && matches!(code.get(1), Some(b'0'..=b'5'))
        {
            Some(code.first() == Some(&b'5'))
        } else {
            None
        }
    })
}

fn classic_bounce(mail: &ParsedMail) -> Option<BounceInfo> {
    let subject = normalise_for_matching(&mail.subject);
    let from_local = mail
        .from
        .as_ref()
        .map(|a| a.local_part().to_ascii_lowercase())
        .unwrap_or_default();
    let from_name = mail
        .from
        .as_ref()
        .and_then(|a| a.name.as_deref())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let daemon = matches!(
        from_local.as_str(),
        "mailer-daemon" | "postmaster" | "mail-daemon" | "mailerdaemon"
    ) || from_name.contains("mail delivery")
        || from_local.starts_with("microsoftexchange");

    let (diag_text, copy_text) = split_at_copy(&mail.text);
    let diag_norm = normalise_for_matching(diag_text);

    let subject_says = BOUNCE_SUBJECTS.iter().any(|p| subject.starts_with(p))
        || (subject.starts_with("warning: message") && subject.contains("delayed"));
    let body_says = BOUNCE_PHRASES.iter().any(|p| diag_norm.contains(p));
    if !(subject_says || daemon && body_says) {
        return None;
    }

    let status = first_status_code(diag_text);
    let delay_words = subject.contains("delay")
        || subject.starts_with("warning:")
        || DELAY_PHRASES.iter().any(|p| diag_norm.contains(p));
    let permanent = match status.as_deref().and_then(|s| s.chars().next()) {
        Some('5') => true,
        Some(_) => false,
        None => basic_reply_class(diag_text).unwrap_or(!delay_words),
    };

    let text_recipient = header_in_text(diag_text, "final-recipient").map(|v| strip_type(&v));
    let recipient = mail
        .headers
        .x_failed_recipients
        .first()
        .cloned()
        .or_else(|| text_recipient.clone())
        .or_else(|| first_address(diag_text));
    // Any address in the explanation may be the failed one; naming too many only makes a
    // match with our letter (and so a failed letter) more likely, never less.
    let mut recipients: Vec<String> = Vec::new();
    for r in mail
        .headers
        .x_failed_recipients
        .iter()
        .cloned()
        .chain(text_recipient)
        .chain(addresses_in(diag_text))
    {
        let r = r.to_ascii_lowercase();
        if recipients.len() < MAX_RECIPIENTS && !recipients.contains(&r) {
            recipients.push(r);
        }
    }

    let diagnostic = header_in_text(diag_text, "diagnostic-code")
        .map(|d| strip_type(&d))
        .or_else(|| {
            status.as_deref().and_then(|code| {
                diag_text
                    .lines()
                    .find(|l| l.contains(code))
                    .map(|l| clip(l.trim(), 300))
            })
        });

    let original_message_id = returned_message_id(mail).or_else(|| {
        copy_text
            .and_then(|t| header_in_text(t, "message-id"))
            .and_then(|v| normalise_id(&v))
    });

    Some(BounceInfo {
        permanent,
        status,
        diagnostic,
        recipient,
        recipients,
        original_message_id,
    })
}

/// Splits bounce text into the explanation and the quoted original.
fn split_at_copy(text: &str) -> (&str, Option<&str>) {
    let lower = text.to_ascii_lowercase();
    let cut = COPY_MARKERS.iter().filter_map(|m| lower.find(m)).min();
    match cut {
        Some(at) => (text.get(..at).unwrap_or(text), text.get(at..)),
        None => (text, None),
    }
}

/// The Message-ID of the returned original, from a message/rfc822 or
/// text/rfc822-headers part.
fn returned_message_id(mail: &ParsedMail) -> Option<String> {
    mail.attachments
        .iter()
        .filter(|a| {
            matches!(
                a.content_type.as_str(),
                "message/rfc822"
                    | "text/rfc822-headers"
                    | "message/global"
                    | "message/global-headers"
            )
        })
        .find_map(|a| {
            let text = String::from_utf8_lossy(&a.bytes);
            let head = text.split("\n\n").next().unwrap_or_default();
            let head = head.split("\r\n\r\n").next().unwrap_or_default();
            header_in_text(head, "message-id").and_then(|v| normalise_id(&v))
        })
}

/// The value of the first line `name: value` (case-insensitive, continuation
/// lines unfolded) in free text.
pub(crate) fn header_in_text(text: &str, name: &str) -> Option<String> {
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        let Some((k, v)) = trimmed.split_once(':') else {
            continue;
        };
        if !k.trim().eq_ignore_ascii_case(name) {
            continue;
        }
        let mut value = v.trim().to_string();
        while let Some(next) = lines.peek() {
            if next.starts_with([' ', '\t']) && !next.trim().is_empty() && !next.contains(':') {
                value.push(' ');
                value.push_str(next.trim());
                lines.next();
            } else {
                break;
            }
        }
        if !value.is_empty() {
            return Some(value);
        }
    }
    None
}

/// `<id>` from the first angle-bracketed token, else the bare value.
pub(crate) fn normalise_id(v: &str) -> Option<String> {
    let v = v.trim();
    let inner = match (v.find('<'), v.find('>')) {
        (Some(a), Some(b)) if a < b => v.get(a + 1..b).unwrap_or_default(),
        _ => v.split_whitespace().next().unwrap_or_default(),
    };
    let inner = inner.trim().trim_matches(['<', '>']);
    if inner.is_empty() || inner.chars().any(char::is_whitespace) {
        return None;
    }
    Some(format!("<{inner}>"))
}

const MAX_RECIPIENTS: usize = 50;

fn first_address(text: &str) -> Option<String> {
    addresses_in(text).next()
}

/// Things shaped like mail addresses in free text, daemons excepted.
fn addresses_in(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '<' | '>' | '(' | ')' | ',' | ';' | '"' | '\'' | '[' | ']'
            )
    })
    .map(|t| t.trim_end_matches([':', '.']))
    .filter(|t| {
        let Some((local, domain)) = t.rsplit_once('@') else {
            return false;
        };
        !local.is_empty()
            && domain.contains('.')
            && !matches!(
                local.to_ascii_lowercase().as_str(),
                "mailer-daemon" | "postmaster"
            )
    })
    .map(str::to_string)
}

fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let cut = (0..=max)
        .rev()
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(0);
    s.get(..cut).unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes() {
        assert_eq!(
            first_status_code("said: 550 5.1.1 <x>: user unknown"),
            Some("5.1.1".into())
        );
        assert_eq!(
            first_status_code("RecipientNotFound 550 5.1.10"),
            Some("5.1.10".into())
        );
        assert_eq!(
            first_status_code("host 192.0.2.45 said 4.4.1"),
            Some("4.4.1".into())
        );
        assert_eq!(first_status_code("version 5.1.1.2"), None);
        assert_eq!(first_status_code("5."), None);
        assert_eq!(first_status_code(""), None);
    }

    #[test]
    fn delivery_status_groups() {
        let body = "Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; a@example.org\nAction: delivered\nStatus: 2.0.0\n\nFinal-Recipient: rfc822; foi@example.gov.uk\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user\n unknown\n";
        let b = parse_delivery_status(body).expect("failed recipient");
        assert!(b.permanent);
        assert_eq!(b.recipient.as_deref(), Some("foi@example.gov.uk"));
        assert_eq!(b.diagnostic.as_deref(), Some("550 5.1.1 user unknown"));
        assert!(parse_delivery_status("Action: delivered\nStatus: 2.0.0\n").is_none());
    }

    #[test]
    fn ids() {
        assert_eq!(normalise_id(" <a@b> (comment)"), Some("<a@b>".into()));
        assert_eq!(normalise_id("a@b"), Some("<a@b>".into()));
        assert_eq!(normalise_id("<>"), None);
        assert_eq!(normalise_id(""), None);
    }

    #[test]
    fn a_report_nested_in_mixed_keeps_its_status_and_recipients() {
        let raw = b"From: MAILER-DAEMON@gw.example.net\nTo: foi+foi-2026-0003@reply.foi.invalid\n\
Subject: Delivery Status Notification (Delay)\nContent-Type: multipart/mixed; boundary=o\n\n--o\n\
Content-Type: text/plain\n\nScanned.\n--o\nContent-Type: multipart/report; report-type=delivery-status; \
boundary=i\n\n--i\nContent-Type: text/plain\n\nNot delivered.\n--i\nContent-Type: message/delivery-status\n\n\
Reporting-MTA: dns; gw.example.net\n\nFinal-Recipient: rfc822; officer@council.example.gov.uk\n\
Original-Recipient: rfc822;foi@council.example.gov.uk\nAction: delayed\nStatus: 4.4.7\n\n\
Final-Recipient: rfc822; other@council.example.gov.uk\nAction: delayed\nStatus: 4.4.7\n\n--i--\n--o--\n";
        let mail = super::super::parse(raw);
        assert_eq!(report_type(&mail).as_deref(), Some("delivery-status"));
        let b = bounce_info(&mail).expect("a delay report");
        assert!(!b.permanent);
        assert_eq!(b.status.as_deref(), Some("4.4.7"));
        assert_eq!(
            b.recipient.as_deref(),
            Some("officer@council.example.gov.uk")
        );
        assert_eq!(
            b.recipients,
            vec![
                "officer@council.example.gov.uk",
                "foi@council.example.gov.uk",
                "other@council.example.gov.uk"
            ]
        );
    }
}
