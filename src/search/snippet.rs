//! The few lines of a page around what was found, with each find marked. Found again in the
//! original text (folded character by character, as the index was), so the snippet shows the
//! page's own words, accents and all.

use super::fold::{fold, is_cjk};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Snippet {
    /// The text around the first find, whitespace runs made single spaces, "…" where cut.
    pub text: String,
    /// Each find in `text`, as character offsets [start, end).
    pub highlights: Vec<(usize, usize)>,
}

impl Snippet {
    /// `text` with each find between « and ».
    pub fn marked(&self) -> String {
        let mut out = String::new();
        for (i, c) in self.text.chars().enumerate() {
            if self.highlights.iter().any(|(s, _)| *s == i) {
                out.push('«');
            }
            if self.highlights.iter().any(|(_, e)| *e == i) {
                out.push('»');
            }
            out.push(c);
        }
        let n = self.text.chars().count();
        if self.highlights.iter().any(|(_, e)| *e == n) {
            out.push('»');
        }
        out
    }
}

/// The page as search sees it, one unit per character kept, each with the index of the
/// original character it came from; anything else is one ' ' between words.
fn units(text: &str) -> Vec<(char, usize)> {
    let mut out: Vec<(char, usize)> = Vec::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        let mut one = [0u8; 4];
        let folded = fold(c.encode_utf8(&mut one));
        if folded.is_empty() {
            if out.last().is_some_and(|(u, _)| *u != ' ') {
                out.push((' ', i));
            }
            continue;
        }
        out.extend(folded.chars().filter(|f| *f != ' ').map(|f| (f, i)));
    }
    out
}

/// A folded phrase as it appears in `units`: no spaces between Chinese characters.
fn needle(phrase: &str) -> Vec<char> {
    let chars: Vec<char> = phrase.chars().collect();
    let mut out = Vec::with_capacity(chars.len());
    for (i, c) in chars.iter().enumerate() {
        if *c == ' ' {
            let before = i > 0 && is_cjk(chars[i - 1]);
            let after = chars.get(i + 1).is_some_and(|n| is_cjk(*n));
            if before || after {
                continue;
            }
        }
        out.push(*c);
    }
    out
}

/// Every place a phrase occurs, as ranges of original character indexes.
fn finds(text: &str, phrases: &[String]) -> Vec<(usize, usize)> {
    let units = units(text);
    let mut found = Vec::new();
    for phrase in phrases {
        let n = needle(phrase);
        if n.is_empty() || n.len() > units.len() {
            continue;
        }
        for start in 0..=units.len() - n.len() {
            if units[start..start + n.len()]
                .iter()
                .zip(&n)
                .all(|((u, _), c)| u == c)
            {
                found.push((units[start].1, units[start + n.len() - 1].1 + 1));
            }
        }
    }
    found.sort_unstable();
    // Overlapping finds (a word inside a phrase) are shown as one.
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in found {
        match merged.last_mut() {
            Some((_, last_end)) if s <= *last_end => *last_end = (*last_end).max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// About `width` characters of `text` around the first find of any of `phrases`.
pub fn snippet(text: &str, phrases: &[String], width: usize) -> Snippet {
    let chars: Vec<char> = text.chars().collect();
    let found = finds(text, phrases);
    let (first_start, first_end) = found.first().copied().unwrap_or((0, 0));
    let before = width / 3;
    let mut start = first_start.saturating_sub(before);
    let mut end = (first_end
        + width
            .saturating_sub(first_end - first_start)
            .saturating_sub(before))
    .min(chars.len())
    .max(first_end);
    // Cut at a space where one is near, so words are whole.
    if start > 0 {
        if let Some(p) = (start..first_start.min(start + 15)).find(|&i| chars[i].is_whitespace()) {
            start = p + 1;
        }
    }
    if end < chars.len() {
        if let Some(p) = (first_end.max(end.saturating_sub(15))..end)
            .rev()
            .find(|&i| chars[i].is_whitespace())
        {
            end = p;
        }
    }
    let mut out = String::new();
    let mut highlights = Vec::new();
    let mut open: Option<usize> = None;
    let mut count = 0usize;
    if start > 0 {
        out.push('…');
        count += 1;
    }
    let mut last_space = false;
    for (i, c) in chars.iter().enumerate().take(end).skip(start) {
        if found.iter().any(|(s, _)| *s == i) {
            open = Some(count);
        }
        if c.is_whitespace() {
            if !last_space && count > 0 {
                out.push(' ');
                count += 1;
            }
            last_space = true;
        } else {
            out.push(*c);
            count += 1;
            last_space = false;
        }
        if let Some(o) = open {
            if found.iter().any(|(_, e)| *e == i + 1) {
                highlights.push((o, count));
                open = None;
            }
        }
    }
    if let Some(o) = open {
        highlights.push((o, count));
    }
    if end < chars.len() {
        if out.ends_with(' ') {
            out.pop();
        }
        out.push('…');
    }
    Snippet {
        text: out,
        highlights,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::parse_query;

    fn marked(text: &str, q: &str, width: usize) -> String {
        snippet(text, &parse_query(q).unwrap().phrases, width).marked()
    }

    #[test]
    fn finds_words_whatever_their_case_and_accents() {
        assert_eq!(
            marked("The CONFUCIUS Institute at the\ncouncil", "confucius", 200),
            "The «CONFUCIUS» Institute at the council"
        );
        assert_eq!(
            marked("Meeting in Zhōngshān on Monday", "zhongshan", 200),
            "Meeting in «Zhōngshān» on Monday"
        );
        assert_eq!(
            marked(
                "a friendship\n  agreement, signed",
                "\"friendship agreement\"",
                200
            ),
            "a «friendship agreement», signed"
        );
    }

    #[test]
    fn finds_chinese_and_cuts_long_pages() {
        assert_eq!(
            marked("双方签署友好城市协议。", "友好城市", 200),
            "双方签署«友好城市»协议。"
        );
        let long = format!(
            "{} Wuhan delegation {}",
            "word ".repeat(100),
            "more ".repeat(100)
        );
        let s = marked(&long, "wuhan", 60);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("«Wuhan» delegation"), "{s}");
        assert!(s.chars().count() < 90, "{s}");
    }

    #[test]
    fn a_page_without_the_words_gives_its_start() {
        let s = snippet("Nothing here", &["absent".to_string()], 200);
        assert_eq!(s.text, "Nothing here");
        assert!(s.highlights.is_empty());
    }
}
