use super::{ParseError, Regime};
use std::fmt;
use std::str::FromStr;

/// The UK nation an authority sits in; it decides which FOI law applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Nation {
    England,
    Wales,
    Scotland,
    #[serde(rename = "Northern Ireland")]
    NorthernIreland,
}

impl Nation {
    pub fn as_str(self) -> &'static str {
        match self {
            Nation::England => "England",
            Nation::Wales => "Wales",
            Nation::Scotland => "Scotland",
            Nation::NorthernIreland => "Northern Ireland",
        }
    }

    /// FOISA for Scottish authorities, FOIA elsewhere (rules a1, b1 and j of docs/deadline-rules.md).
    pub fn default_regime(self) -> Regime {
        match self {
            Nation::Scotland => Regime::Foisa,
            _ => Regime::Foia,
        }
    }

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let norm: String = input
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match norm.as_str() {
            "england" => Ok(Nation::England),
            "wales" => Ok(Nation::Wales),
            "scotland" => Ok(Nation::Scotland),
            "northernireland" | "ni" => Ok(Nation::NorthernIreland),
            _ => Err(ParseError::new(format!(
                "'{}' is not a UK nation (England, Wales, Scotland, Northern Ireland)",
                input.trim()
            ))),
        }
    }

    /// Whether `regime` can lawfully apply to an authority in this nation: Scottish
    /// authorities answer under FOISA/EISR, the others under FOIA/EIR.
    pub fn allows(self, regime: Regime) -> bool {
        regime.is_scottish() == (self == Nation::Scotland)
    }
}

impl FromStr for Nation {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Nation::parse(s)
    }
}

impl fmt::Display for Nation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_picks_the_regime() {
        assert_eq!(
            Nation::parse("Northern Ireland").unwrap(),
            Nation::NorthernIreland
        );
        assert_eq!(
            Nation::parse("scotland").unwrap().default_regime(),
            Regime::Foisa
        );
        assert_eq!(
            Nation::parse("Wales").unwrap().default_regime(),
            Regime::Foia
        );
        assert!(Nation::parse("Cornwall").is_err());
        assert!(Nation::Scotland.allows(Regime::Eisr));
        assert!(!Nation::England.allows(Regime::Foisa));
    }
}
