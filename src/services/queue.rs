//! Turning a template into stored `queued` requests: one at a time (`foi queue --authority`),
//! or for a whole campaign, one per council covering all its links (or, with `--per link`,
//! one per link); and previews of either. An
//! email request's letter goes into the outbox; a request for a council's web form or the post
//! (`--via portal|post`) gets no outbox letter, only a staff task to submit it.

use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::london_date;
use crate::domain::{
    Channel, EmailAddress, MessageKind, Reference, RequestState, TaskKind, TwinningStatus,
};
use crate::letters::{and_list_of, LetterContext, LetterRequest, Rendered, TemplateKind};
use crate::mail::new_message_id;
use crate::store::authorities::{self, AuthorityModel};
use crate::store::requests::{self, NewRequest};
use crate::store::twinnings::{self, TwinningModel};
use crate::store::{campaigns, locks, messages, tasks, StoreError};
use chrono::{DateTime, Datelike, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};

use std::collections::BTreeMap;

#[derive(Debug, Clone, serde::Serialize)]
pub struct QueuedLetter {
    /// For a dry run, the reference the letter would get if queued now.
    pub reference: String,
    pub authority: String,
    /// The link a one-link letter is about (`--twinning`, `--per link`); None for a letter
    /// about the council's links, even when it has only one (see `twinning_ids`).
    pub twinning_id: Option<i32>,
    /// Every link the letter covers.
    pub twinning_ids: Vec<i32>,
    /// Their partner cities ("Wuhan, Chengdu and Anshan").
    pub partner_city: Option<String>,
    /// How the letter goes: foi emails it, or staff submit it (web form, post).
    pub channel: Channel,
    /// The council's FOI address (email requests only).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to: String,
    /// The council's website, where its web form can be found (requests not sent by email).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    pub reply_to: String,
    pub subject: String,
    pub body: String,
    pub stored: bool,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CampaignOutcome {
    pub campaign: String,
    pub queued: Vec<QueuedLetter>,
    /// Links a request from this template already covers (in this campaign or not).
    pub already_held: Vec<Held>,
    /// Authorities skipped because no FOI address is known (email campaigns).
    pub no_address: Vec<(String, String)>,
    /// Authorities skipped because they have an FOI address (`--without-address`).
    pub has_address: Vec<(String, String)>,
    pub channel: Channel,
}

/// A link left out of a campaign because a request from the template already asks about it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Held {
    pub authority: String,
    pub partner_city: String,
    /// The request that asks about it.
    pub reference: String,
    /// Whether that request is in this campaign (or outside it, or in another).
    pub in_this_campaign: bool,
}

/// How many letters a campaign writes to a council with several links.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Per {
    /// One letter covering all of the council's links: the Fees Regulations let a council
    /// add similar requests from one requester together, so separate letters gain nothing.
    #[default]
    Council,
    /// One letter per link.
    Link,
}

impl Per {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "council" => Ok(Per::Council),
            "link" => Ok(Per::Link),
            other => Err(format!("'{other}' is not council or link")),
        }
    }
}

/// The twinning links a letter covers.
#[derive(Debug, Clone, Default)]
pub struct LetterLinks {
    pub links: Vec<TwinningModel>,
    /// Written about that one link (`--twinning`, `--per link`, or a template that needs
    /// `twinning.…`), rather than about the council's links.
    pub one: bool,
}

impl LetterLinks {
    fn about(links: Vec<TwinningModel>) -> Self {
        LetterLinks { links, one: false }
    }

    fn one(link: TwinningModel) -> Self {
        LetterLinks {
            links: vec![link],
            one: true,
        }
    }

    /// What `requests.twinning_id` records: the link a one-link letter is about.
    fn twinning_id(&self) -> Option<i32> {
        self.links.first().filter(|_| self.one).map(|t| t.id)
    }

    fn ids(&self) -> Vec<i32> {
        self.links.iter().map(|t| t.id).collect()
    }

    fn cities(&self) -> String {
        and_list_of(
            &self
                .links
                .iter()
                .map(|t| t.partner_city.clone())
                .collect::<Vec<_>>(),
        )
    }
}

/// `foi queue --template T --authority SLUG [--twinning ID] [--again] [--dry-run]`.
#[derive(Debug, Clone, Default)]
pub struct QueueOne {
    pub template: String,
    pub authority: String,
    pub twinning: Option<i32>,
    pub vars: BTreeMap<String, String>,
    pub dry_run: bool,
    /// Queue it even though the authority already has a request from this template about
    /// this link.
    pub again: bool,
    /// Email (the outbox), or a web form or the post (a staff task, nothing emailed).
    pub via: Channel,
    pub actor: String,
}

