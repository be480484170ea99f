//! The small header at the top of every template:
//!
//! ```text
//! ---
//! subject: Freedom of Information request: ... ({{request.reference}})
//! description: The main request for a copy of the agreement
//! requires: authority.name, twinning.partner_city
//! kind: letter
//! ---
//! Dear ...
//! ```

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateKind {
    /// A letter about one request (variables: authority, twinning, twinnings, request, law, requester, today, vars).
    Letter,
    /// The weekly staff digest (its own variables).
    Digest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatter {
    pub subject: String,
    pub description: String,
    pub requires: Vec<String>,
    pub kind: TemplateKind,
    /// The body, and how many lines of the file come before it (to report file line numbers).
    pub body: String,
    pub body_offset: usize,
}

/// Splits a template file into its header and body. Errors carry the 1-based file line.
pub fn parse(text: &str) -> Result<FrontMatter, (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    match lines.next() {
        Some(first) if first.trim_end() == "---" => {}
        _ => return Err((1, "the file must start with a '---' header line".into())),
    }
    let mut subject = None;
    let mut description = String::new();
    let mut requires = Vec::new();
    let mut kind = TemplateKind::Letter;
    let mut line_no = 1;
    let mut closed = false;
    let mut consumed = text.split_inclusive('\n').next().map(str::len).unwrap_or(0);
    for line in lines {
        line_no += 1;
        consumed += line.len();
        let trimmed = line.trim();
        if trimmed == "---" {
            closed = true;
            break;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((key, value)) = trimmed.split_once(':') else {
            return Err((
                line_no,
                format!("expected 'key: value' in the header, found '{trimmed}'"),
            ));
        };
        let value = value.trim();
        match key.trim() {
            "subject" => subject = Some(value.to_string()),
            "description" => description = value.to_string(),
            "requires" => {
                requires = value
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            }
            "kind" => {
                kind = match value {
                    "letter" => TemplateKind::Letter,
                    "digest" => TemplateKind::Digest,
                    other => {
                        return Err((
                            line_no,
                            format!("kind must be 'letter' or 'digest', not '{other}'"),
                        ))
                    }
                }
            }
            other => {
                return Err((
                    line_no,
                    format!(
                    "unknown header key '{other}' (known: subject, description, requires, kind)"
                ),
                ))
            }
        }
    }
    if !closed {
        return Err((line_no, "the header is not closed with a '---' line".into()));
    }
    let subject = subject.ok_or((1, "the header has no 'subject:' line".to_string()))?;
    if subject.is_empty() {
        return Err((1, "the subject is empty".into()));
    }
    Ok(FrontMatter {
        subject,
        description,
        requires,
        kind,
        body: text[consumed..].to_string(),
        body_offset: line_no,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_header_and_body() {
        let fm = parse("---\nsubject: Hi {{request.reference}}\ndescription: test\nrequires: a.b, c\n---\nDear {{x}}\n").unwrap();
        assert_eq!(fm.subject, "Hi {{request.reference}}");
        assert_eq!(fm.requires, vec!["a.b", "c"]);
        assert_eq!(fm.body, "Dear {{x}}\n");
        assert_eq!(fm.body_offset, 5);
        assert_eq!(fm.kind, TemplateKind::Letter);
    }

    #[test]
    fn reports_header_problems_with_lines() {
        assert_eq!(parse("Dear x").unwrap_err().0, 1);
        assert_eq!(parse("---\nsubject: x\nnonsense\n---\n").unwrap_err().0, 3);
        assert_eq!(parse("---\nsubject: x\n").unwrap_err().0, 2);
        assert!(parse("---\ndescription: x\n---\n")
            .unwrap_err()
            .1
            .contains("subject"));
        assert!(parse("---\nsubject: x\ncolour: red\n---\n")
            .unwrap_err()
            .1
            .contains("unknown header key"));
    }
}
