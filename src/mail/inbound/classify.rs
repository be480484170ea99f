//! Bounce, auto-reply, acknowledgement or response.
//!
//! The costly mistake is hiding a real response (it would never be read),
//! so the weaker signals only ever move a message towards "Response".

use super::{
    dsn,
    text::{fresh_text, normalise_for_matching},
    Classification, ParsedMail,
};

/// How much of the fresh text the phrase heuristics look at; substantive
/// wording is near the top, and a 5 MB text/plain part should not cost much.
const HEURISTIC_TEXT_LIMIT: usize = 16 * 1024;

const AUTO_SUBJECT_CONTAINS: &[&str] = &[
    "out of office",
    "out of the office",
    "automatic reply",
    "auto reply",
    "autoreply",
    "auto-reply",
    "auto response",
    "automatic response",
    "autoresponse",
    "auto-response",
    "automatische antwort",
    "abwesenheit",
    "allan o'r swyddfa",
    "ateb awtomatig",
    "réponse automatique",
    "respuesta automática",
    "risposta automatica",
    "automatisch antwoord",
    "annual leave",
];

const AUTO_SUBJECT_PREFIXES: &[&str] = &["auto:", "ooo:", "ooo ", "[ooo]", "away:", "vacation:"];

const ACK_PHRASES: &[&str] = &[
    "acknowledge receipt",
    "acknowledging receipt",
    "acknowledgement of your",
    "acknowledgment of your",
    "this is an acknowledgement",
    "this email acknowledges",
    "has been logged",
    "have logged your",
    "has been registered",
    "your request reference",
    "your reference number is",
    "reference number for your request",
    "within 20 working days",
    "within twenty working days",
    "received your request",
    "received your freedom of information",
    "received your foi",
    "receipt of your request",
    "your request has been received",
    "your request was received",
    "we aim to respond",
    "we will respond",
    "will be dealt with under",
    "is being processed",
    "cydnabod derbyn",
];

const ACK_SUBJECT_PHRASES: &[&str] = &[
    "acknowledgement",
    "acknowledgment",
    "request received",
    "receipt of your",
    "cydnabyddiaeth",
];

/// Wording of substantive replies: answers, refusals, extensions, and the
/// complaint-rights paragraph every final response must carry.
const RESPONSE_PHRASES: &[&str] = &[
    "please find attached",
    "please see attached",
    "find attached",
    "i attach",
    "we attach",
    "i have attached",
    "attached is",
    "attached are",
    "information you requested",
    "the information requested",
    "in response to your request",
    "our response",
    "we do not hold",
    "does not hold",
    "do not hold",
    "is not held",
    "information is held",
    "section 1(1)",
    "exemption",
    "is exempt",
    "section 12",
    "section 14",
    "section 21",
    "section 40",
    "section 43",
    "refuse",
    "refusal",
    "internal review",
    "information commissioner",
    "public interest test",
    "extend the",
];

const OOO_PHRASES: &[&str] = &[
    "out of the office",
    "out of office",
    "on annual leave",
    "on leave",
    "away from the office",
    "away from my desk",
    "limited access to email",
    "no access to email",
    "currently away",
    "i will return",
    "i will be back",
    "back in the office",
    "allan o'r swyddfa",
];

