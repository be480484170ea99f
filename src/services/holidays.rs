//! Bank-holiday corrections (`foi holidays import`) and the holidays in force (`foi holidays
//! list`). An import that changes the calendar recomputes every running request's deadlines,
//! and each moved date is put on its timeline with the day that changed. An import that would
//! take away a holiday now in force changes nothing unless staff say `replace`.

use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::{
    Division, Holiday, HolidayCalendar, Moved, OperatorHolidays, WorkingCalendar,
};
use crate::store::{holidays, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;

#[derive(Debug, Clone)]
pub struct ImportHolidays {
    /// The file's name, for messages and the record of where holidays came from.
    pub name: String,
    pub text: String,
    /// For an iCalendar file that does not name its division.
    pub division: Option<Division>,
    /// Let the import remove holidays now in force.
    pub replace: bool,
    pub actor: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct HolidaysImported {
    pub read: usize,
    pub years: Vec<i32>,
    /// Holidays the import took away (only with `replace`).
    pub removed: Vec<Holiday>,
    /// False when the calendar in force is the same as before.
    pub changed: bool,
    pub moved: Vec<(String, Vec<Moved>)>,
}

fn listed(list: &[Holiday]) -> String {
    list.iter()
        .map(|h| format!("\n  {} {} {}", h.date, h.division.slug(), h.title))
        .collect()
}

#[tracing::instrument(skip_all, fields(file = %input.name))]
pub async fn import(
    app: &AppContext,
    now: DateTime<Utc>,
    input: ImportHolidays,
    progress: &dyn super::progress::Progress,
) -> ServiceResult<HolidaysImported> {
    let name = &input.name;
    let is_json =
        name.to_ascii_lowercase().ends_with(".json") || input.text.trim_start().starts_with('{');
    let import = if is_json {
        OperatorHolidays::from_govuk_json(&input.text)
    } else {
        OperatorHolidays::from_ics(&input.text, input.division)
    }
    .map_err(|e| ServiceError::refused(format!("{name}: {e}")))?;
    let calendar = |ops: &OperatorHolidays| {
        HolidayCalendar::with_operator(ops)
            .map_err(|e| ServiceError::refused(format!("{name}: {e}")))
    };
    let txn = app.db.begin().await?;
    let old = calendar(&holidays::load(&txn).await?)?;
    holidays::save(&txn, &import, name, now).await?;
    let new = calendar(&holidays::load(&txn).await?)?;
    let years = holidays::years(&import);
    let removed = old.removed_in(&new, &years);
    if !removed.is_empty() && !input.replace {
        txn.rollback().await?;
        return Err(ServiceError::refused(format!(
            "{name} would remove {} bank holiday(s) now in force:{}\nnothing was changed. \
             If the file is the complete list for those years, run again with --replace.",
            removed.len(),
            listed(&removed)
        )));
    }
    let mut out = HolidaysImported {
        read: import.holidays.len(),
        years,
        removed,
        changed: old != new,
        moved: Vec::new(),
    };
    if out.changed {
        out.moved = super::deadlines::refresh_all_after_holiday_change(
            &txn,
            &WorkingCalendar::new(&old),
            &WorkingCalendar::new(&new),
            &app.clock_settings(),
            &format!("bank holiday data changed (imported {name})"),
            &input.actor,
            now,
            progress,
        )
        .await?;
    }
    txn.commit().await?;
    app.calendar_changed();
    Ok(out)
}

/// The bank holidays in force for a year (one division, or all).
pub async fn list(
    app: &AppContext,
    year: i32,
    division: Option<Division>,
) -> ServiceResult<Vec<Holiday>> {
    if !(2000..=2100).contains(&year) {
        return Err(ServiceError::refused(format!(
            "--year {year}: holidays are known for 2000 to 2100"
        )));
    }
    let ops = holidays::load(&app.db).await?;
    let cal = HolidayCalendar::with_operator(&ops)
        .map_err(|e| StoreError::Invalid(format!("holiday data: {e}")))?;
    Ok(cal
        .holidays_in(year, division)
        .into_iter()
        .cloned()
        .collect())
}