/// `foi queue --campaign NAME --all-twinned [--per council|link] [--status S] [--tag T] [--dry-run]`.
#[derive(Debug, Clone, Default)]
pub struct QueueCampaign {
    pub campaign: String,
    pub template: String,
    pub status: Option<TwinningStatus>,
    pub tag: Option<String>,
    pub vars: BTreeMap<String, String>,
    pub dry_run: bool,
    pub per: Per,
    pub via: Channel,
    /// With a web form or the post: only the councils with no FOI email address (the others
    /// are left for an email campaign).
    pub without_address: bool,
    pub actor: String,
}

/// What staff see in `foi templates render`: the letter as it would be written now.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Preview {
    pub to: Option<String>,
    pub reply_to: String,
    pub subject: String,
    pub body: String,
}

pub(super) fn check_template(app: &AppContext, template: &str) -> ServiceResult<()> {
    let info = app.letters.get(template)?;
    if info.kind != TemplateKind::Letter {
        return Err(ServiceError::Refused(format!(
            "template {template} is a {:?} template, not a letter to an authority",
            info.kind
        )));
    }
    Ok(())
}

/// Renders the letter for a request that has (or would have) `reference`.
#[allow(clippy::too_many_arguments)]
pub fn render(
    app: &AppContext,
    now: DateTime<Utc>,
    template: &str,
    authority: &AuthorityModel,
    links: &[TwinningModel],
    reference: &Reference,
    vars: &BTreeMap<String, String>,
    channel: Channel,
) -> ServiceResult<(Rendered, String)> {
    let reply_to = app.settings.reply_address(reference.as_str());
    let request = LetterRequest {
        reference: reference.to_string(),
        reply_to: reply_to.clone(),
        channel,
        ..Default::default()
    };
    let ctx = LetterContext {
        authority,
        regime: authorities::regime_of(authority)?,
        twinnings: links,
        request: &request,
        response: None,
        requester: &app.settings.requester,
        today: london_date(now),
        vars,
    };
    Ok((app.letters.render(template, &ctx.to_json())?, reply_to))
}

/// A stored request's letter written again with the settings in force now, under the same
/// reference (to replace one written while the requester was still the placeholder).
pub async fn rerender(
    app: &AppContext,
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    r: &requests::RequestModel,
) -> ServiceResult<(Rendered, String)> {
    let authority = authorities::get(db, r.authority_id).await?;
    let links = requests::links_of(db, r).await?;
    let vars: BTreeMap<String, String> = serde_json::from_str(&r.vars).map_err(|e| {
        StoreError::Invalid(format!("{}: stored letter variables: {e}", r.reference))
    })?;
    let reference = Reference::parse(&r.reference)
        .map_err(|e| StoreError::Invalid(format!("{}: {e}", r.reference)))?;
    render(
        app,
        now,
        &r.template,
        &authority,
        &links,
        &reference,
        &vars,
        r.channel,
    )
}

