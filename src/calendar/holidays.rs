//! The bank holidays in force: published GOV.UK data where it exists, rules
//! elsewhere, operator corrections on top (docs/deadline-rules.md, "Which days are working days" and assumption 2).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::import::{self, ImportError};
use super::rules::{self, FIRST_YEAR, LAST_YEAR};
use super::{CalendarError, Division};

/// GOV.UK's published list, one row per (division, date), 2015–2027.
pub const EMBEDDED_TSV: &str = include_str!("../../config/calendar/uk-bank-holidays.tsv");

/// Where a holiday came from, so a reader can tell published fact from
/// derived expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HolidaySource {
    /// GOV.UK's published list embedded in the binary.
    Published,
    /// Derived by `rules::generate` for a year GOV.UK has not published.
    Rule,
    /// Supplied by the operator (GOV.UK JSON or iCalendar import).
    Operator,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Holiday {
    pub date: NaiveDate,
    pub division: Division,
    pub title: String,
    pub source: HolidaySource,
}

/// Operator-supplied corrections. Each `(division, year)` in `replace`
/// discards the standard list for that division and year before
/// `holidays` are added; holidays outside `replace` pairs are added to the
/// standard ones. A GOV.UK JSON import replaces every pair it covers, which
/// is how moved days (e.g. a corrected Scottish summer holiday) take effect;
/// an iCalendar import only adds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorHolidays {
    pub replace: Vec<(Division, i32)>,
    pub holidays: Vec<Holiday>,
}

impl OperatorHolidays {
    pub fn from_govuk_json(text: &str) -> Result<Self, ImportError> {
        let holidays = import::parse_govuk_json(text)?;
        let replace: BTreeSet<(Division, i32)> = holidays
            .iter()
            .map(|h| (h.division, h.date.year()))
            .collect();
        Ok(OperatorHolidays {
            replace: replace.into_iter().collect(),
            holidays,
        })
    }

    pub fn from_ics(text: &str, default_division: Option<Division>) -> Result<Self, ImportError> {
        Ok(OperatorHolidays {
            replace: Vec::new(),
            holidays: import::parse_ics(text, default_division)?,
        })
    }

    /// Combine two imports. Replacements only ever remove standard data, so
    /// the result does not depend on which import came first, except that a
    /// later title wins when both name the same day.
    pub fn merge(&mut self, other: OperatorHolidays) {
        self.replace.extend(other.replace);
        self.holidays.extend(other.holidays);
    }
}

/// The set of bank holidays in force for 2000–2100.
#[derive(Debug, Clone)]
pub struct HolidayCalendar {
    /// Sorted by (date, division); at most one entry per pair.
    holidays: Vec<Holiday>,
    fingerprint: u64,
}

/// Equal when the same days carry the same titles, whatever their source:
/// re-importing data that matches the standard list is not a change.
impl PartialEq for HolidayCalendar {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint
            && self.holidays.len() == other.holidays.len()
            && self
                .holidays
                .iter()
                .zip(&other.holidays)
                .all(|(a, b)| a.date == b.date && a.division == b.division && a.title == b.title)
    }
}

impl Eq for HolidayCalendar {}

impl HolidayCalendar {
    /// GOV.UK's published list for the (division, year) pairs it covers and
    /// the rule generator for every other year in 2000–2100.
    pub fn standard() -> Self {
        // The embedded file is fixed at build time and checked by the
        // `embedded_tsv_is_valid` test, so a failure here is a build defect.
        let published = parse_published_tsv(EMBEDDED_TSV)
            .expect("embedded config/calendar/uk-bank-holidays.tsv is valid");
        let covered: BTreeSet<(Division, i32)> = published
            .iter()
            .map(|h| (h.division, h.date.year()))
            .collect();
        let mut all = published;
        for year in FIRST_YEAR..=LAST_YEAR {
            for division in Division::ALL {
                if covered.contains(&(division, year)) {
                    continue;
                }
                all.extend(rules::generate_in_range(year, division).into_iter().map(
                    |(date, title)| Holiday {
                        date,
                        division,
                        title,
                        source: HolidaySource::Rule,
                    },
                ));
            }
        }
        Self::from_holidays(all)
    }

    /// The standard calendar with operator corrections applied.
    pub fn with_operator(operator: &OperatorHolidays) -> Result<Self, CalendarError> {
        Self::standard().apply(operator)
    }

