//! The files inside a `winmail.dat` (application/ms-tnef), which Outlook sends instead of
//! ordinary attachments when it thinks the recipient also runs Outlook.
//!
//! Written here rather than taken from crates.io: the one crate (`tnef` 0.1.1, last released
//! in 2019) rejects any attribute it does not know, insists on fields Outlook often leaves
//! out, and does not read the long file name from the MAPI properties. This reader takes only
//! what we need (each attachment's bytes and name), is bounded by the input's length, and
//! stops with an error naming the byte offset when the data is damaged. Format: [MS-OXTNEF].

use super::text::decode_cp1252;

const SIGNATURE: u32 = 0x223E_9F78;
const LVL_MESSAGE: u8 = 0x01;
const LVL_ATTACHMENT: u8 = 0x02;

const ATT_OEM_CODEPAGE: u32 = 0x0006_9007;
const ATT_ATTACH_REND_DATA: u32 = 0x0006_9002;
const ATT_ATTACH_TITLE: u32 = 0x0001_8010;
const ATT_ATTACH_DATA: u32 = 0x0006_800F;
const ATT_ATTACHMENT: u32 = 0x0006_9005;
const ATT_ATTACH_TRANSPORT_FILENAME: u32 = 0x0001_9001;

const PR_ATTACH_DATA_BIN: u16 = 0x3701;
const PR_ATTACH_FILENAME: u16 = 0x3704;
const PR_ATTACH_LONG_FILENAME: u16 = 0x3707;
const PR_DISPLAY_NAME: u16 = 0x3001;

/// Outlook never packs this many; a crafted file must not make us allocate without end.
const MAX_ATTACHMENTS: usize = 256;
const MAX_PROPERTIES: u32 = 4096;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TnefError {
    #[error("not TNEF data (no TNEF signature at the start)")]
    NotTnef,
    #[error("TNEF data ends early at byte {at} (wanted {wanted} more bytes)")]
    Truncated { at: usize, wanted: usize },
    #[error("TNEF attribute at byte {at} has unknown level {level}")]
    BadLevel { at: usize, level: u8 },
    #[error("TNEF data holds more than {MAX_ATTACHMENTS} attachments")]
    TooMany,
}

/// One file found inside the TNEF data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TnefFile {
    /// The long file name when Outlook gave one, else the short title; not yet made safe.
    pub name: Option<String>,
    pub bytes: Vec<u8>,
}

/// What [`unpack`] found: the files, and notes on what was odd but survivable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unpacked {
    pub files: Vec<TnefFile>,
    pub warnings: Vec<String>,
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], TnefError> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.data.len());
        match end.and_then(|e| self.data.get(self.pos..e)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(TnefError::Truncated {
                at: self.pos,
                wanted: n,
            }),
        }
    }

    fn u8(&mut self) -> Result<u8, TnefError> {
        Ok(self.take(1)?.first().copied().unwrap_or_default())
    }

    fn u16(&mut self) -> Result<u16, TnefError> {
        let b: [u8; 2] = self.take(2)?.try_into().unwrap_or_default();
        Ok(u16::from_le_bytes(b))
    }

    fn u32(&mut self) -> Result<u32, TnefError> {
        let b: [u8; 4] = self.take(4)?.try_into().unwrap_or_default();
        Ok(u32::from_le_bytes(b))
    }

    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
}

#[derive(Default)]
struct Pending {
    title: Option<String>,
    long_name: Option<String>,
    data: Option<Vec<u8>>,
}

impl Pending {
    fn finish(self) -> Option<TnefFile> {
        let bytes = self.data?;
        Some(TnefFile {
            name: self.long_name.or(self.title),
            bytes,
        })
    }
}

