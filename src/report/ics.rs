//! The deadline calendar feed (`foi calendar`): one all-day event per deadline of a request
//! (response due, internal review due, complaint window end), naming the reference and the
//! council. Each event's UID is made from the reference and the deadline, so importing the
//! feed again replaces events instead of adding copies; a deadline that no longer binds
//! (the council answered, the request was withdrawn) stays in the feed, cancelled, so
//! calendars that imported it drop it.

use super::deadlines::{DeadlineKind, DueRow};
use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};

/// The stable UID of one deadline of one request.
pub fn uid(reference: &str, kind: DeadlineKind, domain: &str) -> String {
    format!("{reference}.{}@{domain}", kind.as_str())
}

/// The feed's opening lines (everything before the first event).
pub fn header(name: &str) -> String {
    let text = Calendar::new().name(name).done().to_string();
    // The library writes a whole calendar; the events are written between its lines.
    match text.rfind("END:VCALENDAR") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

pub fn footer() -> &'static str {
    "END:VCALENDAR\r\n"
}

/// The events of one request, each as iCalendar text: open deadlines confirmed, the others
/// cancelled.
pub fn events(row: &DueRow<'_>, domain: &str, stamp: DateTime<Utc>) -> String {
    let mut out = String::new();
    for kind in DeadlineKind::ALL {
        let Some(date) = kind.date(row) else { continue };
        let open = kind.open_in(row.state);
        let mut e = Event::new();
        e.uid(&uid(row.reference, kind, domain))
            .summary(&format!(
                "{}: {} – {}",
                row.reference,
                kind.words(),
                row.authority
            ))
            .description(&format!(
                "{} ({}) for {} under {}; the request is {}.{}",
                kind.words(),
                date.format("%-d %B %Y"),
                row.authority,
                row.regime.as_str(),
                row.state,
                if open {
                    ""
                } else {
                    " This deadline no longer applies."
                }
            ))
            .starts(date)
            .ends(date + chrono::Duration::days(1))
            .timestamp(stamp)
            .status(if open {
                EventStatus::Confirmed
            } else {
                EventStatus::Cancelled
            });
        out.push_str(&e.done().to_string());
    }
    out
}
