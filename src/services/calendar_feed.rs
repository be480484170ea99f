//! `foi calendar --out deadlines.ics`: every request's deadlines as an iCalendar feed staff
//! subscribe to or import (see `report::ics` for what each event says). Written a page of
//! requests at a time into a file beside the target, then renamed into place.

use super::progress::Progress;
use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::Regime;
use crate::report::deadlines::{DeadlineKind, DueRow};
use crate::report::ics;
use crate::store::reports;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize)]
pub struct FeedWritten {
    pub out: PathBuf,
    /// Deadlines that still bind.
    pub open: usize,
    /// Former deadlines of requests answered, withdrawn or closed, marked cancelled.
    pub cancelled: usize,
}

#[tracing::instrument(skip_all)]
pub async fn write(
    app: &AppContext,
    now: DateTime<Utc>,
    campaign: Option<&str>,
    out: &Path,
    progress: &dyn Progress,
) -> ServiceResult<FeedWritten> {
    let db = &app.db;
    let campaign_id = reports::campaign_id(db, campaign).await?;
    let names = super::status::authority_names(db).await?;
    let domain = &app.settings.mail.reply_domain;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| ServiceError::refused(format!("{} does not name a file", out.display())))?;
    let tmp = out.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let fail = |e: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        ServiceError::Files(format!("cannot write {}: {e}", out.display()))
    };
    let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(fail)?);
    let mut done = FeedWritten {
        out: out.to_path_buf(),
        open: 0,
        cancelled: 0,
    };
    let title = match campaign {
        Some(c) => format!("FOI deadlines: {c}"),
        None => "FOI deadlines".to_string(),
    };
    file.write_all(ics::header(&title).as_bytes())
        .map_err(fail)?;
    progress.start(
        "writing the calendar",
        Some(reports::count_requests(db, campaign_id).await?),
    );
    for (after, upto) in crate::store::requests::id_ranges(db, super::stats::PAGE).await? {
        let page = reports::requests_page(db, campaign_id, after, upto).await?;
        for r in &page {
            let Some(d) = crate::store::requests::deadlines_of(r)? else {
                continue;
            };
            let Ok(regime) = r.regime.parse::<Regime>() else {
                continue;
            };
            let row = DueRow {
                reference: &r.reference,
                authority: names.get(&r.authority_id).map(String::as_str).unwrap_or(""),
                regime,
                state: r.state,
                response_due: d.response_due,
                review_due: d.review_due,
                complaint_window_end: d.complaint_window_end,
            };
            for kind in DeadlineKind::ALL {
                if kind.date(&row).is_some() {
                    if kind.open_in(row.state) {
                        done.open += 1;
                    } else {
                        done.cancelled += 1;
                    }
                }
            }
            file.write_all(ics::events(&row, domain, now).as_bytes())
                .map_err(fail)?;
        }
        progress.advance(page.len() as u64);
    }
    file.write_all(ics::footer().as_bytes()).map_err(fail)?;
    file.into_inner()
        .map_err(|e| fail(e.into_error()))?
        .sync_all()
        .map_err(fail)?;
    std::fs::rename(&tmp, out).map_err(fail)?;
    progress.finish();
    Ok(done)
}
