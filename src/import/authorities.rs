use super::{ImportError, RowError, Table};
use crate::domain::{name_key, EmailAddress, Nation, Regime, Slug};

/// One authority as a file describes it. `None` means "the file says nothing": an upsert keeps
/// what is stored rather than erasing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityRow {
    pub line: u64,
    pub slug: Slug,
    /// True when the file gave no slug and this one was made from the name: the authority may
    /// then already be stored under a slug of its own, and is looked up by name first.
    pub slug_derived: bool,
    pub name: String,
    pub nation: Nation,
    pub regime: Regime,
    pub foi_email: Option<EmailAddress>,
    pub website: Option<String>,
    pub tags: Option<Vec<String>>,
}

pub fn parse_authorities(file: &str, text: &str) -> Result<Vec<AuthorityRow>, ImportError> {
    let table = Table::parse(file, text, &["name", "nation"])?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashMap::new();
    let mut seen_names = std::collections::HashMap::new();
    for (line, row) in &table.rows {
        let line = *line;
        let mut err = |field: &str, message: String| {
            errors.push(RowError {
                line,
                field: Some(field.to_string()),
                message,
            });
        };
        let name = table.get(row, "name");
        if name.is_empty() {
            err("name", "is empty".into());
        }
        let slug = match table.opt(row, "slug") {
            Some(s) => Slug::parse(s).map_err(|e| err("slug", e.to_string())).ok(),
            None if !name.is_empty() => Slug::derive(name)
                .map_err(|e| err("name", e.to_string()))
                .ok(),
            None => None,
        };
        let nation = Nation::parse(table.get(row, "nation"))
            .map_err(|e| err("nation", e.to_string()))
            .ok();
        let regime = match (table.opt(row, "regime"), nation) {
            (Some(r), Some(n)) => match r.parse::<Regime>() {
                Ok(r) if n.allows(r) => Some(r),
                Ok(r) => {
                    err(
                        "regime",
                        format!("{r} does not apply to an authority in {n}"),
                    );
                    None
                }
                Err(e) => {
                    err("regime", e.to_string());
                    None
                }
            },
            (None, Some(n)) => Some(n.default_regime()),
            _ => None,
        };
        let foi_email = match table.opt(row, "foi_email") {
            Some(e) => EmailAddress::parse(e)
                .map(Some)
                .map_err(|e| err("foi_email", e.to_string()))
                .unwrap_or(None),
            None => None,
        };
        let website = table.opt(row, "website").map(str::to_string);
        if let Some(w) = &website {
            if !(w.starts_with("http://") || w.starts_with("https://"))
                || w.contains(char::is_whitespace)
            {
                err(
                    "website",
                    format!("'{w}' is not a web address (it should start with https://)"),
                );
            }
        }
        let tags = table
            .has("tags")
            .then(|| parse_tags(table.get(row, "tags")));
        let mut repeated = false;
        if let Some(slug) = &slug {
            if let Some(first) = seen.insert(slug.clone(), line) {
                err("slug", format!("'{slug}' already appears on line {first}"));
                repeated = true;
            }
        }
        let slug_derived = table.opt(row, "slug").is_none();
        // Two rows without a slug whose names differ only in spelling would both update the
        // one stored authority that name finds.
        if slug_derived && !repeated && !name.is_empty() {
            if let Some(first) = seen_names.insert(name_key(name), line) {
                err(
                    "name",
                    format!("'{name}' names the same authority as line {first}"),
                );
            }
        }
        if let (Some(slug), Some(nation), Some(regime)) = (slug, nation, regime) {
            out.push(AuthorityRow {
                line,
                slug,
                slug_derived,
                name: name.to_string(),
                nation,
                regime,
                foi_email,
                website,
                tags,
            });
        }
    }
    table.finish(file, out, errors)
}

/// Tags are separated by `;`, `|` or spaces (commas would clash with CSV), kept lower-case.
pub fn parse_tags(s: &str) -> Vec<String> {
    let mut tags: Vec<String> = s
        .split(|c: char| c == ';' || c == '|' || c == ',' || c.is_whitespace())
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_slug_and_regime() {
        let rows = parse_authorities(
            "a.csv",
            "name,nation,foi_email,tags\nGlasgow City Council,Scotland,,twinned;city\nCardiff Council,Wales,foi@cardiff.gov.uk,\n",
        )
        .unwrap();
        assert_eq!(rows[0].slug.as_str(), "glasgow-city-council");
        assert_eq!(rows[0].regime, Regime::Foisa);
        assert_eq!(rows[0].foi_email, None);
        assert_eq!(
            rows[0].tags,
            Some(vec!["city".to_string(), "twinned".to_string()])
        );
        assert_eq!(rows[1].regime, Regime::Foia);
        assert_eq!(
            rows[1].foi_email.as_ref().unwrap().as_str(),
            "foi@cardiff.gov.uk"
        );
    }

    #[test]
    fn reports_every_bad_row_with_line_and_field() {
        let text = "name,nation,regime,foi_email\n\
                    A Council,England,,\n\
                    ,England,,\n\
                    B Council,Atlantis,,\n\
                    C Council,Scotland,foia,\n\
                    D Council,England,,not-an-email\n\
                    A Council,England,,\n";
        let err = parse_authorities("x.csv", text).unwrap_err();
        let lines: Vec<(u64, Option<&str>)> = err
            .errors
            .iter()
            .map(|e| (e.line, e.field.as_deref()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (3, Some("name")),
                (4, Some("nation")),
                (5, Some("regime")),
                (6, Some("foi_email")),
                (7, Some("slug")),
            ]
        );
        let shown = err.to_string();
        assert!(shown.contains("x.csv:line 6, field foi_email"), "{shown}");
    }
}
