//! The site's Handlebars templates (`letter-templates/site/`): one per kind of page
//! (`index`, `council`, `document`, `search`) and partials in `site/partials/` (the
//! `layout` every page sits in). Kept apart from the letter registry on purpose: pages are
//! HTML, so values are escaped (a council's name with `<` in it stays text), while letters
//! are plain text and must not be; and a broken page must never stop the daemon from
//! sending letters. Strict mode, as for letters: a misspelt variable is an error.

use super::view;
use handlebars::Handlebars;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteError {
    #[error("site templates: cannot read {path}: {message}")]
    Io { path: String, message: String },
    #[error("{file}:{line}: {message}")]
    Template {
        file: String,
        line: usize,
        message: String,
    },
    #[error("site templates: {file} is missing (every site needs the pages {pages})")]
    Missing { file: String, pages: String },
    #[error("{} broken site templates:\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Several(Vec<SiteError>),
}

/// The shipped site templates, compiled in, so an installed binary publishes without the
/// source folder.
const EMBEDDED: &[(&str, &str)] = &[
    (
        "index.hbs",
        include_str!("../../letter-templates/site/index.hbs"),
    ),
    (
        "council.hbs",
        include_str!("../../letter-templates/site/council.hbs"),
    ),
    (
        "document.hbs",
        include_str!("../../letter-templates/site/document.hbs"),
    ),
    (
        "search.hbs",
        include_str!("../../letter-templates/site/search.hbs"),
    ),
];
const EMBEDDED_PARTIALS: &[(&str, &str)] = &[
    (
        "layout.hbs",
        include_str!("../../letter-templates/site/partials/layout.hbs"),
    ),
    (
        "facts.hbs",
        include_str!("../../letter-templates/site/partials/facts.hbs"),
    ),
];

struct Source {
    path: PathBuf,
    text: String,
}

pub struct SiteTemplates {
    h: Handlebars<'static>,
    /// Template (and partial) name → the file it came from, for error messages.
    files: BTreeMap<String, PathBuf>,
    /// Where they were loaded from, for `foi publish` to say.
    pub origin: String,
}

impl std::fmt::Debug for SiteTemplates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteTemplates")
            .field("origin", &self.origin)
            .finish()
    }
}

fn io_err(path: &Path, e: std::io::Error) -> SiteError {
    SiteError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn read_dir(dir: &Path) -> Result<Vec<Source>, SiteError> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io_err(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "hbs"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|e| io_err(&path, e))?;
            Ok(Source { path, text })
        })
        .collect()
}

fn embedded(list: &[(&str, &str)], folder: &str) -> Vec<Source> {
    list.iter()
        .map(|(name, text)| Source {
            path: PathBuf::from(format!("(built in) {folder}{name}")),
            text: text.to_string(),
        })
        .collect()
}

fn stem(path: &Path) -> String {
    path.file_name()
        .map(|f| f.to_string_lossy().trim_end_matches(".hbs").to_string())
        .unwrap_or_default()
}

impl SiteTemplates {
    /// `dir/*.hbs` (the pages) and `dir/partials/*.hbs`, checked.
    pub fn load(dir: &Path) -> Result<Self, SiteError> {
        let partials = dir.join("partials");
        let partials = if partials.is_dir() {
            read_dir(&partials)?
        } else {
            Vec::new()
        };
        Self::from_sources(dir.display().to_string(), dir, read_dir(dir)?, partials)
    }

    /// The templates shipped with the program.
    pub fn embedded() -> Result<Self, SiteError> {
        let dir = Path::new("(built in) letter-templates/site/");
        Self::from_sources(
            "built in".into(),
            dir,
            embedded(EMBEDDED, "letter-templates/site/"),
            embedded(EMBEDDED_PARTIALS, "letter-templates/site/partials/"),
        )
    }

