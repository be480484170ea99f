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

/// What an exemption is, in words, and whether the public-interest test applies to it (a
/// qualified exemption) or not (absolute). See docs/exemptions.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Description {
    pub name: &'static str,
    pub qualified: bool,
}

/// FOIA Part II, by section.
const FOIA: &[(&str, &str, bool)] = &[
    (
        "21",
        "information reasonably accessible to the applicant by other means",
        false,
    ),
    ("22", "information intended for future publication", true),
    ("22A", "research intended for future publication", true),
    (
        "23",
        "information supplied by, or relating to, bodies dealing with security matters",
        false,
    ),
    ("24", "national security", true),
    ("26", "defence", true),
    ("27", "international relations", true),
    ("28", "relations within the United Kingdom", true),
    ("29", "the economy", true),
    (
        "30",
        "investigations and proceedings conducted by public authorities",
        true,
    ),
    ("31", "law enforcement", true),
    ("32", "court records", false),
    ("33", "audit functions", true),
    ("34", "parliamentary privilege", false),
    ("35", "formulation of government policy", true),
    (
        "36",
        "prejudice to the effective conduct of public affairs",
        true,
    ),
    ("37", "communications with the Sovereign and honours", true),
    ("38", "health and safety", true),
    ("39", "environmental information", true),
    ("40", "personal information", false),
    ("41", "information provided in confidence", false),
    ("42", "legal professional privilege", true),
    ("43", "commercial interests", true),
    ("44", "prohibitions on disclosure", false),
];

/// FOISA Part 2, by section.
const FOISA: &[(&str, &str, bool)] = &[
    ("25", "information otherwise accessible", false),
    ("26", "prohibitions on disclosure", false),
    ("27", "information intended for future publication", true),
    ("28", "relations within the United Kingdom", true),
    ("29", "formulation of Scottish Administration policy", true),
    (
        "30",
        "prejudice to the effective conduct of public affairs",
        true,
    ),
    ("31", "national security and defence", true),
    ("32", "international relations", true),
    ("33", "commercial interests and the economy", true),
    ("34", "investigations by Scottish public authorities", true),
    ("35", "law enforcement", true),
    ("36", "confidentiality", true),
    ("37", "court records", false),
    ("38", "personal information", false),
    ("39", "health, safety and the environment", true),
    ("40", "audit functions", true),
    ("41", "communications with His Majesty and honours", true),
];

impl Exemption {
    /// The exemption's name and whether it is qualified, under `regime`. Every exception
    /// under the EIR and EISR except personal data is subject to the public-interest test,
    /// weighed with a presumption in favour of disclosure.
    pub fn describe(&self, regime: Regime) -> Option<Description> {
        let code = self.0.as_str();
        let section = |table: &'static [(&str, &str, bool)]| {
            let body = code.strip_prefix('s')?;
            let end = body.find('(').unwrap_or(body.len());
            let number = &body[..end];
            table
                .iter()
                .find(|(n, _, _)| *n == number)
                .map(|(_, name, qualified)| Description {
                    name,
                    qualified: *qualified,
                })
        };
        match regime {
            Regime::Foia => section(FOIA),
            Regime::Foisa => section(FOISA),
            Regime::Eir | Regime::Eisr => {
                let (personal, not_held, names): (&str, &str, &[(&str, &'static str)]) = if regime
                    == Regime::Eir
                {
                    (
                            "reg13",
                            "reg12(4)(a)",
                            &[
                                ("reg12(4)(b)", "a manifestly unreasonable request"),
                                ("reg12(4)(c)", "a request formulated too generally"),
                                ("reg12(4)(d)", "material still in the course of completion"),
                                ("reg12(4)(e)", "internal communications"),
                                ("reg12(5)(a)", "international relations, defence, national security or public safety"),
                                ("reg12(5)(b)", "the course of justice"),
                                ("reg12(5)(c)", "intellectual property rights"),
                                ("reg12(5)(d)", "confidentiality of proceedings"),
                                ("reg12(5)(e)", "confidentiality of commercial or industrial information"),
                                ("reg12(5)(f)", "the interests of the person who provided the information"),
                                ("reg12(5)(g)", "protection of the environment"),
                            ],
                        )
                } else {
                    (
                            "reg11",
                            "reg10(4)(a)",
                            &[
                                ("reg10(4)(b)", "a manifestly unreasonable request"),
                                ("reg10(4)(c)", "a request formulated too generally"),
                                ("reg10(4)(d)", "material still in the course of completion"),
                                ("reg10(4)(e)", "internal communications"),
                                ("reg10(5)(a)", "international relations, defence, national security or public safety"),
                                ("reg10(5)(b)", "the course of justice"),
                                ("reg10(5)(c)", "intellectual property rights"),
                                ("reg10(5)(d)", "confidentiality of proceedings"),
                                ("reg10(5)(e)", "confidentiality of commercial or industrial information"),
                                ("reg10(5)(f)", "the interests of the person who provided the information"),
                                ("reg10(5)(g)", "protection of the environment"),
                            ],
                        )
                };
                if code.starts_with(personal) {
                    return Some(Description {
                        name: "personal data",
                        qualified: false,
                    });
                }
                if code.starts_with(not_held) {
                    return Some(Description {
                        name: "information not held",
                        qualified: true,
                    });
                }
                names
                    .iter()
                    .find(|(c, _)| code.starts_with(c))
                    .map(|(_, name)| Description {
                        name,
                        qualified: true,
                    })
            }
        }
    }
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
    fn exemptions_are_named_and_qualified_or_absolute() {
        fn d(s: &str, r: Regime) -> Description {
            Exemption::parse(s, r).unwrap().describe(r).unwrap()
        }
        assert_eq!(d("s27", Regime::Foia).name, "international relations");
        assert!(d("s27(1)(a)", Regime::Foia).qualified);
        assert!(d("s43(2)", Regime::Foia).qualified);
        assert!(!d("s21", Regime::Foia).qualified);
        assert!(!d("s40(2)", Regime::Foia).qualified);
        assert_eq!(
            d("s32(1)(a)", Regime::Foisa).name,
            "international relations"
        );
        assert_eq!(
            d("s33", Regime::Foisa).name,
            "commercial interests and the economy"
        );
        assert!(d("reg12(5)(e)", Regime::Eir).qualified);
        assert!(!d("reg13", Regime::Eir).qualified);
        assert_eq!(d("reg10(4)(a)", Regime::Eisr).name, "information not held");
        // Every FOIA and FOISA section the parser accepts has a name.
        for n in 21..=44 {
            if n == 25 {
                continue; // certificates for ss.23 and 24: no exemption of its own
            }
            assert!(d(&format!("s{n}"), Regime::Foia).name.len() > 3, "s{n}");
        }
        for n in 25..=41 {
            assert!(d(&format!("s{n}"), Regime::Foisa).name.len() > 3, "s{n}");
        }
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
