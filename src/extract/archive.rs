//! Reading zip containers (DOCX, XLSX, ODT, ODS) without trusting what they claim: every
//! entry is decompressed through a counter, so a small file that unpacks to gigabytes (a
//! zip bomb) is refused before it fills memory.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use super::text::human_size;

/// Most that foi decompresses from one document, all entries together. Real office
/// documents unpack to a few megabytes; a spreadsheet of a million cells to well under this.
pub(crate) const MAX_UNPACKED: u64 = 200 * 1024 * 1024;
/// Office documents have tens of entries; thousands means something else.
const MAX_ENTRIES: usize = 20_000;

pub(crate) type Zip<'a> = ZipArchive<Cursor<&'a [u8]>>;

#[derive(Debug)]
pub(crate) enum ZipProblem {
    /// Not a zip that can be read: truncated, damaged, encrypted entry.
    Damaged(String),
    /// Unpacks to more than the cap.
    Bomb(String),
}

impl ZipProblem {
    pub(crate) fn message(&self) -> &str {
        match self {
            ZipProblem::Damaged(m) | ZipProblem::Bomb(m) => m,
        }
    }
}

pub(crate) fn open(bytes: &[u8]) -> Result<Zip<'_>, ZipProblem> {
    let zip = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ZipProblem::Damaged(format!("damaged zip container ({e})")))?;
    if zip.len() > MAX_ENTRIES {
        return Err(ZipProblem::Bomb(format!(
            "the zip container holds {} entries (more than {MAX_ENTRIES}); refused as a possible zip bomb",
            zip.len()
        )));
    }
    Ok(zip)
}

/// Entry names, those that are not valid text left out.
pub(crate) fn names(zip: &Zip<'_>) -> Vec<String> {
    zip.file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect()
}

/// Reads one entry, counting what it unpacks to against `budget` (what is left of
/// `MAX_UNPACKED` for this document). `Ok(None)` when there is no such entry.
pub(crate) fn read_entry(
    zip: &mut Zip<'_>,
    name: &str,
    budget: &mut u64,
) -> Result<Option<Vec<u8>>, ZipProblem> {
    let Some(index) = zip.index_for_name(name) else {
        return Ok(None);
    };
    let mut entry = zip.by_index(index).map_err(|e| {
        ZipProblem::Damaged(format!("cannot open {name} in the zip container ({e})"))
    })?;
    let mut out = Vec::new();
    // One byte past the budget tells "exactly at the limit" from "over it".
    let read = (&mut entry)
        .take(*budget + 1)
        .read_to_end(&mut out)
        .map_err(|e| ZipProblem::Damaged(format!("cannot unpack {name} ({e})")))?;
    if read as u64 > *budget {
        return Err(bomb(name, MAX_UNPACKED));
    }
    *budget -= read as u64;
    Ok(Some(out))
}

/// Decompresses every entry into nothing, counting, before a library that reads the zip by
/// itself (calamine) is let loose on it.
pub(crate) fn check_unpacked_size(bytes: &[u8], cap: u64) -> Result<(), ZipProblem> {
    let mut zip = open(bytes)?;
    let mut budget = cap;
    for index in 0..zip.len() {
        let mut entry = zip
            .by_index(index)
            .map_err(|e| ZipProblem::Damaged(format!("damaged zip container ({e})")))?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let read = std::io::copy(&mut (&mut entry).take(budget + 1), &mut std::io::sink())
            .map_err(|e| ZipProblem::Damaged(format!("cannot unpack {name} ({e})")))?;
        if read > budget {
            return Err(bomb(&name, cap));
        }
        budget -= read;
    }
    Ok(())
}

fn bomb(name: &str, cap: u64) -> ZipProblem {
    ZipProblem::Bomb(format!(
        "unpacks to more than {} (at {name}); refused as a possible zip bomb",
        human_size(cap)
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    /// A zip of (name, contents), deflated.
    pub(crate) fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, SimpleFileOptions::default()).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn entries_are_read_and_counted() {
        let bytes = zip_of(&[("a.txt", b"hello"), ("b.txt", b"world!")]);
        let mut zip = open(&bytes).unwrap();
        assert_eq!(names(&zip), vec!["a.txt", "b.txt"]);
        let mut budget = 100;
        let a = read_entry(&mut zip, "a.txt", &mut budget).unwrap();
        assert_eq!(a.as_deref(), Some(&b"hello"[..]));
        assert_eq!(budget, 95);
        assert!(read_entry(&mut zip, "missing", &mut budget)
            .unwrap()
            .is_none());
        let mut small = 3;
        assert!(matches!(
            read_entry(&mut zip, "b.txt", &mut small),
            Err(ZipProblem::Bomb(_))
        ));
    }

    #[test]
    fn a_highly_compressed_entry_past_the_cap_is_refused() {
        // Zeros deflate about a thousandfold: the shape of a zip bomb, at a test-sized cap.
        let zeros = vec![0u8; 4 * 1024 * 1024];
        let bytes = zip_of(&[
            ("[Content_Types].xml", b"<x/>"),
            ("xl/worksheets/sheet1.xml", &zeros),
        ]);
        assert!(bytes.len() < 64 * 1024, "{}", bytes.len());
        assert!(check_unpacked_size(&bytes, 5 * 1024 * 1024).is_ok());
        let err = check_unpacked_size(&bytes, 1024 * 1024).unwrap_err();
        assert!(matches!(err, ZipProblem::Bomb(_)), "{err:?}");
        assert!(err.message().contains("zip bomb"), "{}", err.message());
        assert!(matches!(
            open(b"PK\x03\x04 not really"),
            Err(ZipProblem::Damaged(_))
        ));
    }
}