    /// Apply (further) operator corrections to this calendar.
    pub fn apply(&self, operator: &OperatorHolidays) -> Result<Self, CalendarError> {
        for &(_, year) in &operator.replace {
            if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
                return Err(CalendarError::YearOutOfRange { year });
            }
        }
        for h in &operator.holidays {
            if !(FIRST_YEAR..=LAST_YEAR).contains(&h.date.year()) {
                return Err(CalendarError::OperatorHolidayOutOfRange {
                    date: h.date,
                    division: h.division.slug().to_string(),
                    title: h.title.clone(),
                });
            }
        }
        let replaced: BTreeSet<(Division, i32)> = operator.replace.iter().copied().collect();
        let mut all: Vec<Holiday> = self
            .holidays
            .iter()
            .filter(|h| !replaced.contains(&(h.division, h.date.year())))
            .cloned()
            .collect();
        all.extend(operator.holidays.iter().cloned().map(|mut h| {
            h.source = HolidaySource::Operator;
            h
        }));
        Ok(Self::from_holidays(all))
    }

    /// Later entries win over earlier ones for the same (date, division),
    /// so operator data overrides what it is appended to.
    fn from_holidays(all: Vec<Holiday>) -> Self {
        let mut by_key: BTreeMap<(NaiveDate, Division), Holiday> = BTreeMap::new();
        for h in all {
            by_key.insert((h.date, h.division), h);
        }
        let holidays: Vec<Holiday> = by_key.into_values().collect();
        let fingerprint = fnv1a(&holidays);
        HolidayCalendar {
            holidays,
            fingerprint,
        }
    }

    /// Every holiday, sorted by date then division.
    pub fn all(&self) -> &[Holiday] {
        &self.holidays
    }

    pub fn holidays_in(&self, year: i32, division: Option<Division>) -> Vec<&Holiday> {
        let start = self.holidays.partition_point(|h| h.date.year() < year);
        let end = self.holidays.partition_point(|h| h.date.year() <= year);
        self.holidays[start..end]
            .iter()
            .filter(|h| division.is_none_or(|d| h.division == d))
            .collect()
    }

    pub fn holidays_on(&self, date: NaiveDate) -> Vec<&Holiday> {
        let start = self.holidays.partition_point(|h| h.date < date);
        self.holidays[start..]
            .iter()
            .take_while(|h| h.date == date)
            .collect()
    }

    /// Holidays in force here, in `years`, that `new` no longer has (by date and division):
    /// what replacing the data with `new` would take away.
    pub fn removed_in(&self, new: &HolidayCalendar, years: &[i32]) -> Vec<Holiday> {
        let mut out = Vec::new();
        for &year in years {
            for h in self.holidays_in(year, None) {
                if !new
                    .holidays_on(h.date)
                    .iter()
                    .any(|n| n.division == h.division)
                {
                    out.push(h.clone());
                }
            }
        }
        out
    }

    /// A stable digest of (date, division, title) for every holiday, for
    /// callers deciding whether stored deadlines need recomputing after a
    /// feed refresh (docs/deadline-rules.md, assumption 2). Independent of Rust version and
    /// platform, unlike `std`'s hasher.
    pub fn fingerprint(&self) -> String {
        format!("{:016x}", self.fingerprint)
    }
}

