//! Letter templates: loading, validating and rendering the Handlebars files in
//! `letter-templates/`. Pure apart from reading the folder once at start-up.

mod context;
mod front_matter;
mod helpers;
mod registry;
mod sample;

pub use context::{law_for, LetterContext, LetterExemption, LetterRequest, LetterResponse};
pub use front_matter::{FrontMatter, TemplateKind};
pub use helpers::and_list_of;
pub use registry::{LetterError, LetterRegistry, Rendered, TemplateInfo};
