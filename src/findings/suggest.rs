//! Candidate facts from a document's pages.
//!
//! INTERFACE ONLY: the rules are being written on branch issue12/suggest.

use super::watch::WatchList;
use crate::domain::FindingField;

/// A candidate fact, with where it was read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Suggestion {
    pub field: FindingField,
    /// As it would be stored: an ISO date for `signed_on`/`next_renewal`, "5 years" for a
    /// term or cycle, the amount as written for money, the watch-list name for an
    /// organisation.
    pub value: String,
    /// 1-based page of the document.
    pub page: u32,
    /// Which rule found it ("date near signed", "valid for N years", "money", "watch list").
    pub rule: &'static str,
    /// The words around it, for staff to judge.
    pub excerpt: String,
}

/// Every suggestion the rules find on `pages` ((page number, text)), without duplicates.
pub fn suggest(_pages: &[(u32, &str)], _watch: &WatchList) -> Vec<Suggestion> {
    Vec::new()
}
