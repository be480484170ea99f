//! Turning a template into stored `queued` requests: one at a time, or one per
//! (authority, twinning link) for a whole campaign.

use crate::domain::{EmailAddress, Reference, RequestState, TwinningStatus};
use crate::letters::{
    LetterContext, LetterError, LetterRegistry, LetterRequest, Rendered, TemplateKind,
};
use crate::mail::new_message_id;
use crate::settings::Settings;
use crate::store::authorities::{self, AuthorityModel};
use crate::store::requests::{self, NewRequest};
use crate::store::twinnings::{self, TwinningModel};
use crate::store::{campaigns, messages, StoreError};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Letter(#[from] LetterError),
    #[error("{0}")]
    Refused(String),
}

impl From<sea_orm::DbErr> for QueueError {
    fn from(e: sea_orm::DbErr) -> Self {
        QueueError::Store(e.into())
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct QueuedLetter {
    /// For a dry run, the reference the letter would get if queued now.
    pub reference: String,
    pub authority: String,
    pub twinning_id: Option<i32>,
    pub partner_city: Option<String>,
    pub to: String,
    pub reply_to: String,
    pub subject: String,
    pub body: String,
    pub stored: bool,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CampaignOutcome {
    pub campaign: String,
    pub queued: Vec<QueuedLetter>,
    /// (authority slug, partner city) pairs the campaign already holds.
    pub already_held: Vec<(String, String)>,
    /// Authorities skipped because no FOI address is known.
    pub no_address: Vec<(String, String)>,
}

pub struct Queuer<'a> {
    pub settings: &'a Settings,
    pub letters: &'a LetterRegistry,
    pub now: DateTime<Utc>,
    pub actor: &'a str,
}

/// Today's date where the law counts days.
pub fn london_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&chrono_tz::Europe::London).date_naive()
}

