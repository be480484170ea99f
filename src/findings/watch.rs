//! The watch list: names of organisations and phrases the campaign wants to hear about
//! (`config/watch-list.txt`, one per line, `#` starts a comment). Matched like search:
//! case and accents ignored, Chinese by its characters.
//!
//! INTERFACE ONLY: the matching is being written on branch issue12/suggest.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchList {
    /// (as written, folded with `search::fold`).
    pub terms: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct WatchError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl WatchList {
    /// Reads the list's text; `file` names it in errors.
    pub fn parse(_file: &str, _text: &str) -> Result<WatchList, WatchError> {
        Ok(WatchList::default())
    }

    /// The terms (as written) that occur in `text`, each once, in list order.
    pub fn hits(&self, _text: &str) -> Vec<String> {
        Vec::new()
    }
}
