//! The agreements register: what the campaign has learned about a twinning link, one fact at
//! a time, each citing its source.

use super::ParseError;
use crate::stored_enum;

stored_enum! {
    /// What a fact is about.
    pub enum FindingField ("a register field") {
        /// The day the agreement was signed (YYYY-MM-DD).
        SignedOn = "signed_on",
        /// How long it runs ("5 years", "indefinite").
        Term = "term",
        /// How often it is renewed ("every 5 years").
        RenewalCycle = "renewal_cycle",
        /// The next day the council decides again (YYYY-MM-DD): the digest warns ahead.
        NextRenewal = "next_renewal",
        /// Where it stands (active, lapsed, suspended, ended, unknown).
        Status = "status",
        /// Someone who signed it, with their role.
        Signatory = "signatory",
        /// Something either side undertook, in one area.
        Commitment = "commitment",
        /// An organisation named as proposing or facilitating the link.
        Organisation = "organisation",
        /// Money spent or received for the link.
        Money = "money",
        /// A visit made under the link.
        Visit = "visit",
    }
}

impl FindingField {
    /// A field that holds one value: a new one supersedes the last.
    pub fn single(self) -> bool {
        matches!(
            self,
            FindingField::SignedOn
                | FindingField::Term
                | FindingField::RenewalCycle
                | FindingField::NextRenewal
                | FindingField::Status
        )
    }

    /// Checks a value staff give for this field, and returns it as stored.
    pub fn parse_value(self, value: &str) -> Result<String, ParseError> {
        let v = value.trim();
        if v.is_empty() {
            return Err(ParseError::new(format!("{self}: the value is empty")));
        }
        if v.chars().any(|c| c.is_control() && c != '\n') {
            return Err(ParseError::new(format!(
                "{self}: the value has control characters"
            )));
        }
        match self {
            FindingField::SignedOn | FindingField::NextRenewal => {
                chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .map_err(|_| {
                        ParseError::new(format!("{self}: '{v}' is not a date such as 2005-04-12"))
                    })
            }
            FindingField::Status => {
                const KNOWN: [&str; 5] = ["active", "lapsed", "suspended", "ended", "unknown"];
                let s = v.to_ascii_lowercase();
                if KNOWN.contains(&s.as_str()) {
                    Ok(s)
                } else {
                    Err(ParseError::new(format!(
                        "status: '{v}' is not one of {}",
                        KNOWN.join(", ")
                    )))
                }
            }
            _ => Ok(v.to_string()),
        }
    }
}

stored_enum! {
    /// The area a commitment is in.
    pub enum CommitmentArea ("a commitment area") {
        Education = "education",
        Trade = "trade",
        Culture = "culture",
        Policing = "policing",
        Data = "data",
        Other = "other",
    }
}

stored_enum! {
    /// Whether staff stand behind a fact.
    pub enum FindingState ("a finding state") {
        /// Proposed by foi from a document's text; not a fact until confirmed.
        Suggested = "suggested",
        Confirmed = "confirmed",
        Rejected = "rejected",
        /// A later value of a one-value field replaced it.
        Superseded = "superseded",
    }
}
