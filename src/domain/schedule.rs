//! Cron schedules from the settings, read in Europe/London time. Pure.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;
use std::str::FromStr;

/// A cron expression from the settings: "" is off. The cron crate wants 6 or 7 fields
/// (seconds first) and numbers weekdays from Sunday = 1, so names are the safe choice.
pub fn parse_schedule(s: &str) -> Result<Option<cron::Schedule>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let fields = s.split_whitespace().count();
    if !(6..=7).contains(&fields) {
        return Err(format!(
            "'{s}' has {fields} fields; use 6 or 7 fields with seconds first, e.g. \"0 0 7 * * *\" for 07:00 daily"
        ));
    }
    cron::Schedule::from_str(s)
        .map(Some)
        .map_err(|e| format!("'{s}' is not a cron expression: {e}"))
}

/// The first time the schedule fires strictly after `now`, reading it in London time.
pub fn next_after(schedule: &cron::Schedule, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    schedule
        .after(&now.with_timezone(&London))
        .next()
        .map(|t| t.with_timezone(&Utc))
}

/// The last time the schedule fired at or before `now` (within the past 35 days).
pub fn last_tick(schedule: &cron::Schedule, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let start = (now - chrono::Duration::days(35)).with_timezone(&London);
    schedule
        .after(&start)
        .map(|t| t.with_timezone(&Utc))
        .take_while(|t| *t <= now)
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn schedules_read_in_london_time() {
        let s = parse_schedule("0 0 8 * * Mon").unwrap().unwrap();
        // Monday 2 March 2026 is GMT; Monday 6 July 2026 is BST (08:00 London = 07:00 UTC).
        let now = Utc.with_ymd_and_hms(2026, 2, 28, 12, 0, 0).unwrap();
        assert_eq!(
            next_after(&s, now),
            Some(Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap())
        );
        let now = Utc.with_ymd_and_hms(2026, 7, 4, 12, 0, 0).unwrap();
        assert_eq!(
            next_after(&s, now),
            Some(Utc.with_ymd_and_hms(2026, 7, 6, 7, 0, 0).unwrap())
        );
        assert_eq!(
            last_tick(&s, now),
            Some(Utc.with_ymd_and_hms(2026, 6, 29, 7, 0, 0).unwrap())
        );
    }

    #[test]
    fn five_field_crontab_lines_are_refused_with_advice() {
        let err = parse_schedule("0 7 * * *").unwrap_err();
        assert!(err.contains("6 or 7 fields"), "{err}");
        assert!(parse_schedule("").unwrap().is_none());
        assert!(parse_schedule("0 0 7 * * Funday").is_err());
    }
}
