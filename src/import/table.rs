use super::ImportError;
use std::collections::HashMap;
use std::fmt;

/// One problem in one place of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// The column at fault, when there is one.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "line {}, field {field}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// A delimited file with a header: comma-separated, or tab-separated when the file name ends
/// in `.tsv` or the header line holds a tab.
#[derive(Debug)]
pub struct Table {
    columns: HashMap<String, usize>,
    /// The rows that are sound: a cell for every column, each one acceptable text.
    pub rows: Vec<(u64, Vec<String>)>,
    /// What is wrong with the other rows; the parsers add their own and report them together.
    pub errors: Vec<RowError>,
}

/// The longest value a cell may hold, in characters. Generous for real data (the longest UK
/// council name is under 60 characters), and small enough that a stray file cannot fill the
/// database or an error message. The README lists them.
pub fn max_chars(column: &str) -> usize {
    match column {
        "name" | "uk_authority" | "uk_place" | "chinese_partner" | "partner_province" => 200,
        "slug" => 120,
        "foi_email" => 254,
        "nation" | "regime" | "status" | "since_year" | "ended_year" => 40,
        "relationship" => 100,
        "tags" => 500,
        _ => 2000,
    }
}

/// Why a cell's text cannot be stored as it is. Line breaks, NUL and other control characters
/// break tables, letters and (NUL) PostgreSQL; bidirectional controls can make a name display
/// as something other than what it says.
fn check_cell(value: &str, max: usize) -> Result<(), String> {
    let n = value.chars().count();
    if n > max {
        return Err(format!("is {n} characters long; at most {max} are allowed"));
    }
    for (i, c) in value.chars().enumerate() {
        let (what, why) = match c {
            '\n' | '\r' => ("a line break", ""),
            '\0' => ("a NUL character", ""),
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => (
                "a bidirectional-text control",
                ", which can make text display as something it does not say",
            ),
            c if c.is_control() => ("a control character", ""),
            _ => continue,
        };
        return Err(format!(
            "contains {what} (U+{:04X}) at character {}{why}",
            u32::from(c),
            i + 1
        ));
    }
    Ok(())
}

