//! Finding which request a message belongs to.

use std::collections::HashSet;

use super::{dsn, Address, MatchKeys, ParsedMail};

/// Hyphen look-alikes that word processors and Outlook substitute for '-'.
const HYPHENS: [char; 5] = ['\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}', '\u{2212}'];

/// Every request reference (`foi-YYYY-NNNN…`, 4 to 9 digits after the year)
/// in `text`, lower-cased, in order of first appearance, without repeats.
/// Matching is case-insensitive and word-bounded so that `xfoi-…` or an
/// over-long number is not mistaken for one.
pub fn find_references(text: &str) -> Vec<String> {
    let owned;
    let text = if text.contains(HYPHENS) {
        owned = text.replace(HYPHENS, "-");
        owned.as_str()
    } else {
        text
    };
    let bytes = text.as_bytes();
    let mut found: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut i = 0usize;
    while let Some(rest) = bytes.get(i..) {
        let Some(off) = find_foi(rest) else { break };
        let start = i + off;
        i = start + 3;
        let before_ok = start == 0
            || bytes
                .get(start - 1)
                .is_some_and(|b| !b.is_ascii_alphanumeric());
        if !before_ok {
            continue;
        }
        if let Some(len) = reference_len(bytes.get(start..).unwrap_or_default()) {
            let reference =
                String::from_utf8_lossy(bytes.get(start..start + len).unwrap_or_default())
                    .to_ascii_lowercase();
            if seen.insert(reference.clone()) {
                found.push(reference);
            }
            i = start + len;
        }
    }
    found
}

fn find_foi(hay: &[u8]) -> Option<usize> {
    hay.windows(3).position(|w| w.eq_ignore_ascii_case(b"foi"))
}

/// Length of the reference starting at `s[0]`, if one does.
fn reference_len(s: &[u8]) -> Option<usize> {
    let digits = |from: usize| {
        s.get(from..)
            .map_or(0, |r| r.iter().take_while(|b| b.is_ascii_digit()).count())
    };
    if s.get(3) != Some(&b'-') || digits(4) != 4 || s.get(8) != Some(&b'-') {
        return None;
    }
    let n = digits(9);
    if !(4..=9).contains(&n) {
        return None;
    }
    let end = 9 + n;
    if s.get(end).is_some_and(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Some(end)
}

/// The reference inside one of our own outgoing Message-IDs
/// (`<foi-2026-0042.1772445600000.9f3a1c2e@reply.example>`), which must start
/// the local part and be followed by a dot; a council's own Message-ID that
/// merely mentions a reference does not count.
pub fn reference_from_message_id(id: &str) -> Option<String> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    let local = id.rsplit_once('@').map_or(id, |(l, _)| l);
    let len = reference_len(local.as_bytes())?;
    if local.as_bytes().get(len) != Some(&b'.') {
        return None;
    }
    local.get(..len).map(str::to_ascii_lowercase)
}

/// Collects the keys that can tie `mail` to a request. See [`MatchKeys`].
pub fn match_keys(mail: &ParsedMail, reply_domain: &str) -> MatchKeys {
    let reply_domain = reply_domain.trim().trim_end_matches('.');
    let addresses: Vec<&str> = mail
        .to
        .iter()
        .chain(mail.cc.iter())
        .map(|a| a.address.as_str())
        .chain(mail.delivered_to.iter().map(String::as_str))
        .chain(mail.x_original_to.iter().map(String::as_str))
        .collect();

    // Addresses on our own reply domain are the ones we handed out, so a
    // reference there beats one that merely appears in some other address.
    let split = |addr: &&str| {
        let (local, domain) = addr.rsplit_once('@').unwrap_or((addr, ""));
        let ours = domain
            .trim_end_matches('.')
            .eq_ignore_ascii_case(reply_domain);
        (local.to_string(), ours)
    };
    let (ours, others): (Vec<_>, Vec<_>) = addresses.iter().map(split).partition(|(_, o)| *o);
    let mut address_refs = Vec::new();
    push_unique(
        &mut address_refs,
        ours.iter()
            .chain(&others)
            .flat_map(|(local, _)| find_references(local)),
    );

    let mut thread_ids = Vec::new();
    push_unique(&mut thread_ids, mail.in_reply_to.iter().cloned());
    push_unique(&mut thread_ids, mail.references.iter().rev().cloned());
    if let Some(original) = dsn::bounce_info(mail).and_then(|b| b.original_message_id) {
        push_unique(&mut thread_ids, [original]);
    }

    MatchKeys {
        address_refs,
        thread_ids,
        subject_refs: find_references(&mail.subject),
        body_refs: find_references(&mail.text),
    }
}

/// Appends the items not already present, keeping first-seen order. A
/// hash set keeps a header with thousands of addresses linear.
fn push_unique(into: &mut Vec<String>, items: impl IntoIterator<Item = String>) {
    let mut seen: HashSet<String> = into.iter().cloned().collect();
    for item in items {
        if seen.insert(item.clone()) {
            into.push(item);
        }
    }
}

/// Second-level labels under which a country code registry hands out names,
/// so `camden.gov.uk` is one organisation but `gov.uk` is not.
const SECOND_LEVEL: &[&str] = &[
    "ac",
    "co",
    "com",
    "edu",
    "gov",
    "govt",
    "ltd",
    "me",
    "mod",
    "net",
    "nhs",
    "nic",
    "org",
    "parliament",
    "plc",
    "police",
    "sch",
];

