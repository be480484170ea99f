//! How the statutory clock moves a request between states. Pure: the callers store the result.

use super::RequestState as S;
use crate::calendar::{ClockEventKind as K, Deadlines};

/// The state that says "waiting for the council's answer", given the clock in force.
pub fn waiting_state(d: &Deadlines) -> S {
    if d.working_days > 20 {
        S::Extended
    } else {
        S::Sent
    }
}

/// The state a request moves to when `kind` is recorded on its clock (with `d` the deadlines
/// that result), or `None` when the event leaves the state as it is.
pub fn state_after_clock_event(current: S, kind: K, d: &Deadlines) -> Option<S> {
    let waiting = matches!(
        current,
        S::Sent | S::Acknowledged | S::Extended | S::Overdue | S::VeryOverdue
    );
    let next = match kind {
        // The letter went (by hand, through a portal or by post): the clock runs from here.
        K::Received if matches!(current, S::Draft | S::Queued | S::DeliveryFailed) => {
            Some(waiting_state(d))
        }
        K::ClarificationRequested if waiting || current == S::ResponseReceived => {
            Some(S::ClarificationRequested)
        }
        K::FeesNoticeGiven if waiting || current == S::ResponseReceived => Some(S::FeesNotice),
        // The clock restarts (clarification) or carries on (fee paid): the council owes an
        // answer again, and the sweep must chase it.
        K::ClarificationReceived | K::FeeReceived
            if matches!(
                current,
                S::ClarificationRequested | S::FeesNotice | S::FeeLapsed
            ) && !d.stopped() =>
        {
            Some(waiting_state(d))
        }
        K::PublicInterestExtension | K::EirExtension
            if waiting || current == S::ResponseReceived =>
        {
            Some(S::Extended)
        }
        K::InternalReviewRequested
            if !matches!(current, S::Draft | S::Queued | S::Withdrawn | S::Complaint) =>
        {
            Some(S::InternalReview)
        }
        _ => None,
    };
    next.filter(|n| *n != current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn deadlines(stopped: bool, working_days: u32) -> Deadlines {
        let d0 = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let paused = stopped;
        Deadlines {
            day_zero: d0,
            response_due: (!paused).then_some(d0),
            refusal_notice_due: None,
            very_overdue_from: None,
            fee_lapses_on: None,
            review_request_last_day: None,
            review_due: None,
            review_due_max: None,
            complaint_window_end: None,
            working_days,
            clock_paused: paused,
            started: Some(d0),
            review_requested: None,
            awaiting_clarification: stopped.then_some(d0),
        }
    }

    #[test]
    fn a_running_clock_means_waiting_for_the_council() {
        let running = deadlines(false, 20);
        for (from, kind, to) in [
            (
                S::ClarificationRequested,
                K::ClarificationReceived,
                Some(S::Sent),
            ),
            (S::FeesNotice, K::FeeReceived, Some(S::Sent)),
            (S::FeeLapsed, K::FeeReceived, Some(S::Sent)),
            (S::Queued, K::Received, Some(S::Sent)),
            (S::DeliveryFailed, K::Received, Some(S::Sent)),
            (
                S::Overdue,
                K::ClarificationRequested,
                Some(S::ClarificationRequested),
            ),
            (S::Acknowledged, K::FeesNoticeGiven, Some(S::FeesNotice)),
            (S::Sent, K::PublicInterestExtension, Some(S::Extended)),
            (
                S::Refused,
                K::InternalReviewRequested,
                Some(S::InternalReview),
            ),
            // Nothing to change: already there, or not a state this event speaks to.
            (S::Sent, K::Received, None),
            (S::Refused, K::ClarificationReceived, None),
            (S::Successful, K::FeesNoticeGiven, None),
            (S::Withdrawn, K::InternalReviewRequested, None),
        ] {
            assert_eq!(
                state_after_clock_event(from, kind, &running),
                to,
                "{from} + {kind}"
            );
        }
        // An extended clock waits in `extended`.
        assert_eq!(
            state_after_clock_event(S::FeesNotice, K::FeeReceived, &deadlines(false, 40)),
            Some(S::Extended)
        );
    }

    #[test]
    fn a_stopped_clock_leaves_the_request_where_it_is() {
        // A second clarification still outstanding, say: the clock has not restarted.
        let paused = deadlines(true, 20);
        assert_eq!(
            state_after_clock_event(S::ClarificationRequested, K::ClarificationReceived, &paused),
            None
        );
        assert_eq!(
            state_after_clock_event(S::FeesNotice, K::FeeReceived, &paused),
            None
        );
    }
}
