//! The optional sending window ("Mon-Fri 09:00-17:00", Europe/London): councils read mail in
//! office hours, and a letter that lands at 3 a.m. on a Sunday looks automated.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::London;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendingWindow {
    days: [bool; 7],
    start: NaiveTime,
    end: NaiveTime,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn day_index(s: &str) -> Result<usize, String> {
    let low = s.trim().to_ascii_lowercase();
    DAYS.iter()
        .position(|d| low.starts_with(d) && low.len() >= 3)
        .ok_or_else(|| format!("'{s}' is not a weekday (Mon, Tue, ... Sun)"))
}

impl SendingWindow {
    /// "" means always open. Otherwise "DAYS HH:MM-HH:MM" where DAYS is "Mon-Fri", "Mon,Wed"
    /// or "Sat-Sun".
    pub fn parse(s: &str) -> Result<Option<Self>, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        let usage = "expected e.g. \"Mon-Fri 09:00-17:00\" or \"\" for no window";
        let (days_part, times) = s.split_once(' ').ok_or_else(|| format!("'{s}': {usage}"))?;
        let mut days = [false; 7];
        for item in days_part.split(',') {
            match item.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (day_index(a)?, day_index(b)?);
                    let mut i = a;
                    loop {
                        days[i] = true;
                        if i == b {
                            break;
                        }
                        i = (i + 1) % 7;
                    }
                }
                None => days[day_index(item)?] = true,
            }
        }
        let (a, b) = times
            .trim()
            .split_once('-')
            .ok_or_else(|| format!("'{s}': {usage}"))?;
        let parse_time = |t: &str| {
            NaiveTime::parse_from_str(t.trim(), "%H:%M")
                .map_err(|_| format!("'{t}' is not a time HH:MM"))
        };
        let (start, end) = (parse_time(a)?, parse_time(b)?);
        if end <= start {
            return Err(format!("'{s}': the window must end after it starts"));
        }
        Ok(Some(SendingWindow { days, start, end }))
    }

    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&London);
        let day = local.weekday().num_days_from_monday() as usize;
        self.days[day] && local.time() >= self.start && local.time() < self.end
    }

    /// The next moment the window opens (now, if it is open).
    pub fn next_open(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        if self.is_open(now) {
            return now;
        }
        let local = now.with_timezone(&London);
        for offset in 0..8 {
            let date = local.date_naive() + Duration::days(offset);
            let day = date.weekday().num_days_from_monday() as usize;
            if !self.days[day] {
                continue;
            }
            // A start time that does not exist (a clock change) rolls to the next valid instant.
            let start = London
                .from_local_datetime(&date.and_time(self.start))
                .earliest()
                .unwrap_or_else(|| London.from_utc_datetime(&date.and_time(self.start)));
            let start = start.with_timezone(&Utc);
            if start > now {
                return start;
            }
        }
        now + Duration::days(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn office_hours_in_london_time() {
        let w = SendingWindow::parse("Mon-Fri 09:00-17:00")
            .unwrap()
            .unwrap();
        // Monday 2 March 2026, 08:30 UTC = 08:30 GMT: closed; opens at 09:00.
        assert!(!w.is_open(at("2026-03-02T08:30:00Z")));
        assert_eq!(
            w.next_open(at("2026-03-02T08:30:00Z")),
            at("2026-03-02T09:00:00Z")
        );
        // In summer time 08:30 UTC is 09:30 BST: open.
        assert!(w.is_open(at("2026-06-01T08:30:00Z")));
        // Friday after hours: next Monday 09:00.
        assert_eq!(
            w.next_open(at("2026-03-06T17:30:00Z")),
            at("2026-03-09T09:00:00Z")
        );
        assert!(SendingWindow::parse("").unwrap().is_none());
    }

    #[test]
    fn bad_windows_are_refused() {
        for bad in [
            "weekdays",
            "Mon-Fri 9-5",
            "Mon-Fri 17:00-09:00",
            "Mon-Funday 09:00-17:00",
        ] {
            assert!(SendingWindow::parse(bad).is_err(), "{bad}");
        }
        let w = SendingWindow::parse("Sat,Sun 10:00-12:00")
            .unwrap()
            .unwrap();
        assert!(w.is_open(at("2026-03-07T10:30:00Z")));
        assert!(!w.is_open(at("2026-03-06T10:30:00Z")));
    }
}
