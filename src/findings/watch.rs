//! The watch list: names of organisations and phrases the campaign wants to hear about
//! (`config/watch-list.txt`, one per line, `#` starts a comment). Matched like search:
//! case and accents ignored, Chinese by its characters.
//!
//! A term matches whole folded words: "Confucius Institute" is not found inside "Confucius
//! Institutes", which is a different name more often than a plural. Chinese has no spaces
//! to bound a word, and `fold` sets each Chinese character apart, so a Chinese term is found
//! anywhere in a run of characters ("宁波" in "宁波市人民政府").

use crate::search::{fold, is_cjk};
use unicode_normalization::char::is_combining_mark;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchList {
    /// (as written, folded with `search::fold`).
    pub terms: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct WatchError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Longer than any organisation's name: a paragraph pasted by mistake.
const MAX_CHARS: usize = 200;

/// The line without its comment: `#` at its start, or after a space ("C#" keeps its `#`).
fn strip_comment(line: &str) -> &str {
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_space {
            return &line[..i];
        }
        prev_space = c.is_whitespace();
    }
    line
}

impl WatchList {
    /// Reads the list's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<WatchList, WatchError> {
        let err = |line: usize, message: String| WatchError {
            file: file.to_string(),
            line,
            message,
        };
        let mut terms: Vec<(String, String)> = Vec::new();
        let mut lines: Vec<usize> = Vec::new();
        // An editor on Windows may start the file with a byte-order mark.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (n, raw) in text.lines().enumerate() {
            let n = n + 1;
            if raw.chars().count() > MAX_CHARS {
                return Err(err(
                    n,
                    format!("the line is longer than {MAX_CHARS} characters"),
                ));
            }
            let term = strip_comment(raw).trim();
            if term.is_empty() {
                continue;
            }
            let folded = fold(term);
            if folded.is_empty() {
                return Err(err(
                    n,
                    format!("'{term}' has no letters, digits or Chinese characters"),
                ));
            }
            if let Some(k) = terms.iter().position(|(_, f)| *f == folded) {
                return Err(err(
                    n,
                    format!(
                        "'{term}' is the same name as '{}' on line {}",
                        terms[k].0, lines[k]
                    ),
                ));
            }
            terms.push((term.to_string(), folded));
            lines.push(n);
        }
        Ok(WatchList { terms })
    }

    /// The terms (as written) that occur in `text`, each once, in list order.
    pub fn hits(&self, text: &str) -> Vec<String> {
        self.find(text)
            .into_iter()
            .map(|(k, _, _)| self.terms[k].0.clone())
            .collect()
    }

    /// Each term found in `text`, in list order: its index in `terms` and where it first
    /// occurs, as a range of character offsets into `text`.
    pub(super) fn find(&self, text: &str) -> Vec<(usize, usize, usize)> {
        if self.terms.is_empty() {
            return Vec::new();
        }
        let units = units(text);
        let mut out = Vec::new();
        for (k, (_, folded)) in self.terms.iter().enumerate() {
            let needle: Vec<char> = folded.chars().collect();
            if needle.len() > units.len() {
                continue;
            }
            let at = (0..=units.len() - needle.len()).find(|&s| {
                let e = s + needle.len();
                (s == 0 || units[s - 1].0 == ' ')
                    && (e == units.len() || units[e].0 == ' ')
                    && units[s..e].iter().zip(&needle).all(|((u, _), c)| u == c)
            });
            if let Some(s) = at {
                let e = s + needle.len();
                out.push((k, units[s].1, units[e - 1].1 + 1));
            }
        }
        out
    }
}

