//! The agreements register, the pure part: suggestions read from a document's text (dates
//! near "signed" or "renew", terms such as "valid for five years", money amounts, names on
//! the watch list) and the watch list itself. Suggestions are never facts: staff confirm or
//! reject each one.

mod dates;
mod money;
mod suggest;
mod text;
mod watch;

pub use suggest::{suggest, Suggestion};
pub use watch::{WatchError, WatchList};
