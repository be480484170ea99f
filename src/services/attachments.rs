//! `foi attachments save`: copies attachments out of the content-addressed store into a
//! folder staff choose, under their original names made safe, never over a file already
//! there. Every stored file is found and checked against its SHA-256 before anything is
//! written, so a missing or damaged one stops the save with its name and nothing of it.

use super::messages::AttachmentLine;
use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::mail::inbound::safe_filename;
use crate::store::inbound::{self as stored, AttachmentModel};
use crate::store::{messages, requests, StoreError};
use std::path::{Path, PathBuf};

/// Which attachments to save.
#[derive(Debug, Clone)]
pub enum Selection {
    /// These attachment ids.
    Ids(Vec<i32>),
    /// Every attachment of every message filed under this request.
    Request(String),
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Saved {
    #[serde(flatten)]
    pub attachment: AttachmentLine,
    /// Where it was written.
    pub path: PathBuf,
}

pub async fn save(app: &AppContext, what: Selection, out: &Path) -> ServiceResult<Vec<Saved>> {
    let chosen = select(app, what).await?;
    // Find and check every file first: a save that stops half-way through a list leaves
    // staff guessing which documents they have.
    let mut sources = Vec::with_capacity(chosen.len());
    let mut problems = Vec::new();
    for a in chosen {
        match source_of(app, &a) {
            Ok(path) => sources.push((a, path)),
            Err(why) => problems.push(format!(
                "attachment {} ({}, message {}): {why}",
                a.id,
                display_name(&a),
                a.message_id
            )),
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Files(format!(
            "{}; nothing was saved",
            problems.join("; ")
        )));
    }
    std::fs::create_dir_all(out).map_err(|e| {
        ServiceError::Files(format!("cannot create the folder {}: {e}", out.display()))
    })?;
    let mut saved = Vec::with_capacity(sources.len());
    for (a, source) in sources {
        let name = safe_filename(&display_name(&a));
        let bytes = std::fs::read(&source).map_err(|e| {
            ServiceError::Files(format!(
                "attachment {} ({name}): cannot read {}: {e}{}",
                a.id,
                source.display(),
                written_so_far(&saved)
            ))
        })?;
        let path = crate::files::write_new(out, &name, &bytes).map_err(|e| {
            ServiceError::Files(format!(
                "attachment {} ({name}): cannot write it into {}: {e}{}",
                a.id,
                out.display(),
                written_so_far(&saved)
            ))
        })?;
        saved.push(Saved {
            attachment: a.into(),
            path,
        });
    }
    Ok(saved)
}

async fn select(app: &AppContext, what: Selection) -> ServiceResult<Vec<AttachmentModel>> {
    let db = &app.db;
    match what {
        Selection::Ids(ids) => {
            if ids.is_empty() {
                return Err(ServiceError::refused(
                    "name the attachments to save (their ids are in `foi messages show ID`), or pass --request REF",
                ));
            }
            let mut found: Vec<AttachmentModel> = Vec::new();
            let mut missing = Vec::new();
            for id in ids {
                if found.iter().any(|a| a.id == id) {
                    continue;
                }
                match stored::attachment(db, id).await? {
                    Some(a) => found.push(a),
                    None => missing.push(id.to_string()),
                }
            }
            if !missing.is_empty() {
                return Err(StoreError::NotFound(format!(
                    "no attachment {} (attachment ids are listed by `foi requests show REF` and `foi messages show ID`); nothing was saved",
                    missing.join(", ")
                ))
                .into());
            }
            Ok(found)
        }
        Selection::Request(reference) => {
            let r = requests::get_by_reference(db, &reference).await?;
            let ids: Vec<i32> = messages::for_request(db, r.id)
                .await?
                .iter()
                .map(|m| m.id)
                .collect();
            let found = stored::attachments_of(db, &ids).await?;
            if found.is_empty() {
                return Err(ServiceError::refused(format!(
                    "{} has no attachments (see `foi requests show {}`)",
                    r.reference, r.reference
                )));
            }
            Ok(found)
        }
    }
}

/// The stored file of an attachment, checked to hold the bytes that were stored.
pub(crate) fn source_of(app: &AppContext, a: &AttachmentModel) -> Result<PathBuf, String> {
    let path = crate::files::locate(
        &app.settings.paths.data_dir,
        "attachments",
        &a.sha256,
        "",
        &a.path,
    )
    .ok_or_else(|| format!("its stored file {} is missing", a.path))?;
    let sha = crate::files::sha256_file(&path)
        .map_err(|e| format!("cannot read its stored file {}: {e}", path.display()))?;
    if !sha.eq_ignore_ascii_case(&a.sha256) {
        return Err(format!(
            "its stored file {} is damaged (SHA-256 {sha}, stored as {})",
            path.display(),
            a.sha256
        ));
    }
    Ok(path)
}

fn display_name(a: &AttachmentModel) -> String {
    a.original_filename
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| a.filename.clone())
}

fn written_so_far(saved: &[Saved]) -> String {
    if saved.is_empty() {
        return "; nothing was saved".into();
    }
    format!(
        "; saved before it: {}",
        saved
            .iter()
            .map(|s| s.path.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// One attachment's bytes for a download, checked against its SHA-256, with the safe name
/// to offer it under.
pub async fn read(app: &AppContext, id: i32) -> ServiceResult<(AttachmentLine, String, Vec<u8>)> {
    let a = stored::attachment(&app.db, id).await?.ok_or_else(|| {
        StoreError::NotFound(format!(
            "no attachment {id} (attachment ids are listed on each request's page)"
        ))
    })?;
    let path =
        source_of(app, &a).map_err(|why| ServiceError::Files(format!("attachment {id}: {why}")))?;
    let bytes = std::fs::read(&path).map_err(|e| {
        ServiceError::Files(format!(
            "attachment {id}: cannot read {}: {e}",
            path.display()
        ))
    })?;
    let name = safe_filename(&display_name(&a));
    Ok((a.into(), name, bytes))
}