/// Decides what kind of message `mail` is. Bounces win over everything; an
/// automatic message that reads as an acknowledgement of the request is an
/// Acknowledgement; other automatic messages are AutoReply unless they carry
/// documents and read like a substantive response (case-management systems
/// mark everything they send as automatic).
pub fn classify(mail: &ParsedMail) -> Classification {
    if let Some(b) = dsn::bounce_info(mail) {
        return Classification::Bounce {
            permanent: b.permanent,
            status: b.status,
            diagnostic: b.diagnostic,
            recipient: b.recipient,
            recipients: b.recipients,
            original_message_id: b.original_message_id,
        };
    }
    match dsn::report_type(mail).as_deref() {
        Some("disposition-notification") => {
            return Classification::AutoReply {
                reason: "read receipt (disposition notification)".into(),
            }
        }
        Some("delivery-status") => {
            return Classification::AutoReply {
                reason: "delivery status notification without failure".into(),
            }
        }
        _ => {}
    }

    let subject = normalise_for_matching(&mail.subject);
    let fresh = normalise_for_matching(&fresh_text(&mail.text, HEURISTIC_TEXT_LIMIT));

    let ack = count(&fresh, ACK_PHRASES) + count(&subject, ACK_SUBJECT_PHRASES);
    let response = count(&fresh, RESPONSE_PHRASES);
    let documents = has_documents(mail);

    if ack > 0 && (response == 0 || (ack > response && !documents)) {
        return Classification::Acknowledgement;
    }

    let out_of_office = count(&fresh, OOO_PHRASES) > 0;
    if let Some(reason) = automatic_reason(mail, &subject) {
        if documents && response > 0 && !out_of_office {
            return Classification::Response;
        }
        return Classification::AutoReply { reason };
    }

    // A note that only says someone is away, with no machine marking at all, still stops
    // nothing: a short text with out-of-office wording and a return, no answer wording and no
    // documents. Anything longer or with substance stays a response.
    if out_of_office
        && response == 0
        && !documents
        && fresh.len() <= OOO_NOTE_MAX
        && OOO_RETURN_WORDS.iter().any(|w| fresh.contains(w))
    {
        return Classification::AutoReply {
            reason: "out-of-office wording".into(),
        };
    }

    Classification::Response
}

/// Longest fresh text (bytes, normalised) still read as a bare out-of-office note.
const OOO_NOTE_MAX: usize = 600;

/// Out-of-office notes say when the person is back.
const OOO_RETURN_WORDS: &[&str] = &["until", "return", "back on", "back in"];

fn count(haystack: &str, phrases: &[&str]) -> usize {
    phrases.iter().filter(|p| haystack.contains(*p)).count()
}

/// Attachments a person sent on purpose: not logos, not report parts.
fn has_documents(mail: &ParsedMail) -> bool {
    mail.attachments.iter().any(|a| {
        let ct = a.content_type.as_str();
        !(ct.starts_with("image/")
            || ct.starts_with("multipart/")
            || ct == "text/rfc822-headers"
            || ct == "message/delivery-status"
            || ct == "message/disposition-notification")
    })
}

