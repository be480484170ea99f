//! Precomputed working-day index: O(1) "add N working days" and "how many
//! working days between" for 2000-01-01..=2100-12-31, for both calendars of
//! docs/deadline-rules.md, "Which days are working days".

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::{easter, CalendarError, Division, HolidayCalendar, Regime};

pub const RANGE_START: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!("2000-01-01 is a valid date"),
};
pub const RANGE_END: NaiveDate = match NaiveDate::from_ymd_opt(2100, 12, 31) {
    Some(d) => d,
    None => panic!("2100-12-31 is a valid date"),
};

/// One regime family's working days.
#[derive(Debug, Clone)]
struct DayTable {
    /// `cumulative[i]` = working days in `RANGE_START..=RANGE_START + i`.
    cumulative: Vec<u32>,
    /// `working[k]` = the (k+1)-th working day of the range.
    working: Vec<NaiveDate>,
}

impl DayTable {
    fn build(non_working: &[bool]) -> Self {
        let mut cumulative = Vec::with_capacity(non_working.len());
        let mut working = Vec::new();
        let mut count = 0u32;
        for (i, &closed) in non_working.iter().enumerate() {
            if !closed {
                count += 1;
                working.push(RANGE_START + Duration::days(i as i64));
            }
            cumulative.push(count);
        }
        DayTable {
            cumulative,
            working,
        }
    }
}

/// Working-day calendars for every regime, built once from a
/// `HolidayCalendar` and then queried without allocation.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    /// FOIA and EIR: Sat, Sun, 25 Dec, Good Friday and every division's bank
    /// holidays (rule a2, rule c1).
    uk: DayTable,
    /// FOISA and EISR: Sat, Sun, 25 Dec and the Scottish list (rule b2, c3).
    scottish: DayTable,
    holidays: HolidayCalendar,
    start_ce: i32,
}

impl WorkingCalendar {
    pub fn new(holidays: &HolidayCalendar) -> Self {
        let days = (RANGE_END - RANGE_START).num_days() as usize + 1;
        let mut uk = vec![false; days];
        let mut scottish = vec![false; days];
        let offset = |d: NaiveDate| -> Option<usize> {
            let i = (d - RANGE_START).num_days();
            usize::try_from(i).ok().filter(|&i| i < days)
        };

        for (i, (u, s)) in uk.iter_mut().zip(scottish.iter_mut()).enumerate() {
            let d = RANGE_START + Duration::days(i as i64);
            let closed = matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
                || (d.month() == 12 && d.day() == 25);
            *u = closed;
            *s = closed;
        }
        // Good Friday is named in FOIA s.10(6) because in E&W and NI it is a
        // common-law holiday, so it must not depend on the holiday list.
        for year in RANGE_START.year()..=RANGE_END.year() {
            if let Some(i) = easter::good_friday(year).and_then(offset) {
                uk[i] = true;
            }
        }
        for h in holidays.all() {
            if let Some(i) = offset(h.date) {
                uk[i] = true;
                if h.division == Division::Scotland {
                    scottish[i] = true;
                }
            }
        }

        WorkingCalendar {
            uk: DayTable::build(&uk),
            scottish: DayTable::build(&scottish),
            holidays: holidays.clone(),
            start_ce: RANGE_START.num_days_from_ce(),
        }
    }

    /// The holiday data this index was built from.
    pub fn holidays(&self) -> &HolidayCalendar {
        &self.holidays
    }

    /// The fingerprint of the holiday data this index was built from.
    pub fn fingerprint(&self) -> String {
        self.holidays.fingerprint()
    }

    fn table(&self, regime: Regime) -> &DayTable {
        if regime.is_scottish() {
            &self.scottish
        } else {
            &self.uk
        }
    }

    #[inline]
    fn offset(&self, date: NaiveDate) -> Result<usize, CalendarError> {
        let i = date.num_days_from_ce() - self.start_ce;
        usize::try_from(i)
            .ok()
            .filter(|&i| i < self.uk.cumulative.len())
            .ok_or(CalendarError::DateOutOfRange { date })
    }

    pub fn is_working(&self, regime: Regime, date: NaiveDate) -> Result<bool, CalendarError> {
        let i = self.offset(date)?;
        let cum = &self.table(regime).cumulative;
        let before = if i == 0 { 0 } else { cum[i - 1] };
        Ok(cum[i] > before)
    }

