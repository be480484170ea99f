//! One outgoing email, built from a stored outbox row. Pure: no I/O.

use super::send_error::{SendError, SendErrorKind};
use chrono::{DateTime, Utc};
use lettre::message::header::{
    ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue,
};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub from_name: String,
    pub from_address: String,
    pub to: String,
    /// The per-request reply address; also the envelope sender, so bounces come back to it.
    pub reply_to: String,
    pub subject: String,
    pub body: String,
    /// An HTML alternative (staff digests); letters to councils are plain text only.
    pub html: Option<String>,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Option<String>,
    pub auto_submitted: bool,
    pub date: DateTime<Utc>,
    /// Images the HTML part shows by `cid:` (the digest's chart); sent as a
    /// multipart/related part beside the HTML.
    pub inline: Vec<InlinePart>,
}

/// Where an inline image of a queued message is kept: stored with the message, its bytes
/// under the data folder (content-addressed), so every attempt sends the same mail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InlineRef {
    /// The Content-ID the HTML refers to (`<img src="cid:...">`), without angle brackets.
    pub content_id: String,
    pub content_type: String,
    pub filename: String,
    pub sha256: String,
}

/// An inline image with its bytes, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinePart {
    pub content_id: String,
    pub content_type: String,
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// `<foi-2026-0042.1764324000123.9f3a1c2e@reply.example.org>`: unique, and the reference in it
/// lets a reply's In-Reply-To be matched even when the subject was rewritten.
pub fn new_message_id(reference: &str, domain: &str, now: DateTime<Utc>) -> String {
    let salt: u32 = rand::random();
    format!(
        "<{reference}.{}.{salt:08x}@{domain}>",
        now.timestamp_millis()
    )
}

/// RFC 3834: marks reminders as automatic so well-behaved auto-responders stay quiet.
#[derive(Debug, Clone)]
struct AutoSubmitted(String);

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Header values come from templates and data files: a line break in one must never start a
/// new header, so control characters are folded to spaces.
fn header_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn address(what: &str, s: &str) -> Result<Address, SendError> {
    s.trim().parse::<Address>().map_err(|e| SendError {
        kind: SendErrorKind::Permanent,
        message: format!("the {what} address '{s}' is not valid: {e}"),
    })
}

impl OutgoingEmail {
    pub fn to_message(&self) -> Result<Message, SendError> {
        let from = Mailbox::new(
            Some(header_text(&self.from_name)),
            address("From", &self.from_address)?,
        );
        let reply_to = Mailbox::new(None, address("Reply-To", &self.reply_to)?);
        let to = Mailbox::new(None, address("To", &self.to)?);
        let envelope =
            lettre::address::Envelope::new(Some(reply_to.email.clone()), vec![to.email.clone()])
                .map_err(|e| SendError {
                    kind: SendErrorKind::Permanent,
                    message: format!("cannot build the envelope: {e}"),
                })?;
        let mut builder = Message::builder()
            .from(from)
            .reply_to(reply_to)
            .to(to)
            .subject(header_text(&self.subject))
            .message_id(Some(header_text(&self.message_id)))
            .date(self.date.into())
            .envelope(envelope);
        if let Some(id) = &self.in_reply_to {
            builder = builder.in_reply_to(header_text(id));
        }
        if let Some(refs) = &self.references {
            builder = builder.references(header_text(refs));
        }
        if self.auto_submitted {
            builder = builder.header(AutoSubmitted("auto-generated".into()));
        }
        // Quoted-printable always: it survives any relay, and the letter's text is recovered exactly.
        let qp = |text: &str| {
            Body::new_with_encoding(text.to_string(), ContentTransferEncoding::QuotedPrintable)
                .map_err(|_| SendError {
                    kind: SendErrorKind::Permanent,
                    message: "cannot encode the body".into(),
                })
        };
        let plain = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(qp(&self.body)?);
        let built = match &self.html {
            Some(html) => {
                let html_part = SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(qp(html)?);
                let alternative = MultiPart::alternative().singlepart(plain);
                if self.inline.is_empty() {
                    builder.multipart(alternative.singlepart(html_part))
                } else {
                    // RFC 2387: the HTML and the images it shows travel together.
                    let mut related = MultiPart::related().singlepart(html_part);
                    for part in &self.inline {
                        let content_type =
                            ContentType::parse(&part.content_type).map_err(|e| SendError {
                                kind: SendErrorKind::Permanent,
                                message: format!(
                                    "inline part {}: bad content type {}: {e}",
                                    part.content_id, part.content_type
                                ),
                            })?;
                        related = related.singlepart(
                            lettre::message::Attachment::new_inline_with_name(
                                header_text(&part.content_id),
                                header_text(&part.filename),
                            )
                            .body(part.bytes.clone(), content_type),
                        );
                    }
                    builder.multipart(alternative.multipart(related))
                }
            }
            None => builder.singlepart(plain),
        };
        built.map_err(|e| SendError {
            kind: SendErrorKind::Permanent,
            message: format!("cannot build the message: {e}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sample() -> OutgoingEmail {
        OutgoingEmail {
            from_name: "Jane Campaigner".into(),
            from_address: "requests@example.org".into(),
            to: "foi@council.example.org".into(),
            reply_to: "foi+foi-2026-0001@reply.example.org".into(),
            subject: "Freedom of Information request [foi-2026-0001]".into(),
            body: "Dear Officer,\n\nPlease send me the agreement – in full.\n".into(),
            html: None,
            message_id: "<foi-2026-0001.1.abc@reply.example.org>".into(),
            in_reply_to: None,
            references: None,
            auto_submitted: false,
            date: Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
            inline: Vec::new(),
        }
    }

    #[test]
    fn builds_headers_and_envelope() {
        let m = sample().to_message().unwrap();
        let text = String::from_utf8(m.formatted()).unwrap();
        assert!(
            text.contains("Message-ID: <foi-2026-0001.1.abc@reply.example.org>"),
            "{text}"
        );
        assert!(
            text.contains("Reply-To: foi+foi-2026-0001@reply.example.org"),
            "{text}"
        );
        assert!(
            text.contains("From: \"Jane Campaigner\" <requests@example.org>"),
            "{text}"
        );
        assert!(!text.contains("Auto-Submitted"));
        assert_eq!(
            m.envelope().from().unwrap().to_string(),
            "foi+foi-2026-0001@reply.example.org"
        );
    }

    #[test]
    fn line_breaks_never_reach_a_header() {
        let mut e = sample();
        e.subject = "Hello\r\nBcc: victim@example.org".into();
        e.from_name = "Jane\nX-Evil: 1".into();
        e.auto_submitted = true;
        e.in_reply_to = Some("<a@b>".into());
        let text = String::from_utf8(e.to_message().unwrap().formatted()).unwrap();
        assert!(!text.contains("\r\nBcc:"), "{text}");
        assert!(!text.contains("\r\nX-Evil:"), "{text}");
        assert!(text.contains("Auto-Submitted: auto-generated"), "{text}");
        assert!(text.contains("In-Reply-To: <a@b>"), "{text}");
    }

    #[test]
    fn message_ids_are_unique_and_carry_the_reference() {
        let now = Utc::now();
        let a = new_message_id("foi-2026-0001", "reply.example.org", now);
        let b = new_message_id("foi-2026-0001", "reply.example.org", now);
        assert_ne!(a, b);
        assert!(a.starts_with("<foi-2026-0001.") && a.ends_with("@reply.example.org>"));
    }
}
