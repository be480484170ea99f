use super::{ParseError, RequestState};
use std::fmt;

/// What staff record about a council's reply (`foi classify`, `foi log-response`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Outcome {
    Successful,
    PartiallySuccessful,
    Refused,
    NotHeld,
    ClarificationRequested,
    FeesNotice,
    Extended,
    Withdrawn,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Successful => "successful",
            Outcome::PartiallySuccessful => "partially_successful",
            Outcome::Refused => "refused",
            Outcome::NotHeld => "not_held",
            Outcome::ClarificationRequested => "clarification_requested",
            Outcome::FeesNotice => "fees_notice",
            Outcome::Extended => "extended",
            Outcome::Withdrawn => "withdrawn",
        }
    }

    pub fn state(self) -> RequestState {
        match self {
            Outcome::Successful => RequestState::Successful,
            Outcome::PartiallySuccessful => RequestState::PartiallySuccessful,
            Outcome::Refused => RequestState::Refused,
            Outcome::NotHeld => RequestState::NotHeld,
            Outcome::ClarificationRequested => RequestState::ClarificationRequested,
            Outcome::FeesNotice => RequestState::FeesNotice,
            Outcome::Extended => RequestState::Extended,
            Outcome::Withdrawn => RequestState::Withdrawn,
        }
    }

    /// The substantive answers (see `is_final`).
    pub const FINAL: [Outcome; 4] = [
        Outcome::Successful,
        Outcome::PartiallySuccessful,
        Outcome::Refused,
        Outcome::NotHeld,
    ];

    /// A substantive answer: it stops the response clock and opens the review window.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Outcome::Successful
                | Outcome::PartiallySuccessful
                | Outcome::Refused
                | Outcome::NotHeld
        )
    }

    /// Exemptions only make sense where something was withheld.
    pub fn allows_exemptions(self) -> bool {
        matches!(
            self,
            Outcome::PartiallySuccessful | Outcome::Refused | Outcome::Extended
        )
    }

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim();
        [
            Outcome::Successful,
            Outcome::PartiallySuccessful,
            Outcome::Refused,
            Outcome::NotHeld,
            Outcome::ClarificationRequested,
            Outcome::FeesNotice,
            Outcome::Extended,
            Outcome::Withdrawn,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
        .ok_or_else(|| ParseError::new(format!("'{s}' is not an outcome")))
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
