//! The reference data shipped with the program (`foi seed` loads it).

pub const TWINNINGS_TSV: &str = include_str!("../../config/seed/uk-china-twinnings.tsv");
pub const CONTACTS_TSV: &str = include_str!("../../config/seed/council-foi-contacts.tsv");
