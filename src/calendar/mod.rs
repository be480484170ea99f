//! UK FOI/EIR deadline calendar: bank holidays, working days and the
//! statutory clock. The legal specification is
//! docs/deadline-rules.md; comments cite its rules ("rule a2").
//!
//! Everything here is pure: holiday data is embedded at build time or passed
//! in by the caller, and no function reads files, the network or the clock.

pub mod clock;
pub mod division;
pub mod easter;
mod error;
pub mod explain;
pub mod holidays;
pub mod import;
pub mod index;
pub mod months;
pub mod moves;
pub mod regime;
pub mod rules;

pub use clock::{
    compute, count_working_days, ClockError, ClockEvent, ClockEventKind, ClockSettings, Deadlines,
    DisregardedPeriod, ReceiptRule,
};
pub use division::Division;
pub use error::CalendarError;
pub use explain::{
    explain, explain_clock, explain_clock_days, CountedDay, Explanation, SkippedDay,
};
pub use holidays::{Holiday, HolidayCalendar, HolidaySource, OperatorHolidays};
pub use import::{parse_govuk_json, parse_ics, ImportError};
pub use index::{WorkingCalendar, RANGE_END, RANGE_START};
pub use months::add_months;
pub use moves::{holiday_reasons, moves, Moved};
pub use regime::Regime;
pub use rules::generate;

/// The date in Europe/London at `now`: the law counts days in UK time (docs/deadline-rules.md,
/// assumption 5).
pub fn london_date(now: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    now.with_timezone(&chrono_tz::Europe::London).date_naive()
}
