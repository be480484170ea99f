use super::ParseError;
use std::fmt;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum TwinningStatus {
    Active,
    Ended,
    Unknown,
}

impl TwinningStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TwinningStatus::Active => "active",
            TwinningStatus::Ended => "ended",
            TwinningStatus::Unknown => "unknown",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "active" => Ok(TwinningStatus::Active),
            "ended" => Ok(TwinningStatus::Ended),
            "unknown" | "" => Ok(TwinningStatus::Unknown),
            other => Err(ParseError::new(format!(
                "'{other}' is not a twinning status (active, ended, unknown)"
            ))),
        }
    }
}

impl fmt::Display for TwinningStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
