use super::ParseError;
use std::fmt;

/// An email address as we are willing to put it in an envelope: one `@`, a dotted domain,
/// no spaces, quotes or control characters (anything else is a typo in practice, and a
/// header-injection risk in theory).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        let bad = |why: &str| {
            Err(ParseError::new(format!(
                "'{s}' is not an email address: {why}"
            )))
        };
        if s.is_empty() {
            return bad("it is empty");
        }
        if s.len() > 254 {
            return bad("it is longer than 254 characters");
        }
        if let Some(c) = s.chars().find(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '<' | '>' | '"' | ',' | ';' | '(' | ')' | '[' | ']' | '\\'
                )
        }) {
            return bad(&format!("it contains {c:?}"));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return bad("it has no '@'");
        };
        if local.is_empty() || local.contains('@') {
            return bad("the part before '@' must be one non-empty name");
        }
        if local.len() > 64 {
            return bad("the part before '@' is longer than 64 characters");
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return bad("the part before '@' has a misplaced dot");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return bad("the domain has no dot");
        }
        for label in &labels {
            if label.is_empty()
                || label.starts_with('-')
                || label.ends_with('-')
                || !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return bad(&format!("the domain label '{label}' is not valid"));
            }
        }
        Ok(EmailAddress(format!(
            "{local}@{}",
            domain.to_ascii_lowercase()
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_council_addresses_and_lowercases_the_domain() {
        let e = EmailAddress::parse(" foi@Sheffield.GOV.uk ").unwrap();
        assert_eq!(e.as_str(), "foi@sheffield.gov.uk");
        assert_eq!(e.domain(), "sheffield.gov.uk");
        assert!(EmailAddress::parse("freedom.information@sunderland.gov.uk").is_ok());
        assert!(EmailAddress::parse("foi+foi-2026-0001@reply.example.org").is_ok());
    }

    #[test]
    fn refuses_typos_and_header_injection() {
        for bad in [
            "",
            "foi",
            "foi@",
            "@council.gov.uk",
            "foi@council",
            "foi@@council.gov.uk",
            "foi @council.gov.uk",
            "foi@council.gov.uk\r\nBcc: x@y.z",
            "a..b@council.gov.uk",
            "foi@-council.gov.uk",
            "\"x\"@council.gov.uk",
            "foi@council..gov.uk",
        ] {
            assert!(
                EmailAddress::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }
}
