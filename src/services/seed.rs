//! The shipped reference data: UK–China twinning links and the FOI addresses found for some
//! of those councils. `foi seed` loads both, idempotently; a blank address stays blank.

use super::ServiceResult;
use crate::app::AppContext;
use crate::import::{parse_contacts, parse_twinnings};
use crate::store::{authorities, twinnings};
use sea_orm::TransactionTrait;

use crate::import::shipped::{CONTACTS_TSV, TWINNINGS_TSV};

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct SeedSummary {
    pub twinnings: twinnings::TwinningImportSummary,
    pub emails_filled: usize,
    pub authorities_without_email: Vec<String>,
}

const TWINNINGS_FILE: &str = "config/seed/uk-china-twinnings.tsv";
const CONTACTS_FILE: &str = "config/seed/council-foi-contacts.tsv";

/// `foi seed`.
#[tracing::instrument(skip_all)]
pub async fn run(app: &AppContext) -> ServiceResult<SeedSummary> {
    let db = &app.db;
    let links = parse_twinnings(TWINNINGS_FILE, TWINNINGS_TSV)?;
    let contacts = parse_contacts(CONTACTS_FILE, CONTACTS_TSV)?;
    let mut summary = SeedSummary {
        twinnings: twinnings::import_rows(db, TWINNINGS_FILE, &links).await?,
        ..Default::default()
    };
    let txn = db.begin().await?;
    // The councils the links named are stored by now, perhaps under slugs staff chose when
    // they imported them first: find each by name, as the links were.
    let by_name = authorities::ByName::load(&txn).await?;
    by_name.check_all(
        CONTACTS_FILE,
        "uk_authority",
        contacts.iter().map(|c| (c.line, c.authority_name.as_str())),
    )?;
    for c in &contacts {
        let slug =
            match by_name.find_at(CONTACTS_FILE, c.line, "uk_authority", &c.authority_name)? {
                Some(a) => a.slug.clone(),
                None => c.authority_slug.to_string(),
            };
        let source = c.source.as_deref().map(|s| format!("seed: {s}"));
        if authorities::fill_email(
            &txn,
            &slug,
            c.foi_email.as_ref(),
            source.as_deref(),
            c.notes.as_deref(),
        )
        .await?
            && c.foi_email.is_some()
        {
            summary.emails_filled += 1;
        }
    }
    txn.commit().await?;
    summary.authorities_without_email = authorities::list(db, None)
        .await?
        .into_iter()
        .filter(|a| a.foi_email.is_none())
        .map(|a| a.slug)
        .collect();
    Ok(summary)
}
