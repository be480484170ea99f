//! An import file's bytes as text. Spreadsheets save CSV as UTF-8 (often with a byte-order
//! mark), as Windows-1252 (Excel's plain "CSV" on Windows) or as UTF-16 ("Unicode text"), and
//! staff cannot be expected to know which they have.

use super::{ImportError, RowError};
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// The text of a file, and the encoding it was converted from when that was not UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedFile {
    pub text: String,
    pub converted_from: Option<&'static str>,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes that Windows-1252 leaves undefined: a file holding one is in some other encoding.
const UNDEFINED_IN_1252: [u8; 5] = [0x81, 0x8D, 0x8F, 0x90, 0x9D];

pub fn decode(file: &str, bytes: &[u8]) -> Result<DecodedFile, ImportError> {
    let fail = |line: u64, message: String| ImportError {
        file: file.to_string(),
        errors: vec![RowError {
            line,
            field: None,
            message,
        }],
    };
    let convert = |from: &str| {
        format!(
            "convert the file to UTF-8 first, e.g. `iconv -f {from} -t UTF-8 {file} > converted.{}`",
            extension(file)
        )
    };
    if let Some(utf16) = utf16_by_bom(bytes) {
        let (text, malformed) = utf16.decode_with_bom_removal(bytes);
        if malformed {
            let line = line_of_char(&text, char::REPLACEMENT_CHARACTER);
            return Err(fail(
                line,
                format!(
                    "is not valid {} although the file starts with its byte-order mark; {}",
                    utf16.name(),
                    convert(utf16.name())
                ),
            ));
        }
        return Ok(DecodedFile {
            text: text.into_owned(),
            converted_from: Some(utf16.name()),
        });
    }
    let (bom, body) = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let bad_at = match std::str::from_utf8(body) {
        Ok(text) => {
            // UTF-16 without a byte-order mark reads as "valid" UTF-8 full of NUL bytes.
            let header = text.lines().next().unwrap_or("");
            if header.contains('\0') {
                return Err(fail(
                    1,
                    format!(
                        "the header holds NUL bytes: the file looks like UTF-16; {}",
                        convert("UTF-16")
                    ),
                ));
            }
            return Ok(DecodedFile {
                text: text.to_string(),
                converted_from: None,
            });
        }
        Err(e) => e.valid_up_to(),
    };
    let line = line_at(body, bad_at);
    // A byte-order mark, or any valid UTF-8 beyond ASCII, says the file is meant to be UTF-8:
    // reading it as Windows-1252 would garble every accented letter that is right.
    let utf8_elsewhere = body.utf8_chunks().any(|chunk| !chunk.valid().is_ascii());
    if bom || utf8_elsewhere {
        return Err(fail(
            line,
            format!(
                "is not valid UTF-8 although {} the file is: it mixes encodings. Re-save the \
                 line's text as UTF-8 (if the rest of the file is Windows-1252, {})",
                if bom {
                    "the byte-order mark says"
                } else {
                    "the rest of"
                },
                convert("WINDOWS-1252")
            ),
        ));
    }
    if let Some(at) = body.iter().position(|b| UNDEFINED_IN_1252.contains(b)) {
        return Err(fail(
            line_at(body, at),
            format!(
                "byte 0x{:02X} is neither UTF-8 nor Windows-1252, so the file's encoding is \
                 unknown; {}",
                body[at],
                convert("<its encoding>")
            ),
        ));
    }
    let (text, _) = WINDOWS_1252.decode_without_bom_handling(body);
    Ok(DecodedFile {
        text: text.into_owned(),
        converted_from: Some(WINDOWS_1252.name()),
    })
}

fn utf16_by_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes {
        [0xFF, 0xFE, ..] => Some(UTF_16LE),
        [0xFE, 0xFF, ..] => Some(UTF_16BE),
        _ => None,
    }
}

fn extension(file: &str) -> &str {
    match file.rsplit_once('.') {
        Some((_, ext)) if !ext.contains('/') && !ext.is_empty() => ext,
        _ => "csv",
    }
}

/// The 1-based line of a byte offset.
fn line_at(bytes: &[u8], at: usize) -> u64 {
    bytes[..at.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}

fn line_of_char(text: &str, needle: char) -> u64 {
    text.find(needle)
        .map(|at| line_at(text.as_bytes(), at))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_passes_and_loses_its_byte_order_mark() {
        let d = decode("a.csv", "\u{feff}name\nYnys Môn\n".as_bytes()).unwrap();
        assert_eq!(d.text, "name\nYnys Môn\n");
        assert_eq!(d.converted_from, None);
    }

    #[test]
    fn windows_1252_is_converted() {
        // "Ynys Môn" and a curly apostrophe, as Excel on Windows saves them.
        let d = decode("a.csv", b"name\nYnys M\xF4n\nKing\x92s Lynn\n").unwrap();
        assert_eq!(d.text, "name\nYnys Môn\nKing\u{2019}s Lynn\n");
        assert_eq!(d.converted_from, Some("windows-1252"));
    }

    #[test]
    fn utf16_with_a_byte_order_mark_is_converted() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "name\tnation\nYnys Môn\tWales\n".encode_utf16() {
            bytes.extend(u.to_le_bytes());
        }
        let d = decode("a.tsv", &bytes).unwrap();
        assert_eq!(d.text, "name\tnation\nYnys Môn\tWales\n");
        assert_eq!(d.converted_from, Some("UTF-16LE"));
    }

    #[test]
    fn undecodable_files_name_the_line_and_the_cure() {
        let err = decode("c.csv", b"name\nA\nB \x81\n").unwrap_err();
        assert_eq!(err.errors[0].line, 3);
        assert!(err.to_string().contains("0x81"), "{err}");

        // UTF-8 on one line, Windows-1252 on another.
        let err = decode("c.csv", b"name\nYnys M\xC3\xB4n\nM\xF4n\n").unwrap_err();
        assert_eq!(err.errors[0].line, 3);
        let shown = err.to_string();
        assert!(
            shown.contains("c.csv:line 3") && shown.contains("iconv -f WINDOWS-1252 -t UTF-8"),
            "{shown}"
        );

        let err = decode("c.csv", b"\xEF\xBB\xBFname\nM\xF4n\n").unwrap_err();
        assert_eq!(err.errors[0].line, 2);

        let err = decode("c.tsv", b"n\0a\0m\0e\0\n\0").unwrap_err();
        assert!(err.to_string().contains("iconv -f UTF-16"), "{err}");
    }
}