fn list_links(links: &[TwinningModel]) -> String {
    links
        .iter()
        .map(|t| {
            format!(
                "  {}  {} ({}), {}, {}",
                t.id, t.partner_city, t.partner_province, t.relationship, t.status
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The twinning links a letter to `authority` is about. With `--twinning`, that one link (a
/// link of another authority is refused: the letter would talk about the wrong council's
/// agreement). Otherwise all of the council's links, unless the template is written about one
/// link (it needs `twinning.…`): then the council's only link, or an error listing them so
/// staff can pick.
pub async fn links_for(
    app: &AppContext,
    db: &impl ConnectionTrait,
    template: &str,
    authority: &AuthorityModel,
    twinning_id: Option<i32>,
) -> ServiceResult<LetterLinks> {
    if let Some(id) = twinning_id {
        let t = twinnings::get(db, id).await?;
        if t.authority_id != authority.id {
            let owner = authorities::get(db, t.authority_id).await?;
            return Err(ServiceError::Refused(format!(
                "twinning link {id} ({} – {}) belongs to {}, not to {}; see `foi authorities show {}` for its links",
                t.uk_place, t.partner_city, owner.slug, authority.slug, authority.slug
            )));
        }
        return Ok(LetterLinks::one(t));
    }
    let info = app.letters.get(template)?;
    let mut links = twinnings::for_authority(db, authority.id).await?;
    if !info.per_link() {
        return Ok(LetterLinks::about(links));
    }
    let needed = info
        .requires
        .iter()
        .find(|p| p.starts_with("twinning"))
        .cloned()
        .unwrap_or_else(|| "it reads twinning.…".into());
    match links.len() {
        1 => Ok(LetterLinks::one(links.remove(0))),
        0 => Err(ServiceError::Refused(format!(
            "template {template} needs a twinning link ({needed}), and {} has none (see `foi twinnings list`)",
            authority.slug
        ))),
        n => Err(ServiceError::Refused(format!(
            "template {template} is written about one twinning link ({needed}), and {} has {n}: pass --twinning with one of\n{}",
            authority.slug,
            list_links(&links)
        ))),
    }
}

/// `foi queue --template T --authority SLUG [--twinning ID] [--again]`. A request already
/// made to the authority with the same template about any of the same links (in a campaign
/// or not) is refused unless `again` says another is meant.
#[tracing::instrument(skip_all, fields(template = %input.template, authority = %input.authority))]
pub async fn one(
    app: &AppContext,
    now: DateTime<Utc>,
    input: QueueOne,
) -> ServiceResult<QueuedLetter> {
    let db = &app.db;
    let template = input.template.as_str();
    let vars = &input.vars;
    check_template(app, template)?;
    let authority = authorities::get_by_slug(db, &input.authority).await?;
    let links = links_for(app, db, template, &authority, input.twinning).await?;
    let to = if input.via.by_email() {
        Some(authority.foi_email.clone().ok_or_else(|| {
            ServiceError::Refused(format!(
                "{} has no FOI email address; set one with `foi authorities set-email {} ADDRESS`, \
                 or queue the letter for the council's web form or the post with --via portal or --via post",
                authority.name, authority.slug
            ))
        })?)
    } else {
        None
    };
    if input.dry_run {
        if !input.again {
            refuse_a_duplicate(db, template, &authority, &links).await?;
        }
        let reference = requests::next_reference(db, now.year()).await?;
        let (r, reply_to) = render(
            app,
            now,
            template,
            &authority,
            &links.links,
            &reference,
            vars,
            input.via,
        )?;
        return Ok(letter(
            reference.to_string(),
            &authority,
            &links,
            input.via,
            to.unwrap_or_default(),
            reply_to,
            r,
            false,
        ));
    }
    let txn = db.begin().await?;
    locks::queue_lock(&txn).await?;
    if !input.again {
        refuse_a_duplicate(&txn, template, &authority, &links).await?;
    }
    let stored = requests::insert(&txn, now, &input.actor, |reference| {
        new_request(
            app,
            now,
            template,
            &authority,
            &links,
            None,
            input.via,
            to.as_deref(),
            reference,
            vars,
        )
    })
    .await?;
    hand_over(app, &txn, now, &stored, &input.actor).await?;
    txn.commit().await?;
    tracing::info!(reference = %stored.reference, "queued");
    Ok(stored_letter(stored, &authority, &links))
}

/// The requests from `template` to the authority that already ask about any of `links` (for a
/// letter about no link, those about none).
async fn overlapping(
    db: &impl ConnectionTrait,
    template: &str,
    authority: &AuthorityModel,
    links: &LetterLinks,
) -> ServiceResult<Vec<requests::RequestModel>> {
    let ours = links.ids();
    Ok(requests::covering(db, authority.id, Some(template))
        .await?
        .into_iter()
        .filter(|(_, theirs)| {
            if ours.is_empty() {
                theirs.is_empty()
            } else {
                theirs.iter().any(|t| ours.contains(t))
            }
        })
        .map(|(r, _)| r)
        .collect())
}

pub(super) async fn refuse_a_duplicate(
    db: &impl ConnectionTrait,
    template: &str,
    authority: &AuthorityModel,
    links: &LetterLinks,
) -> ServiceResult<()> {
    let existing = overlapping(db, template, authority, links).await?;
    if existing.is_empty() {
        return Ok(());
    }
    let about = match links.links.as_slice() {
        [] => String::new(),
        [t] => format!(" about link {} ({})", t.id, t.partner_city),
        _ => format!(" about its links with {}", links.cities()),
    };
    let listed: Vec<String> = requests::rows_for(db, existing)
        .await?
        .into_iter()
        .map(|r| {
            let cities = r.partner_city.as_deref().unwrap_or("no link");
            match &r.campaign {
                Some(c) => format!("{} ({}, {cities}, campaign {c})", r.reference, r.state),
                None => format!("{} ({}, {cities})", r.reference, r.state),
            }
        })
        .collect();
    // Links none of them asks about can still be asked about one by one.
    let asked: Vec<i32> = requests::covering(db, authority.id, Some(template))
        .await?
        .into_iter()
        .flat_map(|(_, ids)| ids)
        .collect();
    let unasked: Vec<String> = links
        .links
        .iter()
        .filter(|t| !asked.contains(&t.id))
        .map(|t| format!("--twinning {} ({})", t.id, t.partner_city))
        .collect();
    let narrow = if unasked.is_empty() || links.links.len() < 2 {
        String::new()
    } else {
        format!(
            "; not yet asked about: {} (queue it with that option)",
            unasked.join(", ")
        )
    };
    Err(ServiceError::Refused(format!(
        "{} already has a {template} request{about}: {}{narrow}; or pass --again to queue another",
        authority.slug,
        listed.join(", ")
    )))
}
/// Hands a new queued request to whoever sends it: the outbox for an email request, staff
/// (a task to submit it) for a web form or the post.
pub(super) async fn hand_over(
    app: &AppContext,
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    r: &requests::RequestModel,
    actor: &str,
) -> ServiceResult<()> {
    if r.channel.by_email() {
        return enqueue(app, db, now, r).await;
    }
    submit_task(db, r, actor, now).await
}

/// A task for staff to submit the request letter themselves and record the day.
pub(super) async fn submit_task(
    db: &impl ConnectionTrait,
    r: &requests::RequestModel,
    actor: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let t = tasks::add(db, r.id, TaskKind::Submit, &r.subject, &r.body, now).await?;
    super::follow_up::record_task(db, r, &t, actor, now).await
}

/// Puts the request's letter in the outbox, with its Message-ID fixed now so that every
/// later attempt sends the very same message.
async fn enqueue(
    app: &AppContext,
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    r: &requests::RequestModel,
) -> ServiceResult<()> {
    if let Some(m) = outbox_letter(app, now, r) {
        messages::enqueue(db, m, now).await?;
    }
    Ok(())
}

/// The request's letter as it goes in the outbox (none without an address).
fn outbox_letter(
    app: &AppContext,
    now: DateTime<Utc>,
    r: &requests::RequestModel,
) -> Option<messages::NewOutbound> {
    let to = r.to_address.clone()?;
    Some(
        messages::NewOutbound::new(
            MessageKind::Request,
            &app.settings.mail.from_address,
            &to,
            &r.reply_to,
            r.subject.clone(),
            r.body.clone(),
            new_message_id(&r.reference, &app.settings.mail.reply_domain, now),
        )
        .for_request(r.id),
    )
}

#[allow(clippy::too_many_arguments)]
pub(super) fn new_request(
    app: &AppContext,
    now: DateTime<Utc>,
    template: &str,
    authority: &AuthorityModel,
    links: &LetterLinks,
    campaign_id: Option<i32>,
    channel: Channel,
    to: Option<&str>,
    reference: &Reference,
    vars: &BTreeMap<String, String>,
) -> ServiceResult<NewRequest> {
    let (r, reply_to) = render(
        app,
        now,
        template,
        authority,
        &links.links,
        reference,
        vars,
        channel,
    )?;
    Ok(NewRequest {
        authority_id: authority.id,
        campaign_id,
        twinning_id: links.twinning_id(),
        twinning_ids: links.ids(),
        template: template.to_string(),
        regime: authority.regime.clone(),
        state: RequestState::Queued,
        subject: r.subject,
        body: r.body,
        reply_to,
        to_address: to.map(str::to_string),
        vars: serde_json::to_value(vars).unwrap_or_default(),
        channel,
    })
}

/// `foi queue --campaign NAME --all-twinned`: by default one request per council covering
/// all its links (that the filters pick); with `--per link`, one per link. All in one
/// transaction. A link that a request from the template already asks about (in this
/// campaign or any other, or none) is left out, so a re-run adds only what is new.
#[tracing::instrument(skip_all, fields(campaign = %input.campaign, template = %input.template))]
pub async fn campaign(
    app: &AppContext,
    now: DateTime<Utc>,
    input: QueueCampaign,
) -> ServiceResult<CampaignOutcome> {
    let db = &app.db;
    let (campaign, template, vars, dry_run) = (
        input.campaign.as_str(),
        input.template.as_str(),
        &input.vars,
        input.dry_run,
    );
    check_template(app, template)?;
    let per_link_template = app.letters.get(template)?.per_link();
    if input.without_address && input.via.by_email() {
        return Err(ServiceError::refused(
            "--without-address picks the councils an email campaign cannot reach: use it with --via portal or --via post",
        ));
    }
    let links = twinnings::list(db, input.status, input.tag.as_deref()).await?;
    let txn = db.begin().await?;
    locks::queue_lock(&txn).await?;
    let campaign_model = if dry_run {
        campaigns::find(&txn, campaign).await?
    } else {
        Some(campaigns::find_or_create(&txn, campaign).await?)
    };
    let campaign_id = campaign_model.as_ref().map(|c| c.id);
    let mut out = CampaignOutcome {
        campaign: campaign.trim().to_string(),
        channel: input.via,
        ..Default::default()
    };
    let mut preview_number = requests::next_reference(&txn, now.year()).await?.number();
    let mut pending: Pending = Vec::new();
    // Councils a one-link template cannot write one letter to (per-council mode).
    let mut several: Vec<String> = Vec::new();
    for (authority, group) in by_authority(links) {
        let ids: Vec<i32> = group.iter().map(|l| l.id).collect();
        let asked = requests::asking_about(&txn, authority.id, template, &ids).await?;
        let mut unasked = Vec::new();
        for link in group {
            match asked.iter().find(|(_, ids)| ids.contains(&link.id)) {
                Some((r, _)) => out.already_held.push(Held {
                    authority: authority.slug.clone(),
                    partner_city: link.partner_city.clone(),
                    reference: r.reference.clone(),
                    in_this_campaign: campaign_id.is_some() && r.campaign_id == campaign_id,
                }),
                None => unasked.push(link),
            }
        }
        if unasked.is_empty() {
            continue;
        }
        let address = authority
            .foi_email
            .clone()
            .filter(|to| EmailAddress::parse(to).is_ok());
        let named = (authority.slug.clone(), authority.name.clone());
        let to = match (input.via.by_email(), address) {
            (true, Some(to)) => Some(to),
            (true, None) => {
                out.no_address.push(named);
                continue;
            }
            (false, Some(_)) if input.without_address => {
                out.has_address.push(named);
                continue;
            }
            (false, _) => None,
        };
        let letters: Vec<LetterLinks> = if input.per == Per::Link || per_link_template {
            if input.per == Per::Council && unasked.len() > 1 {
                several.push(format!(
                    "{} ({})",
                    authority.slug,
                    and_list_of(
                        &unasked
                            .iter()
                            .map(|t| t.partner_city.clone())
                            .collect::<Vec<_>>()
                    )
                ));
                continue;
            }
            unasked.into_iter().map(LetterLinks::one).collect()
        } else {
            vec![LetterLinks::about(unasked)]
        };
        for links in letters {
            if dry_run {
                let reference = Reference::new(now.year(), preview_number);
                preview_number += 1;
                let (r, reply_to) = render(
                    app,
                    now,
                    template,
                    &authority,
                    &links.links,
                    &reference,
                    vars,
                    input.via,
                )?;
                out.queued.push(letter(
                    reference.to_string(),
                    &authority,
                    &links,
                    input.via,
                    to.clone().unwrap_or_default(),
                    reply_to,
                    r,
                    false,
                ));
                continue;
            }
            pending.push((authority.clone(), links, to.clone()));
        }
    }
    if !several.is_empty() {
        txn.rollback().await?;
        return Err(ServiceError::Refused(format!(
            "template {template} is written about one twinning link, and {} council(s) have several not yet asked about: {}; \
             queue one letter per link with --per link, or use a template that lists the council's links ({{{{#each twinnings}}}}); nothing was queued",
            several.len(),
            several.join(", ")
        )));
    }
    if dry_run {
        txn.rollback().await?;
        return Ok(out);
    }
    store_letters(app, &txn, now, &input, campaign_id, pending, &mut out).await?;
    txn.commit().await?;
    Ok(out)
}

/// A campaign's letters, each to a council about its links, by email to `to` or not.
type Pending = Vec<(AuthorityModel, LetterLinks, Option<String>)>;

/// Stores a campaign's letters: written under the next free references, then the requests,
/// their links, their `created` events and their outbox letters in a few multi-row INSERTs
/// (one INSERT and one savepoint per row made a 10,000-letter campaign take a minute). If a
/// reference is taken meanwhile, they are stored one by one instead.
async fn store_letters(
    app: &AppContext,
    txn: &sea_orm::DatabaseTransaction,
    now: DateTime<Utc>,
    input: &QueueCampaign,
    campaign_id: Option<i32>,
    pending: Pending,
    out: &mut CampaignOutcome,
) -> ServiceResult<()> {
    let (template, vars, actor) = (input.template.as_str(), &input.vars, input.actor.as_str());
    let first = requests::next_reference(txn, now.year()).await?.number();
    let mut batch = Vec::with_capacity(pending.len());
    for (i, (authority, links, to)) in pending.iter().enumerate() {
        let reference = Reference::new(now.year(), first + i as u32);
        let new = new_request(
            app,
            now,
            template,
            authority,
            links,
            campaign_id,
            input.via,
            to.as_deref(),
            &reference,
            vars,
        )?;
        batch.push((reference, new));
    }
    let Some(stored) = requests::insert_batch(txn, now, actor, batch).await? else {
        // Someone took a number: one by one, each finding its own.
        let mut next = None;
        for (authority, links, to) in pending {
            let stored = requests::insert_numbered(txn, now, actor, &mut next, |reference| {
                new_request(
                    app,
                    now,
                    template,
                    &authority,
                    &links,
                    campaign_id,
                    input.via,
                    to.as_deref(),
                    reference,
                    vars,
                )
            })
            .await?;
            hand_over(app, txn, now, &stored, actor).await?;
            out.queued.push(stored_letter(stored, &authority, &links));
        }
        return Ok(());
    };
    let mut letters = Vec::new();
    for (r, (authority, links, _)) in stored.into_iter().zip(pending) {
        if r.channel.by_email() {
            letters.extend(outbox_letter(app, now, &r));
        } else {
            submit_task(txn, &r, actor, now).await?;
        }
        out.queued.push(stored_letter(r, &authority, &links));
    }
    messages::enqueue_many(txn, letters, now).await?;
    Ok(())
}

/// The campaign's links grouped by council, in the order they were listed (by council).
fn by_authority(
    links: Vec<(TwinningModel, AuthorityModel)>,
) -> Vec<(AuthorityModel, Vec<TwinningModel>)> {
    let mut out: Vec<(AuthorityModel, Vec<TwinningModel>)> = Vec::new();
    for (link, authority) in links {
        match out.last_mut() {
            Some((a, group)) if a.id == authority.id => group.push(link),
            _ => out.push((authority, vec![link])),
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn letter(
    reference: String,
    authority: &AuthorityModel,
    links: &LetterLinks,
    channel: Channel,
    to: String,
    reply_to: String,
    r: Rendered,
    stored: bool,
) -> QueuedLetter {
    QueuedLetter {
        reference,
        authority: authority.slug.clone(),
        twinning_id: links.twinning_id(),
        twinning_ids: links.ids(),
        partner_city: (!links.links.is_empty()).then(|| links.cities()),
        channel,
        to,
        website: (!channel.by_email())
            .then(|| authority.website.clone())
            .flatten()
            .filter(|w| !w.is_empty()),
        reply_to,
        subject: r.subject,
        body: r.body,
        stored,
    }
}

pub(super) fn stored_letter(
    m: requests::RequestModel,
    authority: &AuthorityModel,
    links: &LetterLinks,
) -> QueuedLetter {
    letter(
        m.reference,
        authority,
        links,
        m.channel,
        m.to_address.unwrap_or_default(),
        m.reply_to,
        Rendered {
            subject: m.subject,
            body: m.body,
        },
        true,
    )
}

/// `foi templates render NAME --authority SLUG [--twinning ID]`: the letter as it would be
/// written now, under the next free reference; nothing is stored.
pub async fn preview(
    app: &AppContext,
    now: DateTime<Utc>,
    template: &str,
    authority: &str,
    twinning: Option<i32>,
    vars: &BTreeMap<String, String>,
) -> ServiceResult<Preview> {
    let a = authorities::get_by_slug(&app.db, authority).await?;
    let links = links_for(app, &app.db, template, &a, twinning).await?;
    let reference = requests::next_reference(&app.db, now.year()).await?;
    let (r, reply_to) = render(
        app,
        now,
        template,
        &a,
        &links.links,
        &reference,
        vars,
        Channel::Email,
    )?;
    Ok(Preview {
        to: a.foi_email,
        reply_to,
        subject: r.subject,
        body: r.body,
    })
}
