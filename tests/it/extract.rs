//! Reading released documents: every format on a document made here, scanned pages through
//! the real OCR programs, and each way a file can fail.

use std::time::Duration;

use foi::extract::{extract, probe_ocr, Extraction, Limits, OcrAvailability, OcrEngine, Status};

use crate::support::documents::{
    docx, encrypted_pdf, quote_operator_pdf, require_tools, scanned_pdf, text_pdf, text_then_scan,
    xlsx, zip_of,
};

const PACKAGES: &str = "tesseract-ocr, tesseract-ocr-chi-sim, poppler-utils";

fn read(bytes: &[u8], content_type: &str, filename: &str) -> Extraction {
    extract(bytes, content_type, filename, &Limits::default(), None)
}

fn engine() -> OcrEngine {
    require_tools();
    match probe_ocr() {
        (Some(engine), OcrAvailability::Ready { languages }) => {
            assert_eq!(languages, "eng+chi_sim");
            engine
        }
        (_, availability) => {
            panic!("OCR is needed here: {availability:?}; run scripts/install-deps.sh")
        }
    }
}

fn reason(e: &Extraction) -> &str {
    e.reason.as_deref().unwrap_or_default()
}

#[test]
fn text_shown_by_operators_pdf_extract_skips_is_read_by_poppler_not_ocr() {
    let pdf = quote_operator_pdf(&[
        "Signed on 14 September 2013 by the Lord Mayor\nValid for five years",
        "Action plan: student exchanges and trade missions",
    ]);
    let e = extract(
        &pdf,
        "application/pdf",
        "agreement.pdf",
        &Limits::default(),
        Some(&engine()),
    );
    assert_eq!(e.status, Status::Extracted, "{:?}", e.reason);
    assert!(
        e.pages[0].text.contains("Signed on 14 September 2013"),
        "{:?}",
        e.pages[0].text
    );
    assert!(
        e.pages[1].text.contains("student exchanges"),
        "{:?}",
        e.pages[1].text
    );
    // Read as text, exactly: not a guess from a picture of it.
    assert!(e.pages.iter().all(|p| !p.ocr));

    // Without the programs the pages are not passed off as read, nor called scans.
    let without = read(&pdf, "application/pdf", "agreement.pdf");
    assert_eq!(without.status, Status::Partial, "{:?}", without.reason);
    assert!(
        reason(&without).contains("the text of pages 1-2 could not be read"),
        "{}",
        reason(&without)
    );
    assert!(
        !reason(&without).contains("scanned"),
        "{}",
        reason(&without)
    );
}

#[test]
fn a_text_pdf_gives_its_text_page_by_page() {
    let pdf = text_pdf(&[
        "Freedom of Information request 2025/117\nTwinning with Suzhou",
        "Page two: the agreement was signed in 1987.",
    ]);
    let e = read(&pdf, "application/pdf", "response.pdf");
    assert_eq!(e.status, Status::Extracted, "{:?}", e.reason);
    assert_eq!(e.format, Some("pdf"));
    assert_eq!(e.pages.len(), 2);
    assert_eq!(e.pages[0].number, 1);
    assert!(
        e.pages[0]
            .text
            .contains("Freedom of Information request 2025/117"),
        "{:?}",
        e.pages[0].text
    );
    assert!(
        e.pages[0].text.contains("Twinning with Suzhou"),
        "{:?}",
        e.pages[0].text
    );
    assert!(!e.pages[0].text.contains("Page two"));
    assert_eq!(e.pages[1].number, 2);
    assert!(
        e.pages[1]
            .text
            .contains("the agreement was signed in 1987."),
        "{:?}",
        e.pages[1].text
    );
    assert!(e.pages.iter().all(|p| !p.ocr));
    assert!(e.reason.is_none());
}

#[test]
fn a_scanned_pdf_is_read_by_ocr_in_english_and_chinese() {
    let engine = engine();
    let dir = tempfile::tempdir().unwrap();
    let scan = scanned_pdf(dir.path(), 1);
    let e = extract(
        &scan,
        "application/pdf",
        "scan.pdf",
        &Limits::default(),
        Some(&engine),
    );
    assert_eq!(e.status, Status::Extracted, "{:?}", e.reason);
    assert_eq!(e.pages.len(), 1);
    let page = &e.pages[0];
    assert!(page.ocr);
    assert!(page.text.contains("Twinning agreement"), "{:?}", page.text);
    assert!(page.text.contains("Suzhou"), "{:?}", page.text);
    // Tesseract writes "友 好 城 市"; the spaces are taken out.
    assert!(page.text.contains("友好城市"), "{:?}", page.text);
}

