//! Every hand-written message in tests/fixtures/mail against expected.json.
//!
//! All mismatches are collected and reported together, so one run shows the
//! whole picture when a heuristic changes.

use crate::support::corpus as common;

use std::collections::BTreeMap;

use foi::mail::inbound::{
    classify, match_keys, parse, sender_differs, Classification, MatchKeys, ParsedMail,
};
use serde_json::Value;

const REPLY_DOMAIN: &str = "reply.foi.invalid";

/// The request a message belongs to by the documented priority (address,
/// then one of our Message-IDs in the thread, then subject; never the body).
fn resolve(keys: &MatchKeys) -> (Option<String>, Option<&'static str>) {
    match keys.best_reference() {
        Some((reference, via)) => (Some(reference), Some(via.as_str())),
        None => (None, None),
    }
}

fn expected() -> BTreeMap<String, Value> {
    let path = common::fixtures_dir().join("expected.json");
    let text = std::fs::read_to_string(path).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json is valid JSON")
}

struct Checker {
    file: String,
    failures: Vec<String>,
}

impl Checker {
    fn eq<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, got: T, want: T) {
        if got != want {
            self.failures
                .push(format!("{}: {what}: got {got:?}, want {want:?}", self.file));
        }
    }

    fn check(&mut self, what: &str, ok: bool, detail: impl FnOnce() -> String) {
        if !ok {
            self.failures
                .push(format!("{}: {what}: {}", self.file, detail()));
        }
    }
}

