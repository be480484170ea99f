use super::ParseError;
use std::fmt;

/// The short handle staff type for an authority (`sheffield-city-council`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ParseError::new("a slug cannot be empty"));
        }
        if s.len() > 120 {
            return Err(ParseError::new(format!(
                "slug '{s}' is longer than 120 characters"
            )));
        }
        let ok = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if !ok {
            return Err(ParseError::new(format!(
                "slug '{s}' may hold only lower-case letters, digits and single hyphens"
            )));
        }
        Ok(Slug(s.to_string()))
    }

    /// Derives a slug from a display name: "City of Edinburgh Council" → `city-of-edinburgh-council`,
    /// "Derry~Londonderry" → `derry-londonderry`. Non-ASCII letters are dropped rather than guessed.
    pub fn derive(name: &str) -> Result<Self, ParseError> {
        let mut out = String::with_capacity(name.len());
        for c in name.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if c == '\'' || c == '\u{2019}' {
                // "King's Lynn" reads better as kings-lynn than king-s-lynn.
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        let trimmed = out.trim_end_matches('-');
        let trimmed = if trimmed.len() > 120 {
            trimmed[..120].trim_end_matches('-')
        } else {
            trimmed
        };
        Slug::parse(trimmed)
            .map_err(|_| ParseError::new(format!("cannot make a slug from the name '{name}'")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What two spellings of one authority's name have in common: "Brighton & Hove City Council",
/// "BRIGHTON AND HOVE CITY COUNCIL" and "Brighton-and-Hove City Council." all give
/// `brighton hove city council`. Case and punctuation are ignored and "&"/"and" dropped, so a
/// file that spells a council differently from how it was first imported still finds it.
/// Apostrophes join rather than split ("King's" = "Kings"), as in [`Slug::derive`].
pub fn name_key(name: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if c != '\'' && c != '\u{2019}' && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words.retain(|w| w != "and");
    words.join(" ")
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_readable_slugs() {
        assert_eq!(
            Slug::derive("City of Edinburgh Council").unwrap().as_str(),
            "city-of-edinburgh-council"
        );
        assert_eq!(
            Slug::derive("Derry City and Strabane District Council")
                .unwrap()
                .as_str(),
            "derry-city-and-strabane-district-council"
        );
        assert_eq!(
            Slug::derive("  King's Lynn & West Norfolk ")
                .unwrap()
                .as_str(),
            "kings-lynn-west-norfolk"
        );
        assert!(Slug::derive("北京").is_err());
    }

    #[test]
    fn name_keys_ignore_case_punctuation_and_ampersands() {
        let key = name_key("Brighton & Hove City Council");
        assert_eq!(key, "brighton hove city council");
        for same in [
            "brighton and hove city council",
            "BRIGHTON AND HOVE CITY COUNCIL.",
            " Brighton-and-Hove  City Council ",
        ] {
            assert_eq!(name_key(same), key, "{same:?}");
        }
        assert_eq!(name_key("King's Lynn"), name_key("Kings Lynn"));
        assert_eq!(name_key("Ynys Môn"), "ynys môn");
        assert_ne!(name_key("Hove Council"), name_key("Brighton Council"));
    }

    #[test]
    fn parse_refuses_odd_characters() {
        assert!(Slug::parse("leeds-city-council").is_ok());
        for bad in [
            "",
            "Leeds",
            "leeds city",
            "-leeds",
            "leeds--city",
            "leeds/city",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
    }
}
