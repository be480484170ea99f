use super::front_matter::{self, TemplateKind};
use super::{helpers, sample};
use handlebars::Handlebars;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LetterError {
    #[error("letter templates: cannot read {path}: {message}")]
    Io { path: String, message: String },
    #[error("{file}:{line}: {message}")]
    Template {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{} broken letter templates:\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Several(Vec<LetterError>),
    #[error("no letter template named '{name}' (available: {available})")]
    Unknown { name: String, available: String },
    #[error("template {template} needs {variable}{hint}")]
    MissingVariable {
        template: String,
        variable: String,
        hint: String,
    },
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TemplateInfo {
    pub name: String,
    pub file: PathBuf,
    pub description: String,
    pub requires: Vec<String>,
    pub kind: TemplateKind,
    pub html: bool,
    /// Written about one twinning link: it requires `twinning.…`, or it only renders when
    /// there is exactly one (a template written before letters could cover several links).
    pub one_link: bool,
    #[serde(skip)]
    body_offset: usize,
}

impl TemplateInfo {
    /// Whether the letter is written about one twinning link (it requires `twinning.…`), so
    /// a council with several gets one letter per link; otherwise one letter covers all of a
    /// council's links (`twinnings`).
    pub fn per_link(&self) -> bool {
        self.one_link
    }
}

fn is_one_link_path(path: &str) -> bool {
    path == "twinning" || path.starts_with("twinning.")
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// Every template in the folder, compiled and checked. Plain-text letters are rendered with
/// no HTML escaping (an ampersand in a council's name must stay an ampersand); `.html.hbs`
/// templates get Handlebars' escaping. Both run in strict mode.
pub struct LetterRegistry {
    plain: Handlebars<'static>,
    html: Handlebars<'static>,
    templates: BTreeMap<String, TemplateInfo>,
}

impl std::fmt::Debug for LetterRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LetterRegistry")
            .field("templates", &self.templates.keys())
            .finish()
    }
}

fn engine(escape: bool) -> Handlebars<'static> {
    let mut h = Handlebars::new();
    h.set_strict_mode(true);
    if !escape {
        h.register_escape_fn(handlebars::no_escape);
    }
    helpers::register(&mut h);
    h
}

