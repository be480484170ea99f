//! A page as the rules read it: a slice of characters, so that positions are character
//! offsets (the excerpt is cut there, and a Chinese page has no byte-safe shortcut), with a
//! lower-case twin of the same length for matching English words.

use crate::search::is_cjk;

pub(super) struct Text {
    pub chars: Vec<char>,
    lower: Vec<char>,
}

/// A letter or digit of a script written with spaces. Chinese characters are not: "于2005年"
/// must read as a number between two words.
pub(super) fn is_word(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// ASCII and full-width digits: Chinese documents often set dates in the latter.
pub(super) fn digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

/// Lower case that keeps one character for one, so offsets in `lower` are offsets in `chars`.
fn lower1(c: char) -> char {
    let mut l = c.to_lowercase();
    match (l.next(), l.next()) {
        (Some(a), None) => a,
        _ => c,
    }
}

const NUMBER_WORDS: [&str; 10] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
];

impl Text {
    pub fn new(s: &str) -> Text {
        let chars: Vec<char> = s.chars().collect();
        let lower = chars.iter().map(|c| lower1(*c)).collect();
        Text { chars, lower }
    }

    pub fn len(&self) -> usize {
        self.chars.len()
    }

    pub fn get(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    pub fn slice(&self, start: usize, end: usize) -> String {
        self.chars[start..end].iter().collect()
    }

    pub fn starts_word(&self, i: usize) -> bool {
        i == 0 || !is_word(self.chars[i - 1])
    }

    pub fn ends_word(&self, i: usize) -> bool {
        self.get(i).is_none_or(|c| !is_word(c))
    }

    /// Where a number may begin: not inside a word, nor a group or part of a longer number
    /// ("000" in "50,000", "04" in "12/04/2005").
    pub fn starts_number(&self, i: usize) -> bool {
        if !self.starts_word(i) {
            return false;
        }
        !(i >= 2
            && matches!(self.chars[i - 1], ',' | '.' | '/' | '-')
            && digit(self.chars[i - 2]).is_some())
    }

    /// `s` (lower-case) at `i`, whatever the case in the text; no boundaries asked.
    pub fn lit(&self, i: usize, s: &str) -> Option<usize> {
        let mut k = i;
        for c in s.chars() {
            if self.lower.get(k) != Some(&c) {
                return None;
            }
            k += 1;
        }
        Some(k)
    }

    /// The whole word `w` (lower-case) at `i`.
    pub fn word(&self, i: usize, w: &str) -> Option<usize> {
        if !self.starts_word(i) {
            return None;
        }
        self.lit(i, w).filter(|&e| self.ends_word(e))
    }

    /// The first of `ws` that is the whole word at `i`.
    pub fn any_word(&self, i: usize, ws: &[&str]) -> Option<usize> {
        ws.iter().find_map(|w| self.word(i, w))
    }

    /// Past any whitespace at `i`.
    pub fn ws(&self, i: usize) -> usize {
        let mut k = i;
        while self.get(k).is_some_and(char::is_whitespace) {
            k += 1;
        }
        k
    }

    /// Past whitespace at `i`, of which there must be some.
    pub fn ws1(&self, i: usize) -> Option<usize> {
        let k = self.ws(i);
        (k > i).then_some(k)
    }

    /// The run of digits at `i`: its value (saturated), its length and its end.
    pub fn digits(&self, i: usize) -> Option<(u32, usize, usize)> {
        let mut k = i;
        let mut v: u32 = 0;
        while let Some(d) = self.get(k).and_then(digit) {
            v = v.saturating_mul(10).saturating_add(d);
            k += 1;
        }
        (k > i).then_some((v, k - i, k))
    }

    /// A count of years as English writes it: "5", "five", "five (5)".
    pub fn count(&self, i: usize) -> Option<(u32, usize)> {
        let (v, end) = self.count1(i)?;
        // Legal drafting repeats the number in brackets; take it only when it agrees.
        let k = self.ws(end);
        if self.get(k) == Some('(') {
            if let Some((v2, e2)) = self.count1(k + 1) {
                if v2 == v && self.get(e2) == Some(')') {
                    return Some((v, e2 + 1));
                }
            }
        }
        Some((v, end))
    }

    fn count1(&self, i: usize) -> Option<(u32, usize)> {
        if let Some((v, len, end)) = self.digits(i) {
            return (self.starts_number(i) && self.ends_word(end) && len <= 2 && v > 0)
                .then_some((v, end));
        }
        NUMBER_WORDS
            .iter()
            .zip(1..)
            .find_map(|(w, n)| self.word(i, w).map(|e| (n, e)))
    }

    /// A count of years as Chinese writes it: "5", "五", "十五", "二十".
    pub fn cn_count(&self, i: usize) -> Option<(u32, usize)> {
        if let Some((v, len, end)) = self.digits(i) {
            return (len <= 2 && v > 0).then_some((v, end));
        }
        let unit = |c: Option<char>| -> Option<u32> {
            match c? {
                '一' => Some(1),
                '二' | '两' => Some(2),
                '三' => Some(3),
                '四' => Some(4),
                '五' => Some(5),
                '六' => Some(6),
                '七' => Some(7),
                '八' => Some(8),
                '九' => Some(9),
                _ => None,
            }
        };
        let mut k = i;
        let mut v = 0;
        if let Some(u) = unit(self.get(k)) {
            v = u;
            k += 1;
        }
        if self.get(k) == Some('十') {
            v = v.max(1) * 10;
            k += 1;
            if let Some(u) = unit(self.get(k)) {
                v += u;
                k += 1;
            }
        }
        (k > i).then_some((v, k))
    }

    /// "year" or "years" at `i`.
    pub fn years(&self, i: usize) -> Option<usize> {
        self.any_word(i, &["years", "year"])
    }

    /// No sentence ends between `a` and `b`: a keyword in the sentence before says nothing
    /// about a date in this one.
    pub fn same_sentence(&self, a: usize, b: usize) -> bool {
        let (a, b) = (a.min(b), a.max(b));
        (a..b).all(|k| match self.chars[k] {
            '。' | '！' | '？' => false,
            '.' => !self.get(k + 1).is_some_and(char::is_whitespace) || self.abbreviation(k),
            '!' | '?' => !self.get(k + 1).is_some_and(char::is_whitespace),
            _ => true,
        })
    }

    /// The full stop at `k` ends a title ("Cllr. Smith signed"), not a sentence.
    fn abbreviation(&self, k: usize) -> bool {
        let mut s = k;
        while s > 0 && is_word(self.chars[s - 1]) {
            s -= 1;
        }
        const TITLES: [&str; 8] = ["mr", "mrs", "ms", "dr", "cllr", "no", "st", "prof"];
        TITLES.iter().any(|w| self.lit(s, w) == Some(k))
    }

    /// About `width` characters either side of [start, end), whitespace made single spaces,
    /// "…" where cut.
    pub fn excerpt(&self, start: usize, end: usize, width: usize) -> String {
        let n = self.len();
        let mut from = start.saturating_sub(width);
        let mut to = (end + width).min(n);
        // Cut at a space where one is near, so English words stay whole.
        if from > 0 {
            if let Some(p) = (from..start.min(from + 15)).find(|&k| self.chars[k].is_whitespace()) {
                from = p + 1;
            }
        }
        if to < n {
            if let Some(p) = (end.max(to.saturating_sub(15))..to)
                .rev()
                .find(|&k| self.chars[k].is_whitespace())
            {
                to = p;
            }
        }
        let mut out = String::new();
        if from > 0 {
            out.push('…');
        }
        let mut space = false;
        let mut any = false;
        for c in &self.chars[from..to] {
            if c.is_whitespace() {
                space = true;
            } else {
                if space && any {
                    out.push(' ');
                }
                space = false;
                any = true;
                out.push(*c);
            }
        }
        if to < n {
            out.push('…');
        }
        out
    }
}

/// Whitespace runs made single spaces, ends trimmed: a value as written, fit to store.
pub(super) fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "5 years", "1 year".
pub(super) fn years_value(n: u32) -> String {
    if n == 1 {
        "1 year".to_string()
    } else {
        format!("{n} years")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_in_words_digits_and_chinese() {
        let t = Text::new("five (5) years");
        assert_eq!(t.count(0), Some((5, 8)));
        let t = Text::new("5 years");
        assert_eq!(t.count(0), Some((5, 1)));
        let t = Text::new("five (6) years");
        assert_eq!(t.count(0), Some((5, 4)));
        let t = Text::new("fivefold");
        assert_eq!(t.count(0), None);
        for (s, v) in [
            ("五年", 5),
            ("5年", 5),
            ("十年", 10),
            ("十五年", 15),
            ("二十年", 20),
        ] {
            let t = Text::new(s);
            assert_eq!(t.cn_count(0).map(|c| c.0), Some(v), "{s}");
        }
    }

    #[test]
    fn excerpts_are_cut_at_characters_and_marked() {
        let t = Text::new("双方于二〇〇五年签署友好城市协议。".repeat(10).as_str());
        let e = t.excerpt(80, 82, 10);
        assert!(e.starts_with('…') && e.ends_with('…'), "{e}");
        assert_eq!(e.chars().count(), 2 + 2 + 20);
        let t = Text::new("a  short\n\n page");
        assert_eq!(t.excerpt(3, 8, 60), "a short page");
    }

    #[test]
    fn sentences_end_at_a_full_stop_and_a_space() {
        let t = Text::new("Signed. On 12.04.2005 we met");
        assert!(!t.same_sentence(0, 10));
        assert!(t.same_sentence(11, 20));
        let t = Text::new("signed by Cllr. Smith and Dr. Wang on");
        assert!(t.same_sentence(0, 36));
    }
}
