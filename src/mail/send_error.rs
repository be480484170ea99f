//! lettre's errors, turned into sentences a person understands and sorted into "try again
//! later" (transient) and "will never work" (permanent).

use std::error::Error as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SendErrorKind {
    Transient,
    Permanent,
    /// We refused to hand the message to the server at all (our configuration, not the
    /// council's address): it is not retried, and the request is not marked undelivered.
    NotAttempted,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub kind: SendErrorKind,
    pub message: String,
}

impl SendError {
    pub fn transient(message: impl Into<String>) -> Self {
        SendError {
            kind: SendErrorKind::Transient,
            message: message.into(),
        }
    }
    pub fn not_attempted(message: impl Into<String>) -> Self {
        SendError {
            kind: SendErrorKind::NotAttempted,
            message: message.into(),
        }
    }
    pub fn is_transient(&self) -> bool {
        self.kind == SendErrorKind::Transient
    }
}

fn innermost(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        text = s.to_string();
        cur = s.source();
    }
    text
}

/// `server` is "host:port", for messages about connecting.
pub fn classify(e: &lettre::transport::smtp::Error, server: &str) -> SendError {
    let detail = e.source().map(innermost).unwrap_or_default();
    let detail = detail.trim();
    if let Some(code) = e.status() {
        let code_text = code.to_string();
        let reply = format!("{code_text} {detail}").trim().to_string();
        // A refused login or a missing TLS upgrade is our configuration, not the letter's
        // fault: retry (and tell staff) rather than mark the council's request failed.
        if matches!(code_text.as_str(), "530" | "534" | "535" | "538") {
            return SendError::transient(format!(
                "the SMTP server {server} refused our login: {reply} (check mail.smtp.username and FOI__MAIL__SMTP__PASSWORD)"
            ));
        }
        if e.is_permanent() {
            let what = if detail.contains("5.1.")
                || detail.to_ascii_lowercase().contains("user unknown")
            {
                "the server refused the recipient"
            } else {
                "the server refused the message"
            };
            return SendError {
                kind: SendErrorKind::Permanent,
                message: format!("{what}: {reply}"),
            };
        }
        return SendError::transient(format!("the server asked us to try again later: {reply}"));
    }
    if e.is_timeout() {
        return SendError::transient(format!("the SMTP server {server} did not answer in time"));
    }
    if e.is_tls() {
        return SendError::transient(format!(
            "TLS with the SMTP server {server} failed: {detail}"
        ));
    }
    let lower = detail.to_ascii_lowercase();
    if lower.contains("refused")
        || lower.contains("connect")
        || lower.contains("resolve")
        || lower.contains("dns")
    {
        return SendError::transient(format!(
            "could not connect to the SMTP server {server}: {detail}"
        ));
    }
    SendError::transient(format!(
        "talking to the SMTP server {server} failed: {e}{}",
        if detail.is_empty() {
            String::new()
        } else {
            format!(" ({detail})")
        }
    ))
}