fn io_err(path: &Path, e: std::io::Error) -> LetterError {
    LetterError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, LetterError> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io_err(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(".hbs"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// The templates shipped with the program, compiled in: an installed binary (an MTA pipe, a
/// daemon started elsewhere) writes letters without the source folder.
const EMBEDDED: &[(&str, &str)] = &[
    (
        "internal-review.hbs",
        include_str!("../../letter-templates/internal-review.hbs"),
    ),
    (
        "overdue-reminder.hbs",
        include_str!("../../letter-templates/overdue-reminder.hbs"),
    ),
    (
        "regulator-complaint.hbs",
        include_str!("../../letter-templates/regulator-complaint.hbs"),
    ),
    (
        "twinning-agreement.hbs",
        include_str!("../../letter-templates/twinning-agreement.hbs"),
    ),
    (
        "weekly-digest.hbs",
        include_str!("../../letter-templates/weekly-digest.hbs"),
    ),
    (
        "weekly-digest.html.hbs",
        include_str!("../../letter-templates/weekly-digest.html.hbs"),
    ),
];
const EMBEDDED_PARTIALS: &[(&str, &str)] = &[
    (
        "reference.hbs",
        include_str!("../../letter-templates/partials/reference.hbs"),
    ),
    (
        "signature.hbs",
        include_str!("../../letter-templates/partials/signature.hbs"),
    ),
];

/// One template file's text and the path it is reported under.
struct Source {
    path: PathBuf,
    text: String,
}

fn read_all(dir: &Path) -> Result<Vec<Source>, LetterError> {
    sorted_entries(dir)?
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

impl LetterRegistry {
    /// Loads `dir/*.hbs` and `dir/partials/*.hbs`, then renders each template once against a
    /// sample context. Every problem found is reported, each with its file and line.
    pub fn load(dir: &Path) -> Result<Self, LetterError> {
        let partials_dir = dir.join("partials");
        let partials = if partials_dir.is_dir() {
            read_all(&partials_dir)?
        } else {
            Vec::new()
        };
        Self::from_sources(dir, read_all(dir)?, partials)
    }

    /// The templates shipped with the program.
    pub fn embedded() -> Result<Self, LetterError> {
        Self::from_sources(
            Path::new("(built in) letter-templates"),
            embedded(EMBEDDED, "letter-templates/"),
            embedded(EMBEDDED_PARTIALS, "letter-templates/partials/"),
        )
    }

    fn from_sources(
        dir: &Path,
        sources: Vec<Source>,
        partials: Vec<Source>,
    ) -> Result<Self, LetterError> {
        let mut plain = engine(false);
        let mut html = engine(true);
        let mut errors = Vec::new();
        {
            for Source { path, text } in partials {
                let name = stem(&path);
                for h in [&mut plain, &mut html] {
                    if let Err(e) = h.register_partial(&name, &text) {
                        errors.push(template_error(
                            &path,
                            0,
                            e.pos().map(|p| p.0),
                            e.reason().to_string(),
                        ));
                        break;
                    }
                }
            }
        }
        let mut templates = BTreeMap::new();
        for Source { path, text } in sources {
            let name = stem(&path);
            let is_html = name.ends_with(".html");
            let fm = match front_matter::parse(&text) {
                Ok(fm) => fm,
                Err((line, message)) => {
                    errors.push(LetterError::Template {
                        file: path.display().to_string(),
                        line,
                        message,
                    });
                    continue;
                }
            };
            let h = if is_html { &mut html } else { &mut plain };
            if let Err(e) = h.register_template_string(&name, &fm.body) {
                errors.push(template_error(
                    &path,
                    fm.body_offset,
                    e.pos().map(|p| p.0),
                    e.reason().to_string(),
                ));
                continue;
            }
            // The subject goes into a mail header, so it is always plain text.
            if let Err(e) = plain.register_template_string(&subject_key(&name), &fm.subject) {
                errors.push(template_error(
                    &path,
                    0,
                    Some(2),
                    format!("subject: {}", e.reason()),
                ));
                continue;
            }
            templates.insert(
                name.clone(),
                TemplateInfo {
                    name,
                    file: path.clone(),
                    description: fm.description,
                    one_link: fm.requires.iter().any(|p| is_one_link_path(p)),
                    requires: fm.requires,
                    kind: fm.kind,
                    html: is_html,
                    body_offset: fm.body_offset,
                },
            );
        }
        if templates.is_empty() && errors.is_empty() {
            return Err(LetterError::Io {
                path: dir.display().to_string(),
                message: "holds no .hbs templates".into(),
            });
        }
        let mut registry = LetterRegistry {
            plain,
            html,
            templates,
        };
        let mut one_link_only = Vec::new();
        for info in registry.templates.values() {
            let samples = match info.kind {
                TemplateKind::Letter => sample::letters(),
                TemplateKind::Digest => vec![sample::digest()],
            };
            // One error per template is enough to point at it.
            if let Some(e) = samples
                .iter()
                .find_map(|ctx| registry.render(&info.name, ctx).err())
            {
                errors.push(e);
                continue;
            }
            if info.kind == TemplateKind::Letter && !registry.subject_mentions_reference(info) {
                errors.push(LetterError::Template {
                    file: info.file.display().to_string(),
                    line: 2,
                    message:
                        "the subject must contain {{request.reference}}: replies are matched by it"
                            .into(),
                });
                continue;
            }
            // A letter that may cover several links is also checked in that shape, where
            // `twinning` is null and only `twinnings` holds the links. One that reads
            // `twinning.…` without saying so is taken as written about one link, rather than
            // stopping the program.
            if info.kind == TemplateKind::Letter && !info.one_link {
                let mut shapes = sample::letters_about_several_links();
                if !info.requires.iter().any(|p| p.starts_with("twinning")) {
                    shapes.push(sample::letter_about_no_link());
                }
                if shapes
                    .iter()
                    .any(|ctx| registry.render(&info.name, ctx).is_err())
                {
                    one_link_only.push(info.name.clone());
                }
            }
        }
        for name in one_link_only {
            if let Some(info) = registry.templates.get_mut(&name) {
                info.one_link = true;
            }
        }
        match errors.len() {
            0 => Ok(registry),
            1 => Err(errors.remove(0)),
            _ => Err(LetterError::Several(errors)),
        }
    }

    fn subject_mentions_reference(&self, info: &TemplateInfo) -> bool {
        let ctx = sample::letter();
        let reference = ctx["request"]["reference"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.plain
            .render(&subject_key(&info.name), &ctx)
            .map(|s| s.contains(&reference))
            .unwrap_or(false)
    }

    pub fn templates(&self) -> impl Iterator<Item = &TemplateInfo> {
        self.templates.values()
    }

    pub fn get(&self, name: &str) -> Result<&TemplateInfo, LetterError> {
        self.templates
            .get(name)
            .ok_or_else(|| LetterError::Unknown {
                name: name.to_string(),
                available: self
                    .templates
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Renders subject and body. The declared `requires` are checked first so the error can
    /// say what to supply, rather than where in the body it was first needed.
    pub fn render(&self, name: &str, ctx: &Value) -> Result<Rendered, LetterError> {
        let info = self.get(name)?;
        for path in &info.requires {
            let missing = match lookup(ctx, path) {
                None | Some(Value::Null) => true,
                Some(Value::Array(items)) => items.is_empty(),
                Some(_) => false,
            };
            if missing {
                let hint = if is_one_link_path(path) {
                    " (it is written about one twinning link: pass --twinning ID, or queue a \
                     campaign with --per link; see `foi twinnings list`)"
                } else if path.starts_with("twinnings") {
                    " (the council has no twinning link on record; see `foi twinnings list`)"
                } else if path.starts_with("vars.") {
                    " (pass --var KEY=VALUE)"
                } else {
                    ""
                };
                return Err(LetterError::MissingVariable {
                    template: name.to_string(),
                    variable: path.clone(),
                    hint: hint.to_string(),
                });
            }
        }
        let h = if info.html { &self.html } else { &self.plain };
        let body = h
            .render(name, ctx)
            .map_err(|e| render_error(info, info.body_offset, &e))?;
        let subject = self
            .plain
            .render(&subject_key(name), ctx)
            .map_err(|e| render_error(info, 0, &e))?;
        Ok(Rendered {
            subject: one_line(&subject),
            body: normalise_body(&body),
        })
    }
}

fn subject_key(name: &str) -> String {
    format!("{name}#subject")
}

fn stem(path: &Path) -> String {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    file.trim_end_matches(".hbs").to_string()
}

fn lookup<'a>(ctx: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(ctx, |v, key| v.get(key))
}

/// A subject is a header: line breaks from a value must never reach it.
fn one_line(s: &str) -> String {
    s.split(|c: char| c == '\r' || c == '\n' || c.is_control())
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Trailing spaces and runs of blank lines left by optional blocks are tidied away.
fn normalise_body(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for line in s.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn template_error(path: &Path, offset: usize, line: Option<usize>, message: String) -> LetterError {
    LetterError::Template {
        file: path.display().to_string(),
        line: offset + line.unwrap_or(1),
        message,
    }
}

fn render_error(info: &TemplateInfo, offset: usize, e: &handlebars::RenderError) -> LetterError {
    let message = match e.reason() {
        handlebars::RenderErrorReason::MissingVariable(Some(var)) => {
            format!("unknown or missing variable '{var}'")
        }
        other => other.to_string(),
    };
    let in_partial = e
        .template_name
        .as_deref()
        .filter(|t| *t != info.name && !t.ends_with("#subject"))
        .map(|t| format!(" (in partial {t})"))
        .unwrap_or_default();
    LetterError::Template {
        file: info.file.display().to_string(),
        line: if in_partial.is_empty() {
            offset + e.line_no.unwrap_or(1)
        } else {
            e.line_no.unwrap_or(1)
        },
        message: format!("{message}{in_partial}"),
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
    fn renders_plain_text_without_escaping_and_html_with_it() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "partials/sig.hbs", "-- {{requester.name}}\n");
        write(
            dir.path(),
            "note.hbs",
            "---\nsubject: About {{twinning.partner_city}} ({{request.reference}})\ndescription: d\nrequires: twinning.partner_city\n---\nDear {{authority.name}} & co,\n\n\n\n{{> sig}}\n",
        );
        write(
            dir.path(),
            "page.html.hbs",
            "---\nsubject: x {{request.reference}}\n---\n<p>{{authority.name}}</p>\n",
        );
        let reg = LetterRegistry::load(dir.path()).unwrap();
        let mut ctx = sample::letter();
        ctx["authority"]["name"] = "Bath & North East Somerset <Council>".into();
        ctx["twinning"]["partner_city"] = "Chengdu\r\nBcc: someone@example.org".into();
        let r = reg.render("note", &ctx).unwrap();
        assert_eq!(
            r.subject,
            "About Chengdu Bcc: someone@example.org (foi-2026-0001)"
        );
        assert_eq!(
            r.body,
            "Dear Bath & North East Somerset <Council> & co,\n\n-- Sample Requester\n"
        );
        let h = reg.render("page.html", &ctx).unwrap();
        assert!(
            h.body
                .contains("Bath &amp; North East Somerset &lt;Council&gt;"),
            "{}",
            h.body
        );
    }

    #[test]
    fn a_missing_required_variable_is_named() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "n.hbs", "---\nsubject: {{request.reference}}\nrequires: twinning.partner_city\n---\n{{#if twinning}}{{twinning.partner_city}}{{/if}}\n");
        let reg = LetterRegistry::load(dir.path()).unwrap();
        let mut ctx = sample::letter();
        ctx["twinning"] = Value::Null;
        let err = reg.render("n", &ctx).unwrap_err().to_string();
        assert!(
            err.contains("twinning.partner_city") && err.contains("--twinning"),
            "{err}"
        );
    }

    #[test]
    fn a_letter_for_all_of_a_councils_links_is_checked_with_several() {
        let dir = tempfile::tempdir().unwrap();
        // Reads one link's city without saying it is written about one link (a template
        // from before letters covered several): taken as a one-link template, so a campaign
        // never writes it for a council with two, rather than stopping the program.
        write(
            dir.path(),
            "careless.hbs",
            "---\nsubject: {{request.reference}}\nrequires: authority.name\n---\nAbout {{twinning.partner_city}}\n",
        );
        let reg = LetterRegistry::load(dir.path()).unwrap();
        assert!(reg.get("careless").unwrap().per_link());
        // Iterating works in both shapes, and an empty list counts as missing.
        std::fs::remove_file(dir.path().join("careless.hbs")).unwrap();
        write(
            dir.path(),
            "all.hbs",
            "---\nsubject: {{and_list twinnings \"partner_city\"}} {{request.reference}}\nrequires: twinnings\n---\n{{#each twinnings}}- {{partner_city}}\n{{/each}}",
        );
        let reg = LetterRegistry::load(dir.path()).unwrap();
        assert!(!reg.get("all").unwrap().per_link());
        let two = &sample::letters_about_several_links()[0];
        let r = reg.render("all", two).unwrap();
        assert_eq!(r.subject, "Partner City and Second City foi-2026-0001");
        assert_eq!(r.body, "- Partner City\n- Second City\n");
        let err = reg
            .render("all", &sample::letter_about_no_link())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("needs twinnings") && err.contains("no twinning link on record"),
            "{err}"
        );
    }

    #[test]
    fn broken_templates_are_reported_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "typo.hbs",
            "---\nsubject: {{request.reference}}\n---\nline one\nDear {{authority.nmae}}\n",
        );
        write(
            dir.path(),
            "syntax.hbs",
            "---\nsubject: {{request.reference}}\n---\n\n\n{{#if x}}unclosed\n",
        );
        write(
            dir.path(),
            "nosubjectref.hbs",
            "---\nsubject: Hello\n---\nHi\n",
        );
        let err = LetterRegistry::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("typo.hbs:5") && err.contains("authority.nmae"),
            "{err}"
        );
        assert!(err.contains("syntax.hbs:"), "{err}");
        assert!(err.contains("nosubjectref.hbs:2"), "{err}");
    }

    #[test]
    fn unknown_template_lists_the_known_ones() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "a.hbs",
            "---\nsubject: {{request.reference}}\n---\nA\n",
        );
        let reg = LetterRegistry::load(dir.path()).unwrap();
        let err = reg.render("b", &sample::letter()).unwrap_err().to_string();
        assert!(err.contains("available: a"), "{err}");
    }
}
