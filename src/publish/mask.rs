//! Taking personal contact details out of text before it goes on the public site.
//!
//! Two things happen, in this order:
//! 1. what identifies the requester (their email, the campaign's sending address, every reply
//!    address on the reply domain, Message-IDs there, their postal address lines) is always
//!    removed: nothing about the requester but their name is ever published;
//! 2. unless masking is turned off (`foi publish --no-mask`), every other email address and
//!    every phone number is replaced too, since council officers' direct lines and addresses
//!    are theirs, not the campaign's to publish.
//!
//! Pure: no I/O. What it cannot see (an address written "ada at example dot org", a phone
//! number without its area code, text inside an image) stays as it is.

use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

pub const EMAIL_REMOVED: &str = "[email removed]";
pub const PHONE_REMOVED: &str = "[phone removed]";
pub const ADDRESS_REMOVED: &str = "[address removed]";

/// Practical rather than RFC 5322: what people and mail programs write in letters. The last
/// label must be letters, so "v1.2@3.4" is left alone.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[a-z0-9._%+\-]+@((?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+[a-z]{2,})\b")
        .expect("the email pattern compiles")
});

/// What to take out of published text.
#[derive(Debug, Clone)]
pub struct Redactor {
    mask_contacts: bool,
    /// Whole addresses, lower case.
    private_addresses: Vec<String>,
    /// Every address at these domains (and their subdomains), lower case.
    private_domains: Vec<String>,
    /// Literal phrases (postal address lines), matched ignoring case.
    private_phrases: Option<Regex>,
}

impl Redactor {
    /// `mask_contacts`: replace every email address and phone number, not only the
    /// requester's.
    pub fn new(mask_contacts: bool) -> Self {
        Redactor {
            mask_contacts,
            private_addresses: Vec::new(),
            private_domains: Vec::new(),
            private_phrases: None,
        }
    }

    pub fn masks_contacts(&self) -> bool {
        self.mask_contacts
    }

    pub fn private_address(mut self, address: &str) -> Self {
        let a = address.trim().to_ascii_lowercase();
        if !a.is_empty() {
            self.private_addresses.push(a);
        }
        self
    }

    pub fn private_domain(mut self, domain: &str) -> Self {
        let d = domain.trim().trim_start_matches('@').to_ascii_lowercase();
        if !d.is_empty() {
            self.private_domains.push(d);
        }
        self
    }

    /// The requester's postal address. A line that is one word ("London", "Sheffield") is
    /// not removed: it says little on its own and appears in many letters for other reasons;
    /// every longer line (a street, a postcode) is.
    pub fn postal_address(mut self, lines: &[String]) -> Self {
        let mut phrases: Vec<String> = lines
            .iter()
            .map(|l| l.trim().trim_end_matches(',').trim())
            .filter(|l| l.split_whitespace().count() > 1)
            .map(|l| {
                // Spacing in a quoted address differs from the configured one.
                l.split_whitespace()
                    .map(regex::escape)
                    .collect::<Vec<_>>()
                    .join(r"\s+")
            })
            .collect();
        if phrases.is_empty() {
            return self;
        }
        // Longest first, so a line that contains another is taken whole.
        phrases.sort_by_key(|p| std::cmp::Reverse(p.len()));
        self.private_phrases = Regex::new(&format!("(?i){}", phrases.join("|"))).ok();
        self
    }

    fn is_private_email(&self, address: &str, domain: &str) -> bool {
        let address = address.to_ascii_lowercase();
        let domain = domain.to_ascii_lowercase();
        self.private_addresses.contains(&address)
            || self
                .private_domains
                .iter()
                .any(|d| domain == *d || domain.ends_with(&format!(".{d}")))
    }

    /// The text as it may be published.
    pub fn apply(&self, text: &str) -> String {
        let text = match &self.private_phrases {
            Some(re) => re.replace_all(text, ADDRESS_REMOVED).into_owned(),
            None => text.to_string(),
        };
        let text = EMAIL
            .replace_all(&text, |c: &regex::Captures| {
                let whole = &c[0];
                if self.mask_contacts || self.is_private_email(whole, &c[1]) {
                    EMAIL_REMOVED.to_string()
                } else {
                    whole.to_string()
                }
            })
            .into_owned();
        if self.mask_contacts {
            replace_ranges(&text, &phones(&text), PHONE_REMOVED)
        } else {
            text
        }
    }

    /// What of the requester's the text holds, if anything (for files that cannot be
    /// rewritten, such as a PDF: they are not published when it says something).
    pub fn requester_details_in(&self, text: &str) -> Option<&'static str> {
        if self
            .private_phrases
            .as_ref()
            .is_some_and(|re| re.is_match(text))
        {
            return Some("the requester's postal address");
        }
        for c in EMAIL.captures_iter(text) {
            if self.is_private_email(&c[0], &c[1]) {
                return Some("the requester's email or reply address");
            }
        }
        // A reply address can be split or wrapped in a way the pattern misses; the domain
        // alone is enough to hold a file back.
        let lower = text.to_ascii_lowercase();
        if self
            .private_domains
            .iter()
            .any(|d| lower.contains(&format!("@{d}")))
        {
            return Some("a reply address of the campaign");
        }
        None
    }
}

fn replace_ranges(text: &str, ranges: &[Range<usize>], with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in ranges {
        out.push_str(&text[last..r.start]);
        out.push_str(with);
        last = r.end;
    }
    out.push_str(&text[last..]);
    out
}