    /// The date of working day `n`, counting `date` as day 0 whether or not
    /// it is itself a working day (the counting convention). `n == 0` gives `date` back.
    #[inline]
    pub fn add_working_days(
        &self,
        regime: Regime,
        date: NaiveDate,
        n: u32,
    ) -> Result<NaiveDate, CalendarError> {
        let i = self.offset(date)?;
        if n == 0 {
            return Ok(date);
        }
        let table = self.table(regime);
        // cumulative[i] working days are on or before day 0, so working day
        // n is the (cumulative[i] + n)-th of the range.
        let out_of_range = CalendarError::CountOutOfRange {
            from: date,
            working_days: n,
        };
        let k = (table.cumulative[i] as usize)
            .checked_add(n as usize - 1)
            .ok_or(out_of_range.clone())?;
        table.working.get(k).copied().ok_or(out_of_range)
    }

    /// Working days in `from` (exclusive) ..= `to` (inclusive); negative when
    /// `to` is before `from`. `working_days_between(d, add_working_days(d, n))
    /// == n`, so for a due date and today it is "working days overdue".
    pub fn working_days_between(
        &self,
        regime: Regime,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<i64, CalendarError> {
        let (a, b) = (self.offset(from)?, self.offset(to)?);
        let cum = &self.table(regime).cumulative;
        Ok(i64::from(cum[b]) - i64::from(cum[a]))
    }

    /// Why `date` is not a working day under `regime`, or `None` if it is
    /// one. Names the provision so the reader can check the law.
    pub fn non_working_reason(
        &self,
        regime: Regime,
        date: NaiveDate,
    ) -> Result<Option<String>, CalendarError> {
        if self.is_working(regime, date)? {
            return Ok(None);
        }
        match date.weekday() {
            Weekday::Sat => return Ok(Some("Saturday".into())),
            Weekday::Sun => return Ok(Some("Sunday".into())),
            _ => {}
        }
        if date.month() == 12 && date.day() == 25 {
            return Ok(Some("Christmas Day".into()));
        }
        let scottish = regime.is_scottish();
        if !scottish && easter::good_friday(date.year()) == Some(date) {
            return Ok(Some("Good Friday".into()));
        }

        // Group divisions by title: GOV.UK sometimes titles one day
        // differently per division (e.g. 2 Jan 2017).
        let mut groups: Vec<(&str, Vec<Division>)> = Vec::new();
        for h in self.holidays.holidays_on(date) {
            if scottish && h.division != Division::Scotland {
                continue;
            }
            match groups.iter_mut().find(|(t, _)| *t == h.title) {
                Some((_, divs)) => divs.push(h.division),
                None => groups.push((&h.title, vec![h.division])),
            }
        }
        if groups.is_empty() {
            return Ok(Some("non-working day".into()));
        }
        let described: Vec<String> = groups
            .iter()
            .map(|(title, divs)| {
                let who = if divs.len() == Division::ALL.len() {
                    "UK-wide".to_string()
                } else {
                    divs.iter()
                        .map(|d| d.label())
                        .collect::<Vec<_>>()
                        .join(" / ")
                };
                format!("{who} bank holiday ({title})")
            })
            .collect();
        // Under FOIA/EIR a day off in one nation is a day off everywhere
        // (rule a2), which surprises readers, hence "counts".
        let verb = if scottish { "under" } else { "counts under" };
        Ok(Some(format!(
            "{} {verb} {}",
            described.join("; "),
            regime.working_day_provision()
        )))
    }
}

/// The definition of a working day (docs/deadline-rules.md, rules a2, b2),
/// evaluated directly from the holiday list with no precomputation. Used to
/// check the index.
pub fn naive_is_working(holidays: &HolidayCalendar, regime: Regime, date: NaiveDate) -> bool {
    if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
        return false;
    }
    if date.month() == 12 && date.day() == 25 {
        return false;
    }
    if !regime.is_scottish() && easter::good_friday(date.year()) == Some(date) {
        return false;
    }
    !holidays
        .holidays_on(date)
        .iter()
        .any(|h| !regime.is_scottish() || h.division == Division::Scotland)
}

