use super::{ImportError, RowError, Table};
use crate::domain::{name_key, Nation, Slug, TwinningStatus};

/// One row of the twinning dataset (`config/seed/uk-china-twinnings.tsv` format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwinningRow {
    pub line: u64,
    pub authority_name: String,
    /// The slug a new authority gets; an existing one is found by name first.
    pub authority_slug: Slug,
    pub uk_place: String,
    pub nation: Nation,
    pub partner_city: String,
    pub partner_province: String,
    pub relationship: String,
    pub since_year: Option<i32>,
    pub status: TwinningStatus,
    pub ended_year: Option<i32>,
    pub source: Option<String>,
    pub notes: Option<String>,
}

const COLUMNS: [&str; 8] = [
    "uk_authority",
    "uk_place",
    "nation",
    "chinese_partner",
    "partner_province",
    "relationship",
    "since_year",
    "status",
];

pub fn parse_twinnings(file: &str, text: &str) -> Result<Vec<TwinningRow>, ImportError> {
    let table = Table::parse(file, text, &COLUMNS)?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (line, row) in &table.rows {
        let line = *line;
        let mut err = |field: &str, message: String| {
            errors.push(RowError {
                line,
                field: Some(field.to_string()),
                message,
            });
        };
        let mut required = |field: &str| {
            let v = table.get(row, field);
            if v.is_empty() {
                err(field, "is empty".into());
            }
            v.to_string()
        };
        let authority_name = required("uk_authority");
        let uk_place = required("uk_place");
        let partner_city = required("chinese_partner");
        let partner_province = required("partner_province");
        let relationship = required("relationship");
        let slug = if authority_name.is_empty() {
            None
        } else {
            Slug::derive(&authority_name)
                .map_err(|e| err("uk_authority", e.to_string()))
                .ok()
        };
        let nation = Nation::parse(table.get(row, "nation"))
            .map_err(|e| err("nation", e.to_string()))
            .ok();
        let since_year = year(table.get(row, "since_year"))
            .map_err(|m| err("since_year", m))
            .ok()
            .flatten();
        let ended_year = year(table.get(row, "ended_year"))
            .map_err(|m| err("ended_year", m))
            .ok()
            .flatten();
        let status = TwinningStatus::parse(table.get(row, "status"))
            .map_err(|e| err("status", e.to_string()))
            .ok();
        if let (Some(TwinningStatus::Active), Some(_)) = (status, ended_year) {
            err(
                "ended_year",
                "an active link cannot have an end year".into(),
            );
        }
        if let (Some(s), Some(e)) = (since_year, ended_year) {
            if e < s {
                err("ended_year", format!("{e} is before since_year {s}"));
            }
        }
        if !authority_name.is_empty() {
            let key = (name_key(&authority_name), partner_city.to_lowercase());
            if let Some(first) = seen.insert(key, line) {
                err(
                    "chinese_partner",
                    format!(
                        "'{partner_city}' is already linked to {authority_name} on line {first}"
                    ),
                );
            }
        }
        if let (Some(authority_slug), Some(nation), Some(status)) = (slug, nation, status) {
            out.push(TwinningRow {
                line,
                authority_name,
                authority_slug,
                uk_place,
                nation,
                partner_city,
                partner_province,
                relationship,
                since_year,
                status,
                ended_year,
                source: table.opt(row, "source").map(str::to_string),
                notes: table.opt(row, "notes").map(str::to_string),
            });
        }
    }
    table.finish(file, out, errors)
}

fn year(s: &str) -> Result<Option<i32>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<i32>() {
        Ok(y) if (1900..=2100).contains(&y) => Ok(Some(y)),
        _ => Err(format!("'{s}' is not a year")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_shipped_dataset() {
        let rows = parse_twinnings("seed.tsv", crate::import::shipped::TWINNINGS_TSV).unwrap();
        assert_eq!(rows.len(), 40);
        let sheffield: Vec<_> = rows
            .iter()
            .filter(|r| r.authority_slug.as_str() == "sheffield-city-council")
            .collect();
        assert_eq!(sheffield.len(), 2);
        assert_eq!(sheffield[0].status, TwinningStatus::Ended);
        assert_eq!(sheffield[0].ended_year, Some(2024));
        let medway = rows
            .iter()
            .find(|r| r.authority_name == "Medway Council")
            .unwrap();
        assert_eq!(medway.since_year, None);
    }

    #[test]
    fn reports_bad_years_and_statuses() {
        let text = "uk_authority\tuk_place\tnation\tchinese_partner\tpartner_province\trelationship\tsince_year\tstatus\tended_year\n\
                    X Council\tX\tEngland\tY\tZ\ttwinning\t19x5\tactive\t\n\
                    X Council\tX\tEngland\tW\tZ\ttwinning\t1990\tgone\t\n";
        let err = parse_twinnings("t.tsv", text).unwrap_err();
        assert_eq!(err.errors.len(), 2);
        assert_eq!(
            (err.errors[0].line, err.errors[0].field.as_deref()),
            (2, Some("since_year"))
        );
        assert_eq!(
            (err.errors[1].line, err.errors[1].field.as_deref()),
            (3, Some("status"))
        );
    }
}
