//! An email released as a document (`.eml`, `message/rfc822`): who sent it, when, and about
//! what, then its text. Parsed by the same code as the mail foi receives, so charset repairs
//! and HTML-only bodies come out the same way.

use super::text::normalise;
use super::{Extraction, Page};
use crate::mail::inbound::{parse, Address};

pub(crate) fn extract(bytes: &[u8]) -> Extraction {
    let mail = parse(bytes);
    let mut head = Vec::new();
    if let Some(from) = &mail.from {
        head.push(format!("From: {}", show(from)));
    }
    if let Some(date) = mail.date {
        head.push(format!("Date: {}", date.to_rfc2822()));
    }
    if !mail.subject.is_empty() {
        head.push(format!("Subject: {}", mail.subject));
    }
    // The attachments are documents of their own; naming them says the text is not all
    // there was.
    if !mail.attachments.is_empty() {
        let names: Vec<&str> = mail
            .attachments
            .iter()
            .map(|a| a.original_filename.as_deref().unwrap_or(&a.filename))
            .collect();
        head.push(format!("Attachments: {}", names.join(", ")));
    }
    let mut text = head.join("\n");
    if !mail.text.trim().is_empty() {
        text.push_str("\n\n");
        text.push_str(&mail.text);
    }
    Extraction::from_pages(
        "eml",
        vec![Page {
            number: 1,
            text: normalise(&text),
            ocr: false,
        }],
        Vec::new(),
    )
}

fn show(a: &Address) -> String {
    match &a.name {
        Some(name) if !name.is_empty() => format!("{name} <{}>", a.address),
        _ => a.address.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_then_body() {
        let raw = b"From: \"Twinning Office\" <foi@council.example>\r\n\
                    To: me@example.org\r\n\
                    Subject: =?UTF-8?B?5Y+L5aW95Z+O5biC?= agreement\r\n\
                    Date: Tue, 1 Jul 2025 10:00:00 +0100\r\n\
                    Content-Type: text/plain; charset=utf-8\r\n\r\n\
                    Please find the agreement attached.\r\n";
        let e = extract(raw);
        assert_eq!(
            e.pages[0].text,
            "From: Twinning Office <foi@council.example>\n\
             Date: Tue, 1 Jul 2025 09:00:00 +0000\n\
             Subject: 友好城市 agreement\n\n\
             Please find the agreement attached."
        );
        assert_eq!(e.format, Some("eml"));
    }
}
