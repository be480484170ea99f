//! Amounts of money: a number with a currency before it ("£12,500", "£1.2m", "GBP 4,000",
//! "RMB 50,000", "¥20,000", "人民币5万元") or after it ("50,000 yuan", "5万元", "3,000
//! pounds"). A number without a currency is never money: page numbers, years and counts of
//! people are far commoner in a released document than sums.

use super::text::{digit, is_word, Text};

/// Written before the number, symbols first so "US$" wins over "$".
const SYMBOLS: [&str; 8] = ["us$", "hk$", "£", "¥", "￥", "$", "€", "人民币"];
/// Codes, before or after the number.
const CODES: [&str; 7] = ["gbp", "rmb", "cny", "usd", "eur", "hkd", "jpy"];
/// Words written after the number.
const NAMES: [&str; 6] = ["yuan", "renminbi", "pounds", "sterling", "euros", "dollars"];

/// Every amount on the page as [start, end), left to right.
pub(super) fn amounts(t: &Text) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.len() {
        match prefixed(t, i).or_else(|| suffixed(t, i)) {
            Some(end) => {
                out.push((i, end));
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

/// A currency code as a word of its own, though the number may follow without a space
/// ("RMB50,000").
fn code(t: &Text, i: usize) -> Option<usize> {
    if !t.starts_word(i) {
        return None;
    }
    CODES
        .iter()
        .find_map(|c| t.lit(i, c))
        .filter(|&e| !t.get(e).is_some_and(char::is_alphabetic))
}

fn prefixed(t: &Text, i: usize) -> Option<usize> {
    let after = SYMBOLS
        .iter()
        .find_map(|s| {
            // "US$" begins a word ("BUS$5" is not dollars); a symbol stands anywhere.
            t.lit(i, s)
                .filter(|_| !s.starts_with(|c: char| c.is_ascii_alphabetic()) || t.starts_word(i))
        })
        .or_else(|| code(t, i))?;
    let k = t.ws(after);
    t.get(k).and_then(digit)?;
    let mut e = multiplier(t, number(t, k));
    let y = t.ws(e);
    if t.get(y) == Some('元') {
        e = y + 1;
    }
    // "£12,500abc" is not an amount; a Chinese character may follow ("£500的").
    (!t.get(e).is_some_and(is_word)).then_some(e)
}

fn suffixed(t: &Text, i: usize) -> Option<usize> {
    if t.get(i).and_then(digit).is_none() || !t.starts_number(i) {
        return None;
    }
    let e = multiplier(t, number(t, i));
    let k = t.ws(e);
    if t.get(k) == Some('元') {
        return Some(k + 1);
    }
    if k == e && t.get(e).is_some_and(is_word) {
        // "50,000yuan" is rare; "2005th" is not money.
        return None;
    }
    // "pounds sterling" is one currency.
    if let Some(p) = t.word(k, "pounds") {
        return Some(t.ws1(p).and_then(|w| t.word(w, "sterling")).unwrap_or(p));
    }
    t.any_word(k, &NAMES).or_else(|| code(t, k))
}

/// 12,500 or 1.2 or 50000, at `i` (a digit): the end.
fn number(t: &Text, i: usize) -> usize {
    let Some((_, len, mut e)) = t.digits(i) else {
        return i;
    };
    if len <= 3 {
        // Groups of three after commas; "12,50" stops at "12".
        while t.get(e) == Some(',') {
            match t.digits(e + 1) {
                Some((_, 3, g)) => e = g,
                _ => break,
            }
        }
    }
    if t.get(e) == Some('.') {
        if let Some((_, _, f)) = t.digits(e + 1) {
            e = f;
        }
    }
    e
}

/// "m", "bn", "k" close up; "million", "billion", "thousand" after a space; 万, 亿, 千.
fn multiplier(t: &Text, e: usize) -> usize {
    if let Some(m) = ["bn", "m", "k"]
        .iter()
        .find_map(|s| t.lit(e, s).filter(|&k| t.ends_word(k)))
    {
        return m;
    }
    if let Some(m) = t.any_word(t.ws(e), &["million", "billion", "thousand"]) {
        return m;
    }
    if matches!(t.get(e), Some('万' | '亿' | '千')) {
        return e + 1;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(s: &str) -> Vec<String> {
        let t = Text::new(s);
        amounts(&t).iter().map(|(a, b)| t.slice(*a, *b)).collect()
    }

    #[test]
    fn reads_amounts_with_a_currency() {
        for s in [
            "£12,500",
            "£1.2m",
            "£3 million",
            "£ 250",
            "GBP 4,000",
            "RMB 50,000",
            "RMB50,000",
            "Rmb50m",
            "¥20,000",
            "US$1,000",
            "HK$5,000",
            "50,000 yuan",
            "3,000 pounds sterling",
            "4000 GBP",
            "人民币5万元",
            "人民币 50,000 元",
            "5万元",
            "€2.5bn",
        ] {
            assert_eq!(found(&format!("of {s}, paid")), [s], "{s}");
        }
    }

    #[test]
    fn bare_numbers_are_not_money() {
        for s in [
            "page 5 of 12",
            "in 2005",
            "12 April 2005",
            "5万人",
            "12 pages",
            "£",
            "GBPX 100",
            "the RMBs 5",
            "2005年4月12日",
            "50,000 people",
        ] {
            assert!(found(s).is_empty(), "{s}: {:?}", found(s));
        }
    }

    #[test]
    fn finds_several_in_order() {
        assert_eq!(
            found("£12,500 in 2005 and £3,000 in 2006 (RMB 30,000; 人民币3万元)."),
            ["£12,500", "£3,000", "RMB 30,000", "人民币3万元"]
        );
    }
}
