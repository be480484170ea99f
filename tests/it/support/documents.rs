//! Documents made in code for the extraction tests and benchmark: nothing binary is kept in
//! the repository, so every fixture says how it was built.

#![allow(dead_code)]

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use lopdf::content::{Content, Operation};
use lopdf::{
    dictionary, Document, EncryptionState, EncryptionVersion, Object, Permissions, Stream,
};

/// A PDF with one page per entry, each a line of Helvetica text per `\n`-separated line.
pub fn text_pdf(pages: &[&str]) -> Vec<u8> {
    let mut doc = text_pdf_document(pages);
    save(&mut doc)
}

/// The same PDF, encrypted (RC4, 128-bit) with these passwords. An empty user password is
/// the "permissions only" protection that viewers open without asking.
pub fn encrypted_pdf(pages: &[&str], user_password: &str) -> Vec<u8> {
    let mut doc = text_pdf_document(pages);
    let state = EncryptionState::try_from(EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner-secret",
        user_password,
        key_length: 128,
        permissions: Permissions::all(),
    })
    .expect("encryption state");
    doc.encrypt(&state).expect("encrypt");
    save(&mut doc)
}

fn save(doc: &mut Document) -> Vec<u8> {
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save PDF");
    out
}

/// The same PDF with each line shown by the `'` operator (next line, then show), as some
/// report generators write it; pdf-extract reads nothing from it.
pub fn quote_operator_pdf(pages: &[&str]) -> Vec<u8> {
    let mut doc = pdf_document(pages, true);
    save(&mut doc)
}

fn text_pdf_document(pages: &[&str]) -> Document {
    pdf_document(pages, false)
}

fn pdf_document(pages: &[&str], quote_operator: bool) -> Document {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let mut kids = Vec::new();
    for text in pages {
        let mut operations = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 12.into()]),
            Operation::new("TL", vec![16.into()]),
            Operation::new("Td", vec![72.into(), 760.into()]),
        ];
        for line in text.lines() {
            if quote_operator {
                operations.push(Operation::new("'", vec![Object::string_literal(line)]));
            } else {
                operations.push(Operation::new("Tj", vec![Object::string_literal(line)]));
                operations.push(Operation::new("T*", vec![]));
            }
        }
        operations.push(Operation::new("ET", vec![]));
        let content = Content { operations };
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        kids.push(page_id.into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    doc.trailer.set("Root", catalog_id);
    // Encryption keys are derived from the file identifier.
    doc.trailer.set(
        "ID",
        vec![
            Object::string_literal("foi-test-document-id"),
            Object::string_literal("foi-test-document-id"),
        ],
    );
    doc.compress();
    doc
}

/// A zip of (name, contents), deflated.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A minimal Word document: one paragraph per entry.
pub fn docx(paragraphs: &[&str]) -> Vec<u8> {
    let content_types = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
    let body: String = paragraphs
        .iter()
        .map(|p| {
            format!(
                "<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
                xml_escape(p)
            )
        })
        .collect();
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr/></w:body></w:document>"#
    );
    zip_of(&[
        ("[Content_Types].xml", content_types.as_bytes()),
        ("_rels/.rels", rels.as_bytes()),
        ("word/document.xml", document.as_bytes()),
    ])
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An Excel workbook: (sheet name, rows of cells); cells that parse as numbers are numbers.
pub fn xlsx(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                match cell.parse::<f64>() {
                    Ok(n) => sheet.write_number(r as u32, c as u16, n).unwrap(),
                    Err(_) => sheet.write_string(r as u32, c as u16, *cell).unwrap(),
                };
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// The system programs the OCR tests need; a missing one fails the test with what to do,
/// rather than skipping it and leaving OCR untested.
pub fn require_tools() {
    let mut missing = Vec::new();
    for (program, package) in [
        ("pdftoppm", "poppler-utils"),
        ("tesseract", "tesseract-ocr"),
    ] {
        if Command::new(program).arg("-v").output().is_err() {
            missing.push(format!("{program} ({package})"));
        }
    }
    if Command::new("/usr/bin/python3")
        .args(["-c", "import PIL"])
        .output()
        .map_or(true, |o| !o.status.success())
    {
        missing.push("/usr/bin/python3 with PIL (python3-pil)".into());
    }
    if !Path::new(CJK_FONT).is_file() {
        missing.push(format!("{CJK_FONT} (fonts-wqy-zenhei)"));
    }
    assert!(
        missing.is_empty(),
        "missing for the OCR tests: {}; run scripts/install-deps.sh",
        missing.join(", ")
    );
}

pub const CJK_FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc";

/// An image-only PDF drawn by tests/fixtures/make_scan.py: `pages` copies of a page with the
/// English line "Twinning agreement with Suzhou" and the Chinese line "友好城市协议".
pub fn scanned_pdf(dir: &Path, pages: u32) -> Vec<u8> {
    require_tools();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/make_scan.py");
    let out = dir.join(format!("scan-{pages}.pdf"));
    let run = Command::new("/usr/bin/python3")
        .arg(&script)
        .arg(&out)
        .arg(pages.to_string())
        .output()
        .expect("run make_scan.py");
    assert!(
        run.status.success(),
        "{} failed: {}; run scripts/install-deps.sh",
        script.display(),
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::read(&out).expect("read the scanned PDF")
}

/// A PDF whose first pages are text and whose last is `scan`'s page, joined with lopdf.
pub fn text_then_scan(text_pages: &[&str], scan: &[u8]) -> Vec<u8> {
    let mut text = text_pdf_document(text_pages);
    let scan = Document::load_mem(scan).expect("scanned PDF loads");
    merge(&mut text, scan);
    save(&mut text)
}

/// Appends the pages of `other` to `doc` (objects renumbered; page tree rebuilt flat).
fn merge(doc: &mut Document, mut other: Document) {
    other.renumber_objects_with(doc.max_id + 1);
    doc.max_id = other.max_id;
    let other_pages: Vec<_> = other.get_pages().into_values().collect();
    let pages_id = doc
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .expect("pages");
    for (id, object) in other.objects {
        doc.objects.entry(id).or_insert(object);
    }
    // The scanned page inherits nothing from its old tree that it needs: PIL writes
    // Resources and MediaBox on the page itself.
    for id in &other_pages {
        if let Ok(Object::Dictionary(page)) = doc.get_object_mut(*id) {
            page.set("Parent", pages_id);
        }
    }
    if let Ok(Object::Dictionary(pages)) = doc.get_object_mut(pages_id) {
        let mut kids = pages
            .get(b"Kids")
            .and_then(Object::as_array)
            .cloned()
            .unwrap_or_default();
        kids.extend(other_pages.iter().map(|id| Object::Reference(*id)));
        pages.set("Count", kids.len() as i64);
        pages.set("Kids", kids);
    }
}
