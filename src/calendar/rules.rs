//! Bank holidays derived from rules, for years the published GOV.UK list
//! does not cover (docs/deadline-rules.md, "Which days are working days").
//!
//! The base schedule is the Banking and Financial Dealings Act 1971 Sch 1 as
//! amended (St Andrew's Day Bank Holiday (Scotland) Act 2007) together with
//! the recurring annual proclamations (1 Jan and early May in E&W/NI, 12 Jul,
//! the Scottish spring holiday, Boxing Day in Scotland), all of which are
//! bank holidays "under" the Act (rules a2, b2). One-off proclamations cannot
//! be derived, so they come from the `PROCLAMATIONS` table.

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::easter;
use super::{CalendarError, Division};

pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;

const NEW_YEAR: &str = "New Year’s Day";
const SECOND_JANUARY: &str = "2nd January";
const ST_PATRICK: &str = "St Patrick’s Day";
const GOOD_FRIDAY: &str = "Good Friday";
const EASTER_MONDAY: &str = "Easter Monday";
const EARLY_MAY: &str = "Early May bank holiday";
const SPRING: &str = "Spring bank holiday";
const BOYNE: &str = "Battle of the Boyne (Orangemen’s Day)";
const SUMMER: &str = "Summer bank holiday";
const ST_ANDREW: &str = "St Andrew’s Day";
const CHRISTMAS: &str = "Christmas Day";
const BOXING: &str = "Boxing Day";
const SUBSTITUTE_SUFFIX: &str = " (substitute day)";

/// A movable holiday that a proclamation may shift to another date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    EarlyMay,
    Spring,
}

#[derive(Debug, Clone, Copy)]
enum Change {
    /// The regular holiday in `slot` is moved to `to` and retitled.
    Move {
        slot: Slot,
        to: (i32, u32, u32),
        title: &'static str,
    },
    /// An extra, one-off bank holiday.
    Add {
        on: (i32, u32, u32),
        title: &'static str,
    },
}

const ALL_DIVISIONS: &[Division] = &[
    Division::EnglandAndWales,
    Division::Scotland,
    Division::NorthernIreland,
];

/// Known one-off proclamations in 2000–2100. Entries from 2015 on are taken
/// from the published GOV.UK list (config/calendar/uk-bank-holidays.tsv), so
/// the generator-vs-TSV test checks them; the 2002, 2011 and 2012 entries
/// predate that list and are recorded from the proclamations as generally
/// reported (Golden Jubilee Mon 3 Jun 2002 with spring moved to Tue 4 Jun;
/// royal wedding Fri 29 Apr 2011; spring moved to Mon 4 Jun 2012 with the
/// Diamond Jubilee on Tue 5 Jun). No future proclamation is invented: they
/// arrive through operator data (docs/deadline-rules.md, assumption 2).
const PROCLAMATIONS: &[(&[Division], Change)] = &[
    (
        ALL_DIVISIONS,
        Change::Move {
            slot: Slot::Spring,
            to: (2002, 6, 4),
            title: SPRING,
        },
    ),
    (
        ALL_DIVISIONS,
        Change::Add {
            on: (2002, 6, 3),
            title: "Queen’s Golden Jubilee",
        },
    ),
    (
        ALL_DIVISIONS,
        Change::Add {
            on: (2011, 4, 29),
            title: "Royal wedding",
        },
    ),
    (
        ALL_DIVISIONS,
        Change::Move {
            slot: Slot::Spring,
            to: (2012, 6, 4),
            title: SPRING,
        },
    ),
    (
        ALL_DIVISIONS,
        Change::Add {
            on: (2012, 6, 5),
            title: "Queen’s Diamond Jubilee",
        },
    ),
    (
        ALL_DIVISIONS,
        Change::Move {
            slot: Slot::EarlyMay,
            to: (2020, 5, 8),
            title: "Early May bank holiday (VE day)",
        },
    ),
    (
        ALL_DIVISIONS,
        Change::Move {
            slot: Slot::Spring,
            to: (2022, 6, 2),
            title: SPRING,
        },
    ),
    (
        ALL_DIVISIONS,
        Change::Add {
            on: (2022, 6, 3),
            title: "Platinum Jubilee bank holiday",
        },
    ),
    (
        ALL_DIVISIONS,
        Change::Add {
            on: (2022, 9, 19),
            title: "Bank Holiday for the State Funeral of Queen Elizabeth II",
        },
    ),
    (
        ALL_DIVISIONS,
        Change::Add {
            on: (2023, 5, 8),
            title: "Bank holiday for the coronation of King Charles III",
        },
    ),
    (
        &[Division::Scotland],
        Change::Add {
            on: (2026, 6, 15),
            title: "World Cup bank holiday",
        },
    ),
];