/// `fold(text)` character by character, each folded character with the offset of the one it
/// came from, so that a find in the folded text is a place on the page.
fn units(text: &str) -> Vec<(char, usize)> {
    let mut out: Vec<(char, usize)> = Vec::with_capacity(text.len());
    let space = |out: &mut Vec<(char, usize)>, i: usize| {
        if out.last().is_some_and(|(u, _)| *u != ' ') {
            out.push((' ', i));
        }
    };
    for (i, c) in text.chars().enumerate() {
        // A combining accent is dropped by `fold`; alone it would fold to nothing and
        // read as a gap between words.
        if is_combining_mark(c) {
            continue;
        }
        let mut one = [0u8; 4];
        let folded = fold(c.encode_utf8(&mut one));
        if folded.is_empty() {
            space(&mut out, i);
            continue;
        }
        if is_cjk(c) {
            space(&mut out, i);
        }
        out.extend(folded.chars().filter(|f| *f != ' ').map(|f| (f, i)));
        if is_cjk(c) {
            out.push((' ', i));
        }
    }
    while out.last().is_some_and(|(u, _)| *u == ' ') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "\
# Organisations the campaign follows
Ningbo Friendship Association
Confucius Institute   # the institutes themselves are listed separately
Zhōngshān People's Association
宁波市人民政府
C# Club

";

    #[test]
    fn parses_terms_and_comments() {
        let w = WatchList::parse("watch.txt", LIST).unwrap();
        let written: Vec<&str> = w.terms.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            written,
            [
                "Ningbo Friendship Association",
                "Confucius Institute",
                "Zhōngshān People's Association",
                "宁波市人民政府",
                "C# Club"
            ]
        );
        assert_eq!(w.terms[2].1, "zhongshan people s association");
        assert_eq!(w.terms[3].1, "宁 波 市 人 民 政 府");
        assert_eq!(WatchList::parse("w", "").unwrap(), WatchList::default());
        let w = WatchList::parse("w", "\u{feff}Ningbo\r\nWuhan\r\n").unwrap();
        assert_eq!(w.terms[0].0, "Ningbo");
        assert_eq!(w.terms[1].0, "Wuhan");
    }

    #[test]
    fn reports_bad_lines_with_their_numbers() {
        let e = WatchList::parse("watch.txt", "Good Name\n\n  --- \n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.to_string().starts_with("watch.txt:3: "), "{e}");

        let e = WatchList::parse(
            "watch.txt",
            "Confucius Institute\n# x\nCONFUCIUS institute # again\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("line 1"), "{e}");

        let e = WatchList::parse("w", "Café Society\nCafe society\n").unwrap_err();
        assert_eq!((e.line, e.message.contains("line 1")), (2, true), "{e}");

        let long = format!("ok\n{}\n", "x".repeat(201));
        let e = WatchList::parse("w", &long).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(WatchList::parse("w", &"x".repeat(200)).is_ok());
    }

    #[test]
    fn matches_whole_words_ignoring_case_and_accents() {
        let w = WatchList::parse("w", LIST).unwrap();
        assert_eq!(
            w.hits("Visit hosted by the NINGBO friendship\nassociation and the zhongshan people’s association."),
            ["Ningbo Friendship Association", "Zhōngshān People's Association"]
        );
        assert!(w.hits("The Confucius Institutes of the region").is_empty());
        assert_eq!(
            w.hits("the Confucius Institute's director"),
            ["Confucius Institute"]
        );
        assert_eq!(w.hits("c# club, c# club"), ["C# Club"]);
        // A decomposed accent is the same letter.
        let w = WatchList::parse("w", "Zhōngshān").unwrap();
        assert_eq!(w.hits("Zho\u{304}ngsha\u{304}n delegation"), ["Zhōngshān"]);
    }

    #[test]
    fn chinese_terms_match_inside_runs() {
        let w = WatchList::parse("w", "宁波市人民政府\n友好协会\nNingbo").unwrap();
        assert_eq!(
            w.hits("宁波市人民政府与英国某市友好协会签署协议"),
            ["宁波市人民政府", "友好协会"]
        );
        assert_eq!(w.hits("Ningbo市"), ["Ningbo"]);
        let t = "访问宁波市人民政府。";
        let f = w.find(t);
        assert_eq!(f, [(0, 2, 9)]);
    }
}