fn opt_str(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn check_message(
    c: &mut Checker,
    mail: &ParsedMail,
    exp: &Value,
    all: &BTreeMap<String, Value>,
    parsed: &BTreeMap<String, ParsedMail>,
) {
    let class = classify(mail);
    let keys = match_keys(mail, REPLY_DOMAIN);
    let (reference, via) = resolve(&keys);

    c.eq(
        "classification",
        class.kind(),
        exp["classification"].as_str().unwrap_or("<missing>"),
    );
    c.eq("reference", reference.clone(), opt_str(&exp["reference"]));
    c.eq("via", via.map(str::to_string), opt_str(&exp["via"]));
    // A message belongs to every request it names; most name one.
    let (all_refs, _) = keys.all_references();
    let want_all: Vec<String> = match exp.get("references") {
        Some(v) => v
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(opt_str)
            .collect(),
        None => reference.into_iter().collect(),
    };
    c.eq("references", all_refs, want_all);

    let authority = exp["authority_email"].as_str().unwrap_or_default();
    c.check("authority_email", !authority.is_empty(), || {
        "missing".into()
    });
    c.eq(
        "sender_flagged",
        sender_differs(mail.from.as_ref(), authority),
        exp["sender_flagged"].as_bool().unwrap_or(false),
    );
    c.eq(
        "attachments",
        mail.attachments.len() as u64,
        exp["attachments"].as_u64().unwrap_or(u64::MAX),
    );

    let needle = exp["text_contains"].as_str().unwrap_or("<missing>");
    c.check("text_contains", mail.text.contains(needle), || {
        format!("{needle:?} not in {:?}", mail.text)
    });
    if exp["text_empty"].as_bool() == Some(true) {
        c.check("text_empty", mail.text.trim().is_empty(), || {
            format!("{:?}", mail.text)
        });
    }
    for absent in exp["text_not_contains"].as_array().into_iter().flatten() {
        let absent = absent.as_str().unwrap_or_default();
        c.check("text_not_contains", !mail.text.contains(absent), || {
            format!("{absent:?} in {:?}", mail.text)
        });
    }

    match exp["duplicate_of"].as_str() {
        Some(other) => match parsed.get(other) {
            Some(original) => {
                c.check("duplicate_of", mail.message_id.is_some(), || {
                    "duplicate has no Message-ID".into()
                });
                c.eq(
                    "duplicate_of message_id",
                    &mail.message_id,
                    &original.message_id,
                );
                c.check(
                    "duplicate_of raw_sha256",
                    mail.raw_sha256 != original.raw_sha256,
                    || "a duplicate should differ in bytes (Received)".into(),
                );
                c.eq(
                    "duplicate_of content_sha256",
                    &mail.content_sha256,
                    &original.content_sha256,
                );
            }
            None => c.check("duplicate_of", false, || format!("{other} not in corpus")),
        },
        None => {
            // Only declared duplicates, and messages declared to reuse a Message-ID, may
            // share one; the latter must not look like copies.
            let shares: Vec<&str> = exp["shares_message_id_with"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if let Some(id) = &mail.message_id {
                let clash: Vec<&String> = parsed
                    .iter()
                    .filter(|(name, m)| **name != c.file && m.message_id.as_ref() == Some(id))
                    .map(|(name, _)| name)
                    .filter(|name| {
                        let group = all
                            .get(name.as_str())
                            .and_then(|v| v["duplicate_of"].as_str())
                            .unwrap_or(name.as_str());
                        group != c.file.as_str() && !shares.contains(&group)
                    })
                    .collect();
                c.check("unique message_id", clash.is_empty(), || {
                    format!("{id} also in {clash:?}")
                });
            }
            for other in shares {
                match parsed.get(other) {
                    Some(o) => {
                        c.eq("shared message_id", &mail.message_id, &o.message_id);
                        c.check(
                            "shared message_id, different content",
                            mail.content_sha256 != o.content_sha256,
                            || format!("{other} has the same content fingerprint"),
                        );
                    }
                    None => c.check("shares_message_id_with", false, || {
                        format!("{other} not in corpus")
                    }),
                }
            }
        }
    }

    // Optional, more specific expectations.
    if let Some(v) = exp.get("message_id") {
        c.eq("message_id", mail.message_id.clone(), opt_str(v));
    }
    if let Some(v) = exp.get("subject") {
        c.eq("subject", Some(mail.subject.clone()), opt_str(v));
    }
    if let Some(v) = exp.get("from_name") {
        c.eq(
            "from_name",
            mail.from.as_ref().and_then(|a| a.name.clone()),
            opt_str(v),
        );
    }
    if let Some(v) = exp.get("body_refs") {
        let want: Vec<String> = v
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(opt_str)
            .collect();
        c.eq("body_refs", keys.body_refs.clone(), want);
    }
    if let Some(v) = exp.get("parse_warning") {
        let want = v.as_str().unwrap_or_default();
        c.check(
            "parse_warning",
            mail.parse_warnings.iter().any(|w| w.contains(want)),
            || format!("{want:?} not in {:?}", mail.parse_warnings),
        );
    }
    if let Some(v) = exp.get("attachment_names") {
        let want: Vec<String> = v
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(opt_str)
            .collect();
        let got: Vec<String> = mail
            .attachments
            .iter()
            .map(|a| a.filename.clone())
            .collect();
        c.eq("attachment_names", got, want);
    }
    if let Some(v) = exp.get("attachment_starts_with") {
        let want = v.as_str().unwrap_or_default().as_bytes();
        c.check(
            "attachment_starts_with",
            mail.attachments
                .first()
                .is_some_and(|a| a.bytes.starts_with(want)),
            || "first attachment does not start as expected".into(),
        );
    }
    if let Some(v) = exp.get("attached_message_id") {
        let inner = mail
            .attachments
            .iter()
            .find(|a| a.content_type == "message/rfc822")
            .map(|a| parse(&a.bytes).message_id);
        c.eq("attached_message_id", inner.flatten(), opt_str(v));
    }
    if let Some(want) = exp.get("auto_reason") {
        let got = match &class {
            Classification::AutoReply { reason } => Some(reason.clone()),
            _ => None,
        };
        c.eq("auto_reason", got, opt_str(want));
    }
    if let Some(want) = exp.get("attachment_bytes").and_then(Value::as_object) {
        for (name, bytes) in want {
            let got = mail.attachments.iter().find(|a| &a.filename == name);
            c.check(
                "attachment_bytes",
                got.is_some_and(|a| a.bytes == bytes.as_str().unwrap_or_default().as_bytes()),
                || {
                    format!(
                        "{name}: {:?}",
                        got.map(|a| String::from_utf8_lossy(&a.bytes))
                    )
                },
            );
        }
    }
    if exp["huge_attachment"].as_bool() == Some(true) {
        let payload = common::huge_payload();
        let got = mail.attachments.first();
        c.check(
            "huge_attachment",
            got.is_some_and(|a| a.bytes == payload),
            || format!("{:?} bytes", got.map(|a| a.bytes.len())),
        );
    }
    if let Some(b) = exp.get("bounce") {
        match &class {
            Classification::Bounce {
                status,
                recipient,
                recipients,
                original_message_id,
                ..
            } => {
                c.eq("bounce.status", status.clone(), opt_str(&b["status"]));
                c.eq(
                    "bounce.recipient",
                    recipient.clone(),
                    opt_str(&b["recipient"]),
                );
                c.eq(
                    "bounce.original_message_id",
                    original_message_id.clone(),
                    opt_str(&b["original_message_id"]),
                );
                if let Some(want) = b.get("recipients") {
                    let want: Vec<String> = want
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(opt_str)
                        .collect();
                    c.eq("bounce.recipients", recipients.clone(), want);
                }
            }
            other => c.check("bounce", false, || format!("not a bounce: {other:?}")),
        }
    }

    // Invariants that hold for every message.
    for a in &mail.attachments {
        c.check("attachment sha256", a.sha256.len() == 64, || {
            a.sha256.clone()
        });
        c.check(
            "safe filename",
            !a.filename.is_empty()
                && !a.filename.contains(['/', '\\'])
                && !a.filename.starts_with('.')
                && a.filename.len() <= 200,
            || a.filename.clone(),
        );
    }
    c.check(
        "text has no NUL or CR",
        !mail.text.contains(['\0', '\r']),
        || "found".into(),
    );
}

#[test]
fn corpus_matches_expected() {
    let corpus = common::corpus_messages();
    let expected = expected();

    assert!(corpus.len() >= 32, "corpus has {} messages", corpus.len());
    let names: Vec<&String> = corpus.iter().map(|(n, _)| n).collect();
    for name in expected.keys() {
        assert!(
            names.contains(&name),
            "{name} in expected.json but not on disk"
        );
    }

    let parsed: BTreeMap<String, ParsedMail> = corpus
        .iter()
        .map(|(name, raw)| (name.clone(), parse(raw)))
        .collect();

    let mut failures = Vec::new();
    for (name, mail) in &parsed {
        let Some(exp) = expected.get(name) else {
            failures.push(format!("{name}: no entry in expected.json"));
            continue;
        };
        let mut c = Checker {
            file: name.clone(),
            failures: Vec::new(),
        };
        check_message(&mut c, mail, exp, &expected, &parsed);
        failures.extend(c.failures);
    }
    assert!(
        failures.is_empty(),
        "{} corpus mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_parses_identically_with_lf_and_crlf_line_ends() {
    for (name, raw) in common::corpus_messages() {
        if raw.len() > 1_000_000 {
            continue;
        }
        let lf: Vec<u8> = raw.iter().copied().filter(|b| *b != b'\r').collect();
        let mut crlf = Vec::with_capacity(lf.len() * 2);
        for b in &lf {
            if *b == b'\n' {
                crlf.push(b'\r');
            }
            crlf.push(*b);
        }
        let (a, b) = (parse(&lf), parse(&crlf));
        assert_eq!(classify(&a), classify(&b), "{name}");
        assert_eq!(
            match_keys(&a, REPLY_DOMAIN),
            match_keys(&b, REPLY_DOMAIN),
            "{name}"
        );
        assert_eq!(a.text, b.text, "{name}");
        assert_eq!(a.subject, b.subject, "{name}");
        assert_eq!(a.attachments.len(), b.attachments.len(), "{name}");
    }
}

#[test]
fn classification_serialises_with_a_kind_tag() {
    let json = serde_json::to_value(Classification::Bounce {
        permanent: true,
        status: Some("5.1.1".into()),
        diagnostic: None,
        recipient: None,
        recipients: Vec::new(),
        original_message_id: None,
    })
    .expect("serialise");
    assert_eq!(json["kind"], "bounce");
    assert_eq!(json["status"], "5.1.1");
}