/// The bank holidays of `year` in `division`, sorted by date, with GOV.UK's
/// titles. Errors for years outside 2000–2100.
pub fn generate(year: i32, division: Division) -> Result<Vec<(NaiveDate, String)>, CalendarError> {
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Err(CalendarError::YearOutOfRange { year });
    }
    Ok(generate_in_range(year, division))
}

/// Every date below exists for years in range, which `generate` has checked.
pub(crate) fn generate_in_range(year: i32, division: Division) -> Vec<(NaiveDate, String)> {
    let scotland = division == Division::Scotland;
    let ni = division == Division::NorthernIreland;

    // Movable and proclaimed days stand on the exact date named; only the
    // fixed-date days below get substitutes.
    let mut placed: Vec<(NaiveDate, String)> = Vec::new();
    let mut fixed: Vec<(NaiveDate, &str)> = vec![(ymd(year, 1, 1), NEW_YEAR)];
    if scotland {
        fixed.push((ymd(year, 1, 2), SECOND_JANUARY));
    }
    if ni {
        fixed.push((ymd(year, 3, 17), ST_PATRICK));
        fixed.push((ymd(year, 7, 12), BOYNE));
    }
    // The 2007 Act took effect for St Andrew's Day 2007 onwards.
    if scotland && year >= 2007 {
        fixed.push((ymd(year, 11, 30), ST_ANDREW));
    }
    fixed.push((ymd(year, 12, 25), CHRISTMAS));
    fixed.push((ymd(year, 12, 26), BOXING));

    if let Some(gf) = easter::good_friday(year) {
        placed.push((gf, GOOD_FRIDAY.to_string()));
    }
    // Easter Monday is not a Scottish bank holiday (rule b2).
    if !scotland {
        if let Some(em) = easter::easter_monday(year) {
            placed.push((em, EASTER_MONDAY.to_string()));
        }
    }

    let mut early_may = (first_monday(year, 5), EARLY_MAY.to_string());
    let mut spring = (last_monday(year, 5), SPRING.to_string());
    // Scotland's summer holiday is the FIRST Monday in August (1971 Sch 1
    // para 2); elsewhere it is the last.
    let summer = if scotland {
        first_monday(year, 8)
    } else {
        last_monday(year, 8)
    };
    placed.push((summer, SUMMER.to_string()));

    for (divisions, change) in PROCLAMATIONS {
        if !divisions.contains(&division) {
            continue;
        }
        match *change {
            Change::Move { slot, to, title } if to.0 == year => {
                let moved = (ymd(to.0, to.1, to.2), title.to_string());
                match slot {
                    Slot::EarlyMay => early_may = moved,
                    Slot::Spring => spring = moved,
                }
            }
            Change::Add { on, title } if on.0 == year => {
                placed.push((ymd(on.0, on.1, on.2), title.to_string()));
            }
            _ => {}
        }
    }
    placed.push(early_may);
    placed.push(spring);

    // Fixed-date days on a weekday stand; weekend ones move to the next
    // weekday not already a bank holiday, in date order. That reproduces the
    // statutory "27th December if 25th or 26th is a Sunday" and Scotland's
    // "3rd January if 1st or 2nd is a Sunday", and GOV.UK's Saturday
    // substitutes (e.g. 2021: Christmas Sat -> Mon 27, Boxing Sun -> Tue 28).
    let mut taken: BTreeSet<NaiveDate> = placed.iter().map(|(d, _)| *d).collect();
    let (weekday_fixed, weekend_fixed): (Vec<_>, Vec<_>) =
        fixed.into_iter().partition(|(d, _)| !is_weekend(*d));
    for (d, title) in weekday_fixed {
        taken.insert(d);
        placed.push((d, title.to_string()));
    }
    for (d, title) in weekend_fixed {
        let mut sub = d + Duration::days(1);
        while is_weekend(sub) || taken.contains(&sub) {
            sub += Duration::days(1);
        }
        taken.insert(sub);
        placed.push((sub, format!("{title}{SUBSTITUTE_SUFFIX}")));
    }

    placed.sort();
    placed
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn first_monday(year: i32, month: u32) -> NaiveDate {
    let first = ymd(year, month, 1);
    let offset = (7 - first.weekday().num_days_from_monday()) % 7;
    first + Duration::days(i64::from(offset))
}

fn last_monday(year: i32, month: u32) -> NaiveDate {
    let last = ymd(year, month, super::months::days_in_month(year, month));
    last - Duration::days(i64::from(last.weekday().num_days_from_monday()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(year: i32, division: Division) -> Vec<String> {
        generate(year, division)
            .unwrap()
            .into_iter()
            .map(|(d, t)| format!("{d} {t}"))
            .collect()
    }

    /// (division, date) pairs where the published list and the rules may
    /// legitimately disagree on the DATE. Empty: every published date from
    /// 2015 to 2027 follows from the schedule plus `PROCLAMATIONS`. (The
    /// Scottish 2027 summer holiday, corrected by GOV.UK in Jan 2025 (see
    /// docs/deadline-rules.md, assumption 2), now reads Mon 2 Aug 2027, the
    /// first Monday, which is what the rule gives.)
    const DATE_EXCEPTIONS: &[(Division, &str)] = &[];

    /// Days whose date matches but whose TITLE differs from the rules.
    const TITLE_EXCEPTIONS: &[(Division, &str, &str)] = &[
        // 2023: Sun 1 Jan and Mon 2 Jan. Sch 1 para 2 of the 1971 Act keeps
        // 2 January on Monday and moves New Year's Day to 3 January (GOV.UK
        // titles 2017, the same pattern, that way), but GOV.UK's 2023 data
        // labels Mon 2 Jan as the New Year substitute and Tue 3 Jan as the
        // 2 January substitute. Same days off, so no deadline changes.
        (
            Division::Scotland,
            "2023-01-02",
            "New Year’s Day (substitute day)",
        ),
        (
            Division::Scotland,
            "2023-01-03",
            "2nd January (substitute day)",
        ),
    ];

    #[test]
    fn generator_reproduces_published_list_2015_to_2027() {
        use crate::calendar::holidays::published_holidays;

        let published = published_holidays();
        let years: BTreeSet<i32> = published.iter().map(|h| h.date.year()).collect();
        assert_eq!(years, (2015..=2027).collect::<BTreeSet<_>>());

        let date_exception = |div: Division, date: NaiveDate| {
            DATE_EXCEPTIONS
                .iter()
                .any(|&(d, s)| d == div && s == date.to_string())
        };
        let published_keys: BTreeSet<(Division, NaiveDate)> =
            published.iter().map(|h| (h.division, h.date)).collect();
        let mut generated: Vec<(Division, NaiveDate, String)> = Vec::new();
        for year in 2015..=2027 {
            for division in Division::ALL {
                for (date, title) in generate(year, division).unwrap() {
                    generated.push((division, date, title));
                }
            }
        }
        let generated_keys: BTreeSet<(Division, NaiveDate)> =
            generated.iter().map(|(d, date, _)| (*d, *date)).collect();

        let missing: Vec<_> = published_keys
            .difference(&generated_keys)
            .filter(|(d, date)| !date_exception(*d, *date))
            .collect();
        let extra: Vec<_> = generated_keys
            .difference(&published_keys)
            .filter(|(d, date)| !date_exception(*d, *date))
            .collect();
        assert!(
            missing.is_empty(),
            "published but not generated: {missing:?}"
        );
        assert!(extra.is_empty(), "generated but not published: {extra:?}");

        let mut title_mismatches = Vec::new();
        for h in &published {
            let Some((_, _, title)) = generated
                .iter()
                .find(|(d, date, _)| *d == h.division && *date == h.date)
            else {
                continue;
            };
            if *title != h.title {
                title_mismatches.push((h.division, h.date.to_string(), h.title.clone()));
            }
        }
        let expected: Vec<(Division, String, String)> = TITLE_EXCEPTIONS
            .iter()
            .map(|&(d, date, t)| (d, date.to_string(), t.to_string()))
            .collect();
        assert_eq!(title_mismatches, expected);
    }

    #[test]
    fn out_of_range_years_are_errors() {
        assert_eq!(
            generate(1999, Division::Scotland),
            Err(CalendarError::YearOutOfRange { year: 1999 })
        );
        assert!(generate(2101, Division::EnglandAndWales).is_err());
        assert!(generate(2000, Division::EnglandAndWales).is_ok());
        assert!(generate(2100, Division::NorthernIreland).is_ok());
    }

    #[test]
    fn scotland_2000_new_year_on_weekend() {
        // Sat 1 Jan and Sun 2 Jan 2000 -> Mon 3 and Tue 4.
        let got = dates(2000, Division::Scotland);
        assert_eq!(got[0], "2000-01-03 New Year’s Day (substitute day)");
        assert_eq!(got[1], "2000-01-04 2nd January (substitute day)");
    }

    #[test]
    fn st_andrews_day_starts_2007_and_moves_to_monday() {
        assert!(!dates(2006, Division::Scotland)
            .iter()
            .any(|s| s.contains("Andrew")));
        // 30 Nov 2008 was a Sunday.
        assert!(dates(2008, Division::Scotland)
            .contains(&"2008-12-01 St Andrew’s Day (substitute day)".to_string()));
        // 30 Nov 2030 is a Saturday: next Monday is 2 Dec.
        assert!(dates(2030, Division::Scotland)
            .contains(&"2030-12-02 St Andrew’s Day (substitute day)".to_string()));
    }

    #[test]
    fn one_off_proclamations_before_2015() {
        let ew2012 = dates(2012, Division::EnglandAndWales);
        assert!(ew2012.contains(&"2012-06-04 Spring bank holiday".to_string()));
        assert!(ew2012.contains(&"2012-06-05 Queen’s Diamond Jubilee".to_string()));
        assert!(!ew2012.iter().any(|s| s.starts_with("2012-05-28")));
        assert!(dates(2011, Division::NorthernIreland)
            .contains(&"2011-04-29 Royal wedding".to_string()));
        let sc2002 = dates(2002, Division::Scotland);
        assert!(sc2002.contains(&"2002-06-03 Queen’s Golden Jubilee".to_string()));
        assert!(sc2002.contains(&"2002-06-04 Spring bank holiday".to_string()));
    }

    #[test]
    fn no_holiday_on_a_weekend_and_counts_are_stable() {
        for year in FIRST_YEAR..=LAST_YEAR {
            for division in Division::ALL {
                let list = generate(year, division).unwrap();
                for (d, t) in &list {
                    assert!(!is_weekend(*d), "{d} {t} falls on a weekend");
                    assert_eq!(d.year(), year, "{d} {t} leaks into another year");
                }
                let unique: BTreeSet<_> = list.iter().map(|(d, _)| *d).collect();
                assert_eq!(unique.len(), list.len(), "{year} {division} duplicates");
            }
        }
    }
}
