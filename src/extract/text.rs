//! What every page's text goes through before it is handed back, and the small wording
//! helpers the reasons share.

use std::time::Duration;

/// Line ends become `\n`; trailing spaces go; runs of more than two blank lines become two;
/// blank lines at the start and end go. Control characters other than tab and newline are
/// dropped: PDF text layers and tesseract emit NULs and form feeds, and PostgreSQL text
/// cannot hold a NUL. Everything else, Unicode included, is kept as it is.
pub(crate) fn normalise(raw: &str) -> String {
    let unified = raw.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(unified.len());
    let mut blank_run = 0usize;
    for line in unified.split('\n') {
        let cleaned: String = line
            .chars()
            .filter(|c| *c == '\t' || !c.is_control())
            .collect();
        let trimmed = cleaned.trim_end();
        if trimmed.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            for _ in 0..blank_run.min(2) {
                out.push('\n');
            }
        }
        blank_run = 0;
        out.push_str(trimmed);
    }
    out
}

/// Characters written without spaces between them: Han ideographs, kana, and the CJK and
/// full-width punctuation that goes with them. Hangul is left out because Korean is written
/// with spaces.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303F      // CJK symbols and punctuation
        | 0x3040..=0x30FF    // hiragana, katakana
        | 0x3400..=0x4DBF    // extension A
        | 0x4E00..=0x9FFF    // unified ideographs
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0xFF00..=0xFFEF    // full-width forms
        | 0x20000..=0x3134F  // extensions B to G
    )
}

/// Tesseract puts a space between every two Chinese characters it reads ("友 好 城 市");
/// the spaces are not in the document and break searching for a phrase, so spaces (and tabs)
/// with a CJK character on both sides are removed. Spaces next to Latin text stay.
pub(crate) fn join_cjk(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == ' ' || c == '\t' {
            let start = i;
            while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
                i += 1;
            }
            let before = start.checked_sub(1).map(|j| chars[j]);
            let after = chars.get(i).copied();
            if !(before.is_some_and(is_cjk) && after.is_some_and(is_cjk)) {
                out.extend(&chars[start..i]);
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Fewer than this many visible characters on a PDF page means it has no real text layer
/// (a scan, perhaps with a page number or stamp on top).
pub(crate) const MIN_TEXT_CHARS: usize = 20;

pub(crate) fn visible_chars(s: &str) -> usize {
    s.chars().filter(|c| !c.is_whitespace()).count()
}

/// Sizes as a person reads them: "12 MB", "1.5 MB", "300 KB", "90 bytes".
pub(crate) fn human_size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    const KB: u64 = 1024;
    if bytes >= 10 * MB {
        format!("{} MB", bytes / MB)
    } else if bytes >= MB {
        format!("{:.1} MB", bytes as f64 / MB as f64)
    } else if bytes >= KB {
        format!("{} KB", bytes / KB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Seconds for a reason's wording; sub-second limits (tests) still read sensibly.
pub(crate) fn whole_seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        d.as_secs().to_string()
    } else {
        format!("{:.1}", d.as_secs_f64())
    }
}

/// "3 pages" / "1 page".
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_trims_collapses_and_keeps_unicode() {
        let raw =
            "Title   \r\n\r\n\r\n\r\n\r\nbody  \u{0}text\u{c}\n\tindented\n\n\n友好城市 ✓  \n\n";
        assert_eq!(
            normalise(raw),
            "Title\n\n\nbody  text\n\tindented\n\n\n友好城市 ✓"
        );
        assert_eq!(normalise("\n\n  \n"), "");
        assert_eq!(normalise("a\n\nb"), "a\n\nb");
    }

    #[test]
    fn spaces_between_cjk_characters_go_and_others_stay() {
        assert_eq!(join_cjk("友 好 城 市"), "友好城市");
        assert_eq!(
            join_cjk("友 好 城 市 协 议 , Twinning 友 好"),
            "友好城市协议 , Twinning 友好"
        );
        assert_eq!(join_cjk("签 署 。 日 期"), "签署。日期");
        assert_eq!(join_cjk("Friendship  City"), "Friendship  City");
        assert_eq!(join_cjk("2019 年 5 月"), "2019 年 5 月");
        assert_eq!(join_cjk("한국 어"), "한국 어");
        assert_eq!(join_cjk(" 友 \n 好 "), " 友 \n 好 ");
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_size(60 * 1024 * 1024), "60 MB");
        assert_eq!(human_size(1536 * 1024), "1.5 MB");
        assert_eq!(human_size(2048), "2 KB");
        assert_eq!(human_size(100), "100 bytes");
        assert_eq!(whole_seconds(Duration::from_secs(300)), "300");
        assert_eq!(whole_seconds(Duration::from_millis(1500)), "1.5");
    }
}
