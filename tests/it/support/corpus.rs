//! Shared by the corpus and fuzz tests: loading the hand-written messages.

#![allow(dead_code)]

use std::path::PathBuf;

/// A line in a fixture that stands for a generated ~5 MB base64 body, so the
/// repository does not carry a huge file.
pub const HUGE_MARKER: &str = "@@HUGE_BASE64@@";
/// Raw bytes of the generated attachment.
pub const HUGE_BYTES: usize = 3_900_000;

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail")
}

/// Every `.eml` in the corpus as (file name, raw bytes), sorted by name, with
/// the huge-attachment marker expanded.
pub fn corpus_messages() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(fixtures_dir()).expect("fixtures dir");
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("eml") {
            continue;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 file name")
            .to_string();
        let raw = std::fs::read(&path).expect("read fixture");
        out.push((name, expand_huge(raw)));
    }
    out.sort();
    out
}

fn expand_huge(raw: Vec<u8>) -> Vec<u8> {
    let marker = HUGE_MARKER.as_bytes();
    let Some(at) = raw.windows(marker.len()).position(|w| w == marker) else {
        return raw;
    };
    let crlf = raw.windows(2).any(|w| w == b"\r\n");
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut out = Vec::with_capacity(raw.len() + HUGE_BYTES * 4 / 3 + HUGE_BYTES / 38);
    out.extend_from_slice(&raw[..at]);
    let encoded = base64(&huge_payload());
    for line in encoded.as_bytes().chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(eol);
    }
    // The marker's own line end follows it in the template.
    let rest = &raw[at + marker.len()..];
    let rest = rest
        .strip_prefix(b"\r\n")
        .or_else(|| rest.strip_prefix(b"\n"))
        .unwrap_or(rest);
    out.extend_from_slice(rest);
    out
}

/// Deterministic pseudo-random "PDF" bytes: incompressible like a real scan.
pub fn huge_payload() -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    while bytes.len() < HUGE_BYTES {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        bytes.push((state >> 33) as u8);
    }
    bytes
}

pub fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
