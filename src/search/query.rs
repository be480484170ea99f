//! A search as staff type it: words that must all appear on the page, and "quoted phrases"
//! whose words must appear together in order. A run of Chinese characters is a phrase.

use super::fold::fold;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Each is a folded phrase of one or more words ("confucius", "友 好 城 市").
    pub phrases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the search has no words to look for (letters, digits or Chinese characters)")]
    Empty,
    #[error("the search has an opening \" without a closing one")]
    UnclosedQuote,
}

pub fn parse_query(text: &str) -> Result<Query, QueryError> {
    if text.matches('"').count() % 2 == 1 {
        return Err(QueryError::UnclosedQuote);
    }
    let mut phrases = Vec::new();
    for (i, part) in text.split('"').enumerate() {
        if i % 2 == 1 {
            let p = fold(part);
            if !p.is_empty() {
                phrases.push(p);
            }
            continue;
        }
        for word in part.split_whitespace() {
            // A word with punctuation inside ("s.27", "co-operation") is still one thing to
            // find: its parts, together.
            let p = fold(word);
            if !p.is_empty() {
                phrases.push(p);
            }
        }
    }
    phrases.dedup();
    if phrases.is_empty() {
        return Err(QueryError::Empty);
    }
    Ok(Query { phrases })
}

impl Query {
    /// The FTS5 MATCH expression: every phrase quoted (a folded phrase holds no quote), all
    /// of them required.
    pub fn fts5(&self) -> String {
        self.phrases
            .iter()
            .map(|p| format!("\"{p}\""))
            .collect::<Vec<_>>()
            .join(" AND ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_and_chinese() {
        let q = parse_query(r#"Confucius "friendship  agreement" 友好城市 s.27"#).unwrap();
        assert_eq!(
            q.phrases,
            ["confucius", "friendship agreement", "友 好 城 市", "s 27"]
        );
        assert_eq!(
            parse_query("Wuhan").unwrap().fts5(),
            "\"wuhan\"".to_string()
        );
        assert_eq!(parse_query(" ,; ").unwrap_err(), QueryError::Empty);
        assert_eq!(
            parse_query("\"open").unwrap_err(),
            QueryError::UnclosedQuote
        );
    }
}
