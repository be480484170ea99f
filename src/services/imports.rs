//! Importing authorities and twinning links from a spreadsheet export (`foi authorities
//! import`, `foi twinnings import`). The whole file is checked first and every bad row is
//! reported with its line and field; if any is bad, nothing is written.

use super::ServiceResult;
use crate::app::AppContext;
use crate::import::{parse_authorities, parse_twinnings};
use crate::store::authorities::UpsertSummary;
use crate::store::twinnings::TwinningImportSummary;
use crate::store::{authorities, twinnings};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Imported<S> {
    pub rows: usize,
    pub summary: S,
}

/// `name` is the file's name, for error messages; `text` its decoded content.
#[tracing::instrument(skip_all, fields(file = %name))]
pub async fn authorities(
    app: &AppContext,
    name: &str,
    text: &str,
) -> ServiceResult<Imported<UpsertSummary>> {
    let rows = parse_authorities(name, text)?;
    let summary = authorities::upsert_rows(&app.db, name, &rows).await?;
    Ok(Imported {
        rows: rows.len(),
        summary,
    })
}

#[tracing::instrument(skip_all, fields(file = %name))]
pub async fn twinnings(
    app: &AppContext,
    name: &str,
    text: &str,
) -> ServiceResult<Imported<TwinningImportSummary>> {
    let rows = parse_twinnings(name, text)?;
    let summary = twinnings::import_rows(&app.db, name, &rows).await?;
    Ok(Imported {
        rows: rows.len(),
        summary,
    })
}
