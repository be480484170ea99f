//! Content-addressed storage under the data folder: raw messages and attachments are kept by
//! their SHA-256, so the same bytes are stored once and a name can never escape the folder.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes `bytes` to `<root>/<kind>/<aa>/<sha256><ext>` unless it is already there, atomically.
pub fn store(
    root: &Path,
    kind: &str,
    sha: &str,
    ext: &str,
    bytes: &[u8],
) -> std::io::Result<PathBuf> {
    let prefix = sha.get(..2).unwrap_or("00");
    let dir = root.join(kind).join(prefix);
    let path = dir.join(format!("{sha}{ext}"));
    if path.exists() {
        return Ok(path);
    }
    std::fs::create_dir_all(&dir)?;
    let tmp = dir.join(format!(".{sha}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// Where a stored file is now: the path recorded when it was stored, or, when that is gone
/// (a relative data folder read from another working folder, say), its content-addressed
/// place under `root`. None when neither exists.
pub fn locate(root: &Path, kind: &str, sha: &str, ext: &str, recorded: &str) -> Option<PathBuf> {
    let recorded = PathBuf::from(recorded);
    if recorded.is_file() {
        return Some(recorded);
    }
    let prefix = sha.get(..2)?;
    let path = root.join(kind).join(prefix).join(format!("{sha}{ext}"));
    path.is_file().then_some(path)
}

/// The SHA-256 of a file's contents, read in pieces (attachments can be large).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

/// Writes `bytes` to `path` through a temporary file beside it, so a reader never sees half a
/// file and an old file is replaced whole.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// `name` with " (n)" before its extension: `report.pdf` becomes `report (2).pdf`.
pub fn numbered(name: &str, n: u32) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => format!("{stem} ({n}).{ext}"),
        _ => format!("{name} ({n})"),
    }
}

/// How many numbered names `write_new` tries before giving up.
const MAX_NUMBERED: u32 = 10_000;

/// Writes `bytes` into `dir` as `name`, or as `name (2)`, `name (3)`… when that is taken:
/// never over a file already there. The bytes go to a hidden file in `dir` first and are
/// linked under their name only once complete, so no part-written file is ever left under
/// a name staff would open. Returns the path written.
pub fn write_new(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    use std::io::Write as _;
    use std::sync::atomic::{AtomicU32, Ordering};
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let tmp = dir.join(format!(
        ".foi-save-{}-{}.part",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    let result = link_under_free_name(&tmp, dir, name, bytes);
    let _ = std::fs::remove_file(&tmp);
    result
}

fn link_under_free_name(
    tmp: &Path,
    dir: &Path,
    name: &str,
    bytes: &[u8],
) -> std::io::Result<PathBuf> {
    use std::io::ErrorKind;
    for n in 1..=MAX_NUMBERED {
        let path = dir.join(if n == 1 {
            name.to_string()
        } else {
            numbered(name, n)
        });
        // A hard link never replaces an existing file, so a name taken meanwhile (by another
        // save, or by staff) is simply skipped.
        match std::fs::hard_link(tmp, &path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            // A file system without hard links: write the name afresh, still never over a file.
            Err(_) => match write_exclusive(&path, bytes) {
                Ok(()) => return Ok(path),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            },
        }
    }
    Err(std::io::Error::new(
        ErrorKind::AlreadyExists,
        format!(
            "{} and {MAX_NUMBERED} numbered names like it are all taken",
            dir.join(name).display()
        ),
    ))
}

/// Creates `path` (failing if it exists) holding `bytes`; removed again if writing fails.
fn write_exclusive(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    let done = f.write_all(bytes).and_then(|()| f.sync_all());
    if done.is_err() {
        drop(f);
        let _ = std::fs::remove_file(path);
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_names_keep_the_extension() {
        assert_eq!(numbered("report.pdf", 2), "report (2).pdf");
        assert_eq!(numbered("archive.tar.gz", 3), "archive.tar (3).gz");
        assert_eq!(numbered("passwd", 2), "passwd (2)");
    }

    #[test]
    fn write_new_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.pdf"), b"staff's own").unwrap();
        let first = write_new(dir.path(), "a.pdf", b"one").unwrap();
        let second = write_new(dir.path(), "a.pdf", b"two").unwrap();
        assert_eq!(first, dir.path().join("a (2).pdf"));
        assert_eq!(second, dir.path().join("a (3).pdf"));
        assert_eq!(
            std::fs::read(dir.path().join("a.pdf")).unwrap(),
            b"staff's own"
        );
        assert_eq!(std::fs::read(first).unwrap(), b"one");
        assert_eq!(std::fs::read(second).unwrap(), b"two");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(names.len(), 3, "no temporary file is left: {names:?}");
    }

    #[test]
    fn locate_falls_back_to_the_content_address() {
        let dir = tempfile::tempdir().unwrap();
        let sha = sha256_hex(b"x");
        let stored = store(dir.path(), "attachments", &sha, "", b"x").unwrap();
        assert_eq!(
            locate(dir.path(), "attachments", &sha, "", "/gone/elsewhere"),
            Some(stored.clone())
        );
        std::fs::remove_file(&stored).unwrap();
        assert_eq!(
            locate(
                dir.path(),
                "attachments",
                &sha,
                "",
                &stored.display().to_string()
            ),
            None
        );
    }

    #[test]
    fn stores_once_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let sha = sha256_hex(b"hello");
        let a = store(dir.path(), "attachments", &sha, "", b"hello").unwrap();
        let b = store(dir.path(), "attachments", &sha, "", b"hello").unwrap();
        assert_eq!(a, b);
        assert!(a.starts_with(dir.path().join("attachments").join(&sha[..2])));
        assert_eq!(std::fs::read(a).unwrap(), b"hello");
    }
}