impl Queuer<'_> {
    fn check_template(&self, template: &str) -> Result<(), QueueError> {
        let info = self.letters.get(template)?;
        if info.kind != TemplateKind::Letter {
            return Err(QueueError::Refused(format!(
                "template {template} is a {:?} template, not a letter to an authority",
                info.kind
            )));
        }
        Ok(())
    }

    /// Renders the letter for a request that has (or would have) `reference`.
    pub fn render(
        &self,
        template: &str,
        authority: &AuthorityModel,
        twinning: Option<&TwinningModel>,
        reference: &Reference,
        vars: &BTreeMap<String, String>,
    ) -> Result<(Rendered, String), QueueError> {
        let reply_to = self.settings.reply_address(reference.as_str());
        let request = LetterRequest {
            reference: reference.to_string(),
            reply_to: reply_to.clone(),
            ..Default::default()
        };
        let ctx = LetterContext {
            authority,
            regime: authorities::regime_of(authority)?,
            twinning,
            request: &request,
            requester: &self.settings.requester,
            today: london_date(self.now),
            vars,
        };
        Ok((self.letters.render(template, &ctx.to_json())?, reply_to))
    }

    /// A stored request's letter written again with the settings in force now, under the same
    /// reference (to replace one written while the requester was still the placeholder).
    pub async fn rerender(
        &self,
        db: &impl ConnectionTrait,
        r: &requests::RequestModel,
    ) -> Result<(Rendered, String), QueueError> {
        let authority = authorities::get(db, r.authority_id).await?;
        let twinning = match r.twinning_id {
            Some(id) => Some(twinnings::get(db, id).await?),
            None => None,
        };
        let vars: BTreeMap<String, String> = serde_json::from_str(&r.vars).map_err(|e| {
            StoreError::Invalid(format!("{}: stored letter variables: {e}", r.reference))
        })?;
        let reference = Reference::parse(&r.reference)
            .map_err(|e| StoreError::Invalid(format!("{}: {e}", r.reference)))?;
        self.render(
            &r.template,
            &authority,
            twinning.as_ref(),
            &reference,
            &vars,
        )
    }

    /// The twinning link a letter to `authority` is about. A link of another authority is
    /// refused: the letter would talk about the wrong council's agreement. Without `--twinning`,
    /// a template that needs a link gets the authority's only one; with several, the error
    /// lists them so staff can pick.
    pub async fn twinning_for(
        &self,
        db: &impl ConnectionTrait,
        template: &str,
        authority: &AuthorityModel,
        twinning_id: Option<i32>,
    ) -> Result<Option<TwinningModel>, QueueError> {
        if let Some(id) = twinning_id {
            let t = twinnings::get(db, id).await?;
            if t.authority_id != authority.id {
                let owner = authorities::get(db, t.authority_id).await?;
                return Err(QueueError::Refused(format!(
                    "twinning link {id} ({} – {}) belongs to {}, not to {}; see `foi authorities show {}` for its links",
                    t.uk_place, t.partner_city, owner.slug, authority.slug, authority.slug
                )));
            }
            return Ok(Some(t));
        }
        let info = self.letters.get(template)?;
        let Some(needed) = info.requires.iter().find(|p| p.starts_with("twinning")) else {
            return Ok(None);
        };
        let mut links = twinnings::for_authority(db, authority.id).await?;
        match links.len() {
            1 => Ok(links.pop()),
            0 => Err(QueueError::Refused(format!(
                "template {template} needs a twinning link ({needed}), and {} has none (see `foi twinnings list`)",
                authority.slug
            ))),
            n => Err(QueueError::Refused(format!(
                "template {template} needs a twinning link ({needed}), and {} has {n}: pass --twinning with one of\n{}",
                authority.slug,
                links
                    .iter()
                    .map(|t| format!(
                        "  {}  {} ({}), {}, {}",
                        t.id, t.partner_city, t.partner_province, t.relationship, t.status
                    ))
                    .collect::<Vec<_>>()
                    .join("\n")
            ))),
        }
    }

    /// `foi queue --template T --authority SLUG [--twinning ID] [--again]`. A request already
    /// made to the authority about the same link with the same template (in a campaign or
    /// not) is refused unless `again` says another is meant.
    #[allow(clippy::too_many_arguments)]
    pub async fn queue_one<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        template: &str,
        authority_slug: &str,
        twinning_id: Option<i32>,
        vars: &BTreeMap<String, String>,
        dry_run: bool,
        again: bool,
    ) -> Result<QueuedLetter, QueueError> {
        self.check_template(template)?;
        let authority = authorities::get_by_slug(db, authority_slug).await?;
        let twinning = self
            .twinning_for(db, template, &authority, twinning_id)
            .await?;
        let to = authority.foi_email.clone().ok_or_else(|| {
            QueueError::Refused(format!(
                "{} has no FOI email address; set one with `foi authorities set-email {} ADDRESS`",
                authority.name, authority.slug
            ))
        })?;
        if !again {
            self.refuse_a_duplicate(db, template, &authority, twinning.as_ref())
                .await?;
        }
        if dry_run {
            let reference = requests::next_reference(db, self.now.year()).await?;
            let (r, reply_to) =
                self.render(template, &authority, twinning.as_ref(), &reference, vars)?;
            return Ok(letter(
                reference.to_string(),
                &authority,
                twinning.as_ref(),
                to,
                reply_to,
                r,
                false,
            ));
        }
        let txn = db.begin().await?;
        let stored = requests::insert(&txn, self.now, self.actor, |reference| {
            self.new_request(
                template,
                &authority,
                twinning.as_ref(),
                None,
                &to,
                reference,
                vars,
            )
        })
        .await?;
        self.enqueue(&txn, &stored).await?;
        txn.commit().await?;
        Ok(stored_letter(stored, &authority, twinning.as_ref()))
    }

    async fn refuse_a_duplicate(
        &self,
        db: &impl ConnectionTrait,
        template: &str,
        authority: &AuthorityModel,
        twinning: Option<&TwinningModel>,
    ) -> Result<(), QueueError> {
        let existing =
            requests::made_for(db, authority.id, twinning.map(|t| t.id), template).await?;
        if existing.is_empty() {
            return Ok(());
        }
        let about = match twinning {
            Some(t) => format!(" about link {} ({})", t.id, t.partner_city),
            None => String::new(),
        };
        let listed: Vec<String> = requests::rows_for(db, existing)
            .await?
            .into_iter()
            .map(|r| match &r.campaign {
                Some(c) => format!("{} ({}, campaign {c})", r.reference, r.state),
                None => format!("{} ({})", r.reference, r.state),
            })
            .collect();
        Err(QueueError::Refused(format!(
            "{} already has a {template} request{about}: {}; pass --again to queue another",
            authority.slug,
            listed.join(", ")
        )))
    }

    /// Puts the request's letter in the outbox, with its Message-ID fixed now so that every
    /// later attempt sends the very same message.
    async fn enqueue(
        &self,
        db: &impl ConnectionTrait,
        r: &requests::RequestModel,
    ) -> Result<(), QueueError> {
        let Some(to) = r.to_address.clone() else {
            return Ok(());
        };
        messages::enqueue(
            db,
            messages::NewOutbound {
                request_id: Some(r.id),
                kind: "request".into(),
                from_addr: self.settings.mail.from_address.clone(),
                to_addr: to,
                reply_to: r.reply_to.clone(),
                subject: r.subject.clone(),
                body: r.body.clone(),
                message_id: new_message_id(
                    &r.reference,
                    &self.settings.mail.reply_domain,
                    self.now,
                ),
                in_reply_to: None,
                references: None,
                auto_submitted: false,
                html_body: None,
                state: messages::state::QUEUED,
            },
            self.now,
        )
        .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn new_request(
        &self,
        template: &str,
        authority: &AuthorityModel,
        twinning: Option<&TwinningModel>,
        campaign_id: Option<i32>,
        to: &str,
        reference: &Reference,
        vars: &BTreeMap<String, String>,
    ) -> Result<NewRequest, QueueError> {
        let (r, reply_to) = self.render(template, authority, twinning, reference, vars)?;
        Ok(NewRequest {
            authority_id: authority.id,
            campaign_id,
            twinning_id: twinning.map(|t| t.id),
            template: template.to_string(),
            regime: authority.regime.clone(),
            state: RequestState::Queued,
            subject: r.subject,
            body: r.body,
            reply_to,
            to_address: Some(to.to_string()),
            vars: serde_json::to_value(vars).unwrap_or_default(),
        })
    }

    /// `foi queue --campaign NAME --all-twinned`: one request per (authority, link), in one
    /// transaction, skipping what the campaign already holds.
    #[allow(clippy::too_many_arguments)]
    pub async fn queue_campaign<C: ConnectionTrait + TransactionTrait>(
        &self,
        db: &C,
        campaign: &str,
        template: &str,
        status: Option<TwinningStatus>,
        tag: Option<&str>,
        vars: &BTreeMap<String, String>,
        dry_run: bool,
    ) -> Result<CampaignOutcome, QueueError> {
        self.check_template(template)?;
        let links = twinnings::list(db, status, tag).await?;
        let txn = db.begin().await?;
        let campaign_model = if dry_run {
            campaigns::find(&txn, campaign).await?
        } else {
            Some(campaigns::find_or_create(&txn, campaign).await?)
        };
        let mut out = CampaignOutcome {
            campaign: campaign.trim().to_string(),
            ..Default::default()
        };
        let mut preview_number = requests::next_reference(&txn, self.now.year())
            .await?
            .number();
        for (link, authority) in &links {
            if let Some(c) = &campaign_model {
                if requests::campaign_holds(&txn, c.id, authority.id, Some(link.id), template)
                    .await?
                {
                    out.already_held
                        .push((authority.slug.clone(), link.partner_city.clone()));
                    continue;
                }
            }
            let Some(to) = authority.foi_email.clone() else {
                if !out.no_address.iter().any(|(s, _)| s == &authority.slug) {
                    out.no_address
                        .push((authority.slug.clone(), authority.name.clone()));
                }
                continue;
            };
            if EmailAddress::parse(&to).is_err() {
                out.no_address
                    .push((authority.slug.clone(), authority.name.clone()));
                continue;
            }
            if dry_run {
                let reference = Reference::new(self.now.year(), preview_number);
                preview_number += 1;
                let (r, reply_to) =
                    self.render(template, authority, Some(link), &reference, vars)?;
                out.queued.push(letter(
                    reference.to_string(),
                    authority,
                    Some(link),
                    to,
                    reply_to,
                    r,
                    false,
                ));
                continue;
            }
            let campaign_id = campaign_model.as_ref().map(|c| c.id);
            let stored = requests::insert(&txn, self.now, self.actor, |reference| {
                self.new_request(
                    template,
                    authority,
                    Some(link),
                    campaign_id,
                    &to,
                    reference,
                    vars,
                )
            })
            .await?;
            self.enqueue(&txn, &stored).await?;
            out.queued
                .push(stored_letter(stored, authority, Some(link)));
        }
        if dry_run {
            txn.rollback().await?;
        } else {
            txn.commit().await?;
        }
        Ok(out)
    }
}

fn letter(
    reference: String,
    authority: &AuthorityModel,
    twinning: Option<&TwinningModel>,
    to: String,
    reply_to: String,
    r: Rendered,
    stored: bool,
) -> QueuedLetter {
    QueuedLetter {
        reference,
        authority: authority.slug.clone(),
        twinning_id: twinning.map(|t| t.id),
        partner_city: twinning.map(|t| t.partner_city.clone()),
        to,
        reply_to,
        subject: r.subject,
        body: r.body,
        stored,
    }
}

fn stored_letter(
    m: requests::RequestModel,
    authority: &AuthorityModel,
    twinning: Option<&TwinningModel>,
) -> QueuedLetter {
    letter(
        m.reference,
        authority,
        twinning,
        m.to_address.unwrap_or_default(),
        m.reply_to,
        Rendered {
            subject: m.subject,
            body: m.body,
        },
        true,
    )
}