#[test]
fn a_scanned_pdf_without_ocr_is_partial_and_says_what_to_install() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let scan = scanned_pdf(dir.path(), 2);
    let e = read(&scan, "application/pdf", "scan.pdf");
    assert_eq!(e.status, Status::Partial);
    assert_eq!(
        reason(&e),
        format!("all 2 pages are scanned images and OCR is not installed ({PACKAGES})")
    );
    assert_eq!(e.pages.len(), 2);
    assert!(e.pages.iter().all(|p| p.text.is_empty() && !p.ocr));

    let one = scanned_pdf(dir.path(), 1);
    let e = read(&one, "application/pdf", "scan.pdf");
    assert_eq!(e.status, Status::Partial);
    assert_eq!(
        reason(&e),
        format!("the page is a scanned image and OCR is not installed ({PACKAGES})")
    );
}

#[test]
fn only_the_scanned_page_of_a_mixed_pdf_goes_to_ocr() {
    let engine = engine();
    let dir = tempfile::tempdir().unwrap();
    let scan = scanned_pdf(dir.path(), 1);
    let pdf = text_then_scan(
        &[
            "Covering letter from the council.",
            "Schedule of agreements held on file.",
        ],
        &scan,
    );

    let without = read(&pdf, "application/pdf", "mixed.pdf");
    assert_eq!(without.status, Status::Partial);
    assert_eq!(
        reason(&without),
        format!("page 3 of 3 is a scanned image and OCR is not installed ({PACKAGES})")
    );
    assert!(without.pages[0].text.contains("Covering letter"));

    let with = extract(
        &pdf,
        "application/pdf",
        "mixed.pdf",
        &Limits::default(),
        Some(&engine),
    );
    assert_eq!(with.status, Status::Extracted, "{:?}", with.reason);
    assert_eq!(with.pages.len(), 3);
    assert!(!with.pages[0].ocr && !with.pages[1].ocr);
    assert!(with.pages[1].text.contains("Schedule of agreements"));
    assert!(with.pages[2].ocr);
    assert!(
        with.pages[2].text.contains("友好城市"),
        "{:?}",
        with.pages[2].text
    );
}

