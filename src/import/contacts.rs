use super::{ImportError, RowError, Table};
use crate::domain::{EmailAddress, Slug};

/// One row of `council-foi-contacts.tsv`: where the FOI address was found, or why none is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    pub line: u64,
    pub authority_name: String,
    /// Where the authority is looked for when no stored one has its name.
    pub authority_slug: Slug,
    pub foi_email: Option<EmailAddress>,
    pub source: Option<String>,
    pub notes: Option<String>,
}

pub fn parse_contacts(file: &str, text: &str) -> Result<Vec<ContactRow>, ImportError> {
    let table = Table::parse(file, text, &["uk_authority", "foi_email"])?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (line, row) in &table.rows {
        let line = *line;
        let mut err = |field: &str, message: String| {
            errors.push(RowError {
                line,
                field: Some(field.to_string()),
                message,
            });
        };
        let authority_name = table.get(row, "uk_authority");
        let slug = Slug::derive(authority_name)
            .map_err(|e| err("uk_authority", e.to_string()))
            .ok();
        let foi_email = match table.opt(row, "foi_email") {
            Some(e) => EmailAddress::parse(e)
                .map(Some)
                .map_err(|e| err("foi_email", e.to_string()))
                .unwrap_or(None),
            None => None,
        };
        if let Some(authority_slug) = slug {
            out.push(ContactRow {
                line,
                authority_name: authority_name.to_string(),
                authority_slug,
                foi_email,
                source: table.opt(row, "source").map(str::to_string),
                notes: table.opt(row, "notes").map(str::to_string),
            });
        }
    }
    table.finish(file, out, errors)
}
