//! How a request reaches the council, and the staff tasks that a request not sent by email
//! needs: foi can email a letter itself, but someone has to paste it into a council's web
//! form or put it in the post.

use super::{ParseError, RequestState};
use crate::stored_enum;

stored_enum! {
    /// How the request (and every letter after it) goes to the council.
    pub enum Channel ("a way of sending a request") {
        /// From foi's outbox, to the council's FOI address.
        Email = "email",
        /// Pasted by staff into the council's own web form; the form may give a case number.
        Portal = "portal",
        /// Printed and posted by staff.
        Post = "post",
    }
}

impl Default for Channel {
    /// Every request made before channels existed went by email.
    fn default() -> Self {
        Channel::Email
    }
}

impl Channel {
    /// foi sends the letters itself only by email; the others are staff tasks.
    pub fn by_email(self) -> bool {
        self == Channel::Email
    }

    /// "through the council's web form", for sentences about a letter.
    pub fn how(self) -> &'static str {
        match self {
            Channel::Email => "by email",
            Channel::Portal => "through the council's web form",
            Channel::Post => "by post",
        }
    }
}

/// The case number a council's web form gave a request, as staff typed it: one line of at
/// most 200 characters, since letters quote it.
pub fn parse_portal_reference(s: &str) -> Result<String, ParseError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(ParseError::new("the portal reference is empty"));
    }
    if s.chars().count() > 200 {
        return Err(ParseError::new(format!(
            "the portal reference is {} characters long; at most 200",
            s.chars().count()
        )));
    }
    if s.chars().any(char::is_control) {
        return Err(ParseError::new(
            "the portal reference must be one line of text, without control characters",
        ));
    }
    Ok(s.to_string())
}

stored_enum! {
    /// What a staff task asks for.
    pub enum TaskKind ("a task kind") {
        /// Submit the request letter itself (a request queued for the web form or the post).
        Submit = "submit",
        /// Send the overdue reminder.
        Reminder = "reminder",
        /// Ask for the internal review.
        InternalReview = "internal_review",
    }
}

impl TaskKind {
    /// What staff are asked to do, with the command that records it done.
    pub fn instruction(self, channel: Channel, reference: &str) -> String {
        let deliver = |what: &str| match channel {
            Channel::Portal => format!("paste {what} into the council's web form"),
            Channel::Post => format!("print, sign and post {what}"),
            Channel::Email => format!("email {what} to the council"),
        };
        match self {
            TaskKind::Submit => {
                let case = if channel == Channel::Portal {
                    " --portal-ref CASE"
                } else {
                    ""
                };
                format!(
                    "{}, then record the day with `foi requests sent {reference} --on DATE{case}`",
                    deliver("the request letter")
                )
            }
            TaskKind::Reminder => format!(
                "{}, then record it with `foi requests chased {reference} --on DATE`",
                deliver("the overdue reminder")
            ),
            TaskKind::InternalReview => format!(
                "{}, then record it with `foi requests chased {reference} --on DATE` (the review clock starts that day)",
                deliver("the internal-review request")
            ),
        }
    }

    /// Whether the task still makes sense for a request in `state`: a reminder to a council
    /// that has answered since would be a wrong letter.
    pub fn applies_in(self, state: RequestState) -> bool {
        use RequestState as S;
        match self {
            TaskKind::Submit => matches!(state, S::Draft | S::Queued | S::DeliveryFailed),
            // Still waiting for the answer. An extension starts a new period of waiting, and a
            // new task if that runs out too; a due date moved later by holiday data (back to
            // `sent`) is the same period, so its task stays rather than being lost.
            TaskKind::Reminder => {
                matches!(
                    state,
                    S::Sent | S::Acknowledged | S::Overdue | S::VeryOverdue
                )
            }
            // A review of lateness, or (asked for with `foi review`) of the council's answer;
            // a review task older than the answer is weeded out by the services, which know
            // when the answer came.
            TaskKind::InternalReview => {
                matches!(
                    state,
                    S::Sent
                        | S::Acknowledged
                        | S::Overdue
                        | S::VeryOverdue
                        | S::Refused
                        | S::PartiallySuccessful
                        | S::NotHeld
                )
            }
        }
    }

    /// The tasks `foi requests chased` closes (a request still to be submitted is recorded
    /// with `foi requests sent`).
    pub fn is_chase(self) -> bool {
        matches!(self, TaskKind::Reminder | TaskKind::InternalReview)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip_and_unknown_ones_are_errors() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()).unwrap(), *c);
        }
        for k in TaskKind::ALL {
            assert_eq!(TaskKind::parse(k.as_str()).unwrap(), *k);
        }
        let err = Channel::parse("pigeon").unwrap_err().to_string();
        assert!(
            err.contains("'pigeon' is not a way of sending a request")
                && err.contains("email, portal, post"),
            "{err}"
        );
        assert!(TaskKind::parse("lunch").is_err());
    }

    #[test]
    fn portal_references_are_one_short_line() {
        assert_eq!(parse_portal_reference("  CASE-42 ").unwrap(), "CASE-42");
        assert!(parse_portal_reference(" ").is_err());
        assert!(parse_portal_reference("a\nBcc: x").is_err());
        assert!(parse_portal_reference(&"x".repeat(201)).is_err());
    }

    #[test]
    fn tasks_say_how_and_how_to_record_them() {
        let s = TaskKind::Submit.instruction(Channel::Portal, "foi-2026-0001");
        assert!(
            s.contains("web form") && s.contains("--portal-ref CASE"),
            "{s}"
        );
        let s = TaskKind::Submit.instruction(Channel::Post, "foi-2026-0001");
        assert!(s.contains("post") && !s.contains("--portal-ref"), "{s}");
        let s = TaskKind::InternalReview.instruction(Channel::Post, "foi-2026-0001");
        assert!(s.contains("foi requests chased foi-2026-0001"), "{s}");
    }

    #[test]
    fn a_chase_task_lapses_once_the_council_has_answered() {
        for k in [TaskKind::Reminder, TaskKind::InternalReview] {
            assert!(k.applies_in(RequestState::Overdue));
            assert!(k.applies_in(RequestState::VeryOverdue));
            assert!(!k.applies_in(RequestState::ResponseReceived));
            assert!(!k.applies_in(RequestState::Withdrawn));
            assert!(!k.applies_in(RequestState::InternalReview));
            assert!(!k.applies_in(RequestState::Extended));
        }
        assert!(TaskKind::Submit.applies_in(RequestState::Queued));
        assert!(!TaskKind::Submit.applies_in(RequestState::Sent));
    }
}
