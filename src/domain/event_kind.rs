//! What a timeline event records. Events that mark a request's new state are named after the
//! state (`overdue`, `sent`); clock events after the clock event (`clock:received`); the rest
//! have names of their own.

use super::{ParseError, RequestState};
use crate::calendar::ClockEventKind;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The request moved to (or a letter was sent in) this state.
    State(RequestState),
    /// A statutory clock event was recorded.
    Clock(ClockEventKind),
    Other(Named),
}

crate::stored_enum! {
    /// Events with names of their own.
    pub enum Named ("an event kind") {
        AutoReply = "auto_reply",
        Bounce = "bounce",
        BounceOtherRecipient = "bounce_other_recipient",
        /// Staff chased a portal or postal request by hand (`foi requests chased`).
        Chased = "chased",
        Classified = "classified",
        ClockWithdrawn = "clock_withdrawn",
        ComplaintDrafted = "complaint_drafted",
        ComplaintPrepared = "complaint_prepared",
        DeadlineMoved = "deadline_moved",
        DeadlinesCleared = "deadlines_cleared",
        DeadlinesSet = "deadlines_set",
        DeliveryDelayed = "delivery_delayed",
        /// Staff changed a draft's words; `foi approve` sends them as they are.
        DraftEdited = "draft_edited",
        InternalReviewApproved = "internal_review_approved",
        InternalReviewDrafted = "internal_review_drafted",
        InternalReviewQueued = "internal_review_queued",
        NotSent = "not_sent",
        Readdressed = "readdressed",
        ReminderQueued = "reminder_queued",
        ResendRequested = "resend_requested",
        Rewritten = "rewritten",
        SendRetry = "send_retry",
        SendUncertain = "send_uncertain",
        SharedMessageId = "shared_message_id",
        StaffAlert = "staff_alert",
        /// A staff task was made (a letter to submit through a web form or by post).
        TaskCreated = "task_created",
        /// A staff task no longer applies (the council answered, say) and was closed.
        TaskWithdrawn = "task_withdrawn",
        /// The file transport wrote a letter out (not sent).
        Written = "written",
    }
}

impl EventKind {
    pub fn as_str(&self) -> String {
        match self {
            EventKind::State(s) => s.as_str().to_string(),
            EventKind::Clock(k) => format!("clock:{k}"),
            EventKind::Other(n) => n.as_str().to_string(),
        }
    }

    /// A stored name; one the program does not know is an error.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim();
        if let Some(k) = s.strip_prefix("clock:") {
            return k
                .parse::<ClockEventKind>()
                .map(EventKind::Clock)
                .map_err(ParseError::new);
        }
        if let Ok(state) = RequestState::parse(s) {
            return Ok(EventKind::State(state));
        }
        Named::parse(s).map(EventKind::Other)
    }
}

impl From<RequestState> for EventKind {
    fn from(s: RequestState) -> Self {
        EventKind::State(s)
    }
}

impl From<Named> for EventKind {
    fn from(n: Named) -> Self {
        EventKind::Other(n)
    }
}

impl From<ClockEventKind> for EventKind {
    fn from(k: ClockEventKind) -> Self {
        EventKind::Clock(k)
    }
}

impl PartialEq<&str> for EventKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_and_unknown_ones_are_errors() {
        let mut all: Vec<EventKind> = RequestState::ALL.iter().map(|s| (*s).into()).collect();
        all.extend(ClockEventKind::ALL.iter().map(|k| EventKind::from(*k)));
        all.extend(Named::ALL.iter().map(|n| EventKind::from(*n)));
        for k in &all {
            assert_eq!(EventKind::parse(&k.as_str()).unwrap(), *k, "{k}");
        }
        // No own name shadows a state's.
        for n in Named::ALL {
            assert!(RequestState::parse(n.as_str()).is_err(), "{n}");
        }
        assert!(EventKind::parse("clock:lunch").is_err());
        assert!(EventKind::parse("mystery").is_err());
    }
}
