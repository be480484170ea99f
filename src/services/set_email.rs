//! `foi authorities set-email SLUG ADDRESS`: the council's FOI address corrected (after a
//! bounce, say). Every open request's unsent letters to the old address now go to the new
//! one, and each request's timeline keeps the old one.

use super::ServiceResult;
use crate::app::AppContext;
use crate::domain::{EmailAddress, EventName};
use crate::store::{authorities, events, messages, requests};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Readdressed {
    pub reference: String,
    pub messages: usize,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct EmailSet {
    pub slug: String,
    pub email: String,
    pub readdressed: Vec<Readdressed>,
}

#[tracing::instrument(skip_all, fields(authority = %slug))]
pub async fn set_email(
    app: &AppContext,
    now: DateTime<Utc>,
    slug: &str,
    email: &EmailAddress,
    actor: &str,
) -> ServiceResult<EmailSet> {
    let txn = app.db.begin().await?;
    let before = authorities::get_by_slug(&txn, slug).await?;
    let a = authorities::set_email(&txn, slug, email, "set by staff").await?;
    let mut out = Vec::new();
    if let Some(old) = before.foi_email.as_deref().filter(|o| *o != email.as_str()) {
        for r in requests::for_authority(&txn, a.id).await? {
            let unsent: Vec<_> = messages::unsent_to(&txn, r.id, old)
                .await?
                .into_iter()
                .filter(|m| m.kind.goes_to_council())
                .collect();
            if unsent.is_empty() {
                continue;
            }
            for m in &unsent {
                messages::set_recipient(&txn, m.id, email.as_str()).await?;
            }
            requests::set_to_address(&txn, r.id, email.as_str(), now).await?;
            events::record(
                &txn,
                r.id,
                now,
                EventName::Readdressed,
                format!(
                    "the council's FOI address changed from {old} to {email}: {} unsent letter(s) now go to {email}",
                    unsent.len()
                ),
                actor,
                None,
            )
            .await?;
            out.push(Readdressed {
                reference: r.reference.clone(),
                messages: unsent.len(),
            });
        }
    }
    txn.commit().await?;
    Ok(EmailSet {
        slug: a.slug,
        email: email.to_string(),
        readdressed: out,
    })
}
