//! Errors shared by the calendar's building blocks.

use chrono::NaiveDate;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    #[error("unknown regime {given:?}: expected one of foia, foisa, eir, eisr")]
    UnknownRegime { given: String },

    #[error(
        "unknown bank-holiday division {given:?}: expected one of \
         england-and-wales, scotland, northern-ireland"
    )]
    UnknownDivision { given: String },

    #[error("year {year} is outside the supported range 2000–2100")]
    YearOutOfRange { year: i32 },

    #[error("date {date} is outside the supported range 2000-01-01 to 2100-12-31")]
    DateOutOfRange { date: NaiveDate },

    #[error(
        "counting {working_days} working days from {from} runs past 2100-12-31, \
         the end of the supported range"
    )]
    CountOutOfRange { from: NaiveDate, working_days: u32 },

    #[error("adding {months} calendar months to {date} leaves the representable date range")]
    MonthsOutOfRange { date: NaiveDate, months: u32 },

    #[error("disregarded period starts on {start} but ends earlier, on {end}")]
    InvalidPeriod { start: NaiveDate, end: NaiveDate },

    #[error(
        "operator holiday {title:?} on {date} ({division}) is outside the supported \
         years 2000–2100"
    )]
    OperatorHolidayOutOfRange {
        date: NaiveDate,
        division: String,
        title: String,
    },
}
