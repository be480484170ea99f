//! Candidate facts from a document's pages.
//!
//! The rules favour precision over recall: staff read every suggestion, and a register full
//! of wrong candidates gets ignored. Each page is read on its own, since a page break rarely
//! falls inside the sentence that carries a fact, and the page number is what staff cite.

use std::collections::HashSet;

use super::dates::{dates, DateFind};
use super::money::amounts;
use super::text::{collapse, is_word, years_value, Text};
use super::watch::WatchList;
use crate::domain::FindingField;

/// A candidate fact, with where it was read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Suggestion {
    pub field: FindingField,
    /// As it would be stored: an ISO date for `signed_on`/`next_renewal`, "5 years" for a
    /// term or cycle, the amount as written for money, the watch-list name for an
    /// organisation.
    pub value: String,
    /// 1-based page of the document.
    pub page: u32,
    /// Which rule found it ("date near signed", "valid for N years", "money", "watch list").
    pub rule: &'static str,
    /// The words around it, for staff to judge.
    pub excerpt: String,
}

/// How far (in characters) a keyword may stand from the date it speaks of.
const NEAR: usize = 80;
/// Characters of context either side of a find.
const EXCERPT: usize = 60;

const SIGNING: [&str; 5] = ["signed", "signing", "signature", "signatures", "concluded"];
const SIGNING_CJK: [&str; 3] = ["签署", "签订", "签约"];
const RENEWING: [&str; 7] = [
    "renew",
    "renews",
    "renewed",
    "renewing",
    "renewal",
    "renewals",
    "renewable",
];
const RENEWING_CJK: [&str; 3] = ["续签", "续约", "续订"];

/// One find on a page, before dates are checked against the whole document.
struct Find {
    field: FindingField,
    value: String,
    rule: &'static str,
    start: usize,
    end: usize,
}

/// Every suggestion the rules find on `pages` ((page number, text)), without duplicates.
pub fn suggest(pages: &[(u32, &str)], watch: &WatchList) -> Vec<Suggestion> {
    let mut order: Vec<usize> = (0..pages.len()).collect();
    order.sort_by_key(|&k| pages[k].0);
    let read: Vec<(u32, Text, Vec<Find>)> = order
        .into_iter()
        .map(|k| {
            let (page, text) = pages[k];
            let t = Text::new(text);
            let finds = page_finds(&t, text, watch);
            (page, t, finds)
        })
        .collect();
    // A date by "renewal" that is the signing date (anywhere in the document) is the
    // agreement's start recalled, not the next decision.
    let signed: HashSet<String> = read
        .iter()
        .flat_map(|(_, _, f)| f)
        .filter(|f| f.field == FindingField::SignedOn)
        .map(|f| f.value.clone())
        .collect();
    let mut seen: HashSet<(FindingField, String, u32)> = HashSet::new();
    let mut out = Vec::new();
    for (page, t, finds) in read {
        for f in finds {
            if f.field == FindingField::NextRenewal && signed.contains(&f.value) {
                continue;
            }
            if !seen.insert((f.field, f.value.clone(), page)) {
                continue;
            }
            out.push(Suggestion {
                field: f.field,
                excerpt: t.excerpt(f.start, f.end, EXCERPT),
                value: f.value,
                page,
                rule: f.rule,
            });
        }
    }
    out
}

/// All the rules on one page, ordered by where each find starts.
fn page_finds(t: &Text, text: &str, watch: &WatchList) -> Vec<Find> {
    let mut finds = Vec::new();
    dated(t, &mut finds);
    terms(t, &mut finds);
    cycles(t, &mut finds);
    for (start, end) in amounts(t) {
        finds.push(Find {
            field: FindingField::Money,
            value: collapse(&t.slice(start, end)),
            rule: "money",
            start,
            end,
        });
    }
    for (k, start, end) in watch.find(text) {
        finds.push(Find {
            field: FindingField::Organisation,
            value: watch.terms[k].0.clone(),
            rule: "watch list",
            start,
            end,
        });
    }
    // Stable: two finds at one place keep the order of the rules above.
    finds.sort_by_key(|f| f.start);
    finds
}