/// The counting convention's reference algorithm: `d = receipt; k = 0; while k < N { d += 1;
/// if is_working(d) { k += 1 } }`. `None` only past chrono's last date.
pub fn naive_add_working_days(
    holidays: &HolidayCalendar,
    regime: Regime,
    receipt: NaiveDate,
    n: u32,
) -> Option<NaiveDate> {
    let mut d = receipt;
    let mut k = 0;
    while k < n {
        d = d.succ_opt()?;
        if naive_is_working(holidays, regime, d) {
            k += 1;
        }
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn cal() -> WorkingCalendar {
        WorkingCalendar::new(&HolidayCalendar::standard())
    }

    #[test]
    fn spec_row_0_worked_example() {
        let c = cal();
        let r = ymd(2024, 3, 26);
        assert_eq!(
            c.add_working_days(Regime::Foia, r, 1).unwrap(),
            ymd(2024, 3, 27)
        );
        assert_eq!(
            c.add_working_days(Regime::Foia, r, 20).unwrap(),
            ymd(2024, 4, 25)
        );
        assert_eq!(
            c.add_working_days(Regime::Foisa, r, 20).unwrap(),
            ymd(2024, 4, 24)
        );
        assert_eq!(c.add_working_days(Regime::Foia, r, 0).unwrap(), r);
    }

    #[test]
    fn out_of_range_is_an_error() {
        let c = cal();
        let early = ymd(1999, 12, 31);
        assert_eq!(
            c.add_working_days(Regime::Foia, early, 20),
            Err(CalendarError::DateOutOfRange { date: early })
        );
        assert!(c.is_working(Regime::Foisa, ymd(2101, 1, 1)).is_err());
        let late = ymd(2100, 12, 20);
        let err = c.add_working_days(Regime::Foia, late, 20).unwrap_err();
        assert_eq!(
            err,
            CalendarError::CountOutOfRange {
                from: late,
                working_days: 20
            }
        );
        assert!(err.to_string().contains("2100-12-20"));
        assert!(c
            .working_days_between(Regime::Eir, ymd(2025, 1, 1), NaiveDate::MAX)
            .is_err());
        assert!(c.non_working_reason(Regime::Eir, NaiveDate::MIN).is_err());
        assert!(c.is_working(Regime::Foia, RANGE_START).is_ok());
        assert!(c.is_working(Regime::Foia, RANGE_END).is_ok());
    }

    #[test]
    fn reasons_name_the_right_provision() {
        let c = cal();
        let reason = |r, d| c.non_working_reason(r, d).unwrap();
        assert_eq!(
            reason(Regime::Foia, ymd(2025, 6, 7)).as_deref(),
            Some("Saturday")
        );
        assert_eq!(reason(Regime::Foia, ymd(2025, 6, 9)), None);
        assert_eq!(
            reason(Regime::Foisa, ymd(2025, 12, 25)).as_deref(),
            Some("Christmas Day")
        );
        assert_eq!(
            reason(Regime::Foia, ymd(2025, 4, 18)).as_deref(),
            Some("Good Friday")
        );
        assert_eq!(
            reason(Regime::Foisa, ymd(2025, 4, 18)).as_deref(),
            Some("Scottish bank holiday (Good Friday) under FOISA s.73")
        );
        assert_eq!(
            reason(Regime::Foia, ymd(2025, 12, 1)).as_deref(),
            Some("Scottish bank holiday (St Andrew’s Day (substitute day)) counts under FOIA s.10(6)")
        );
        assert_eq!(
            reason(Regime::Eir, ymd(2025, 3, 17)).as_deref(),
            Some("Northern Ireland bank holiday (St Patrick’s Day) counts under EIR reg 2(1)")
        );
        assert_eq!(
            reason(Regime::Eisr, ymd(2025, 12, 1)).as_deref(),
            Some("Scottish bank holiday (St Andrew’s Day (substitute day)) under EISR reg 2")
        );
        assert_eq!(
            reason(Regime::Foia, ymd(2025, 5, 5)).as_deref(),
            Some("UK-wide bank holiday (Early May bank holiday) counts under FOIA s.10(6)")
        );
        assert_eq!(
            reason(Regime::Foia, ymd(2025, 4, 21)).as_deref(),
            Some("England and Wales / Northern Ireland bank holiday (Easter Monday) counts under FOIA s.10(6)")
        );
        // Easter Monday and 12 Jul are Scottish working days (rule b2).
        assert_eq!(reason(Regime::Foisa, ymd(2025, 4, 21)), None);
        assert_eq!(reason(Regime::Foisa, ymd(2025, 7, 14)), None);
    }

    #[test]
    fn index_matches_definition_everywhere() {
        let holidays = HolidayCalendar::standard();
        let c = WorkingCalendar::new(&holidays);
        let mut d = RANGE_START;
        while d <= RANGE_END {
            for r in [Regime::Foia, Regime::Foisa] {
                assert_eq!(
                    c.is_working(r, d).unwrap(),
                    naive_is_working(&holidays, r, d),
                    "{r} {d}"
                );
            }
            d += Duration::days(1);
        }
    }
}
