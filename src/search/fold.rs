//! Folding text for the index and for queries, identically on both databases.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Han ideographs and the kana, which are written without spaces between words: each is
/// indexed as a word of its own, and a query for several is a phrase of them.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // hiragana, katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0x20000..=0x3134F) // extensions B to G
}

/// Lower case, accents removed, every run of anything that is not a letter or digit one
/// space, and spaces around each CJK character. "Zhōngguó–UK 友好" → "zhongguo uk 友 好".
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        if is_cjk(c) {
            if !space {
                out.push(' ');
            }
            out.push(c);
            out.push(' ');
            space = true;
        } else if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_punctuation_and_chinese() {
        assert_eq!(fold("Zhōngguó–UK  友好"), "zhongguo uk 友 好");
        assert_eq!(fold("CONFUCIUS Institute's"), "confucius institute s");
        assert_eq!(fold("Café, São Paulo"), "cafe sao paulo");
        assert_eq!(fold("友好城市协议2005年"), "友 好 城 市 协 议 2005 年");
        assert_eq!(fold("  "), "");
    }
}
