//! The request lifecycle: every way a request changes state, in one place. Pure: callers
//! store the result and put it on the timeline.

use super::{Outcome, RequestState as S};
use crate::calendar::{ClockEventKind as K, Deadlines};

/// What happened to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A mail server accepted the request letter.
    LetterAccepted,
    /// The request letter could not be delivered (refused by the server, or bounced).
    LetterUndelivered,
    /// Staff put an undelivered request letter back in the outbox.
    Resend,
    /// The council acknowledged the request.
    Acknowledged,
    /// A reply arrived that reads as the council's answer.
    ResponseArrived,
    /// Staff recorded what the answer was.
    Classified(Outcome),
    /// A statutory clock event was recorded; `clock` is the clock it results in.
    Clock(K, ClockView),
    /// The sweep found the response overdue (`very`: past the very-overdue point).
    Late { very: bool },
    /// The sweep found an overdue request's due date moved later, past today.
    NoLongerLate(ClockView),
    /// The sweep found a clarification given or a fee paid: the clock runs again.
    ClockResumed(ClockView),
    /// The sweep found a fees notice unpaid three months on.
    FeeUnpaid,
    /// The council's internal review (reconsideration) decided: `upheld` when its answer
    /// stands, wholly or in part.
    ReviewDecided { upheld: bool },
    /// Staff submitted a complaint to the ICO or an application to the SIC.
    ComplaintMade,
}

/// What the clock says, as far as the state is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockView {
    /// The council waits for the requester (a clarification or a fee).
    pub stopped: bool,
    /// An extension is in force (40 working days).
    pub extended: bool,
}

impl ClockView {
    pub fn of(d: &Deadlines) -> Self {
        ClockView {
            stopped: d.stopped(),
            extended: d.working_days > 20,
        }
    }

    /// The state that says "waiting for the council's answer" on this clock.
    pub fn waiting(self) -> S {
        if self.extended {
            S::Extended
        } else {
            S::Sent
        }
    }
}

/// What a trigger does to a request in a given state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    To(S),
    /// Noted on the timeline, but the state stays (an acknowledgement after the answer, say).
    Stay,
}

/// The one table of moves. Anything not listed leaves the state as it is.
pub fn next(current: S, trigger: Trigger) -> Move {
    use Trigger as T;
    // Waiting for the council's answer, the clock running.
    let waiting = matches!(
        current,
        S::Sent | S::Acknowledged | S::Extended | S::Overdue | S::VeryOverdue
    );
    let to = match trigger {
        T::LetterAccepted if matches!(current, S::Draft | S::Queued | S::DeliveryFailed) => {
            Some(S::Sent)
        }
        // After the council has answered, a bounce says nothing about the request.
        T::LetterUndelivered if current == S::Queued || waiting && current != S::Extended => {
            Some(S::DeliveryFailed)
        }
        T::Resend if current == S::DeliveryFailed => Some(S::Queued),
        T::Acknowledged
            if matches!(
                current,
                S::Sent | S::Overdue | S::VeryOverdue | S::DeliveryFailed
            ) =>
        {
            Some(S::Acknowledged)
        }
        // During a review (or after one) a reply is the review's outcome or about the
        // complaint: staff record it as such; the state says where the request stands.
        T::ResponseArrived
            if !matches!(
                current,
                S::Withdrawn
                    | S::InternalReview
                    | S::ReviewUpheld
                    | S::ReviewOverturned
                    | S::Complaint
            ) =>
        {
            Some(S::ResponseReceived)
        }
        // Staff know best what the answer was, whatever the request showed.
        T::Classified(o) => Some(o.state()),
        T::Clock(kind, clock) => on_clock(current, kind, clock, waiting),
        T::Late { very }
            if matches!(
                current,
                S::Sent | S::Acknowledged | S::Extended | S::Overdue
            ) =>
        {
            Some(if very { S::VeryOverdue } else { S::Overdue })
        }
        T::NoLongerLate(clock) if matches!(current, S::Overdue | S::VeryOverdue) => {
            Some(clock.waiting())
        }
        T::ClockResumed(clock)
            if matches!(current, S::ClarificationRequested | S::FeesNotice) && !clock.stopped =>
        {
            Some(clock.waiting())
        }
        T::FeeUnpaid if current == S::FeesNotice => Some(S::FeeLapsed),
        T::ReviewDecided { upheld } if current == S::InternalReview => Some(if upheld {
            S::ReviewUpheld
        } else {
            S::ReviewOverturned
        }),
        // Whatever the council did last: an answer, a review, or nothing in time.
        T::ComplaintMade
            if matches!(
                current,
                S::Refused
                    | S::PartiallySuccessful
                    | S::NotHeld
                    | S::Overdue
                    | S::VeryOverdue
                    | S::InternalReview
                    | S::ReviewUpheld
                    | S::ReviewOverturned
            ) =>
        {
            Some(S::Complaint)
        }
        _ => None,
    };
    match to {
        Some(s) if s != current => Move::To(s),
        _ => Move::Stay,
    }
}

