//! Word (DOCX) and OpenDocument text (ODT): a zip holding one XML file of the body, read as a
//! stream of elements. Paragraphs become lines; table rows become lines with their cells
//! separated by tabs.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::archive::{self, ZipProblem, MAX_UNPACKED};
use super::detect::Format;
use super::text::normalise;
use super::{Extraction, Page};

pub(crate) fn docx(bytes: &[u8]) -> Extraction {
    read(bytes, Format::Docx, "word/document.xml", &DOCX)
}

pub(crate) fn odt(bytes: &[u8]) -> Extraction {
    read(bytes, Format::Odt, "content.xml", &ODT)
}

/// The element names (local names, namespaces ignored) that carry structure in each format.
struct Vocabulary {
    paragraph: &'static [&'static str],
    /// Text outside these is layout whitespace, not content (DOCX keeps text in `w:t`).
    text_container: &'static [&'static str],
    /// Only inside a run is `w:tab` a tab character; in paragraph properties it is a stop.
    run: Option<&'static str>,
    tab: &'static str,
    line_break: &'static [&'static str],
    /// ODF's `text:s c="3"`: a run of spaces.
    spaces: Option<&'static str>,
    cell: &'static str,
    row: &'static str,
    /// Subtrees that repeat or are not the document's text: DOCX's fallback copies of text
    /// boxes, ODF's record of deleted text.
    skip: &'static [&'static str],
}

const DOCX: Vocabulary = Vocabulary {
    paragraph: &["p"],
    text_container: &["t"],
    run: Some("r"),
    tab: "tab",
    line_break: &["br", "cr"],
    spaces: None,
    cell: "tc",
    row: "tr",
    skip: &["Fallback", "del", "instrText", "delText"],
};

const ODT: Vocabulary = Vocabulary {
    paragraph: &["p", "h"],
    text_container: &["p", "h"],
    run: None,
    tab: "tab",
    line_break: &["line-break"],
    spaces: Some("s"),
    cell: "table-cell",
    row: "table-row",
    skip: &["tracked-changes", "annotation"],
};

fn read(bytes: &[u8], format: Format, body: &str, vocab: &Vocabulary) -> Extraction {
    let name = format.name();
    let fail = |why: String| {
        Extraction::failed(
            Some(name),
            format!("not a readable {}: {why}", format.describe()),
        )
    };
    let mut zip = match archive::open(bytes) {
        Ok(zip) => zip,
        Err(p) => return fail(p.message().to_string()),
    };
    let mut budget = MAX_UNPACKED;
    let xml = match archive::read_entry(&mut zip, body, &mut budget) {
        Ok(Some(xml)) => xml,
        Ok(None) => return fail(format!("{body} is missing")),
        Err(ZipProblem::Bomb(m)) | Err(ZipProblem::Damaged(m)) => return fail(m),
    };
    let (text, damage) = xml_to_text(&String::from_utf8_lossy(&xml), vocab);
    let text = normalise(&text);
    let problems = match damage {
        None => Vec::new(),
        Some(e) if text.is_empty() => return fail(format!("{body} is not well-formed XML ({e})")),
        // A truncated file still has its beginning, which is worth having.
        Some(e) => vec![format!(
            "the document is damaged part-way ({body} is not well-formed XML: {e}); the text before the damage is kept"
        )],
    };
    Extraction::from_pages(
        name,
        vec![Page {
            number: 1,
            text,
            ocr: false,
        }],
        problems,
    )
}

fn local_name(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_string()
}