impl Table {
    pub fn parse(file: &str, text: &str, required: &[&str]) -> Result<Self, ImportError> {
        let fail = |line: u64, field: Option<&str>, message: String| ImportError {
            file: file.to_string(),
            errors: vec![RowError {
                line,
                field: field.map(str::to_string),
                message,
            }],
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let first_line = text.lines().next().unwrap_or("");
        if first_line.trim().is_empty() {
            return Err(fail(
                1,
                None,
                "the file is empty: a header line is needed".into(),
            ));
        }
        let delimiter = if file.to_ascii_lowercase().ends_with(".tsv") || first_line.contains('\t')
        {
            b'\t'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            // GOV.UK-style TSVs hold literal quotes in free text; only CSV uses quoting.
            .quoting(delimiter == b',')
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| fail(1, None, format!("cannot read the header: {e}")))?
            .clone();
        let mut columns = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            let key = h.trim().to_ascii_lowercase();
            if !key.is_empty() {
                columns.entry(key).or_insert(i);
            }
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|c| !columns.contains_key(*c))
            .collect();
        if !missing.is_empty() {
            return Err(fail(
                1,
                None,
                format!(
                    "missing column{} {} (the header has: {})",
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", "),
                    headers.iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        let names: Vec<String> = headers
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        let mut lines = Lines::new(text);
        for record in reader.records() {
            match record {
                Ok(r) => {
                    let line = r.position().map(|p| lines.at(p.byte())).unwrap_or(0);
                    if r.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    // A missing cell is not an empty one: a short row usually means a lost
                    // separator, and every later value would land in the wrong column.
                    if r.len() != headers.len() {
                        let missing = if r.len() < headers.len() {
                            format!(
                                " (missing: {}; an empty cell still needs its separator)",
                                headers.iter().skip(r.len()).collect::<Vec<_>>().join(", ")
                            )
                        } else {
                            String::new()
                        };
                        errors.push(RowError {
                            line,
                            field: None,
                            message: format!(
                                "{} cells, but the header has {} columns{missing}",
                                r.len(),
                                headers.len()
                            ),
                        });
                        continue;
                    }
                    let cells: Vec<String> = r.iter().map(|c| c.trim().to_string()).collect();
                    let mut sound = true;
                    for (i, cell) in cells.iter().enumerate() {
                        let column = names.get(i).map(String::as_str).unwrap_or("");
                        if let Err(message) = check_cell(cell, max_chars(column)) {
                            sound = false;
                            errors.push(RowError {
                                line,
                                field: Some(if column.is_empty() {
                                    format!("column {}", i + 1)
                                } else {
                                    column.to_string()
                                }),
                                message,
                            });
                        }
                    }
                    if sound {
                        rows.push((line, cells));
                    }
                }
                Err(e) => {
                    let line = e.position().map(|p| lines.at(p.byte())).unwrap_or(0);
                    errors.push(RowError {
                        line,
                        field: None,
                        message: format!("cannot read the row: {e}"),
                    });
                }
            }
        }
        Ok(Table {
            columns,
            rows,
            errors,
        })
    }

    /// The parsed rows, or every problem in the file (the table's and the caller's) in line
    /// order, so the operator can fix them all in one pass.
    pub fn finish<T>(
        &self,
        file: &str,
        out: Vec<T>,
        mut errors: Vec<RowError>,
    ) -> Result<Vec<T>, ImportError> {
        errors.extend(self.errors.iter().cloned());
        if errors.is_empty() {
            return Ok(out);
        }
        errors.sort_by_key(|e| e.line);
        Err(ImportError {
            file: file.to_string(),
            errors,
        })
    }

    pub fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    /// The trimmed cell, or "" when the file has no such column.
    pub fn get<'a>(&self, row: &'a [String], column: &str) -> &'a str {
        self.columns
            .get(column)
            .and_then(|&i| row.get(i))
            .map(String::as_str)
            .unwrap_or("")
    }

    pub fn opt<'a>(&self, row: &'a [String], column: &str) -> Option<&'a str> {
        Some(self.get(row, column)).filter(|s| !s.is_empty())
    }
}

/// The 1-based file line a byte offset falls on. (The csv crate's own line counter does not
/// count blank lines, and an operator told "line 7" must find the row on line 7.) Records
/// come in file order, so it counts on from the last offset it was asked about instead of
/// from the start: counting from the start for every row made a 100,000-row import
/// quadratic.
struct Lines<'a> {
    bytes: &'a [u8],
    pos: usize,
    newlines: u64,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            bytes: text.as_bytes(),
            pos: 0,
            newlines: 0,
        }
    }

    fn at(&mut self, byte: u64) -> u64 {
        let bytes = self.bytes;
        let mut end = (byte as usize).min(bytes.len());
        // A record's position is where the reader started, which is before any blank lines it skipped.
        while end < bytes.len() && (bytes[end] == b'\n' || bytes[end] == b'\r') {
            end += 1;
        }
        if end < self.pos {
            self.pos = 0;
            self.newlines = 0;
        }
        self.newlines += bytes[self.pos..end].iter().filter(|&&b| b == b'\n').count() as u64;
        self.pos = end;
        self.newlines + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_csv_and_tsv_with_line_numbers() {
        let t = Table::parse(
            "a.csv",
            "name,nation\n\"Leeds, City of\",England\n\nWakefield,England\n",
            &["name"],
        )
        .unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.get(&t.rows[0].1, "name"), "Leeds, City of");
        assert_eq!(t.rows[1].0, 4);
        let t = Table::parse("a.tsv", "name\tnotes\nX\tsaid \"hi\n", &["name"]).unwrap();
        assert_eq!(t.get(&t.rows[0].1, "notes"), "said \"hi");
    }

    #[test]
    fn names_missing_columns() {
        let err = Table::parse("a.csv", "name,email\nx,y\n", &["name", "nation"]).unwrap_err();
        assert!(err.to_string().contains("missing column nation"), "{err}");
        assert!(Table::parse("a.csv", "", &["name"]).is_err());
    }
}