/// Where English keywords (whole words, any case) and Chinese ones stand on the page.
fn keywords(t: &Text, english: &[&str], chinese: &[&str]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for i in 0..t.len() {
        if t.get(i).is_some_and(is_word) {
            if let Some(e) = t.any_word(i, english) {
                out.push((i, e));
            }
        } else if let Some(e) = chinese.iter().find_map(|w| t.lit(i, w)) {
            out.push((i, e));
        }
    }
    out
}

/// Characters between a date and a keyword; none if they overlap, `None` if a sentence ends
/// between them.
fn gap(t: &Text, d: &DateFind, (ks, ke): (usize, usize)) -> Option<usize> {
    let (a, b) = if ke <= d.start {
        (ke, d.start)
    } else if ks >= d.end {
        (d.end, ks)
    } else {
        return Some(0);
    };
    t.same_sentence(a, b).then_some(b - a)
}

fn nearest(t: &Text, d: &DateFind, keys: &[(usize, usize)]) -> Option<usize> {
    keys.iter().filter_map(|k| gap(t, d, *k)).min()
}

/// Rules 1 and 4: each date goes to the nearer of "signed" and "renew", if either is within
/// `NEAR` in the same sentence. The nearer wins because one sentence often has both ("signed
/// on 12 April 2005 and renewed on 12 April 2010").
fn dated(t: &Text, finds: &mut Vec<Find>) {
    let found = dates(t);
    if found.is_empty() {
        return;
    }
    let mut signing = keywords(t, &SIGNING, &SIGNING_CJK);
    // "续签约" is renewing, though "签约" is in it.
    signing.retain(|(s, _)| *s == 0 || t.get(s - 1) != Some('续'));
    let renewing = keywords(t, &RENEWING, &RENEWING_CJK);
    for d in found {
        let s = nearest(t, &d, &signing).filter(|g| *g <= NEAR);
        let r = nearest(t, &d, &renewing).filter(|g| *g <= NEAR);
        let (field, rule) = match (s, r) {
            (Some(s), Some(r)) if r < s => (FindingField::NextRenewal, "date near renew"),
            (Some(_), _) => (FindingField::SignedOn, "date near signed"),
            (None, Some(_)) => (FindingField::NextRenewal, "date near renew"),
            (None, None) => continue,
        };
        finds.push(Find {
            field,
            value: d.date.format("%Y-%m-%d").to_string(),
            rule,
            start: d.start,
            end: d.end,
        });
    }
}

/// A count of years at `i`, "five years": the count and the end.
fn years_at(t: &Text, i: usize) -> Option<(u32, usize)> {
    let (n, e) = t.count(i)?;
    let e = t.years(t.ws1(e)?)?;
    Some((n, e))
}

/// Chinese "五年", "5 年" at `i`.
fn cn_years_at(t: &Text, i: usize) -> Option<(u32, usize)> {
    let (n, e) = t.cn_count(i)?;
    let e = t.ws(e);
    (t.get(e) == Some('年')).then_some((n, e + 1))
}

/// Rule 3: how long the agreement runs. "valid for five years", "in force for 5 years",
/// "for a period of five (5) years", "for an initial term of 3 years", "有效期五年",
/// "有效期为5年".
fn terms(t: &Text, finds: &mut Vec<Find>) {
    for i in 0..t.len() {
        let found = term_en(t, i).or_else(|| term_cn(t, i));
        if let Some((n, end)) = found {
            finds.push(Find {
                field: FindingField::Term,
                value: years_value(n),
                rule: "valid for N years",
                start: i,
                end,
            });
        }
    }
}

