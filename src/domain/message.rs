//! What a stored message is: which way it went, what kind of letter or reply, and where it
//! stands.

use crate::stored_enum;

stored_enum! {
    /// Which way a message went.
    pub enum Direction ("a message direction") {
        Inbound = "inbound",
        Outbound = "outbound",
    }
}

stored_enum! {
    /// What a message is: one of our letters (and staff mail), or what a council's mail
    /// was understood to be.
    pub enum MessageKind ("a message kind") {
        /// The request letter itself.
        Request = "request",
        /// An overdue reminder in the request's thread.
        Reminder = "reminder",
        /// An internal-review (EIR: reconsideration) request.
        InternalReview = "internal_review",
        /// A complaint to the regulator, drafted for staff to submit on its web form.
        Complaint = "complaint",
        /// The weekly staff digest.
        Digest = "digest",
        /// A council's answer (or what staff logged from the post or a portal).
        Response = "response",
        Acknowledgement = "acknowledgement",
        AutoReply = "auto_reply",
        /// A delivery failure report: permanent.
        BouncePermanent = "bounce_permanent",
        /// A delivery status report that only says "delayed".
        BounceDelay = "bounce_delay",
    }
}

impl MessageKind {
    /// Letters that go to the council's FOI address (not to staff or a regulator's form).
    pub fn goes_to_council(self) -> bool {
        matches!(
            self,
            MessageKind::Request | MessageKind::Reminder | MessageKind::InternalReview
        )
    }
}

stored_enum! {
    /// Where a message stands. Outbound: the outbox's states; inbound messages are `stored`.
    pub enum MessageState ("a message state") {
        Queued = "queued",
        /// Claimed by a worker under a lease.
        Sending = "sending",
        /// A transient failure; tried again at `next_attempt_at`.
        Retry = "retry",
        /// Accepted by a mail server (or recorded as sent by staff).
        Sent = "sent",
        Failed = "failed",
        /// The worker died between handing it to the server and recording the answer.
        Uncertain = "uncertain",
        /// Prepared by the daemon, waiting for staff to approve it.
        Draft = "draft",
        /// Written to a file by the file transport: nothing left this machine.
        Written = "written",
        /// An inbound message, kept.
        Stored = "stored",
    }
}

impl MessageState {
    /// The outbox states staff can list.
    pub const OUTBOX: [MessageState; 8] = [
        MessageState::Queued,
        MessageState::Sending,
        MessageState::Retry,
        MessageState::Sent,
        MessageState::Failed,
        MessageState::Uncertain,
        MessageState::Draft,
        MessageState::Written,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip_and_unknown_ones_are_errors() {
        for k in MessageKind::ALL {
            assert_eq!(MessageKind::parse(k.as_str()).unwrap(), *k);
        }
        for s in MessageState::ALL {
            assert_eq!(MessageState::parse(s.as_str()).unwrap(), *s);
        }
        let err = MessageState::parse("lost").unwrap_err().to_string();
        assert!(
            err.contains("'lost' is not a message state") && err.contains("written"),
            "{err}"
        );
        assert!(Direction::parse("sideways").is_err());
    }
}
