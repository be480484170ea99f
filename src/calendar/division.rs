//! The three bank-holiday divisions of the UK, as GOV.UK names them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::CalendarError;

/// A bank-holiday division. Serialised as GOV.UK's slug so imported feeds
/// and stored data use one spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Division {
    EnglandAndWales,
    Scotland,
    NorthernIreland,
}

impl Division {
    pub const ALL: [Division; 3] = [
        Division::EnglandAndWales,
        Division::Scotland,
        Division::NorthernIreland,
    ];

    /// GOV.UK's identifier, as used in bank-holidays.json and the TSV.
    pub fn slug(self) -> &'static str {
        match self {
            Division::EnglandAndWales => "england-and-wales",
            Division::Scotland => "scotland",
            Division::NorthernIreland => "northern-ireland",
        }
    }

    /// Adjective used in reasons, e.g. "Scottish bank holiday (…)".
    pub fn label(self) -> &'static str {
        match self {
            Division::EnglandAndWales => "England and Wales",
            Division::Scotland => "Scottish",
            Division::NorthernIreland => "Northern Ireland",
        }
    }
}

impl fmt::Display for Division {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for Division {
    type Err = CalendarError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Division::ALL
            .into_iter()
            .find(|d| d.slug() == wanted)
            .ok_or_else(|| CalendarError::UnknownDivision {
                given: s.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip() {
        for d in Division::ALL {
            assert_eq!(d.slug().parse::<Division>().unwrap(), d);
            assert_eq!(
                serde_json::to_string(&d).unwrap(),
                format!("\"{}\"", d.slug())
            );
        }
        let err = "wales".parse::<Division>().unwrap_err().to_string();
        assert!(
            err.contains("england-and-wales, scotland, northern-ireland"),
            "{err}"
        );
    }
}