fn fnv1a(holidays: &[Holiday]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for h in holidays {
        let line = format!("{}\t{}\t{}\n", h.date, h.division.slug(), h.title);
        for byte in line.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash
}

/// GOV.UK's published list as embedded in the binary.
pub fn published_holidays() -> Vec<Holiday> {
    parse_published_tsv(EMBEDDED_TSV).unwrap_or_default()
}

/// Parse the `division<TAB>date<TAB>title` file. The message names the
/// line and field at fault.
pub fn parse_published_tsv(text: &str) -> Result<Vec<Holiday>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = line.trim_end_matches('\r');
        if line_no == 1 || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [division, date, title] = fields[..] else {
            return Err(format!(
                "line {line_no}: expected 3 tab-separated fields (division, date, title), found {}",
                fields.len()
            ));
        };
        let division: Division = division
            .parse()
            .map_err(|e| format!("line {line_no}: {e}"))?;
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| format!("line {line_no}: date {date:?} is not YYYY-MM-DD"))?;
        if title.trim().is_empty() {
            return Err(format!("line {line_no}: title is empty"));
        }
        out.push(Holiday {
            date,
            division,
            title: title.to_string(),
            source: HolidaySource::Published,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn embedded_tsv_is_valid() {
        let list = parse_published_tsv(EMBEDDED_TSV).unwrap();
        assert_eq!(list.len(), 361);
        let keys: BTreeSet<_> = list.iter().map(|h| (h.date, h.division)).collect();
        assert_eq!(keys.len(), list.len(), "duplicate (date, division) rows");
    }

    #[test]
    fn tsv_errors_name_the_line() {
        let err =
            parse_published_tsv("division\tdate\ttitle\nscotland\t2025-13-01\tX\n").unwrap_err();
        assert!(
            err.contains("line 2") && err.contains("2025-13-01"),
            "{err}"
        );
        let err = parse_published_tsv("h\nwales\t2025-01-01\tX\n").unwrap_err();
        assert!(err.contains("line 2") && err.contains("wales"), "{err}");
        let err = parse_published_tsv("h\nscotland\t2025-01-01\n").unwrap_err();
        assert!(err.contains("found 2"), "{err}");
    }

    #[test]
    fn standard_uses_published_then_rules() {
        let cal = HolidayCalendar::standard();
        let sc2026 = cal.holidays_in(2026, Some(Division::Scotland));
        assert!(sc2026.iter().all(|h| h.source == HolidaySource::Published));
        assert!(sc2026.iter().any(|h| h.title == "World Cup bank holiday"));
        let ew2030 = cal.holidays_in(2030, Some(Division::EnglandAndWales));
        assert_eq!(ew2030.len(), 8);
        assert!(ew2030.iter().all(|h| h.source == HolidaySource::Rule));
        assert!(cal.holidays_in(2101, None).is_empty());
        assert_eq!(
            cal.holidays_in(2000, None).first().unwrap().date,
            ymd(2000, 1, 3)
        );
        let boxing = cal.holidays_on(ymd(2025, 12, 26));
        assert_eq!(boxing.len(), 3);
    }

    #[test]
    fn a_partial_feed_lists_every_holiday_it_would_remove() {
        let standard = HolidayCalendar::standard();
        let ops = OperatorHolidays {
            replace: vec![(Division::Scotland, 2027)],
            holidays: vec![Holiday {
                date: ymd(2027, 1, 1),
                division: Division::Scotland,
                title: "New Year’s Day".into(),
                source: HolidaySource::Operator,
            }],
        };
        let new = HolidayCalendar::with_operator(&ops).unwrap();
        let removed = standard.removed_in(&new, &[2027]);
        let scottish = standard.holidays_in(2027, Some(Division::Scotland)).len();
        assert_eq!(removed.len(), scottish - 1, "{removed:?}");
        assert!(removed.iter().all(|h| h.division == Division::Scotland));
        assert!(!removed.iter().any(|h| h.date == ymd(2027, 1, 1)));
        // Adding a day removes nothing.
        assert!(new.removed_in(&new, &[2027]).is_empty());
        assert!(standard.removed_in(&standard, &[2026, 2027]).is_empty());
    }

    #[test]
    fn operator_replace_and_add() {
        let standard = HolidayCalendar::standard();
        let ops = OperatorHolidays {
            replace: vec![(Division::Scotland, 2030)],
            holidays: vec![
                Holiday {
                    date: ymd(2030, 1, 1),
                    division: Division::Scotland,
                    title: "New Year’s Day".into(),
                    source: HolidaySource::Published,
                },
                Holiday {
                    date: ymd(2031, 6, 16),
                    division: Division::NorthernIreland,
                    title: "Extra day".into(),
                    source: HolidaySource::Published,
                },
            ],
        };
        let cal = HolidayCalendar::with_operator(&ops).unwrap();
        assert_ne!(cal, standard);
        assert_ne!(cal.fingerprint(), standard.fingerprint());
        let sc = cal.holidays_in(2030, Some(Division::Scotland));
        assert_eq!(sc.len(), 1);
        assert_eq!(sc[0].source, HolidaySource::Operator);
        // Not replaced: the NI 2031 list keeps its rule days plus the extra.
        let ni = cal.holidays_in(2031, Some(Division::NorthernIreland));
        assert_eq!(ni.len(), 11);
        assert_eq!(
            cal.holidays_in(2030, Some(Division::EnglandAndWales)).len(),
            8
        );
    }

    #[test]
    fn identical_operator_data_is_not_a_change() {
        let standard = HolidayCalendar::standard();
        let same: Vec<Holiday> = standard
            .holidays_in(2025, Some(Division::Scotland))
            .into_iter()
            .cloned()
            .collect();
        let ops = OperatorHolidays {
            replace: vec![(Division::Scotland, 2025)],
            holidays: same,
        };
        let cal = standard.apply(&ops).unwrap();
        assert_eq!(cal, standard);
        assert_eq!(cal.fingerprint(), standard.fingerprint());
        assert_eq!(
            standard.fingerprint(),
            HolidayCalendar::standard().fingerprint()
        );
    }

    #[test]
    fn operator_years_out_of_range_are_errors() {
        let ops = OperatorHolidays {
            replace: vec![(Division::Scotland, 1999)],
            holidays: vec![],
        };
        assert_eq!(
            HolidayCalendar::with_operator(&ops),
            Err(CalendarError::YearOutOfRange { year: 1999 })
        );
        let ops = OperatorHolidays {
            replace: vec![],
            holidays: vec![Holiday {
                date: ymd(2101, 1, 1),
                division: Division::Scotland,
                title: "Far future".into(),
                source: HolidaySource::Operator,
            }],
        };
        let err = HolidayCalendar::with_operator(&ops)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("2101-01-01") && err.contains("Far future"),
            "{err}"
        );
    }
}
