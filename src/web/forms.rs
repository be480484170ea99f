//! Reading form input: dates, and multipart uploads bounded by `[web] max_upload_bytes`.

use super::error::WebError;
use axum::extract::Multipart;
use chrono::NaiveDate;

pub fn date(field: &str, s: &str) -> Result<NaiveDate, WebError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        WebError::bad(format!(
            "{field}: '{s}' is not a date in the form YYYY-MM-DD"
        ))
    })
}

pub fn date_opt(field: &str, s: &Option<String>) -> Result<Option<NaiveDate>, WebError> {
    match super::pages::given(s) {
        Some(v) => date(field, &v).map(Some),
        None => Ok(None),
    }
}

/// A multipart form: its text fields and its files (name, bytes). A body over the limit was
/// already refused whole; a broken one is refused here, before anything is stored.
#[derive(Default)]
pub struct Upload {
    pub fields: Vec<(String, String)>,
    pub files: Vec<(String, Vec<u8>)>,
}

impl Upload {
    pub async fn read(mut m: Multipart, limit: usize) -> Result<Upload, WebError> {
        let mut out = Upload::default();
        loop {
            let field = match m.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => return Err(upload_error(e, limit)),
            };
            let name = field.name().unwrap_or_default().to_string();
            match field.file_name().map(str::to_string) {
                Some(filename) => {
                    let bytes = field.bytes().await.map_err(|e| upload_error(e, limit))?;
                    // A file input left empty still sends a part with no name and no bytes.
                    if !filename.is_empty() || !bytes.is_empty() {
                        out.files.push((filename, bytes.to_vec()));
                    }
                }
                None => {
                    let text = field.text().await.map_err(|e| upload_error(e, limit))?;
                    out.fields.push((name, text));
                }
            }
        }
        Ok(out)
    }

    pub fn field(&self, name: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }
}

fn upload_error(e: axum::extract::multipart::MultipartError, limit: usize) -> WebError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        return super::auth::too_large(limit);
    }
    WebError::bad(format!("the upload could not be read: {}", e.body_text()))
}