/// The organisation-level part of a domain: the last two labels, or three
/// under a `*.gov.uk` / `*.co.uk` / `*.org.uk`-style suffix. Lower-case.
pub fn registrable_domain(domain: &str) -> String {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = domain.split('.').filter(|l| !l.is_empty()).collect();
    let n = labels.len();
    let take = match labels.as_slice() {
        [.., second, tld] if n >= 3 && tld.len() == 2 && SECOND_LEVEL.contains(second) => 3,
        _ => 2,
    };
    labels
        .get(n.saturating_sub(take)..)
        .unwrap_or_default()
        .join(".")
}

/// Whether `from` is at a different organisation from the authority's FOI
/// address, which deserves a second look before trusting the reply. A
/// missing or domain-less sender counts as different; an authority address
/// without a domain gives nothing to compare with, so nothing is flagged.
pub fn sender_differs(from: Option<&Address>, authority_email: &str) -> bool {
    let authority = authority_email
        .trim()
        .trim_end_matches('>')
        .rsplit_once('@')
        .map(|(_, d)| registrable_domain(d))
        .unwrap_or_default();
    if authority.is_empty() {
        return false;
    }
    match from {
        Some(a) if !a.domain().is_empty() => registrable_domain(a.domain()) != authority,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_found_case_insensitively_and_bounded() {
        assert_eq!(
            find_references("Re: FOI-2026-0042 and foi-2026-0042, foi‑2026‑000123"),
            vec!["foi-2026-0042", "foi-2026-000123"]
        );
        assert!(
            find_references("xfoi-2026-0042 foi-2026-0000000001 foi-26-0042 foi-2026-042")
                .is_empty()
        );
        assert_eq!(
            find_references("foi+foi-2026-0007@reply"),
            vec!["foi-2026-0007"]
        );
        assert_eq!(
            find_references("<foi-2026-0007.1772445600000.00000007@reply.foi.invalid>"),
            vec!["foi-2026-0007"]
        );
        assert!(find_references("").is_empty());
        assert!(find_references("fo").is_empty());
    }

    #[test]
    fn message_id_reference() {
        assert_eq!(
            reference_from_message_id("<foi-2026-0007.1772445600000.00000007@reply.foi.invalid>"),
            Some("foi-2026-0007".into())
        );
        assert_eq!(reference_from_message_id("<re-foi-2026-0007.1@x>"), None);
        assert_eq!(reference_from_message_id("<foi-2026-0007@x>"), None);
        assert_eq!(reference_from_message_id(""), None);
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(registrable_domain("foi.camden.gov.uk"), "camden.gov.uk");
        assert_eq!(registrable_domain("Mail.Example.ORG."), "example.org");
        assert_eq!(registrable_domain("gov.uk"), "gov.uk");
        assert_eq!(registrable_domain("localhost"), "localhost");
        assert_eq!(registrable_domain(""), "");
    }

    #[test]
    fn sender_difference() {
        let a = |s: &str| Address {
            name: None,
            address: s.into(),
        };
        assert!(!sender_differs(
            Some(&a("j@foi.camden.gov.uk")),
            "foi@camden.gov.uk"
        ));
        assert!(sender_differs(
            Some(&a("j@gmail.example.com")),
            "foi@camden.gov.uk"
        ));
        assert!(sender_differs(
            Some(&a("j@islington.gov.uk")),
            "foi@camden.gov.uk"
        ));
        assert!(sender_differs(None, "foi@camden.gov.uk"));
        assert!(!sender_differs(None, ""));
    }
}

#[cfg(test)]
mod match_tests {
    use super::super::{Address, MatchVia, ParsedMail};
    use super::match_keys;

    #[test]
    fn reply_domain_addresses_come_first() {
        let mail = ParsedMail {
            to: vec![Address {
                name: None,
                address: "foi+foi-2026-0002@mirror.example.org".into(),
            }],
            delivered_to: vec!["foi+FOI-2026-0001@reply.foi.invalid".into()],
            in_reply_to: vec!["<x@y>".into()],
            references: vec![
                "<foi-2026-0003.1.1@reply.foi.invalid>".into(),
                "<x@y>".into(),
                "<z@y>".into(),
            ],
            subject: "Re: foi-2026-0004".into(),
            text: "see FOI-2026-0005".into(),
            ..ParsedMail::default()
        };
        let k = match_keys(&mail, "Reply.FOI.invalid");
        assert_eq!(k.address_refs, vec!["foi-2026-0001", "foi-2026-0002"]);
        assert_eq!(
            k.thread_ids,
            vec!["<x@y>", "<z@y>", "<foi-2026-0003.1.1@reply.foi.invalid>"]
        );
        assert_eq!(k.subject_refs, vec!["foi-2026-0004"]);
        assert_eq!(k.body_refs, vec!["foi-2026-0005"]);
        assert_eq!(
            k.best_reference(),
            Some(("foi-2026-0001".into(), MatchVia::Address))
        );
    }

    #[test]
    fn body_references_never_decide() {
        let mail = ParsedMail {
            text: "foi-2026-0005".into(),
            ..ParsedMail::default()
        };
        assert_eq!(
            match_keys(&mail, "reply.foi.invalid").best_reference(),
            None
        );
    }
}
