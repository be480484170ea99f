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

#[cfg(test)]
mod tests {
    use super::*;

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
