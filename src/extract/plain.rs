//! Plain text and HTML: decode the bytes, then (for HTML) reduce the markup to text with the
//! converter mail bodies already use.

use encoding_rs::Encoding;

use super::text::normalise;
use super::{Extraction, Page};
use crate::mail::inbound::html_to_text;

pub(crate) fn text(bytes: &[u8], content_type: &str) -> Extraction {
    let decoded = decode(bytes, charset_param(content_type).as_deref());
    one_page("text", normalise(&decoded))
}

pub(crate) fn html(bytes: &[u8], content_type: &str) -> Extraction {
    let declared = charset_param(content_type).or_else(|| meta_charset(bytes));
    let decoded = decode(bytes, declared.as_deref());
    one_page("html", normalise(&html_to_text(&decoded)))
}

fn one_page(format: &'static str, text: String) -> Extraction {
    Extraction::from_pages(
        format,
        vec![Page {
            number: 1,
            text,
            ocr: false,
        }],
        Vec::new(),
    )
}

/// Bytes to text: a byte order mark wins, then valid UTF-8 (what nearly everything is now),
/// then the charset the sender declared, then Windows-1252, which every byte decodes in and
/// which is what UK office software wrote before UTF-8.
pub(crate) fn decode(bytes: &[u8], declared: Option<&str>) -> String {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return text.into_owned();
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    let encoding = declared
        .and_then(|label| Encoding::for_label(label.trim().as_bytes()))
        .filter(|e| *e != encoding_rs::UTF_8)
        .unwrap_or(encoding_rs::WINDOWS_1252);
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    text.into_owned()
}

fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_string())
    })
}

/// `<meta charset="gbk">` or the `http-equiv` form, in the first kilobytes where browsers
/// look for it.
fn meta_charset(bytes: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_lowercase();
    let at = head.find("charset=")? + "charset=".len();
    let value: String = head[at..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect();
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Status;

    #[test]
    fn text_is_decoded_whatever_its_encoding() {
        assert_eq!(decode("Café 友好".as_bytes(), None), "Café 友好");
        assert_eq!(decode(b"\xEF\xBB\xBFbom", None), "bom");
        assert_eq!(decode(b"\xFF\xFEh\0i\0", None), "hi");
        assert_eq!(decode(b"caf\xE9 \x80", None), "café €");
        let (gbk, _, _) = encoding_rs::GBK.encode("友好城市");
        assert_eq!(decode(&gbk, Some("gb2312")), "友好城市");
    }

    #[test]
    fn html_becomes_lines_of_text() {
        let page: &[u8] = b"<html><head><meta charset=\"windows-1252\"><title>t</title></head>\
                    <body><h1>Twinning</h1><p>Signed in 1987 \x96 still active.</p>\
                    <table><tr><td>A</td><td>B</td></tr></table></body></html>";
        let e = html(page, "text/html");
        assert_eq!(e.status, Status::Extracted);
        let text = &e.pages[0].text;
        assert!(text.starts_with("Twinning\n"), "{text}");
        assert!(text.contains("Signed in 1987 – still active."), "{text}");
        assert!(text.contains("A  B"), "{text}");
        let gbk = encoding_rs::GBK.encode("<p>友好城市</p>").0;
        let e = html(&gbk, "text/html; charset=GBK");
        assert_eq!(e.pages[0].text, "友好城市");
    }

    #[test]
    fn charset_is_found_in_the_content_type() {
        assert_eq!(
            charset_param("text/plain; format=flowed; charset=\"ISO-8859-1\""),
            Some("ISO-8859-1".to_string())
        );
        assert_eq!(charset_param("text/plain"), None);
    }
}
