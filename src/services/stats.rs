//! `foi stats`: the campaign's figures per council, overall, per regime and per nation, each
//! saying what it counts, and the charts drawn from the same requests. The figures are
//! computed in `report::` (pure); this reads the requests a page at a time.

use super::progress::Progress;
use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::london_date;
use crate::report::charts::{self, Chart, ChartData, ChartDataBuilder};
use crate::report::{assess, Assessed, RequestFacts, Stats, StatsBuilder};
use crate::store::reports;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// How many request ids are read at once (a page holds at most this many requests).
pub const PAGE: i32 = 1000;

#[derive(Debug, Clone, Serialize)]
pub struct StatsReport {
    pub today: NaiveDate,
    pub campaign: Option<String>,
    #[serde(flatten)]
    pub stats: Stats,
    /// What the charts draw (not part of the figures' JSON).
    #[serde(skip)]
    pub charts: ChartData,
}

/// Calls `each` for every request (of the campaign, or all) with what its clock says today,
/// a page at a time.
pub async fn each_request(
    app: &AppContext,
    now: DateTime<Utc>,
    campaign: Option<&str>,
    progress: &dyn Progress,
    mut each: impl FnMut(&RequestFacts, &Assessed) -> ServiceResult<()>,
) -> ServiceResult<usize> {
    let db = &app.db;
    let campaign_id = reports::campaign_id(db, campaign).await?;
    let cal = app.calendar().await?;
    let settings = app.clock_settings();
    let today = london_date(now);
    let names = reports::Names::load(db).await?;
    let mut seen = 0;
    for (after, upto) in crate::store::requests::id_ranges(db, PAGE).await? {
        let rows = reports::requests_page(db, campaign_id, after, upto).await?;
        let page = reports::facts_for(db, &names, rows).await?;
        for f in &page {
            let a = assess(f, &cal, &settings, today);
            each(f, &a)?;
        }
        seen += page.len();
        progress.advance(page.len() as u64);
    }
    Ok(seen)
}

/// `foi stats [--campaign C]`.
#[tracing::instrument(skip_all)]
pub async fn stats(
    app: &AppContext,
    now: DateTime<Utc>,
    campaign: Option<&str>,
    progress: &dyn Progress,
) -> ServiceResult<StatsReport> {
    let mut figures = StatsBuilder::default();
    let mut charts = ChartDataBuilder::default();
    progress.start("reading requests", None);
    each_request(app, now, campaign, progress, |f, a| {
        figures.add(f, a);
        charts.add(f, a);
        Ok(())
    })
    .await?;
    progress.finish();
    let today = london_date(now);
    Ok(StatsReport {
        today,
        campaign: campaign.map(str::to_string),
        stats: figures.finish(),
        charts: charts.finish(today),
    })
}

/// Loads the configured chart font (once per process).
pub fn chart_font(app: &AppContext) -> ServiceResult<()> {
    let path = &app.settings.reports.chart_font;
    let bytes = std::fs::read(path).map_err(|e| {
        ServiceError::refused(format!(
            "cannot read the chart font {} (configuration key reports.chart_font): {e}; on \
             Debian install fonts-dejavu-core, or name another TrueType font",
            path.display()
        ))
    })?;
    charts::use_font(&path.display().to_string(), bytes)
        .map_err(|e| ServiceError::refused(e.to_string()))
}

/// One chart as PNG (the digest's).
pub fn chart_png(app: &AppContext, chart: Chart, data: &ChartData) -> ServiceResult<Vec<u8>> {
    chart_font(app)?;
    charts::png(chart, data).map_err(|e| ServiceError::refused(e.to_string()))
}

/// Writes every chart into `dir` as SVG and PNG; returns the files written.
pub fn write_charts(app: &AppContext, data: &ChartData, dir: &Path) -> ServiceResult<Vec<PathBuf>> {
    chart_font(app)?;
    std::fs::create_dir_all(dir).map_err(|e| {
        ServiceError::Files(format!("cannot make the folder {}: {e}", dir.display()))
    })?;
    let mut written = Vec::new();
    for chart in Chart::ALL {
        let svg = charts::svg(chart, data).map_err(|e| ServiceError::refused(e.to_string()))?;
        let png = charts::png(chart, data).map_err(|e| ServiceError::refused(e.to_string()))?;
        for (ext, bytes) in [("svg", svg.into_bytes()), ("png", png)] {
            let path = dir.join(format!("{}.{ext}", chart.name()));
            crate::files::write_atomic(&path, &bytes).map_err(|e| {
                ServiceError::Files(format!("cannot write {}: {e}", path.display()))
            })?;
            written.push(path);
        }
    }
    Ok(written)
}