fn on_clock(current: S, kind: K, clock: ClockView, waiting: bool) -> Option<S> {
    match kind {
        // The letter went (by hand, through a portal or by post): the clock runs from here.
        K::Received if matches!(current, S::Draft | S::Queued | S::DeliveryFailed) => {
            Some(clock.waiting())
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
            ) && !clock.stopped =>
        {
            Some(clock.waiting())
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use S::*;

    const RUNNING: ClockView = ClockView {
        stopped: false,
        extended: false,
    };
    const EXTENDED: ClockView = ClockView {
        stopped: false,
        extended: true,
    };
    const STOPPED: ClockView = ClockView {
        stopped: true,
        extended: false,
    };

    /// Every trigger with the states it moves, and where to; every other state stays put.
    fn table() -> Vec<(Trigger, Vec<(S, S)>)> {
        use Trigger as T;
        let from = |states: &[S], to: S| states.iter().map(|s| (*s, to)).collect::<Vec<_>>();
        let answered_or_waiting = [
            Sent,
            Acknowledged,
            Extended,
            Overdue,
            VeryOverdue,
            ResponseReceived,
        ];
        let not_yet_extended: Vec<S> = answered_or_waiting
            .iter()
            .copied()
            .filter(|s| *s != Extended)
            .collect();
        let mut t = vec![
            (
                T::LetterAccepted,
                from(&[Draft, Queued, DeliveryFailed], Sent),
            ),
            (
                T::LetterUndelivered,
                from(
                    &[Queued, Sent, Acknowledged, Overdue, VeryOverdue],
                    DeliveryFailed,
                ),
            ),
            (T::Resend, from(&[DeliveryFailed], Queued)),
            (
                T::Acknowledged,
                from(&[Sent, Overdue, VeryOverdue, DeliveryFailed], Acknowledged),
            ),
            (
                T::ResponseArrived,
                from(
                    &S::ALL
                        .iter()
                        .copied()
                        .filter(|s| {
                            !matches!(
                                s,
                                Withdrawn
                                    | ResponseReceived
                                    | InternalReview
                                    | ReviewUpheld
                                    | ReviewOverturned
                                    | Complaint
                            )
                        })
                        .collect::<Vec<_>>(),
                    ResponseReceived,
                ),
            ),
            (
                T::Late { very: false },
                from(&[Sent, Acknowledged, Extended], Overdue),
            ),
            (
                T::Late { very: true },
                from(&[Sent, Acknowledged, Extended, Overdue], VeryOverdue),
            ),
            (
                T::NoLongerLate(RUNNING),
                from(&[Overdue, VeryOverdue], Sent),
            ),
            (
                T::NoLongerLate(EXTENDED),
                from(&[Overdue, VeryOverdue], Extended),
            ),
            (
                T::ClockResumed(RUNNING),
                from(&[ClarificationRequested, FeesNotice], Sent),
            ),
            (T::ClockResumed(STOPPED), vec![]),
            (T::FeeUnpaid, from(&[FeesNotice], FeeLapsed)),
            (
                T::Clock(K::Received, RUNNING),
                from(&[Draft, Queued, DeliveryFailed], Sent),
            ),
            (
                T::Clock(K::ClarificationRequested, STOPPED),
                from(&answered_or_waiting, ClarificationRequested),
            ),
            (
                T::Clock(K::FeesNoticeGiven, STOPPED),
                from(&answered_or_waiting, FeesNotice),
            ),
            (
                T::Clock(K::ClarificationReceived, RUNNING),
                from(&[ClarificationRequested, FeesNotice, FeeLapsed], Sent),
            ),
            (
                T::Clock(K::FeeReceived, EXTENDED),
                from(&[ClarificationRequested, FeesNotice, FeeLapsed], Extended),
            ),
            // A second stop still outstanding: the clock has not restarted.
            (T::Clock(K::ClarificationReceived, STOPPED), vec![]),
            (
                T::Clock(K::PublicInterestExtension, EXTENDED),
                from(&not_yet_extended, Extended),
            ),
            (
                T::Clock(K::EirExtension, EXTENDED),
                from(&not_yet_extended, Extended),
            ),
            (
                T::Clock(K::InternalReviewRequested, RUNNING),
                from(
                    &S::ALL
                        .iter()
                        .copied()
                        .filter(|s| {
                            !matches!(s, Draft | Queued | Withdrawn | Complaint | InternalReview)
                        })
                        .collect::<Vec<_>>(),
                    InternalReview,
                ),
            ),
            (
                T::ReviewDecided { upheld: true },
                from(&[InternalReview], ReviewUpheld),
            ),
            (
                T::ReviewDecided { upheld: false },
                from(&[InternalReview], ReviewOverturned),
            ),
            (
                T::ComplaintMade,
                from(
                    &[
                        Refused,
                        PartiallySuccessful,
                        NotHeld,
                        Overdue,
                        VeryOverdue,
                        InternalReview,
                        ReviewUpheld,
                        ReviewOverturned,
                    ],
                    Complaint,
                ),
            ),
            (T::Clock(K::ResponseReceived, RUNNING), vec![]),
            (T::Clock(K::ReviewOutcomeReceived, RUNNING), vec![]),
        ];
        for o in [
            Outcome::Successful,
            Outcome::PartiallySuccessful,
            Outcome::Refused,
            Outcome::NotHeld,
            Outcome::ClarificationRequested,
            Outcome::FeesNotice,
            Outcome::Extended,
            Outcome::Withdrawn,
        ] {
            let to = o.state();
            let others: Vec<S> = S::ALL.iter().copied().filter(|s| *s != to).collect();
            t.push((T::Classified(o), from(&others, to)));
        }
        t
    }

    #[test]
    fn every_move_allowed_and_refused() {
        for (trigger, moves) in table() {
            for state in S::ALL {
                let want = moves
                    .iter()
                    .find(|(f, _)| *f == state)
                    .map(|(_, to)| Move::To(*to))
                    .unwrap_or(Move::Stay);
                assert_eq!(next(state, trigger), want, "{state} + {trigger:?}");
            }
        }
    }
}
