//! Which timeline events the public site shows. The site tells the story of a request
//! (queued, sent, acknowledged, answered, deadlines, reviews); the workings of the outbox and
//! staff's own tasks and drafts are the campaign's business, and some of them carry
//! addresses and mail-server replies, so they stay off it.

use crate::domain::{EventKind, EventName as Named};

pub fn is_public(kind: &EventKind) -> bool {
    match kind {
        EventKind::State(_) | EventKind::Clock(_) => true,
        // Every named kind is listed, so a new one needs a decision here.
        EventKind::Other(n) => match n {
            Named::Classified
            | Named::ClockWithdrawn
            | Named::DeadlineMoved
            | Named::DeadlinesCleared
            | Named::DeadlinesSet
            | Named::ReminderQueued
            | Named::InternalReviewApproved
            | Named::InternalReviewQueued
            | Named::Chased
            | Named::ComplaintPrepared => true,
            Named::AutoReply
            | Named::Bounce
            | Named::BounceOtherRecipient
            | Named::ComplaintDrafted
            | Named::DeliveryDelayed
            | Named::DraftEdited
            | Named::InternalReviewDrafted
            | Named::NotSent
            | Named::Readdressed
            | Named::ResendRequested
            | Named::Rewritten
            | Named::SendRetry
            | Named::SendUncertain
            | Named::SharedMessageId
            | Named::StaffAlert
            | Named::TaskCreated
            | Named::TaskWithdrawn
            | Named::Written => false,
        },
    }
}

/// An event's words for the public: the hints written for staff (what to run next, a
/// command in backticks) are left out. "response from … (message 2; classify it with
/// `foi classify …`)" becomes "response from …".
pub fn public_detail(detail: &str) -> String {
    // A bracketed aside that holds a command goes whole.
    let mut out = String::with_capacity(detail.len());
    let mut rest = detail;
    while let Some(open) = rest.find('(') {
        let Some(close) = rest[open..].find(')').map(|c| open + c) else {
            break;
        };
        if rest[open..close].contains('`') {
            out.push_str(rest[..open].trim_end());
        } else {
            out.push_str(&rest[..=close]);
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    // A clause that gives a command ("…; read it with `foi drafts show 7`") ends the text.
    if let Some(tick) = out.find('`') {
        match out[..tick].rfind("; ") {
            Some(cut) => out.truncate(cut),
            None => {
                out = out.split('`').step_by(2).collect::<Vec<_>>().join("");
            }
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RequestState;

    #[test]
    fn staff_hints_are_left_out_of_public_details() {
        assert_eq!(
            public_detail("response from [email removed]: Re: foi-2026-0001 (message 2; classify it with `foi classify foi-2026-0001`)"),
            "response from [email removed]: Re: foi-2026-0001"
        );
        assert_eq!(
            public_detail("internal review request drafted (message 7); read it with `foi drafts show 7`, and send it with `foi approve x`"),
            "internal review request drafted (message 7)"
        );
        assert_eq!(
            public_detail("sent (on time) to the council"),
            "sent (on time) to the council"
        );
        assert_eq!(public_detail("run `foi x` now"), "run  now");
        assert_eq!(public_detail("unclosed (aside `x`"), "unclosed (aside");
    }

    #[test]
    fn the_story_is_public_and_the_workings_are_not() {
        assert!(is_public(&EventKind::State(RequestState::Sent)));
        assert!(is_public(&EventKind::parse("clock:received").unwrap()));
        assert!(is_public(&EventKind::Other(Named::Classified)));
        assert!(!is_public(&EventKind::Other(Named::SendRetry)));
        assert!(!is_public(&EventKind::Other(Named::StaffAlert)));
        assert!(!is_public(&EventKind::Other(Named::Written)));
    }
}