/// The files packed in `data`. Message-level attributes (the body in RTF, recipients) are
/// skipped: the original winmail.dat is kept beside what comes out of it.
pub fn unpack(data: &[u8]) -> Result<Unpacked, TnefError> {
    let mut r = Reader { data, pos: 0 };
    if data.len() < 6 || r.u32()? != SIGNATURE {
        return Err(TnefError::NotTnef);
    }
    let _legacy_key = r.u16()?;
    let mut out = Unpacked::default();
    let mut code_page: u32 = 1252;
    let mut current: Option<Pending> = None;
    while !r.done() {
        let at = r.pos;
        let level = r.u8()?;
        if level != LVL_MESSAGE && level != LVL_ATTACHMENT {
            return Err(TnefError::BadLevel { at, level });
        }
        let id = r.u32()?;
        let len = r.u32()? as usize;
        let value = r.take(len)?;
        let checksum = r.u16()?;
        let sum = value
            .iter()
            .fold(0u16, |s, b| s.wrapping_add(u16::from(*b)));
        if sum != checksum {
            out.warnings.push(format!(
                "winmail.dat: checksum mismatch in the attribute at byte {at}"
            ));
        }
        match (level, id) {
            (LVL_MESSAGE, ATT_OEM_CODEPAGE) => {
                if let Some(Ok(b)) = value.get(..4).map(<[u8; 4]>::try_from) {
                    code_page = u32::from_le_bytes(b);
                }
            }
            (LVL_ATTACHMENT, ATT_ATTACH_REND_DATA) => {
                if let Some(file) = current.take().and_then(Pending::finish) {
                    push(&mut out, file)?;
                }
                current = Some(Pending::default());
            }
            (LVL_ATTACHMENT, ATT_ATTACH_TITLE) => {
                pending(&mut current).title = Some(string8(value, code_page));
            }
            (LVL_ATTACHMENT, ATT_ATTACH_TRANSPORT_FILENAME) => {
                let p = pending(&mut current);
                if p.long_name.is_none() {
                    p.long_name = Some(string8(value, code_page)).filter(|n| !n.is_empty());
                }
            }
            (LVL_ATTACHMENT, ATT_ATTACH_DATA) => {
                pending(&mut current).data = Some(value.to_vec());
            }
            (LVL_ATTACHMENT, ATT_ATTACHMENT) => {
                let p = pending(&mut current);
                match mapi_props(value, code_page) {
                    Ok(props) => {
                        if let Some(n) = props.long_name.or(props.file_name) {
                            p.long_name = Some(n);
                        }
                        if p.title.is_none() {
                            p.title = props.display_name;
                        }
                        if p.data.is_none() {
                            p.data = props.data;
                        }
                    }
                    Err(e) => out.warnings.push(format!(
                        "winmail.dat: attachment properties at byte {at} unreadable ({e})"
                    )),
                }
            }
            _ => {}
        }
    }
    if let Some(file) = current.take().and_then(Pending::finish) {
        push(&mut out, file)?;
    }
    Ok(out)
}

fn pending(current: &mut Option<Pending>) -> &mut Pending {
    current.get_or_insert_with(Pending::default)
}

fn push(out: &mut Unpacked, file: TnefFile) -> Result<(), TnefError> {
    if out.files.len() >= MAX_ATTACHMENTS {
        return Err(TnefError::TooMany);
    }
    out.files.push(file);
    Ok(())
}

/// A NUL-terminated 8-bit string in the message's code page.
fn string8(value: &[u8], code_page: u32) -> String {
    let end = value.iter().position(|b| *b == 0).unwrap_or(value.len());
    let bytes = value.get(..end).unwrap_or_default();
    match (code_page, std::str::from_utf8(bytes)) {
        (65001, Ok(s)) => s.to_string(),
        (_, Ok(s)) if s.is_ascii() => s.to_string(),
        _ => decode_cp1252(bytes),
    }
    .trim()
    .to_string()
}

fn utf16(value: &[u8]) -> String {
    let units: Vec<u16> = value
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|u| *u != 0)
        .collect();
    String::from_utf16_lossy(&units).trim().to_string()
}

#[derive(Default)]
struct Props {
    long_name: Option<String>,
    file_name: Option<String>,
    display_name: Option<String>,
    data: Option<Vec<u8>>,
}

