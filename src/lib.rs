//! `foi`: a Freedom-of-Information request tracker for UK council twinning-agreement campaigns.
//! See ARCHITECTURE.md for the module map and the data flow.

pub mod app;
pub mod calendar;
pub mod cli;
pub mod daemon;
pub mod deadlines;
pub mod domain;
pub mod files;
pub mod import;
pub mod ingest;
pub mod letters;
pub mod mail;
pub mod queue;
pub mod responses;
pub mod seed;
pub mod sending;
pub mod settings;
pub mod store;

pub use app::Application;