    fn from_sources(
        origin: String,
        dir: &Path,
        pages: Vec<Source>,
        partials: Vec<Source>,
    ) -> Result<Self, SiteError> {
        let mut h = Handlebars::new();
        // Escaping stays on (the default): every value is text in an HTML page.
        h.set_strict_mode(true);
        let mut files = BTreeMap::new();
        let mut errors = Vec::new();
        for Source { path, text } in partials.into_iter().chain(pages) {
            let name = stem(&path);
            if let Err(e) = h.register_template_string(&name, &text) {
                errors.push(SiteError::Template {
                    file: path.display().to_string(),
                    line: e.pos().map(|p| p.0).unwrap_or(1),
                    message: e.reason().to_string(),
                });
            }
            files.insert(name, path);
        }
        for (page, _) in view::PAGES {
            if !files.contains_key(*page) {
                errors.push(SiteError::Missing {
                    file: dir.join(format!("{page}.hbs")).display().to_string(),
                    pages: view::PAGES
                        .iter()
                        .map(|(p, _)| *p)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        let site = SiteTemplates { h, files, origin };
        if errors.is_empty() {
            // Each page against every sample: one error per page is enough to point at it.
            let mut failed = Vec::new();
            for (page, ctx) in view::samples() {
                if failed.contains(&page) {
                    continue;
                }
                if let Err(e) = site.render(page, &ctx) {
                    failed.push(page);
                    errors.push(e);
                }
            }
        }
        match errors.len() {
            0 => Ok(site),
            1 => Err(errors.remove(0)),
            _ => Err(SiteError::Several(errors)),
        }
    }

    pub fn render<T: Serialize>(&self, page: &str, ctx: &T) -> Result<String, SiteError> {
        self.h.render(page, ctx).map_err(|e| {
            // An error inside a partial names the partial's own file and line.
            let name = e.template_name.clone().unwrap_or_else(|| page.to_string());
            let file = self
                .files
                .get(&name)
                .map(|p| p.display().to_string())
                .unwrap_or(name);
            let message = match e.reason() {
                handlebars::RenderErrorReason::MissingVariable(Some(var)) => {
                    format!("unknown or missing variable '{var}'")
                }
                other => other.to_string(),
            };
            SiteError::Template {
                file,
                line: e.line_no.unwrap_or(1),
                message,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::create_dir_all(dir.join(name).parent().unwrap()).unwrap();
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn the_shipped_templates_load_and_escape_values() {
        let site = SiteTemplates::embedded().unwrap();
        let (_, mut ctx) = view::samples().remove(0);
        ctx["councils"][0]["name"] = "Bath & <b>North</b>".into();
        let html = site.render("index", &ctx).unwrap();
        assert!(
            html.contains("Bath &amp; &lt;b&gt;North&lt;/b&gt;"),
            "{html}"
        );
        assert!(!html.contains("<b>North"), "{html}");
    }

    #[test]
    fn broken_templates_are_reported_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in EMBEDDED.iter().chain(EMBEDDED_PARTIALS) {
            let name = if EMBEDDED_PARTIALS.iter().any(|(n, _)| n == name) {
                format!("partials/{name}")
            } else {
                name.to_string()
            };
            write(dir.path(), &name, text);
        }
        assert!(SiteTemplates::load(dir.path()).is_ok());
        write(
            dir.path(),
            "search.hbs",
            "{{#> layout}}\n<p>\n{{site.titel}}</p>{{/layout}}\n",
        );
        write(dir.path(), "document.hbs", "{{#if x}}\n\nunclosed\n");
        std::fs::remove_file(dir.path().join("council.hbs")).unwrap();
        let err = SiteTemplates::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("document.hbs:"), "{err}");
        assert!(err.contains("council.hbs is missing"), "{err}");
        // Syntax errors are found first; the typo shows once they are fixed.
        write(dir.path(), "document.hbs", EMBEDDED[2].1);
        write(dir.path(), "council.hbs", EMBEDDED[1].1);
        let err = SiteTemplates::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("search.hbs:3") && err.contains("site.titel"),
            "{err}"
        );
    }
}