fn term_en(t: &Text, i: usize) -> Option<(u32, usize)> {
    let before_for = t.word(i, "valid").or_else(|| {
        let e = t.word(i, "in")?;
        t.word(t.ws1(e)?, "force")
    });
    if let Some(e) = before_for {
        let e = t.word(t.ws1(e)?, "for")?;
        return years_at(t, t.ws1(e)?);
    }
    // "for a period of": counted from "for", so "valid for a period of" is found once
    // there, not twice.
    let mut k = t.ws1(t.word(i, "for")?)?;
    k = t.ws1(t.any_word(k, &["an", "a"])?)?;
    if let Some(e) = t.any_word(k, &["initial", "fixed", "minimum"]) {
        k = t.ws1(e)?;
    }
    k = t.ws1(t.any_word(k, &["period", "term"])?)?;
    k = t.ws1(t.word(k, "of")?)?;
    years_at(t, k)
}

fn term_cn(t: &Text, i: usize) -> Option<(u32, usize)> {
    let mut k = t.lit(i, "有效期")?;
    if t.get(k) == Some('限') {
        k += 1;
    }
    k = t.ws(k);
    if matches!(t.get(k), Some('为' | '是')) {
        k = t.ws(k + 1);
    }
    if matches!(t.get(k), Some('：' | ':')) {
        k = t.ws(k + 1);
    }
    cn_years_at(t, k)
}

/// Rule 2: how often it is renewed. "renewed every five years", "renewable every 5 years",
/// "renewed automatically every three years", "renewed for successive periods of five
/// years", "每五年续签", "每隔5年续约一次".
fn cycles(t: &Text, finds: &mut Vec<Find>) {
    for i in 0..t.len() {
        let found = cycle_en(t, i).or_else(|| cycle_cn(t, i));
        if let Some((n, end)) = found {
            finds.push(Find {
                field: FindingField::RenewalCycle,
                value: years_value(n),
                rule: "renewal cycle",
                start: i,
                end,
            });
        }
    }
}

fn cycle_en(t: &Text, i: usize) -> Option<(u32, usize)> {
    let mut k = t.any_word(i, &RENEWING)?;
    // A few words may come between ("renewable by mutual agreement every five years"),
    // but not a clause.
    for _ in 0..=3 {
        let w = t.ws1(k)?;
        if let Some(e) = t.word(w, "every") {
            let y = t.ws1(e)?;
            if let Some(e) = t.word(y, "year") {
                return Some((1, e));
            }
            return years_at(t, y);
        }
        if let Some(e) = t.word(w, "for") {
            return further_periods(t, t.ws1(e)?);
        }
        let end = (w..t.len())
            .find(|&j| !t.get(j).is_some_and(char::is_alphabetic))
            .unwrap_or(t.len());
        if end == w || !t.ends_word(end) {
            return None;
        }
        k = end;
    }
    None
}

/// "(a) further period(s) of five years" after "renewed for".
fn further_periods(t: &Text, mut k: usize) -> Option<(u32, usize)> {
    if let Some(e) = t.word(k, "a") {
        k = t.ws1(e)?;
    }
    let e = t.any_word(
        k,
        &[
            "further",
            "successive",
            "subsequent",
            "additional",
            "consecutive",
        ],
    )?;
    k = t.ws1(e)?;
    k = t.ws1(t.any_word(k, &["periods", "period", "terms", "term"])?)?;
    k = t.ws1(t.word(k, "of")?)?;
    years_at(t, k)
}