/// Why `mail` looks machine-sent, or None.
fn automatic_reason(mail: &ParsedMail, subject: &str) -> Option<String> {
    let h = &mail.headers;
    if let Some(v) = &h.auto_submitted {
        let kind = v.split(';').next().unwrap_or_default().trim();
        if !kind.is_empty() && !kind.eq_ignore_ascii_case("no") {
            return Some(format!("Auto-Submitted: {v}"));
        }
    }
    if let Some(v) = &h.x_autoreply {
        if !v.trim().eq_ignore_ascii_case("no") {
            return Some(format!("X-Autoreply: {v}"));
        }
    }
    if let Some(v) = &h.x_autorespond {
        return Some(format!("X-Autorespond: {v}"));
    }
    if let Some(v) = &h.x_auto_response_suppress {
        return Some(format!("X-Auto-Response-Suppress: {v}"));
    }
    // Gateways that mark a message class here (`9; Autoresponder`) say so in words.
    if let Some(v) = &h.x_post_messageclass {
        if v.to_ascii_lowercase().contains("autorespond") {
            return Some(format!("X-POST-MessageClass: {v}"));
        }
    }
    let precedence = h
        .precedence
        .as_deref()
        .map(|p| p.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if precedence == "auto_reply" {
        return Some("Precedence: auto_reply".into());
    }
    let subject_auto = AUTO_SUBJECT_CONTAINS.iter().any(|p| subject.contains(p))
        || AUTO_SUBJECT_PREFIXES.iter().any(|p| subject.starts_with(p));
    if subject_auto {
        return Some(if matches!(precedence.as_str(), "bulk" | "junk" | "list") {
            format!("Precedence: {precedence}; subject: {}", mail.subject.trim())
        } else {
            format!("subject: {}", mail.subject.trim())
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::{AutoHeaders, Classification, ParsedMail};
    use super::classify;

    fn mail(subject: &str, text: &str, headers: AutoHeaders) -> ParsedMail {
        ParsedMail {
            subject: subject.into(),
            text: text.into(),
            headers,
            ..ParsedMail::default()
        }
    }

    #[test]
    fn auto_submitted_no_is_not_automatic() {
        let h = AutoHeaders {
            auto_submitted: Some("no".into()),
            x_autoreply: Some("no".into()),
            ..AutoHeaders::default()
        };
        assert_eq!(
            classify(&mail("Re: x", "Answer.", h)),
            Classification::Response
        );
    }

    #[test]
    fn bulk_counts_only_with_an_automatic_subject() {
        let bulk = || AutoHeaders {
            precedence: Some("bulk".into()),
            ..AutoHeaders::default()
        };
        assert_eq!(
            classify(&mail("Re: x", "Answer.", bulk())),
            Classification::Response
        );
        let c = classify(&mail("Out of Office: x", "Away.", bulk()));
        assert!(
            matches!(&c, Classification::AutoReply { reason } if reason.starts_with("Precedence: bulk")),
            "{c:?}"
        );
    }

    #[test]
    fn ack_wording_beats_automatic_headers_but_not_a_substantive_answer() {
        let auto = || AutoHeaders {
            auto_submitted: Some("auto-replied".into()),
            ..AutoHeaders::default()
        };
        assert_eq!(
            classify(&mail(
                "Automatic reply: FOI",
                "We acknowledge receipt of your request.",
                auto()
            )),
            Classification::Acknowledgement
        );
        assert_eq!(
            classify(&mail(
                "RE: FOI",
                "Thank you for your request, received on 2 March. We do not hold the information. \
                 You may ask for an internal review.",
                AutoHeaders::default()
            )),
            Classification::Response
        );
    }

    #[test]
    fn quoted_request_does_not_count() {
        let text = "Your request has been logged.\n\n-----Original Message-----\n\
                    Please find attached... section 40 ... internal review";
        assert_eq!(
            classify(&mail("RE: FOI", text, AutoHeaders::default())),
            Classification::Acknowledgement
        );
    }

    #[test]
    fn x_post_messageclass_marks_an_autoresponder() {
        let h = AutoHeaders {
            x_post_messageclass: Some("9; Autoresponder".into()),
            ..AutoHeaders::default()
        };
        let c = classify(&mail("Re: your request", "Thank you for your email.", h));
        assert!(
            matches!(&c, Classification::AutoReply { reason } if reason.contains("X-POST-MessageClass")),
            "{c:?}"
        );
        let h = AutoHeaders {
            x_post_messageclass: Some("1; Normal".into()),
            ..AutoHeaders::default()
        };
        assert_eq!(
            classify(&mail("Re: your request", "Answer.", h)),
            Classification::Response
        );
    }

    #[test]
    fn out_of_office_subjects_and_bare_notes() {
        assert!(matches!(
            classify(&mail(
                "Automatic Response",
                "I am out of the office until Tuesday",
                AutoHeaders::default()
            )),
            Classification::AutoReply { .. }
        ));
        // No marking at all, but a short note that someone is away and when they return.
        assert!(matches!(
            classify(&mail(
                "Re: FOI request",
                "I am out of the office until Tuesday 10 March.",
                AutoHeaders::default()
            )),
            Classification::AutoReply { .. }
        ));
        // Away, but answering: still a response.
        assert_eq!(
            classify(&mail(
                "Re: FOI request",
                "I am out of the office until Tuesday, but in response to your request: we do \
                 not hold this information.",
                AutoHeaders::default()
            )),
            Classification::Response
        );
    }
}
