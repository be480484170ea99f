use super::{ParseError, Regime};
use std::fmt;

/// An exemption (FOIA, FOISA) or exception (EIR, EISR) a council relied on, checked against
/// the regime the request was made under: FOIA s.21–s.44, FOISA s.25–s.41, EIR reg 12–13,
/// EISR reg 10–11. Stored in a canonical form: `s27`, `s40(2)`, `reg12(4)(b)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Exemption(String);

impl Exemption {
    pub fn parse(input: &str, regime: Regime) -> Result<Self, ParseError> {
        let raw = input.trim();
        let lower: String = raw
            .to_ascii_lowercase()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let body = ["section", "regulation", "reg.", "reg", "s."]
            .iter()
            .find_map(|p| lower.strip_prefix(p))
            .or_else(|| lower.strip_prefix('s'))
            .unwrap_or(&lower);
        let body = body.trim_start_matches('.');
        let digits: String = body.chars().take_while(|c| c.is_ascii_digit()).collect();
        let rest = &body[digits.len()..];
        let (letter, rest) = match rest.chars().next() {
            Some(c) if c.is_ascii_alphabetic() => (Some(c.to_ascii_uppercase()), &rest[1..]),
            _ => (None, rest),
        };
        let bad =
            |why: String| ParseError::new(format!("'{raw}' is not a {} {why}", regime.as_str()));
        let number: u32 = digits
            .parse()
            .map_err(|_| bad("exemption: expected e.g. s27 or reg12(4)(b)".into()))?;
        if !rest.is_empty() && !valid_subsections(rest) {
            return Err(bad(format!(
                "exemption: '{rest}' is not a subsection such as (1)(a)"
            )));
        }
        let (range, prefix, what) = match regime {
            Regime::Foia => (21..=44, "s", "exemptions are sections 21 to 44"),
            Regime::Foisa => (25..=41, "s", "exemptions are sections 25 to 41"),
            Regime::Eir => (12..=13, "reg", "exceptions are regulations 12 and 13"),
            Regime::Eisr => (10..=11, "reg", "exceptions are regulations 10 and 11"),
        };
        if !range.contains(&number) {
            return Err(ParseError::new(format!(
                "'{raw}' is not an exemption under {}: {what}",
                regime.as_str()
            )));
        }
        // Only FOIA has lettered sections here (s.22A, research).
        if letter.is_some() && !(regime == Regime::Foia && number == 22 && letter == Some('A')) {
            return Err(bad("exemption".into()));
        }
        let letter = letter.map(String::from).unwrap_or_default();
        Ok(Exemption(format!("{prefix}{number}{letter}{rest}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A comma-separated list, e.g. `s27,s43(2)`.
    pub fn parse_list(input: &str, regime: Regime) -> Result<Vec<Self>, ParseError> {
        let mut out: Vec<Exemption> = Vec::new();
        for part in input.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let e = Exemption::parse(part, regime)?;
            if !out.contains(&e) {
                out.push(e);
            }
        }
        Ok(out)
    }
}

fn valid_subsections(s: &str) -> bool {
    let mut rest = s;
    while !rest.is_empty() {
        let Some(inner) = rest.strip_prefix('(') else {
            return false;
        };
        let Some(end) = inner.find(')') else {
            return false;
        };
        let part = &inner[..end];
        if part.is_empty() || part.len() > 4 || !part.chars().all(|c| c.is_ascii_alphanumeric()) {
            return false;
        }
        rest = &inner[end + 1..];
    }
    true
}

impl fmt::Display for Exemption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_per_regime() {
        let p = |s, r| Exemption::parse(s, r).map(|e| e.to_string());
        assert_eq!(p("s27", Regime::Foia).unwrap(), "s27");
        assert_eq!(p("S.43(2)", Regime::Foia).unwrap(), "s43(2)");
        assert_eq!(p("section 40(2)", Regime::Foia).unwrap(), "s40(2)");
        assert_eq!(p("s22A", Regime::Foia).unwrap(), "s22A");
        assert_eq!(p("s32(1)(a)", Regime::Foisa).unwrap(), "s32(1)(a)");
        assert_eq!(p("reg 12(4)(b)", Regime::Eir).unwrap(), "reg12(4)(b)");
        assert_eq!(p("regulation 13", Regime::Eir).unwrap(), "reg13");
        assert_eq!(p("10(5)(e)", Regime::Eisr).unwrap(), "reg10(5)(e)");
    }

    #[test]
    fn out_of_range_or_malformed_is_refused() {
        for (s, r) in [
            ("s12", Regime::Foia), // the cost limit is not an exemption
            ("s45", Regime::Foia),
            ("s43", Regime::Foisa), // FOISA's commercial interests is s.33
            ("s24", Regime::Foisa),
            ("reg14", Regime::Eir),
            ("reg12", Regime::Eisr),
            ("s27(", Regime::Foia),
            ("s27x", Regime::Foia),
            ("commercial", Regime::Foia),
            ("", Regime::Foia),
        ] {
            assert!(Exemption::parse(s, r).is_err(), "{s} under {r}");
        }
        let err = Exemption::parse("s43", Regime::Foisa)
            .unwrap_err()
            .to_string();
        assert!(err.contains("25 to 41"), "{err}");
        let list = Exemption::parse_list("s27, s43(2),s27", Regime::Foia).unwrap();
        assert_eq!(
            list.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
            vec!["s27", "s43(2)"]
        );
    }
}
