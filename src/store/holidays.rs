//! Operator-supplied bank holidays (`foi holidays import`), layered over the shipped list.

use super::entities::{holiday_replacement, operator_holiday};
use super::StoreResult;
use crate::calendar::{Division, Holiday, HolidaySource, OperatorHolidays};
use chrono::{DateTime, Datelike, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

/// What identifies the state of the operator's imports, cheaply (one query): any import
/// changes it (new rows get new ids), so a cached calendar can tell when it is stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(Vec<Option<String>>);

pub async fn version(db: &impl ConnectionTrait) -> StoreResult<Version> {
    use sea_orm::{Statement, TryGetable};
    let sql = "SELECT \
        CAST((SELECT COUNT(*) FROM operator_holidays) AS TEXT) AS a, \
        CAST((SELECT MAX(id) FROM operator_holidays) AS TEXT) AS b, \
        CAST((SELECT COUNT(*) FROM holiday_replacements) AS TEXT) AS c, \
        CAST((SELECT MAX(imported_at) FROM holiday_replacements) AS TEXT) AS d";
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    let mut parts = Vec::new();
    if let Some(row) = row {
        for col in ["a", "b", "c", "d"] {
            parts.push(
                <Option<String> as TryGetable>::try_get(&row, "", col)
                    .ok()
                    .flatten(),
            );
        }
    }
    Ok(Version(parts))
}

/// Everything operators have imported, in the shape the calendar applies.
pub async fn load(db: &impl ConnectionTrait) -> StoreResult<OperatorHolidays> {
    let mut out = OperatorHolidays::default();
    for r in holiday_replacement::Entity::find().all(db).await? {
        if let Ok(d) = r.division.parse::<Division>() {
            out.replace.push((d, r.year));
        }
    }
    for h in operator_holiday::Entity::find()
        .order_by_asc(operator_holiday::Column::Date)
        .all(db)
        .await?
    {
        if let Ok(division) = h.division.parse::<Division>() {
            out.holidays.push(Holiday {
                date: h.date,
                division,
                title: h.title,
                source: HolidaySource::Operator,
            });
        }
    }
    Ok(out)
}

/// Stores an import. For every (division, year) the import replaces, earlier operator days
/// in that year are removed too: the newest full list for a year is the truth.
pub async fn save(
    db: &impl ConnectionTrait,
    import: &OperatorHolidays,
    source: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    for (division, year) in &import.replace {
        let div = division.slug();
        holiday_replacement::Entity::delete_many()
            .filter(holiday_replacement::Column::Division.eq(div))
            .filter(holiday_replacement::Column::Year.eq(*year))
            .exec(db)
            .await?;
        holiday_replacement::ActiveModel {
            division: Set(div.to_string()),
            year: Set(*year),
            source: Set(source.to_string()),
            imported_at: Set(now),
        }
        .insert(db)
        .await?;
        let (start, end) = (
            chrono::NaiveDate::from_ymd_opt(*year, 1, 1),
            chrono::NaiveDate::from_ymd_opt(*year, 12, 31),
        );
        if let (Some(start), Some(end)) = (start, end) {
            operator_holiday::Entity::delete_many()
                .filter(operator_holiday::Column::Division.eq(div))
                .filter(operator_holiday::Column::Date.between(start, end))
                .exec(db)
                .await?;
        }
    }
    for h in &import.holidays {
        let div = h.division.slug();
        operator_holiday::Entity::delete_many()
            .filter(operator_holiday::Column::Division.eq(div))
            .filter(operator_holiday::Column::Date.eq(h.date))
            .exec(db)
            .await?;
        operator_holiday::ActiveModel {
            division: Set(div.to_string()),
            date: Set(h.date),
            title: Set(h.title.clone()),
            source: Set(source.to_string()),
            imported_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Years an import touches, for the summary line.
pub fn years(import: &OperatorHolidays) -> Vec<i32> {
    let mut ys: Vec<i32> = import
        .holidays
        .iter()
        .map(|h| h.date.year())
        .chain(import.replace.iter().map(|(_, y)| *y))
        .collect();
    ys.sort_unstable();
    ys.dedup();
    ys
}
