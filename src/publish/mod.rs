//! The public site `foi publish` writes, the pure part: masking contact details
//! (`mask`), names and words for pages (`names`), what each page's template is given
//! (`view`), and the site's Handlebars templates (`site`). Reading the database and writing
//! the folder are in `services::publish`.

pub mod mask;
pub mod names;
pub mod site;
pub mod timeline;
pub mod view;

pub use mask::Redactor;
pub use site::{SiteError, SiteTemplates};
