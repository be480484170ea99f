use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Regime {
    Foia,
    Foisa,
    Eir,
    Eisr,
}

impl Regime {
    pub fn as_str(self) -> &'static str {
        match self {
            Regime::Foia => "FOIA",
            Regime::Foisa => "FOISA",
            Regime::Eir => "EIR",
            Regime::Eisr => "EISR",
        }
    }
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
}

impl FromStr for Regime {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "foia" => Ok(Regime::Foia),
            "foisa" => Ok(Regime::Foisa),
            "eir" => Ok(Regime::Eir),
            "eisr" => Ok(Regime::Eisr),
            other => Err(format!(
                "'{other}' is not a regime (foia, foisa, eir, eisr)"
            )),
        }
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
