//! Western Easter by the Anonymous Gregorian computus (Meeus/Jones/Butcher).
//!
//! Good Friday is named in FOIA s.10(6) (rule a2) and is a Scottish statutory
//! bank holiday (rule b2), so years beyond the published list need Easter.

use chrono::{Duration, NaiveDate};

/// Easter Sunday for a Gregorian year. `None` only for years chrono cannot
/// represent.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}

pub fn good_friday(year: i32) -> Option<NaiveDate> {
    easter_sunday(year).map(|d| d - Duration::days(2))
}

pub fn easter_monday(year: i32) -> Option<NaiveDate> {
    easter_sunday(year).map(|d| d + Duration::days(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn known_easters() {
        assert_eq!(easter_sunday(2000), Some(ymd(2000, 4, 23)));
        assert_eq!(easter_sunday(2008), Some(ymd(2008, 3, 23)));
        assert_eq!(easter_sunday(2011), Some(ymd(2011, 4, 24)));
        assert_eq!(easter_sunday(2024), Some(ymd(2024, 3, 31)));
        assert_eq!(easter_sunday(2038), Some(ymd(2038, 4, 25)));
        assert_eq!(easter_sunday(2100), Some(ymd(2100, 3, 28)));
        assert_eq!(good_friday(2025), Some(ymd(2025, 4, 18)));
        assert_eq!(easter_monday(2027), Some(ymd(2027, 3, 29)));
    }
}
