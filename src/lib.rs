//! `foi`: a Freedom-of-Information request tracker for UK council twinning-agreement campaigns.
//! See ARCHITECTURE.md for the module map, which module may use which, and the data flow.

pub mod app;
pub mod calendar;
pub mod cli;
pub mod daemon;
pub mod domain;
pub mod extract;
pub mod files;
pub mod findings;
pub mod import;
pub mod letters;
pub mod mail;
pub mod publish;
pub mod report;
pub mod search;
pub mod services;
pub mod settings;
pub mod store;
pub mod web;

pub use app::{AppContext, Application};
