//! Calendar-month arithmetic for the periods that are not working days: the
//! three-month fee window (rule f) and the SIC six-month window (rule h2).
//!
//! "Month" means calendar month (Interpretation Act 1978 Sch 1). We use the
//! corresponding-date rule with month-end clamping (docs/deadline-rules.md, assumption 4): that
//! is an engineering assumption, not verified for FOISA s.47.

use chrono::{Datelike, NaiveDate};

use super::CalendarError;

/// The corresponding date `months` calendar months later; when that month is
/// too short the last day of the month is used (31 Jan + 1 = 28/29 Feb).
pub fn add_months(date: NaiveDate, months: u32) -> Result<NaiveDate, CalendarError> {
    let overflow = CalendarError::MonthsOutOfRange { date, months };
    let zero_based = i64::from(date.month0()) + i64::from(months);
    let year = i64::from(date.year()) + zero_based.div_euclid(12);
    let year = i32::try_from(year).map_err(|_| overflow.clone())?;
    let month = (zero_based.rem_euclid(12) + 1) as u32;
    let day = date.day().min(days_in_month(year, month));
    NaiveDate::from_ymd_opt(year, month, day).ok_or(overflow)
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap_year(year) => 29,
        _ => 28,
    }
}

fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn month_end_clamping() {
        assert_eq!(add_months(ymd(2025, 1, 31), 1).unwrap(), ymd(2025, 2, 28));
        assert_eq!(add_months(ymd(2024, 1, 31), 1).unwrap(), ymd(2024, 2, 29));
        assert_eq!(add_months(ymd(2100, 1, 31), 1).unwrap(), ymd(2100, 2, 28));
        assert_eq!(add_months(ymd(2000, 1, 31), 1).unwrap(), ymd(2000, 2, 29));
        assert_eq!(add_months(ymd(2025, 8, 31), 6).unwrap(), ymd(2026, 2, 28));
        assert_eq!(add_months(ymd(2025, 11, 30), 3).unwrap(), ymd(2026, 2, 28));
    }

    #[test]
    fn corresponding_date_and_year_rollover() {
        assert_eq!(add_months(ymd(2025, 3, 10), 3).unwrap(), ymd(2025, 6, 10));
        assert_eq!(add_months(ymd(2025, 10, 15), 6).unwrap(), ymd(2026, 4, 15));
        assert_eq!(
            add_months(ymd(2025, 12, 31), 12).unwrap(),
            ymd(2026, 12, 31)
        );
        assert_eq!(add_months(ymd(2025, 5, 5), 0).unwrap(), ymd(2025, 5, 5));
    }

    #[test]
    fn overflow_is_an_error() {
        let err = add_months(NaiveDate::MAX, 1).unwrap_err();
        assert!(matches!(err, CalendarError::MonthsOutOfRange { .. }));
        assert!(add_months(ymd(2025, 1, 1), u32::MAX).is_err());
    }
}