fn cycle_cn(t: &Text, i: usize) -> Option<(u32, usize)> {
    let mut k = t.lit(i, "每")?;
    if t.get(k) == Some('隔') {
        k += 1;
    }
    let (n, e) = cn_years_at(t, t.ws(k))?;
    // Up to two characters between ("每五年自动续签"), never punctuation.
    let e = t.ws(e);
    (0..=2).find_map(|skip| {
        let s = e + skip;
        if (e..s).any(|j| !t.get(j).is_some_and(crate::search::is_cjk)) {
            return None;
        }
        RENEWING_CJK
            .iter()
            .find_map(|w| t.lit(s, w))
            .map(|end| (n, end))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGREEMENT: &str = "This Friendship Agreement was signed on 12 April 2005 in Ningbo by \
        the Leader of the Council and the Mayor. It shall be valid for five years and renewed \
        every five years. The next renewal is due on 12 April 2030. The Council will \
        contribute £12,500 towards the exchange, and the Ningbo Friendship Association will \
        facilitate visits.";

    fn watch() -> WatchList {
        WatchList::parse(
            "watch.txt",
            "Ningbo Friendship Association\nConfucius Institute\n",
        )
        .unwrap()
    }

    fn brief(s: &[Suggestion]) -> Vec<(String, String, u32, &'static str)> {
        s.iter()
            .map(|s| (s.field.to_string(), s.value.clone(), s.page, s.rule))
            .collect()
    }

    fn row(f: &str, v: &str, p: u32, r: &'static str) -> (String, String, u32, &'static str) {
        (f.to_string(), v.to_string(), p, r)
    }

    #[test]
    fn reads_an_english_agreement() {
        let s = suggest(&[(1, AGREEMENT)], &watch());
        assert_eq!(
            brief(&s),
            [
                row("signed_on", "2005-04-12", 1, "date near signed"),
                row("term", "5 years", 1, "valid for N years"),
                row("renewal_cycle", "5 years", 1, "renewal cycle"),
                row("next_renewal", "2030-04-12", 1, "date near renew"),
                row("money", "£12,500", 1, "money"),
                row(
                    "organisation",
                    "Ningbo Friendship Association",
                    1,
                    "watch list"
                ),
            ]
        );
        assert!(
            s[0].excerpt.contains("signed on 12 April 2005"),
            "{}",
            s[0].excerpt
        );
        assert!(s[0].excerpt.ends_with('…'), "{}", s[0].excerpt);
        assert!(!s[0].excerpt.starts_with('…'), "{}", s[0].excerpt);
        assert!(
            s[4].excerpt.contains("contribute £12,500 towards"),
            "{}",
            s[4].excerpt
        );
        assert!(s.iter().all(|s| s.excerpt.chars().count() <= 60 * 2 + 40));
    }

    #[test]
    fn gives_the_page_each_fact_is_on() {
        let cut = AGREEMENT.find("The next renewal").unwrap();
        let (one, two) = AGREEMENT.split_at(cut);
        // Pages given out of order are read in page order.
        let s = suggest(&[(8, two), (7, one)], &watch());
        let pages: Vec<(String, u32)> = s.iter().map(|s| (s.field.to_string(), s.page)).collect();
        assert_eq!(
            pages,
            [
                ("signed_on".to_string(), 7),
                ("term".to_string(), 7),
                ("renewal_cycle".to_string(), 7),
                ("next_renewal".to_string(), 8),
                ("money".to_string(), 8),
                ("organisation".to_string(), 8),
            ]
        );
    }

    #[test]
    fn reads_a_chinese_agreement() {
        let text = "双方于2005年4月12日签署本协议，有效期五年，每五年续签。";
        let s = suggest(&[(1, text)], &WatchList::default());
        assert_eq!(
            brief(&s),
            [
                row("signed_on", "2005-04-12", 1, "date near signed"),
                row("term", "5 years", 1, "valid for N years"),
                row("renewal_cycle", "5 years", 1, "renewal cycle"),
            ]
        );
        assert_eq!(s[0].excerpt, text);
        let s = suggest(
            &[(
                2,
                "本协议有效期为5年，每隔3年续约一次，人民币5万元由宁波市承担。",
            )],
            &WatchList::parse("w", "宁波").unwrap(),
        );
        assert_eq!(
            brief(&s),
            [
                row("term", "5 years", 2, "valid for N years"),
                row("renewal_cycle", "3 years", 2, "renewal cycle"),
                row("money", "人民币5万元", 2, "money"),
                row("organisation", "宁波", 2, "watch list"),
            ]
        );
    }

    #[test]
    fn reads_other_ways_of_saying_it() {
        let text = "The Memorandum was concluded on April 3, 2012 for a period of three (3) \
            years, renewable every 3 years. It was renewed on 03/04/2015, and is due for \
            renewal on 2018-04-03. Costs: GBP 4,000 and RMB 50,000; ¥20,000; 50,000 yuan; \
            £1.2m; £3 million.";
        let s = suggest(&[(1, text)], &WatchList::default());
        assert_eq!(
            brief(&s),
            [
                row("signed_on", "2012-04-03", 1, "date near signed"),
                row("term", "3 years", 1, "valid for N years"),
                row("renewal_cycle", "3 years", 1, "renewal cycle"),
                row("next_renewal", "2015-04-03", 1, "date near renew"),
                row("next_renewal", "2018-04-03", 1, "date near renew"),
                row("money", "GBP 4,000", 1, "money"),
                row("money", "RMB 50,000", 1, "money"),
                row("money", "¥20,000", 1, "money"),
                row("money", "50,000 yuan", 1, "money"),
                row("money", "£1.2m", 1, "money"),
                row("money", "£3 million", 1, "money"),
            ]
        );
        let s = suggest(
            &[(1, "Signed on 12th April 2005 and renewed on 12 April 2010.")],
            &WatchList::default(),
        );
        assert_eq!(
            brief(&s),
            [
                row("signed_on", "2005-04-12", 1, "date near signed"),
                row("next_renewal", "2010-04-12", 1, "date near renew"),
            ]
        );
    }

    #[test]
    fn suggests_nothing_without_grounds() {
        let w = watch();
        for text in [
            // A date with no keyword near it.
            "The delegation visited Ningbo on 12 April 2005 and toured the port.",
            // The keyword is in another sentence, or too far away.
            "The agreement was signed. On 3 May 2019 the delegation toured the port.",
            &format!("It was signed {} on 12 April 2005.", "and then ".repeat(12)),
            "See page 5 of 12.",
            "Minutes of 12/13/2005, signed by the clerk.",
            "There were 50,000 visitors and 5万人 attended.",
            "The Confucius Institutes were renewed.",
            "The design was signed off; a period of great change followed for years.",
        ] {
            let s = suggest(&[(1, text)], &w);
            assert!(s.is_empty(), "{text}: {:?}", brief(&s));
        }
    }

    #[test]
    fn renewal_is_not_the_signing_date() {
        let s = suggest(
            &[
                (1, "The agreement was signed on 1 May 2005."),
                (
                    2,
                    "Renewal: the agreement of 1 May 2005 is renewed on 1 May 2010.",
                ),
            ],
            &WatchList::default(),
        );
        assert_eq!(
            brief(&s),
            [
                row("signed_on", "2005-05-01", 1, "date near signed"),
                row("next_renewal", "2010-05-01", 2, "date near renew"),
            ]
        );
    }

    #[test]
    fn each_fact_once_a_page() {
        let text = "Signed on 1 May 2005. It was signed on 1 May 2005. £500 and £500. \
            The Ningbo Friendship Association met the ningbo friendship association.";
        let s = suggest(&[(1, text), (2, text)], &watch());
        assert_eq!(
            brief(&s),
            [
                row("signed_on", "2005-05-01", 1, "date near signed"),
                row("money", "£500", 1, "money"),
                row(
                    "organisation",
                    "Ningbo Friendship Association",
                    1,
                    "watch list"
                ),
                row("signed_on", "2005-05-01", 2, "date near signed"),
                row("money", "£500", 2, "money"),
                row(
                    "organisation",
                    "Ningbo Friendship Association",
                    2,
                    "watch list"
                ),
            ]
        );
    }

    #[test]
    fn excerpts_are_cut_on_long_pages() {
        let text = format!(
            "{}本协议于2005年4月12日签署。{}",
            "友好城市".repeat(40),
            "双方同意".repeat(40)
        );
        let s = suggest(&[(3, &text)], &WatchList::default());
        assert_eq!(s.len(), 1);
        let e = &s[0].excerpt;
        assert!(e.starts_with('…') && e.ends_with('…'), "{e}");
        assert!(e.contains("2005年4月12日签署"), "{e}");
        assert_eq!(e.chars().count(), 60 + 10 + 60 + 2);
    }
}
