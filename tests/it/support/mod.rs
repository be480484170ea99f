//! Real servers and hand-written mail for the tests.

pub mod browser;
pub mod corpus;
pub mod documents;
pub mod imap;
pub mod smtp;