#[test]
fn ocr_past_its_time_is_stopped_and_the_document_is_partial() {
    let engine = engine();
    let dir = tempfile::tempdir().unwrap();
    let scan = scanned_pdf(dir.path(), 1);
    let limits = Limits {
        ocr_page_timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let e = extract(&scan, "application/pdf", "scan.pdf", &limits, Some(&engine));
    assert_eq!(e.status, Status::Partial);
    assert!(
        reason(&e).starts_with("OCR of page 1 failed: "),
        "{}",
        reason(&e)
    );
    assert!(
        reason(&e).contains("took longer than 0.2 s and was stopped"),
        "{}",
        reason(&e)
    );
    assert!(!e.pages[0].ocr);

    // The whole document's limit also bounds OCR: with less than a second left, none starts.
    let limits = Limits {
        timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let e = extract(&scan, "application/pdf", "scan.pdf", &limits, Some(&engine));
    assert_eq!(e.status, Status::Partial, "{:?}", e.reason);
    assert!(reason(&e).contains("time limit"), "{}", reason(&e));
}

#[test]
fn a_docx_gives_its_paragraphs_as_lines() {
    let bytes = docx(&[
        "Twinning agreement with Suzhou",
        "Signed 1987 & renewed 友好城市",
    ]);
    let e = read(
        &bytes,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "agreement.docx",
    );
    assert_eq!(e.status, Status::Extracted, "{:?}", e.reason);
    assert_eq!(e.format, Some("docx"));
    assert_eq!(e.pages.len(), 1);
    assert_eq!(
        e.pages[0].text,
        "Twinning agreement with Suzhou\nSigned 1987 & renewed 友好城市"
    );
}

#[test]
fn an_xlsx_gives_a_page_per_sheet() {
    let bytes = xlsx(&[
        (
            "Agreements",
            &[
                &["Council", "Partner", "Year"],
                &["Bristol", "Guangzhou", "2001"],
            ],
        ),
        ("Notes", &[&["友好城市", "", "active"]]),
    ]);
    let e = read(&bytes, "application/octet-stream", "links.xlsx");
    assert_eq!(e.status, Status::Extracted, "{:?}", e.reason);
    assert_eq!(e.format, Some("xlsx"));
    assert_eq!(e.pages.len(), 2);
    assert_eq!(
        e.pages[0].text,
        "Agreements\nCouncil\tPartner\tYear\nBristol\tGuangzhou\t2001"
    );
    assert_eq!(e.pages[1].number, 2);
    assert_eq!(e.pages[1].text, "Notes\n友好城市\t\tactive");
}

#[test]
fn html_and_plain_text_and_mail_are_read() {
    let html = "<!DOCTYPE html><html><head><title>x</title><style>p{}</style></head>\
                <body><h1>Disclosure log</h1><p>Request 117: twinning with <b>Suzhou</b>.</p></body></html>";
    let e = read(html.as_bytes(), "text/html", "log.html");
    assert_eq!(e.status, Status::Extracted);
    assert_eq!(e.format, Some("html"));
    assert_eq!(
        e.pages[0].text,
        "Disclosure log\n\nRequest 117: twinning with Suzhou."
    );

    let e = read(
        b"Caf\xe9 minutes   \r\n\r\n\r\n\r\n\r\nnext",
        "text/plain",
        "minutes.txt",
    );
    assert_eq!(e.format, Some("text"));
    assert_eq!(e.pages[0].text, "Café minutes\n\n\nnext");

    let mail = b"From: Records <foi@council.example>\r\nDate: Mon, 2 Jun 2025 09:30:00 +0000\r\n\
                 Subject: Twinning file\r\nContent-Type: text/plain\r\n\r\nThe file is attached.\r\n";
    let e = read(mail, "message/rfc822", "");
    assert_eq!(e.format, Some("eml"));
    assert_eq!(
        e.pages[0].text,
        "From: Records <foi@council.example>\nDate: Mon, 2 Jun 2025 09:30:00 +0000\n\
         Subject: Twinning file\n\nThe file is attached."
    );
}

#[test]
fn corrupt_pdfs_fail_without_panicking() {
    let good = text_pdf(&["Some text on a page that is long enough to count."]);
    let truncated = &good[..good.len() / 2];
    let e = read(truncated, "application/pdf", "cut.pdf");
    assert_eq!(e.status, Status::Failed, "{:?}", e);
    assert!(
        reason(&e).starts_with("not a readable PDF: "),
        "{}",
        reason(&e)
    );

    let e = read(
        b"%PDF-1.7\n\x00\x01garbage \xff\xfe obj << >> endobj trailer",
        "",
        "x.pdf",
    );
    assert_eq!(e.status, Status::Failed);
    assert!(
        reason(&e).starts_with("not a readable PDF: "),
        "{}",
        reason(&e)
    );

    // Damage anywhere in a good file: whatever lopdf or pdf-extract make of it, no panic
    // escapes and the answer is a status.
    let step = good.len() / 60 + 1;
    for at in (9..good.len()).step_by(step) {
        let mut damaged = good.clone();
        for (i, b) in damaged.iter_mut().skip(at).take(12).enumerate() {
            *b = [b'0', b' ', b'/', b'<', b'>', 0xFF, b'R', b'['][i % 8];
        }
        let e = read(&damaged, "application/pdf", "damaged.pdf");
        assert!(e.status != Status::Unsupported, "{e:?}");
    }
}

#[test]
fn a_page_that_crashes_the_text_reader_is_a_failure_not_a_panic() {
    // pdf-extract panics on a page tree without a MediaBox (it expects one).
    let mut doc = lopdf::Document::load_mem(&text_pdf(&["A page with no size at all."])).unwrap();
    for object in doc.objects.values_mut() {
        if let lopdf::Object::Dictionary(d) = object {
            d.remove(b"MediaBox");
        }
    }
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    let e = read(&bytes, "application/pdf", "no-size.pdf");
    assert_eq!(e.status, Status::Failed, "{e:?}");
    assert!(
        reason(&e)
            .starts_with("not a readable PDF: no page could be read (page 1: the reader crashed ("),
        "{}",
        reason(&e)
    );
}

#[test]
fn an_encrypted_pdf_fails_and_a_permissions_only_one_is_read() {
    let locked = encrypted_pdf(
        &["Confidential annex listing the partner cities."],
        "letmein",
    );
    let e = read(&locked, "application/pdf", "locked.pdf");
    assert_eq!(e.status, Status::Failed);
    assert_eq!(
        reason(&e),
        "encrypted (password-protected) PDF: foi cannot read it"
    );

    let open = encrypted_pdf(
        &["Annex listing the partner cities, readable by anyone."],
        "",
    );
    let e = read(&open, "application/pdf", "open.pdf");
    assert_eq!(e.status, Status::Extracted, "{:?}", e.reason);
    assert!(
        e.pages[0].text.contains("partner cities"),
        "{:?}",
        e.pages[0].text
    );
}

#[test]
fn limits_on_size_and_pages_are_kept() {
    let pdf = text_pdf(&[
        "one: enough text to be a page",
        "two: enough text to be a page",
        "three: enough text to be a page",
    ]);
    let tiny = Limits {
        max_bytes: 100,
        ..Limits::default()
    };
    let e = extract(&pdf, "application/pdf", "big.pdf", &tiny, None);
    assert_eq!(e.status, Status::Failed);
    assert!(reason(&e).starts_with("too large ("), "{}", reason(&e));
    assert!(reason(&e).ends_with(", limit 100 bytes)"), "{}", reason(&e));

    let two = Limits {
        max_pages: 2,
        ..Limits::default()
    };
    let e = extract(&pdf, "application/pdf", "long.pdf", &two, None);
    assert_eq!(e.status, Status::Partial);
    assert_eq!(e.pages.len(), 2);
    assert_eq!(
        reason(&e),
        "only the first 2 of 3 pages were read (the page limit)"
    );

    // No time at all: the caller gets its answer at once, and the abandoned read finishes by
    // itself.
    let none = Limits {
        timeout: Duration::ZERO,
        ..Limits::default()
    };
    let e = extract(&pdf, "application/pdf", "slow.pdf", &none, None);
    assert_eq!(e.status, Status::Failed);
    assert_eq!(reason(&e), "took longer than 0 s to read");
}

#[test]
fn images_and_other_archives_are_unsupported() {
    let e = read(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png", "scan.png");
    assert_eq!(e.status, Status::Unsupported);
    assert!(reason(&e).starts_with("an image (PNG)"), "{}", reason(&e));
    assert!(e.format.is_none());

    let archive = zip_of(&[
        ("minutes/2019.pdf", b"%PDF-1.4"),
        ("minutes/2020.pdf", b"%PDF-1.4"),
    ]);
    let e = read(&archive, "application/zip", "minutes.zip");
    assert_eq!(e.status, Status::Unsupported);
    assert!(reason(&e).contains("zip archive"), "{}", reason(&e));
}

const ODF_NS: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2""#;

#[test]
fn opendocument_text_and_spreadsheets_are_read() {
    let odt_content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS}><office:body><office:text><text:h>Minutes</text:h><text:p>Item 4: twinning with Suzhou (友好城市).</text:p></office:text></office:body></office:document-content>"#
    );
    let odt = zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("content.xml", odt_content.as_bytes()),
    ]);
    let e = read(
        &odt,
        "application/vnd.oasis.opendocument.text",
        "minutes.odt",
    );
    assert_eq!(e.status, Status::Extracted, "{:?}", e.reason);
    assert_eq!(e.format, Some("odt"));
    assert_eq!(
        e.pages[0].text,
        "Minutes\nItem 4: twinning with Suzhou (友好城市)."
    );

    let ods_content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS}><office:body><office:spreadsheet><table:table table:name="Links"><table:table-row><table:table-cell office:value-type="string"><text:p>Council</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Since</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell office:value-type="string"><text:p>Leeds</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="1987"><text:p>1987</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let ods = zip_of(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("META-INF/manifest.xml", manifest.as_bytes()),
        ("content.xml", ods_content.as_bytes()),
    ]);
    let e = read(&ods, "", "links.ods");
    assert_eq!(e.status, Status::Extracted, "{:?}", e.reason);
    assert_eq!(e.format, Some("ods"));
    assert_eq!(e.pages[0].text, "Links\nCouncil\tSince\nLeeds\t1987");
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_unpacked() {
    use std::io::{Cursor, Write};
    // One megabyte of zeros deflates to about a kilobyte; copied raw 201 times it is a 200 KB
    // file that unpacks to 201 MB, past the 200 MB cap.
    let mut one = zip::ZipWriter::new(Cursor::new(Vec::new()));
    one.start_file("zeros.bin", zip::write::SimpleFileOptions::default())
        .unwrap();
    one.write_all(&vec![0u8; 1024 * 1024]).unwrap();
    let one = one.finish().unwrap().into_inner();
    let mut source = zip::ZipArchive::new(Cursor::new(one)).unwrap();

    let mut bomb = zip::ZipWriter::new(Cursor::new(Vec::new()));
    bomb.start_file("xl/workbook.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    bomb.write_all(b"<workbook/>").unwrap();
    for i in 0..201 {
        let entry = source.by_index(0).unwrap();
        bomb.raw_copy_file_rename(entry, format!("xl/media/zeros{i}.bin"))
            .unwrap();
    }
    let bytes = bomb.finish().unwrap().into_inner();
    assert!(bytes.len() < 1024 * 1024, "{}", bytes.len());

    let e = read(&bytes, "", "bomb.xlsx");
    assert_eq!(e.status, Status::Failed);
    assert!(
        reason(&e)
            .starts_with("not a readable Excel workbook (.xlsx): unpacks to more than 200 MB"),
        "{}",
        reason(&e)
    );
    assert!(
        reason(&e).ends_with("refused as a possible zip bomb"),
        "{}",
        reason(&e)
    );
}
