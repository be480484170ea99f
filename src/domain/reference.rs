use super::ParseError;
use std::fmt;

/// A request's reference, `foi-2026-0042`: short, readable over the phone, and made only of
/// characters that are safe both in a subject line and in an email local part, because
/// replies are matched by finding it in either place.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Reference(String);

pub const PREFIX: &str = "foi";

impl Reference {
    pub fn new(year: i32, number: u32) -> Self {
        Reference(format!("{PREFIX}-{year:04}-{number:04}"))
    }

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim().to_ascii_lowercase();
        let bad = || {
            ParseError::new(format!(
                "'{}' is not a request reference (expected the form foi-2026-0042)",
                input.trim()
            ))
        };
        let mut parts = s.split('-');
        let (Some(prefix), Some(year), Some(number), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if prefix != PREFIX
            || year.len() != 4
            || !year.chars().all(|c| c.is_ascii_digit())
            || number.len() < 4
            || number.len() > 9
            || !number.chars().all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        Ok(Reference(s))
    }

    pub fn year(&self) -> i32 {
        self.0[4..8].parse().unwrap_or(0)
    }

    pub fn number(&self) -> u32 {
        self.0[9..].parse().unwrap_or(0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        let r = Reference::new(2026, 42);
        assert_eq!(r.as_str(), "foi-2026-0042");
        assert_eq!(Reference::parse("FOI-2026-0042").unwrap(), r);
        assert_eq!(r.year(), 2026);
        assert_eq!(r.number(), 42);
        assert_eq!(Reference::new(2026, 12345).as_str(), "foi-2026-12345");
    }

    #[test]
    fn refuses_other_shapes() {
        for bad in [
            "",
            "foi-2026",
            "foi-26-0042",
            "abc-2026-0042",
            "foi-2026-42",
            "foi-2026-00x2",
            "foi-2026-0042-1",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad:?}");
        }
    }
}
