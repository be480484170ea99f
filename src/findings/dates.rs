//! Full dates as councils and Chinese cities write them: "12 April 2005", "12th of April
//! 2005", "April 12, 2005", "12/04/2005" (day first, as in the UK), "12.04.2005",
//! "2005-04-12", "2005年4月12日". A month and year alone is not a date, two-digit years are
//! not read (which century?), and a day that does not exist ("31/02/2005", "12/13/2005") is
//! no date at all.

use super::text::{digit, Text};
use chrono::NaiveDate;

pub(super) struct DateFind {
    pub start: usize,
    pub end: usize,
    pub date: NaiveDate,
}

const MONTHS: [(&str, u32); 24] = [
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];

/// Every date on the page, left to right, none overlapping.
pub(super) fn dates(t: &Text) -> Vec<DateFind> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.len() {
        match date_at(t, i) {
            Some((date, end)) => {
                out.push(DateFind {
                    start: i,
                    end,
                    date,
                });
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

fn ymd(y: u32, m: u32, d: u32) -> Option<NaiveDate> {
    // Outside these years a "date" is more likely a reference number.
    if !(1900..=2100).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

/// The date does not run on into more digits ("12/04/2005/7", "2005-04-12-3").
fn clean_end(t: &Text, k: usize) -> bool {
    match t.get(k) {
        None => true,
        Some(c) if super::text::is_word(c) => false,
        Some('-' | '/' | '.') => t.get(k + 1).and_then(digit).is_none(),
        Some(_) => true,
    }
}

fn date_at(t: &Text, i: usize) -> Option<(NaiveDate, usize)> {
    let c = t.get(i)?;
    if digit(c).is_some() {
        if !t.starts_number(i) {
            return None;
        }
        let (v, len, e) = t.digits(i)?;
        match len {
            4 => iso(t, v, e).or_else(|| chinese(t, v, e)),
            1 | 2 => numeric_dmy(t, v, e).or_else(|| day_month_name(t, v, e)),
            _ => None,
        }
    } else if c.is_alphabetic() {
        month_name_day(t, i)
    } else {
        None
    }
}

/// 2005-04-12 (or 2005/04/12).
fn iso(t: &Text, y: u32, e: usize) -> Option<(NaiveDate, usize)> {
    let sep = t.get(e).filter(|c| matches!(c, '-' | '/'))?;
    let (m, ml, e) = t.digits(e + 1)?;
    if ml > 2 || t.get(e) != Some(sep) {
        return None;
    }
    let (d, dl, e) = t.digits(e + 1)?;
    if dl > 2 || !clean_end(t, e) {
        return None;
    }
    Some((ymd(y, m, d)?, e))
}

/// 2005年4月12日, spaces allowed between the parts (as text taken from a PDF has them).
fn chinese(t: &Text, y: u32, e: usize) -> Option<(NaiveDate, usize)> {
    let mut k = t.ws(e);
    if t.get(k) != Some('年') {
        return None;
    }
    k = t.ws(k + 1);
    let (m, ml, e) = t.digits(k)?;
    k = t.ws(e);
    if ml > 2 || t.get(k) != Some('月') {
        return None;
    }
    k = t.ws(k + 1);
    let (d, dl, e) = t.digits(k)?;
    k = t.ws(e);
    if dl > 2 || !matches!(t.get(k), Some('日' | '号')) {
        return None;
    }
    Some((ymd(y, m, d)?, k + 1))
}

/// 12/04/2005, 12.04.2005, 12-04-2005: day first.
fn numeric_dmy(t: &Text, d: u32, e: usize) -> Option<(NaiveDate, usize)> {
    let sep = t.get(e).filter(|c| matches!(c, '/' | '.' | '-'))?;
    let (m, ml, e) = t.digits(e + 1)?;
    if ml > 2 || t.get(e) != Some(sep) {
        return None;
    }
    let (y, yl, e) = t.digits(e + 1)?;
    if yl != 4 || !clean_end(t, e) {
        return None;
    }
    Some((ymd(y, m, d)?, e))
}

fn month(t: &Text, i: usize) -> Option<(u32, usize)> {
    let (m, mut e) = MONTHS
        .iter()
        .find_map(|(w, m)| t.word(i, w).map(|e| (*m, e)))?;
    if t.get(e) == Some('.') && e - i <= 4 {
        e += 1;
    }
    Some((m, e))
}

/// "th" in "12th", whatever its case.
fn ordinal(t: &Text, e: usize) -> usize {
    ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| t.lit(e, s).filter(|&k| t.ends_word(k)))
        .unwrap_or(e)
}

/// The year after a month or day: a comma or space first, then four digits.
fn year_after(t: &Text, e: usize) -> Option<(u32, usize)> {
    let mut k = t.ws(e);
    if t.get(k) == Some(',') {
        k = t.ws(k + 1);
    }
    if k == e {
        return None;
    }
    let (y, yl, e) = t.digits(k)?;
    (yl == 4 && clean_end(t, e)).then_some((y, e))
}

/// 12 April 2005, 12th April 2005, 12th of April, 2005.
fn day_month_name(t: &Text, d: u32, e: usize) -> Option<(NaiveDate, usize)> {
    let mut k = t.ws1(ordinal(t, e))?;
    if let Some(of) = t.word(k, "of") {
        k = t.ws1(of)?;
    }
    let (m, e) = month(t, k)?;
    let (y, e) = year_after(t, e)?;
    Some((ymd(y, m, d)?, e))
}

/// April 12, 2005; April 12th 2005.
fn month_name_day(t: &Text, i: usize) -> Option<(NaiveDate, usize)> {
    let (m, e) = month(t, i)?;
    let k = t.ws1(e)?;
    let (d, dl, e) = t.digits(k)?;
    if dl > 2 {
        return None;
    }
    let (y, e) = year_after(t, ordinal(t, e))?;
    Some((ymd(y, m, d)?, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(s: &str) -> Vec<String> {
        let t = Text::new(s);
        dates(&t)
            .iter()
            .map(|d| format!("{} {}", t.slice(d.start, d.end), d.date))
            .collect()
    }

    #[test]
    fn reads_the_usual_forms() {
        for s in [
            "12 April 2005",
            "12th April 2005",
            "12th of April, 2005",
            "April 12, 2005",
            "april 12th 2005",
            "Apr. 12, 2005",
            "12/04/2005",
            "12.04.2005",
            "12-04-2005",
            "2005-04-12",
            "2005年4月12日",
            "2005 年 4 月 12 日",
            "２００５年４月１２日",
        ] {
            assert_eq!(
                found(&format!("on {s}.")),
                [format!("{s} 2005-04-12")],
                "{s}"
            );
        }
    }

    #[test]
    fn ignores_impossible_and_partial_dates() {
        for s in [
            "12/13/2005",
            "31/02/2005",
            "30 February 2005",
            "April 2005",
            "12/04/05",
            "page 5 of 12",
            "1.12.04.2005",
            "12/04/2005/7",
            "3212 April 2005",
            "12 Aprilis 2005",
            "12 April 20051",
            "0001-04-12",
            "2005年13月1日",
        ] {
            assert!(found(s).is_empty(), "{s}: {:?}", found(s));
        }
    }

    #[test]
    fn finds_several_in_order() {
        assert_eq!(
            found("From 1 May 2005 to 30/04/2010; 于2010年5月1日续签"),
            [
                "1 May 2005 2005-05-01",
                "30/04/2010 2010-04-30",
                "2010年5月1日 2010-05-01"
            ]
        );
    }
}