/// The text, and the XML error that stopped the reading early, if one did.
fn xml_to_text(xml: &str, v: &Vocabulary) -> (String, Option<quick_xml::Error>) {
    let mut reader = Reader::from_str(xml);
    // Word files are not always tidy about end tags; the text matters, not the nesting.
    reader.config_mut().check_end_names = false;
    let mut out = String::new();
    let mut skip_depth = 0usize;
    let mut text_depth = 0usize;
    let mut run_depth = 0usize;
    let mut cell_depth = 0usize;

    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => return (out, Some(e)),
        };
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let n = local_name(e);
                let empty = matches!(event, Event::Empty(_));
                if skip_depth > 0 || v.skip.contains(&n.as_str()) {
                    if !empty {
                        skip_depth += 1;
                    }
                    continue;
                }
                if v.text_container.contains(&n.as_str()) && !empty {
                    text_depth += 1;
                }
                if v.run == Some(n.as_str()) && !empty {
                    run_depth += 1;
                }
                if n == v.cell && !empty {
                    cell_depth += 1;
                }
                let in_run = v.run.is_none() || run_depth > 0;
                if n == v.tab && in_run {
                    out.push('\t');
                } else if v.line_break.contains(&n.as_str()) && in_run {
                    out.push('\n');
                } else if v.spaces == Some(n.as_str()) {
                    let count = e
                        .try_get_attribute("text:c")
                        .ok()
                        .flatten()
                        .and_then(|a| a.value.trim().parse::<usize>().ok())
                        .unwrap_or(1)
                        .min(1000);
                    out.extend(std::iter::repeat_n(' ', count));
                }
                if empty {
                    end_element(&n, v, &mut out, cell_depth);
                }
            }
            Event::End(e) => {
                let n = e.local_name().as_ref().to_string();
                if skip_depth > 0 {
                    skip_depth -= 1;
                    continue;
                }
                if v.text_container.contains(&n.as_str()) {
                    text_depth = text_depth.saturating_sub(1);
                }
                if v.run == Some(n.as_str()) {
                    run_depth = run_depth.saturating_sub(1);
                }
                end_element(&n, v, &mut out, cell_depth);
                if n == v.cell {
                    cell_depth = cell_depth.saturating_sub(1);
                }
            }
            Event::Text(t) if skip_depth == 0 && text_depth > 0 => {
                out.push_str(&t.xml10_content());
            }
            Event::CData(t) if skip_depth == 0 && text_depth > 0 => {
                out.push_str(t.as_ref());
            }
            Event::GeneralRef(r) if skip_depth == 0 && text_depth > 0 => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    out.push(c);
                } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(r) {
                    out.push_str(s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (out, None)
}

/// What the end of an element adds: paragraphs end lines (inside a table cell, a space,
/// so a cell stays on its row), cells end with a tab, rows end lines.
fn end_element(n: &str, v: &Vocabulary, out: &mut String, cell_depth: usize) {
    if v.paragraph.contains(&n) {
        out.push(if cell_depth > 0 { ' ' } else { '\n' });
    } else if n == v.cell {
        let kept = out.trim_end_matches(' ').len();
        out.truncate(kept);
        out.push('\t');
    } else if n == v.row {
        let kept = out.trim_end_matches(['\t', ' ']).len();
        out.truncate(kept);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::super::archive::tests::zip_of;
    use super::super::Status;
    use super::*;

    const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

    #[test]
    fn docx_paragraphs_tabs_breaks_and_tables() {
        let xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document {W}><w:body>
  <w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>
    <w:r><w:t>Twinning</w:t></w:r><w:r><w:t xml:space="preserve"> agreement &amp; </w:t></w:r><w:r><w:tab/><w:t>友好城市</w:t></w:r></w:p>
  <w:p><w:r><w:t>Line one</w:t><w:br/><w:t>line two</w:t></w:r><w:del><w:r><w:delText>gone</w:delText></w:r></w:del></w:p>
  <w:tbl><w:tr><w:tc><w:p><w:r><w:t>Council</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>City</w:t></w:r></w:p><w:p><w:r><w:t>&#x5E02;</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
</w:body></w:document>"#
        );
        let (text, damage) = xml_to_text(&xml, &DOCX);
        assert!(damage.is_none());
        assert_eq!(
            normalise(&text),
            "Twinning agreement & \t友好城市\nLine one\nline two\nCouncil\tCity 市"
        );
    }

    #[test]
    fn odt_paragraphs_spaces_and_headings() {
        let xml = r#"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:h>Title</text:h><text:p>a<text:s text:c="3"/>b<text:tab/>c<text:line-break/>d</text:p><text:tracked-changes><text:p>deleted</text:p></text:tracked-changes></office:text></office:body></office:document-content>"#;
        assert_eq!(normalise(&xml_to_text(xml, &ODT).0), "Title\na   b\tc\nd");
    }

    #[test]
    fn damaged_documents_fail_with_the_reason() {
        let no_body = zip_of(&[
            ("[Content_Types].xml", b"<x/>"),
            ("word/other.xml", b"<x/>"),
        ]);
        let e = docx(&no_body);
        assert_eq!(e.status, Status::Failed);
        assert_eq!(
            e.reason.as_deref(),
            Some("not a readable Word document (.docx): word/document.xml is missing")
        );
        let bad = zip_of(&[("word/document.xml", b"<w:document><w:p><w:t>x</w:t")]);
        let e = docx(&bad);
        assert_eq!(e.status, Status::Partial, "{:?}", e.reason);
        assert_eq!(e.pages[0].text, "x");
        assert!(e.reason.unwrap().contains("damaged part-way"));
        let garbage = zip_of(&[("content.xml", b"<a><b attr=\"unterminated></a>")]);
        let e = odt(&garbage);
        assert_eq!(e.status, Status::Failed);
        assert!(e
            .reason
            .unwrap()
            .contains("content.xml is not well-formed XML"));
    }
}
