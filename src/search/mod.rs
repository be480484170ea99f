//! Search, the pure part: how page text and queries are folded so that SQLite's FTS5 and
//! PostgreSQL's `tsvector` find the same pages (case and accents ignored, each Chinese
//! character a word of its own), and how a snippet is cut and highlighted from the original
//! text. The queries themselves live in `store::documents`.

mod fold;
mod query;
mod snippet;

pub use fold::{fold, is_cjk};
pub use query::{parse_query, Query, QueryError};
pub use snippet::{snippet, Snippet};
