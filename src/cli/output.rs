//! Human-readable tables and `--json` output.

use serde::Serialize;

/// Prints rows as aligned columns under a header.
pub fn table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(c);
            } else {
                out.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        println!("{}", out.trim_end());
    };
    line(headers.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A JSON array written to standard output one element at a time, laid out as [`json`]
/// lays out a whole list, for lists too long to hold.
pub struct JsonArray<W: std::io::Write> {
    out: W,
    first: bool,
}

impl JsonArray<std::io::BufWriter<std::io::Stdout>> {
    pub fn stdout() -> Self {
        JsonArray::new(std::io::BufWriter::new(std::io::stdout()))
    }
}

impl<W: std::io::Write> JsonArray<W> {
    pub fn new(out: W) -> Self {
        JsonArray { out, first: true }
    }

    pub fn push<T: Serialize>(&mut self, value: &T) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(value)?;
        let sep = if self.first { "[\n" } else { ",\n" };
        self.first = false;
        self.out.write_all(sep.as_bytes())?;
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                self.out.write_all(b"\n")?;
            }
            self.out.write_all(b"  ")?;
            self.out.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> anyhow::Result<W> {
        let end = if self.first { "[]\n" } else { "\n]\n" };
        self.out.write_all(end.as_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }
}

pub fn or_dash(s: Option<&str>) -> String {
    s.filter(|s| !s.is_empty()).unwrap_or("-").to_string()
}

/// Text from outside (a sender's file name, a subject) fit for a terminal: control
/// characters and the bidirectional controls that can make a name display as something it
/// does not say are shown as escapes.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            let bidi = matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi {
                format!("\\u{{{:04X}}}", u32::from(c))
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A size in bytes as people read it: `104 bytes`, `12.3 KB`, `3.7 MB`.
pub fn size(bytes: i64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if b < KB * KB {
        format!("{:.1} KB", b / KB)
    } else {
        format!("{:.1} MB", b / (KB * KB))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_and_printable_names() {
        assert_eq!(super::size(104), "104 bytes");
        assert_eq!(super::size(12_595), "12.3 KB");
        assert_eq!(super::size(3_900_000), "3.7 MB");
        assert_eq!(
            super::printable("evil\u{202E}fdp.exe\u{1b}"),
            "evil\\u{202E}fdp.exe\\u{001B}"
        );
    }
}