/// Reads the MAPI property list of one attachment ([MS-OXTNEF] 2.1.3.4) for the few
/// properties we want. Stops at the first property type it cannot size.
fn mapi_props(value: &[u8], code_page: u32) -> Result<Props, String> {
    let mut r = Reader {
        data: value,
        pos: 0,
    };
    let mut props = Props::default();
    let count = r.u32().map_err(|e| e.to_string())?;
    for _ in 0..count.min(MAX_PROPERTIES) {
        let kind = r.u16().map_err(|e| e.to_string())?;
        let id = r.u16().map_err(|e| e.to_string())?;
        if id >= 0x8000 {
            // A named property: GUID, then an id or a UTF-16 name.
            r.take(16).map_err(|e| e.to_string())?;
            match r.u32().map_err(|e| e.to_string())? {
                0 => {
                    r.u32().map_err(|e| e.to_string())?;
                }
                1 => {
                    let n = r.u32().map_err(|e| e.to_string())? as usize;
                    r.take(padded(n)).map_err(|e| e.to_string())?;
                }
                other => return Err(format!("named property kind {other}")),
            }
        }
        let multi = kind & 0x1000 != 0;
        let base = kind & !0x1000;
        let values = if multi || is_variable(base) {
            r.u32().map_err(|e| e.to_string())?
        } else {
            1
        };
        for _ in 0..values.min(MAX_PROPERTIES) {
            if is_variable(base) {
                let n = r.u32().map_err(|e| e.to_string())? as usize;
                let bytes = r.take(n).map_err(|e| e.to_string())?;
                r.take(padded(n) - n).map_err(|e| e.to_string())?;
                let text = || match base {
                    0x001F => Some(utf16(bytes)),
                    0x001E => Some(string8(bytes, code_page)),
                    _ => None,
                };
                match id {
                    PR_ATTACH_LONG_FILENAME => props.long_name = text().filter(|t| !t.is_empty()),
                    PR_ATTACH_FILENAME => props.file_name = text().filter(|t| !t.is_empty()),
                    PR_DISPLAY_NAME => props.display_name = text().filter(|t| !t.is_empty()),
                    PR_ATTACH_DATA_BIN if base == 0x0102 => props.data = Some(bytes.to_vec()),
                    _ => {}
                }
            } else {
                let size = fixed_size(base).ok_or_else(|| format!("property type {base:#06x}"))?;
                r.take(size).map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(props)
}

fn is_variable(kind: u16) -> bool {
    matches!(kind, 0x000D | 0x001E | 0x001F | 0x0102)
}

fn fixed_size(kind: u16) -> Option<usize> {
    match kind {
        0x0001..=0x0004 | 0x000A | 0x000B => Some(4),
        0x0005..=0x0007 | 0x0014 | 0x0040 => Some(8),
        0x0048 => Some(16),
        _ => None,
    }
}

/// Values are padded to a multiple of four bytes.
fn padded(n: usize) -> usize {
    n.div_ceil(4) * 4
}

/// Builds TNEF data for tests: the same layout Outlook writes, small enough to read.
#[cfg(test)]
pub(crate) mod build {
    fn attr(out: &mut Vec<u8>, level: u8, id: u32, value: &[u8]) {
        out.push(level);
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        out.extend_from_slice(value);
        let sum = value
            .iter()
            .fold(0u16, |s, b| s.wrapping_add(u16::from(*b)));
        out.extend_from_slice(&sum.to_le_bytes());
    }

    /// One attachment per (title, long name, bytes).
    pub fn tnef(files: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&super::SIGNATURE.to_le_bytes());
        out.extend_from_slice(&0x1234u16.to_le_bytes());
        attr(&mut out, 1, 0x0008_9006, &[0, 0, 1, 0]);
        attr(
            &mut out,
            1,
            super::ATT_OEM_CODEPAGE,
            &[0xE4, 0x04, 0, 0, 0, 0, 0, 0],
        );
        attr(&mut out, 1, 0x0001_8004, b"Subject\0");
        for (title, long, bytes) in files {
            attr(
                &mut out,
                2,
                super::ATT_ATTACH_REND_DATA,
                &[1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0],
            );
            attr(
                &mut out,
                2,
                super::ATT_ATTACH_TITLE,
                format!("{title}\0").as_bytes(),
            );
            attr(&mut out, 2, super::ATT_ATTACH_DATA, bytes);
            let mut props = Vec::new();
            let mut count = 1u32;
            let mut body = Vec::new();
            // PR_ATTACH_METHOD (PT_LONG) = 1, a fixed-size property to skip.
            body.extend_from_slice(&0x0003u16.to_le_bytes());
            body.extend_from_slice(&0x3705u16.to_le_bytes());
            body.extend_from_slice(&1u32.to_le_bytes());
            if let Some(long) = long {
                count += 1;
                let utf16: Vec<u8> = long
                    .encode_utf16()
                    .chain([0])
                    .flat_map(u16::to_le_bytes)
                    .collect();
                body.extend_from_slice(&0x001Fu16.to_le_bytes());
                body.extend_from_slice(&super::PR_ATTACH_LONG_FILENAME.to_le_bytes());
                body.extend_from_slice(&1u32.to_le_bytes());
                body.extend_from_slice(&(utf16.len() as u32).to_le_bytes());
                body.extend_from_slice(&utf16);
                body.resize(body.len() + super::padded(utf16.len()) - utf16.len(), 0);
            }
            props.extend_from_slice(&count.to_le_bytes());
            props.extend_from_slice(&body);
            attr(&mut out, 2, super::ATT_ATTACHMENT, &props);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_come_out_with_their_long_names() {
        let data = build::tnef(&[
            (
                "TWINNI~1.PDF",
                Some("Twinning agreement 2019.pdf"),
                b"%PDF-1.4 x",
            ),
            ("notes.txt", None, b"minutes"),
        ]);
        let u = unpack(&data).expect("valid TNEF");
        assert_eq!(
            u.files,
            vec![
                TnefFile {
                    name: Some("Twinning agreement 2019.pdf".into()),
                    bytes: b"%PDF-1.4 x".to_vec()
                },
                TnefFile {
                    name: Some("notes.txt".into()),
                    bytes: b"minutes".to_vec()
                },
            ]
        );
        assert!(u.warnings.is_empty(), "{:?}", u.warnings);
    }

    #[test]
    fn damage_is_reported_with_its_offset_and_never_panics() {
        assert_eq!(unpack(b""), Err(TnefError::NotTnef));
        assert_eq!(unpack(b"hello world"), Err(TnefError::NotTnef));
        let data = build::tnef(&[("a.txt", Some("a long.txt"), b"abc")]);
        for end in 0..data.len() {
            let _ = unpack(&data[..end]);
        }
        let mut bad = data.clone();
        bad[6] = 9;
        assert_eq!(unpack(&bad), Err(TnefError::BadLevel { at: 6, level: 9 }));
        let cut = &data[..data.len() - 3];
        assert!(matches!(unpack(cut), Err(TnefError::Truncated { .. })));
        let mut flipped = data.clone();
        let n = flipped.len();
        flipped[n - 20] ^= 0xFF;
        let _ = unpack(&flipped);
        // Every byte value at every position: no panic, no unbounded allocation.
        for i in 0..data.len() {
            for v in [0u8, 0x7F, 0xFF] {
                let mut d = data.clone();
                d[i] = v;
                let _ = unpack(&d);
            }
        }
    }

    #[test]
    fn the_existing_corpus_zero_blob_is_not_unpacked() {
        let mut blob = SIGNATURE.to_le_bytes().to_vec();
        blob.extend([0u8; 50]);
        assert!(matches!(unpack(&blob), Err(TnefError::BadLevel { .. })));
    }
}
#[cfg(test)]
mod fixture {
    /// `tests/fixtures/mail/response-winmail-dat.eml` carries exactly this TNEF data
    /// (base64), made with [`super::build::tnef`]; this test is how it was made and keeps the
    /// two in step.
    #[test]
    fn the_corpus_winmail_dat_is_the_builders_output() {
        let data = super::build::tnef(&[
            (
                "TWINNI~1.PDF",
                Some("Twinning agreement 2019 – signed copy.pdf"),
                b"%PDF-1.4\n% Twinning agreement (signed)\n%%EOF\n",
            ),
            (
                "minutes.txt",
                None,
                b"Minutes of the Friendship Committee, 12 May 2019.\n",
            ),
        ]);
        let eml = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/mail/response-winmail-dat.eml"
        ))
        .expect("fixture");
        let b64: String = eml
            .split("filename=\"winmail.dat\"")
            .nth(1)
            .and_then(|rest| rest.split("\n\n").nth(1))
            .and_then(|body| body.split("--").next())
            .expect("winmail.dat part")
            .split_whitespace()
            .collect();
        let decoded = mail_parser::decoders::base64::base64_decode(b64.as_bytes()).expect("base64");
        assert_eq!(decoded, data);
    }
}
