//! `foi requests add`: a request made outside foi (before foi existed, say, or typed into a
//! council's web form by staff). Its letter is written from the template as foi would have
//! written it; nothing goes into the outbox. With `--on` it is recorded as sent that day and
//! the statutory clock starts; without it, it waits in `queued` with a task to submit it, as
//! a request queued `--via portal` or `--via post` does.

use super::queue::{self, QueuedLetter};
use super::sent_by_hand::{self, SendByHand, SentByHand};
use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::domain::Channel;
use crate::store::{authorities, requests};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::TransactionTrait;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct AddRequest {
    pub template: String,
    pub authority: String,
    pub twinning: Option<i32>,
    /// It was about all of the authority's links (for an authority with several, foi does not
    /// guess which the letter asked about).
    pub all_links: bool,
    pub vars: BTreeMap<String, String>,
    pub via: Channel,
    /// The day it was sent, submitted or posted; without it the request waits in `queued`.
    pub on: Option<NaiveDate>,
    /// For a posted letter, the day the council received it, when known.
    pub received: Option<NaiveDate>,
    pub portal_reference: Option<String>,
    pub note: Option<String>,
    /// Add it even though the authority already has a request from this template about
    /// this link.
    pub again: bool,
    pub actor: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Added {
    #[serde(flatten)]
    pub letter: QueuedLetter,
    /// Set when `--on` recorded it as sent.
    pub sent: Option<SentByHand>,
}

#[tracing::instrument(skip_all, fields(template = %input.template, authority = %input.authority))]
pub async fn add(app: &AppContext, now: DateTime<Utc>, input: AddRequest) -> ServiceResult<Added> {
    let db = &app.db;
    let template = input.template.as_str();
    queue::check_template(app, template)?;
    let authority = authorities::get_by_slug(db, &input.authority).await?;
    let links = queue::links_for(app, db, template, &authority, input.twinning).await?;
    if !links.one && links.links.len() > 1 && !input.all_links {
        return Err(ServiceError::refused(format!(
            "{} has {} twinning links: say which one the request was about with --twinning ID, \
             or --all-links if it asked about all of them (see `foi authorities show {}`)",
            authority.slug,
            links.links.len(),
            authority.slug
        )));
    }
    if input.on.is_none() {
        for (given, flag) in [
            (input.portal_reference.is_some(), "--portal-ref"),
            (input.received.is_some(), "--received"),
        ] {
            if given {
                return Err(ServiceError::refused(format!(
                    "{flag} says the request was sent: give the day with --on DATE too"
                )));
            }
        }
    }
    // Reminders to an email request go to the council's FOI address, so it must be known.
    let to = if input.via.by_email() {
        Some(authority.foi_email.clone().ok_or_else(|| {
            ServiceError::refused(format!(
                "{} has no FOI email address, which an email request's reminders go to; set it with \
                 `foi authorities set-email {} ADDRESS`, or add the request --via portal or --via post",
                authority.name, authority.slug
            ))
        })?)
    } else {
        None
    };
    let cal = app.calendar().await?;
    let txn = db.begin().await?;
    crate::store::locks::queue_lock(&txn).await?;
    if !input.again {
        queue::refuse_a_duplicate(&txn, template, &authority, &links).await?;
    }
    let stored = requests::insert(&txn, now, &input.actor, |reference| {
        queue::new_request(
            app,
            now,
            template,
            &authority,
            &links,
            None,
            input.via,
            to.as_deref(),
            reference,
            &input.vars,
        )
    })
    .await?;
    let sent = match input.on {
        Some(on) => Some(
            sent_by_hand::record_in(
                app,
                &txn,
                &cal,
                &stored,
                &SendByHand {
                    reference: stored.reference.clone(),
                    on,
                    received: input.received,
                    portal_reference: input.portal_reference.clone(),
                    note: Some(match &input.note {
                        Some(n) => format!("made outside foi ({n})"),
                        None => "made outside foi".to_string(),
                    }),
                    actor: input.actor.clone(),
                },
                now,
            )
            .await?,
        ),
        // Waits to be submitted like a request queued for a web form or the post: a task,
        // and never an outbox letter (it is not foi's to send).
        None => {
            queue::submit_task(&txn, &stored, &input.actor, now).await?;
            None
        }
    };
    txn.commit().await?;
    tracing::info!(reference = %stored.reference, "added");
    Ok(Added {
        letter: queue::stored_letter(stored, &authority, &links),
        sent,
    })
}
