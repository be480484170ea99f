//! Spreadsheets (XLSX, XLS, ODS) through calamine: one page per sheet, the sheet's name on
//! its first line, then each row as a line of tab-separated cells.

use std::io::Cursor;

use calamine::{Data, Ods, Reader, Xls, Xlsx};

use super::archive::{self, ZipProblem, MAX_UNPACKED};
use super::detect::Format;
use super::text::normalise;
use super::{Extraction, Limits, Page};

const ENCRYPTED: &str = "encrypted (password-protected) spreadsheet: foi cannot read it";

pub(crate) fn extract(bytes: &[u8], format: Format, limits: &Limits) -> Extraction {
    let name = format.name();
    let fail = |why: String| {
        Extraction::failed(
            Some(name),
            format!("not a readable {}: {why}", format.describe()),
        )
    };
    // calamine unzips by itself, without a cap on what an entry unpacks to.
    if matches!(format, Format::Xlsx | Format::Ods) {
        if let Err(ZipProblem::Bomb(m) | ZipProblem::Damaged(m)) =
            archive::check_unpacked_size(bytes, MAX_UNPACKED)
        {
            return fail(m);
        }
    }
    let cursor = Cursor::new(bytes);
    let opened = match format {
        Format::Xlsx => Xlsx::new(cursor).map(Book::Xlsx).map_err(|e| {
            let password = matches!(e, calamine::XlsxError::Password);
            (password, e.to_string())
        }),
        Format::Xls => Xls::new(cursor).map(Book::Xls).map_err(|e| {
            let password = matches!(e, calamine::XlsError::Password);
            (password, e.to_string())
        }),
        Format::Ods => Ods::new(cursor).map(Book::Ods).map_err(|e| {
            let password = matches!(e, calamine::OdsError::Password);
            (password, e.to_string())
        }),
        _ => return fail("not a spreadsheet".into()),
    };
    let mut book = match opened {
        Ok(book) => book,
        Err((true, _)) => return Extraction::failed(Some(name), ENCRYPTED),
        Err((false, e)) => return fail(e),
    };

    let sheets = book.sheet_names();
    if sheets.is_empty() {
        return fail("it has no sheets".into());
    }
    let mut pages = Vec::new();
    let mut problems = Vec::new();
    for (i, sheet) in sheets.iter().enumerate() {
        if i as u32 >= limits.max_pages {
            problems.push(format!(
                "only the first {} of {} sheets were read (the page limit)",
                limits.max_pages,
                sheets.len()
            ));
            break;
        }
        let mut text = sheet.clone();
        match book.range(sheet) {
            Ok(range) => {
                for row in range.rows() {
                    text.push('\n');
                    let cells: Vec<String> = row.iter().map(cell).collect();
                    let used = cells
                        .iter()
                        .rposition(|c| !c.is_empty())
                        .map_or(0, |i| i + 1);
                    text.push_str(&cells[..used].join("\t"));
                }
            }
            Err(e) => problems.push(format!("sheet \"{sheet}\" could not be read ({e})")),
        }
        pages.push(Page {
            number: i as u32 + 1,
            text: normalise(&text),
            ocr: false,
        });
    }
    Extraction::from_pages(name, pages, problems)
}

enum Book<'a> {
    Xlsx(Xlsx<Cursor<&'a [u8]>>),
    Xls(Xls<Cursor<&'a [u8]>>),
    Ods(Ods<Cursor<&'a [u8]>>),
}

impl Book<'_> {
    fn sheet_names(&self) -> Vec<String> {
        match self {
            Book::Xlsx(b) => b.sheet_names(),
            Book::Xls(b) => b.sheet_names(),
            Book::Ods(b) => b.sheet_names(),
        }
    }

    fn range(&mut self, sheet: &str) -> Result<calamine::Range<Data>, String> {
        match self {
            Book::Xlsx(b) => b.worksheet_range(sheet).map_err(|e| e.to_string()),
            Book::Xls(b) => b.worksheet_range(sheet).map_err(|e| e.to_string()),
            Book::Ods(b) => b.worksheet_range(sheet).map_err(|e| e.to_string()),
        }
    }
}

/// A cell as a person reads it: whole numbers without ".0", dates as ISO dates, booleans in
/// capitals as spreadsheets show them.
fn cell(data: &Data) -> String {
    let s = match data {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(d) if d.is_duration() => number(d.as_f64()),
        Data::DateTime(d) => {
            let (y, mo, day, h, mi, s, _) = d.to_ymd_hms_milli();
            let whole_day = d.as_f64().fract() == 0.0;
            if d.as_f64() < 1.0 {
                format!("{h:02}:{mi:02}:{s:02}")
            } else if whole_day {
                format!("{y:04}-{mo:02}-{day:02}")
            } else {
                format!("{y:04}-{mo:02}-{day:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    };
    // A tab or line break inside a cell would split it into two cells or rows.
    s.replace(['\t', '\r', '\n'], " ")
}

fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{ExcelDateTime, ExcelDateTimeType};

    #[test]
    fn cells_read_as_a_person_sees_them() {
        assert_eq!(cell(&Data::Float(1987.0)), "1987");
        assert_eq!(cell(&Data::Float(2.5)), "2.5");
        assert_eq!(cell(&Data::Bool(true)), "TRUE");
        assert_eq!(cell(&Data::String("a\tb\nc".into())), "a b c");
        let date = ExcelDateTime::new(45943.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(cell(&Data::DateTime(date)), "2025-10-13");
        let when = ExcelDateTime::new(45943.5, ExcelDateTimeType::DateTime, false);
        assert_eq!(cell(&Data::DateTime(when)), "2025-10-13 12:00:00");
    }

    #[test]
    fn not_a_workbook_fails() {
        let e = extract(b"PK\x03\x04garbage", Format::Xlsx, &Limits::default());
        assert_eq!(e.status, super::super::Status::Failed);
        assert!(
            e.reason
                .as_deref()
                .unwrap()
                .starts_with("not a readable Excel workbook (.xlsx)"),
            "{:?}",
            e.reason
        );
    }
}
