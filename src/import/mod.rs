//! Parsing of the files staff import (authorities, twinning links, FOI contacts). Pure code:
//! a whole file is checked before anything is written, and every bad row is reported with
//! its line number and field.

mod authorities;
mod contacts;
pub mod shipped;
mod table;
mod text;
mod twinnings;

pub use authorities::{parse_authorities, AuthorityRow};
pub use contacts::{parse_contacts, ContactRow};
pub use table::{max_chars, RowError, Table};
pub use text::{decode, DecodedFile};
pub use twinnings::{parse_twinnings, TwinningRow};

use std::fmt;

/// Everything wrong with one file, so the operator can fix it in one pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    pub file: String,
    pub errors: Vec<RowError>,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        writeln!(
            f,
            "{}: {n} problem{} found, nothing was imported:",
            self.file,
            if n == 1 { "" } else { "s" }
        )?;
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  {}:{e}", self.file)?;
        }
        Ok(())
    }
}