/// Where phone numbers are in `text`: UK numbers (0114 273 4567, (0114) 273 4567,
/// 07700 900123, +44 114 273 4567, +44 (0)114 273 4567, 0044 114 273 4567) and other
/// international ones written with + (+86 28 8888 8888). Groups may be separated by a
/// space, hyphen, dot or brackets. Local numbers without their area code are not found.
pub fn phones(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts = matches!(b[i], b'+' | b'(' | b'0')
            && !text[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '+');
        if starts {
            if let Some(end) = phone_at(b, i) {
                out.push(i..end);
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// The end of the longest phone number starting at `start`, if one does.
fn phone_at(b: &[u8], start: usize) -> Option<usize> {
    let mut pos = start;
    let plus = b[pos] == b'+';
    if plus {
        pos += 1;
    }
    if b.get(pos) == Some(&b'(') {
        pos += 1;
    }
    let mut digits = String::new();
    let mut best = None;
    loop {
        let group_start = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            digits.push(b[pos] as char);
            pos += 1;
        }
        if pos == group_start || digits.len() > 15 {
            break;
        }
        let followed_by_word = b.get(pos).is_some_and(|c| c.is_ascii_alphanumeric());
        if !followed_by_word && valid_number(plus, &digits) {
            best = Some(pos);
        }
        // Up to three separator characters, then the next group must start.
        let mut sep = pos;
        while sep < b.len() && sep - pos < 3 && matches!(b[sep], b' ' | b'-' | b'.' | b'(' | b')') {
            sep += 1;
        }
        if sep == pos || !b.get(sep).is_some_and(u8::is_ascii_digit) {
            break;
        }
        pos = sep;
    }
    // A closing bracket right after the digits ends with them; one left open is kept out.
    best
}

fn valid_number(plus: bool, digits: &str) -> bool {
    let international = |rest: &str| {
        if let Some(uk) = rest.strip_prefix("44") {
            // +44 (0)114 …: the trunk 0 in brackets is not part of the number.
            let uk = uk.strip_prefix('0').unwrap_or(uk);
            return (9..=10).contains(&uk.len());
        }
        !rest.starts_with('0') && (8..=15).contains(&rest.len())
    };
    if plus {
        return international(digits);
    }
    if let Some(rest) = digits.strip_prefix("00") {
        return international(rest);
    }
    digits.starts_with('0') && (10..=11).contains(&digits.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> String {
        Redactor::new(true).apply(text)
    }

    #[test]
    fn uk_and_international_phone_numbers_are_masked() {
        for (text, want) in [
            ("Call 0114 273 4567 today", "Call [phone removed] today"),
            ("Tel: +44 114 273 4567.", "Tel: [phone removed]."),
            ("Mobile 07700 900123", "Mobile [phone removed]"),
            ("(0114) 273 4567", "[phone removed]"),
            ("+44 (0)114 273 4567", "[phone removed]"),
            (
                "0114-273-4567 or 020 7946 0958",
                "[phone removed] or [phone removed]",
            ),
            ("0044 114 273 4567", "[phone removed]"),
            ("+86 28 8888 8888", "[phone removed]"),
            ("01142734567", "[phone removed]"),
            ("t.0114.273.4567", "t.[phone removed]"),
        ] {
            assert_eq!(masked(text), want, "{text}");
        }
    }

    #[test]
    fn numbers_that_are_not_phones_are_kept() {
        for text in [
            "foi-2026-0001",
            "signed on 2005-04-12",
            "£1,250,000 over 5 years",
            "page 0 of 12",
            "ISO 9001",
            "2005 2010 2015",
            "reference 0001 0114",
            "v1.2@3.4",
            "0114 273",
        ] {
            assert_eq!(masked(text), text);
        }
        // The number stops where a phone number must: a year after it is not swallowed.
        assert_eq!(
            masked("ring 0114 273 4567 2005"),
            "ring [phone removed] 2005"
        );
    }

    #[test]
    fn email_addresses_are_masked_and_the_rest_kept() {
        assert_eq!(
            masked("Write to foi@sheffield.gov.uk, or J.Smith+foi@council.example.org."),
            "Write to [email removed], or [email removed]."
        );
        assert_eq!(masked("<mailto:foi@x.gov.uk>"), "<mailto:[email removed]>");
        assert_eq!(masked("No address here @ all."), "No address here @ all.");
    }

    fn requester(mask: bool) -> Redactor {
        Redactor::new(mask)
            .private_address("Ada@Campaign.example.org")
            .private_address("requests@campaign.example.org")
            .private_domain("reply.campaign.example.org")
            .postal_address(&["1 High Street".into(), "London".into(), "SW1A 1AA".into()])
    }

    #[test]
    fn without_masking_only_the_requesters_details_go() {
        let r = requester(false);
        let text = "From ada@campaign.example.org (reply to foi+foi-2026-0001@reply.campaign.example.org), \
                    <foi-2026-0001.17.9f@reply.campaign.example.org>, 1  high street, London SW1A 1AA. \
                    Our officer: j.smith@council.example.org, 0114 273 4567.";
        assert_eq!(
            r.apply(text),
            "From [email removed] (reply to [email removed]), <[email removed]>, \
             [address removed], London [address removed]. \
             Our officer: j.smith@council.example.org, 0114 273 4567."
        );
        let all = requester(true).apply(text);
        assert!(
            all.ends_with("Our officer: [email removed], [phone removed]."),
            "{all}"
        );
    }

    #[test]
    fn requester_details_are_found_for_files_that_cannot_be_rewritten() {
        let r = requester(false);
        assert_eq!(r.requester_details_in("Dear Ada, thank you."), None);
        assert_eq!(r.requester_details_in("London"), None);
        assert!(r
            .requester_details_in("sent to FOI+foi-2026-0001@REPLY.campaign.example.org")
            .is_some());
        assert!(r.requester_details_in("1 High Street").is_some());
        assert!(r
            .requester_details_in("x@reply.campaign.example.org-split")
            .is_some());
    }
}
