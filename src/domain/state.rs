use super::ParseError;
use sea_orm::{DeriveActiveEnum, EnumIter};
use std::fmt;

/// The request lifecycle of product.md. `overdue` and `very_overdue` are only ever set by the
/// deadline sweep from the statutory clock, never typed in.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
    EnumIter,
    DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum RequestState {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "queued")]
    Queued,
    #[sea_orm(string_value = "sent")]
    Sent,
    #[sea_orm(string_value = "acknowledged")]
    Acknowledged,
    #[sea_orm(string_value = "response_received")]
    ResponseReceived,
    #[sea_orm(string_value = "successful")]
    Successful,
    #[sea_orm(string_value = "partially_successful")]
    PartiallySuccessful,
    #[sea_orm(string_value = "refused")]
    Refused,
    #[sea_orm(string_value = "not_held")]
    NotHeld,
    #[sea_orm(string_value = "withdrawn")]
    Withdrawn,
    #[sea_orm(string_value = "clarification_requested")]
    ClarificationRequested,
    #[sea_orm(string_value = "fees_notice")]
    FeesNotice,
    #[sea_orm(string_value = "extended")]
    Extended,
    #[sea_orm(string_value = "delivery_failed")]
    DeliveryFailed,
    #[sea_orm(string_value = "overdue")]
    Overdue,
    #[sea_orm(string_value = "very_overdue")]
    VeryOverdue,
    #[sea_orm(string_value = "internal_review")]
    InternalReview,
    #[sea_orm(string_value = "review_upheld")]
    ReviewUpheld,
    #[sea_orm(string_value = "review_overturned")]
    ReviewOverturned,
    #[sea_orm(string_value = "complaint")]
    Complaint,
    /// A fees notice went unpaid for three months, so the duty to answer lapsed.
    #[sea_orm(string_value = "fee_lapsed")]
    FeeLapsed,
}

impl RequestState {
    pub const ALL: [RequestState; 21] = [
        RequestState::Draft,
        RequestState::Queued,
        RequestState::Sent,
        RequestState::Acknowledged,
        RequestState::ResponseReceived,
        RequestState::Successful,
        RequestState::PartiallySuccessful,
        RequestState::Refused,
        RequestState::NotHeld,
        RequestState::Withdrawn,
        RequestState::ClarificationRequested,
        RequestState::FeesNotice,
        RequestState::Extended,
        RequestState::DeliveryFailed,
        RequestState::Overdue,
        RequestState::VeryOverdue,
        RequestState::InternalReview,
        RequestState::ReviewUpheld,
        RequestState::ReviewOverturned,
        RequestState::Complaint,
        RequestState::FeeLapsed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Draft => "draft",
            RequestState::Queued => "queued",
            RequestState::Sent => "sent",
            RequestState::Acknowledged => "acknowledged",
            RequestState::ResponseReceived => "response_received",
            RequestState::Successful => "successful",
            RequestState::PartiallySuccessful => "partially_successful",
            RequestState::Refused => "refused",
            RequestState::NotHeld => "not_held",
            RequestState::Withdrawn => "withdrawn",
            RequestState::ClarificationRequested => "clarification_requested",
            RequestState::FeesNotice => "fees_notice",
            RequestState::Extended => "extended",
            RequestState::DeliveryFailed => "delivery_failed",
            RequestState::Overdue => "overdue",
            RequestState::VeryOverdue => "very_overdue",
            RequestState::InternalReview => "internal_review",
            RequestState::ReviewUpheld => "review_upheld",
            RequestState::ReviewOverturned => "review_overturned",
            RequestState::Complaint => "complaint",
            RequestState::FeeLapsed => "fee_lapsed",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        RequestState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| ParseError::new(format!("'{s}' is not a request state")))
    }

    /// States in which the authority still owes an answer, so the statutory clock is running.
    pub fn awaiting_authority(self) -> bool {
        matches!(
            self,
            RequestState::Sent
                | RequestState::Acknowledged
                | RequestState::Extended
                | RequestState::Overdue
                | RequestState::VeryOverdue
                | RequestState::InternalReview
        )
    }
}

/// Compares with a stored name, so `r.state == "sent"` reads as it is stored.
impl PartialEq<&str> for RequestState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for RequestState {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips() {
        for st in RequestState::ALL {
            assert_eq!(RequestState::parse(st.as_str()).unwrap(), st);
        }
        assert!(RequestState::parse("lost").is_err());
    }
}
