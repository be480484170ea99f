//! The four access-to-information regimes a council request can run under.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::CalendarError;

/// Which statute governs a request. The regime decides the working-day
/// calendar (docs/deadline-rules.md, "Which days are working days"), the time limits and the regulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Regime {
    /// Freedom of Information Act 2000 (England, Wales, NI, UK-wide bodies).
    Foia,
    /// Freedom of Information (Scotland) Act 2002.
    Foisa,
    /// Environmental Information Regulations 2004.
    Eir,
    /// Environmental Information (Scotland) Regulations 2004.
    Eisr,
}

impl Regime {
    pub const ALL: [Regime; 4] = [Regime::Foia, Regime::Foisa, Regime::Eir, Regime::Eisr];

    pub fn as_str(self) -> &'static str {
        match self {
            Regime::Foia => "FOIA",
            Regime::Foisa => "FOISA",
            Regime::Eir => "EIR",
            Regime::Eisr => "EISR",
        }
    }

    /// Scottish regimes count only Scottish bank holidays (rule b2, rule c3);
    /// the others count every UK division's (rule a2, rule c1).
    pub fn is_scottish(self) -> bool {
        matches!(self, Regime::Foisa | Regime::Eisr)
    }

    pub fn act_name(self) -> &'static str {
        match self {
            Regime::Foia => "Freedom of Information Act 2000",
            Regime::Foisa => "Freedom of Information (Scotland) Act 2002",
            Regime::Eir => "Environmental Information Regulations 2004",
            Regime::Eisr => "Environmental Information (Scotland) Regulations 2004",
        }
    }

    pub fn regulator(self) -> &'static str {
        if self.is_scottish() {
            "Scottish Information Commissioner"
        } else {
            "Information Commissioner"
        }
    }

    pub fn regulator_short(self) -> &'static str {
        if self.is_scottish() {
            "SIC"
        } else {
            "ICO"
        }
    }

    /// The provision defining "working day", quoted in skip reasons so a
    /// reader can check the law behind each skipped day.
    pub fn working_day_provision(self) -> &'static str {
        match self {
            Regime::Foia => "FOIA s.10(6)",
            Regime::Foisa => "FOISA s.73",
            Regime::Eir => "EIR reg 2(1)",
            Regime::Eisr => "EISR reg 2",
        }
    }

    /// The provision that disregards the fees-notice period (rule f). The
    /// EISR reference is by analogy with EIR reg 8 and is unverified.
    pub fn fees_provision(self) -> &'static str {
        match self {
            Regime::Foia => "s.10(2)",
            Regime::Foisa => "s.10(3)",
            Regime::Eir => "reg 8",
            Regime::Eisr => "reg 8",
        }
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Regime {
    type Err = CalendarError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "foia" => Ok(Regime::Foia),
            "foisa" => Ok(Regime::Foisa),
            "eir" => Ok(Regime::Eir),
            "eisr" => Ok(Regime::Eisr),
            _ => Err(CalendarError::UnknownRegime {
                given: s.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively_and_round_trips() {
        for r in Regime::ALL {
            assert_eq!(r.as_str().parse::<Regime>().unwrap(), r);
            assert_eq!(r.as_str().to_lowercase().parse::<Regime>().unwrap(), r);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str().to_lowercase()));
            assert_eq!(serde_json::from_str::<Regime>(&json).unwrap(), r);
        }
    }

    #[test]
    fn unknown_regime_lists_valid_values() {
        let err = "gdpr".parse::<Regime>().unwrap_err().to_string();
        assert!(err.contains("\"gdpr\""), "{err}");
        assert!(err.contains("foia, foisa, eir, eisr"), "{err}");
    }

    #[test]
    fn regulators() {
        assert_eq!(Regime::Foia.regulator_short(), "ICO");
        assert_eq!(Regime::Eisr.regulator_short(), "SIC");
        assert_eq!(
            Regime::Foisa.regulator(),
            "Scottish Information Commissioner"
        );
        assert_eq!(
            Regime::Eir.act_name(),
            "Environmental Information Regulations 2004"
        );
    }
}
