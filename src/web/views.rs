//! The dashboard's page templates (Handlebars, compiled in, escaping ON, strict mode) and
//! its stylesheet and script (compiled in: no CDN). Every value from the database — letters
//! and council replies above all — is untrusted text and is escaped on the way out; the
//! only unescaped value is a page's body, itself rendered by these templates.

use crate::services::staff::Session;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use handlebars::Handlebars;
use serde::Serialize;

const TEMPLATES: &[(&str, &str)] = &[
    ("layout", include_str!("templates/layout.hbs")),
    ("login", include_str!("templates/login.hbs")),
    ("overview", include_str!("templates/overview.hbs")),
    ("requests", include_str!("templates/requests.hbs")),
    ("rows_table", include_str!("templates/rows_table.hbs")),
    ("request", include_str!("templates/request.hbs")),
    ("message", include_str!("templates/message.hbs")),
    ("queue", include_str!("templates/queue.hbs")),
    ("drafts", include_str!("templates/drafts.hbs")),
    ("draft", include_str!("templates/draft.hbs")),
    ("approval", include_str!("templates/approval.hbs")),
    ("inbox", include_str!("templates/inbox.hbs")),
    ("findings", include_str!("templates/findings.hbs")),
    (
        "suggestions_list",
        include_str!("templates/suggestions_list.hbs"),
    ),
    ("documents", include_str!("templates/documents.hbs")),
    ("document", include_str!("templates/document.hbs")),
    ("search", include_str!("templates/search.hbs")),
    ("authorities", include_str!("templates/authorities.hbs")),
    ("authority", include_str!("templates/authority.hbs")),
    ("twinnings", include_str!("templates/twinnings.hbs")),
    ("done", include_str!("templates/done.hbs")),
];

const STYLE: &str = include_str!("static/style.css");
const SCRIPT: &str = include_str!("static/app.js");

pub struct Views {
    h: Handlebars<'static>,
}

#[derive(Serialize)]
pub struct LoginPage {
    pub csrf: String,
    pub next: String,
    pub error: Option<String>,
}

#[derive(Serialize)]
struct Layout<'a> {
    title: &'a str,
    user: Option<&'a str>,
    csrf: &'a str,
    nav: &'a str,
    content: String,
}

impl Views {
    pub fn new() -> anyhow::Result<Views> {
        let mut h = Handlebars::new();
        h.set_strict_mode(true);
        for (name, text) in TEMPLATES {
            h.register_template_string(name, *text)
                .map_err(|e| anyhow::anyhow!("dashboard template {name}: {e}"))?;
        }
        Ok(Views { h })
    }

    fn render(&self, name: &str, data: &impl Serialize) -> String {
        self.h.render(name, data).unwrap_or_else(|e| {
            tracing::error!(template = name, error = %e, "dashboard template failed");
            format!(
                "<p class=\"error\">This page could not be drawn ({}).</p>",
                handlebars::html_escape(&e.to_string())
            )
        })
    }

    /// A page for a signed-in staff member: `data` (a JSON object) gets `csrf` for its forms.
    pub fn page(
        &self,
        session: &Session,
        name: &str,
        nav: &str,
        title: &str,
        data: serde_json::Value,
    ) -> Html<String> {
        let mut data = data;
        if let Some(obj) = data.as_object_mut() {
            obj.insert("csrf".into(), session.csrf.clone().into());
        }
        let content = self.render(name, &data);
        Html(self.render(
            "layout",
            &Layout {
                title,
                user: Some(&session.name),
                csrf: &session.csrf,
                nav,
                content,
            },
        ))
    }

    pub fn login(&self, page: &LoginPage) -> Html<String> {
        let content = self.render("login", page);
        Html(self.render(
            "layout",
            &Layout {
                title: "Log in",
                user: None,
                csrf: "",
                nav: "",
                content,
            },
        ))
    }
}

/// An error page without the templates (it must work when they cannot).
pub fn error_page(status: StatusCode, message: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{code} · foi</title>\
         <link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><main class=\"narrow\">\
         <h1>{reason}</h1><p class=\"error\">{msg}</p><p><a href=\"/\">Back to the \
         overview</a> (or use your browser's Back button to correct the form)</p></main></body></html>",
        code = status.as_u16(),
        reason = handlebars::html_escape(status.canonical_reason().unwrap_or("Error")),
        msg = handlebars::html_escape(message),
    ))
}

/// `/static/style.css` and `/static/app.js`.
pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "style.css" => (STYLE, "text/css; charset=utf-8"),
        "app.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "no such file").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
