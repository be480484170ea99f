//! `foi dev generate`: fills an empty database with a realistic, made-up history, for the
//! scale benchmarks (BENCHMARKS.md) and for trying foi on a campaign of years. Authorities,
//! their twinning links, campaigns, and requests in every state with the rows the services
//! would have written on the way there: the letter, outbox messages, replies filed under the
//! request, clock events and the deadlines they give, classifications, chases, staff tasks
//! and the timeline. The same seed gives the same database.
//!
//! It writes in bulk (a few multi-row INSERTs per table, in one transaction) rather than
//! calling the services once per request: a hundred thousand requests through `foi queue`
//! and `foi classify` would take hours. Each request's state is the one the sweep would
//! derive from its clock as of `now`, so a sweep run then finds nothing to change.

use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::{
    compute, london_date, ClockEvent, ClockEventKind, Deadlines, Regime, WorkingCalendar,
};
use crate::domain::{
    Channel, Direction, EventKind, EventName, MessageKind, MessageState, Nation, Reference,
    RequestState as S, Slug, TaskKind,
};
use crate::store::entities::{
    authority, campaign, chase, classification, clock_event, event, message, message_request,
    request, request_twinning, task, twinning,
};
use crate::store::{bulk, StoreError};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};

/// `foi dev generate --authorities N --requests N --seed N`.
#[derive(Debug, Clone, Copy)]
pub struct Generate {
    pub authorities: usize,
    pub requests: usize,
    pub seed: u64,
}

/// What was written.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Generated {
    pub authorities: usize,
    pub links: usize,
    pub campaigns: usize,
    pub requests: usize,
    /// Requests per state (its stored name).
    pub by_state: BTreeMap<String, usize>,
    pub messages: usize,
    pub events: usize,
    pub clock_events: usize,
    pub classifications: usize,
    pub chases: usize,
    pub tasks: usize,
}

/// The template every generated request is written from.
pub const TEMPLATE: &str = "twinning-agreement";
const ACTOR: &str = "dev:generate";
/// Most a run may ask for: more than any campaign needs, and a typo of 10,000,000 is refused.
pub const MAX_REQUESTS: usize = 2_000_000;
pub const MAX_AUTHORITIES: usize = 20_000;

const PLACES: [&str; 24] = [
    "Ash", "Brad", "Carl", "Dun", "Elm", "Fair", "Glen", "Hart", "Ink", "Kings", "Lang", "Mar",
    "Nor", "Oak", "Pen", "Red", "Stan", "Tre", "Wal", "York", "Bel", "Cole", "Dray", "Ever",
];
const ENDINGS: [&str; 12] = [
    "ford", "ham", "ton", "bury", "field", "wick", "ley", "by", "mouth", "chester", "stead",
    "bridge",
];
const KINDS: [&str; 4] = [
    "Borough Council",
    "District Council",
    "City Council",
    "County Council",
];
const CITIES: [(&str, &str); 32] = [
    ("Wuhan", "Hubei"),
    ("Chengdu", "Sichuan"),
    ("Anshan", "Liaoning"),
    ("Shenyang", "Liaoning"),
    ("Dalian", "Liaoning"),
    ("Harbin", "Heilongjiang"),
    ("Changchun", "Jilin"),
    ("Jinan", "Shandong"),
    ("Qingdao", "Shandong"),
    ("Weifang", "Shandong"),
    ("Nanjing", "Jiangsu"),
    ("Suzhou", "Jiangsu"),
    ("Wuxi", "Jiangsu"),
    ("Hangzhou", "Zhejiang"),
    ("Ningbo", "Zhejiang"),
    ("Hefei", "Anhui"),
    ("Fuzhou", "Fujian"),
    ("Xiamen", "Fujian"),
    ("Nanchang", "Jiangxi"),
    ("Zhengzhou", "Henan"),
    ("Luoyang", "Henan"),
    ("Changsha", "Hunan"),
    ("Guangzhou", "Guangdong"),
    ("Shenzhen", "Guangdong"),
    ("Nanning", "Guangxi"),
    ("Kunming", "Yunnan"),
    ("Guiyang", "Guizhou"),
    ("Xi'an", "Shaanxi"),
    ("Lanzhou", "Gansu"),
    ("Taiyuan", "Shanxi"),
    ("Shijiazhuang", "Hebei"),
    ("Tianjin", "Tianjin"),
];

/// The part of a request's life the generator writes: which state it ends in and when its
/// letter was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Queued,
    Draft,
    DeliveryFailed,
    Withdrawn,
    /// Sent, then acknowledged or not; sent, overdue or very overdue as the clock says.
    Open,
    Extended,
    Clarification,
    Fees,
    FeeLapsed,
    AwaitingClassification,
    Answered(S),
    InternalReview,
    ReviewUpheld,
    ReviewOverturned,
    Complaint,
}

/// The mix of a campaign some years old: most requests answered, a quarter still open.
fn pick_fate(rng: &mut StdRng) -> Fate {
    let r: f64 = rng.random();
    let table: [(f64, Fate); 18] = [
        (0.02, Fate::Queued),
        (0.003, Fate::Draft),
        (0.005, Fate::DeliveryFailed),
        (0.02, Fate::Withdrawn),
        (0.25, Fate::Open),
        (0.01, Fate::Extended),
        (0.01, Fate::Clarification),
        (0.005, Fate::Fees),
        (0.003, Fate::FeeLapsed),
        (0.03, Fate::AwaitingClassification),
        (0.25, Fate::Answered(S::Successful)),
        (0.10, Fate::Answered(S::PartiallySuccessful)),
        (0.12, Fate::Answered(S::Refused)),
        (0.08, Fate::Answered(S::NotHeld)),
        (0.03, Fate::InternalReview),
        (0.01, Fate::ReviewUpheld),
        (0.01, Fate::ReviewOverturned),
        (0.007, Fate::Complaint),
    ];
    let mut acc = 0.0;
    for (p, f) in table {
        acc += p;
        if r < acc {
            return f;
        }
    }
    Fate::Answered(S::Successful)
}

/// Calendar days before today on which the letter was received, by fate.
fn days_ago(fate: Fate, rng: &mut StdRng) -> i64 {
    match fate {
        Fate::Queued | Fate::Draft => 0,
        Fate::DeliveryFailed => rng.random_range(1..20),
        Fate::Open => rng.random_range(1..75),
        Fate::Extended => rng.random_range(25..40),
        Fate::Clarification => rng.random_range(15..40),
        Fate::Fees => rng.random_range(20..60),
        Fate::FeeLapsed => rng.random_range(150..400),
        Fate::AwaitingClassification => rng.random_range(20..45),
        Fate::InternalReview => rng.random_range(40..55),
        _ => rng.random_range(60..1100),
    }
}

/// One request before it gets its id and reference (which follow the order of creation).
struct Plan {
    authority: usize,
    fate: Fate,
    channel: Channel,
    campaign: usize,
    received: NaiveDate,
}

/// Rows waiting to be written, with the ids they will get.
#[derive(Default)]
struct Rows {
    requests: Vec<request::Model>,
    links: Vec<request_twinning::Model>,
    messages: Vec<message::Model>,
    message_requests: Vec<message_request::Model>,
    events: Vec<event::Model>,
    clock: Vec<clock_event::Model>,
    classifications: Vec<classification::Model>,
    chases: Vec<chase::Model>,
    tasks: Vec<task::Model>,
    next_message: i32,
    next_event: i64,
    next_clock: i32,
    next_classification: i32,
    next_chase: i32,
    next_task: i32,
    next_message_request: i32,
}

impl Rows {
    fn event(&mut self, request_id: i32, at: DateTime<Utc>, kind: EventKind, detail: String) {
        self.next_event += 1;
        self.events.push(event::Model {
            id: self.next_event,
            request_id,
            at,
            kind: kind.as_str(),
            detail,
            actor: ACTOR.into(),
            data: None,
        });
    }

    fn clock(&mut self, request_id: i32, kind: ClockEventKind, date: NaiveDate) {
        self.next_clock += 1;
        let at = at_ten(date);
        self.clock.push(clock_event::Model {
            id: self.next_clock,
            request_id,
            kind: kind.as_str().into(),
            date,
            actor: ACTOR.into(),
            note: None,
            created_at: at,
        });
        self.event(
            request_id,
            at,
            EventKind::Clock(kind),
            format!("{kind} on {date}"),
        );
    }

    fn task(&mut self, request_id: i32, kind: TaskKind, r: &request::Model, at: DateTime<Utc>) {
        self.next_task += 1;
        let id = self.next_task;
        self.tasks.push(task::Model {
            id,
            request_id,
            kind,
            subject: r.subject.clone(),
            text: format!("(generated) the {kind} letter for {}", r.reference),
            created_at: at,
            done_at: None,
            done_by: None,
            note: None,
        });
        self.event(
            request_id,
            at,
            EventKind::Other(EventName::TaskCreated),
            format!(
                "staff task {id}: {} (see `foi tasks list`)",
                kind.instruction(r.channel, &r.reference)
            ),
        );
    }

    fn close_task(&mut self, at: DateTime<Utc>, note: &str) {
        if let Some(t) = self.tasks.last_mut() {
            t.done_at = Some(at);
            t.done_by = Some(ACTOR.into());
            t.note = Some(note.into());
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn outbound(
        &mut self,
        r: &request::Model,
        kind: MessageKind,
        state: MessageState,
        from: &str,
        subject: String,
        body: String,
        at: DateTime<Utc>,
        domain: &str,
    ) -> i32 {
        self.next_message += 1;
        let id = self.next_message;
        let to = r.to_address.clone().unwrap_or_default();
        let sent = matches!(state, MessageState::Sent);
        self.messages.push(message::Model {
            id,
            request_id: Some(r.id),
            direction: Direction::Outbound,
            kind,
            state,
            message_id: Some(format!("<{}.{kind}.{id}@{domain}>", r.reference)),
            in_reply_to: None,
            to_domain: crate::store::messages::domain_of(&to),
            from_addr: from.into(),
            to_addr: to,
            subject,
            body,
            raw_path: None,
            attempts: i32::from(sent || state == MessageState::Failed),
            next_attempt_at: None,
            lease_until: None,
            last_error: (state == MessageState::Failed)
                .then(|| "550 5.1.1 mailbox unavailable (generated)".into()),
            server_reply: sent.then(|| "250 2.0.0 OK (generated)".into()),
            created_at: at - Duration::minutes(5),
            sent_at: sent.then_some(at),
            received_at: None,
            reply_to: Some(r.reply_to.clone()),
            references_hdr: None,
            auto_submitted: kind == MessageKind::Reminder,
            claimed_by: sent.then(|| ACTOR.into()),
            raw_sha256: None,
            classification: None,
            matched_via: None,
            sender_flagged: false,
            source: None,
            html_body: None,
            parse_warnings: None,
            content_sha256: None,
            edited_at: None,
            edited_by: None,
            inline_parts: None,
        });
        id
    }

    /// A council's reply filed under the request, as ingest files it.
    fn inbound(&mut self, r: &request::Model, kind: MessageKind, at: DateTime<Utc>, from: &str) {
        self.next_message += 1;
        let id = self.next_message;
        let digest = |what: &str| {
            use sha2::Digest as _;
            hex::encode(sha2::Sha256::digest(format!("{what}:{id}:{}", r.reference)))
        };
        let body = match kind {
            MessageKind::Acknowledgement => format!(
                "Dear requester,\n\nThank you for your request {}, which we received and will \
                 answer within 20 working days.\n\nInformation Governance\n",
                r.reference
            ),
            _ => format!(
                "Dear requester,\n\nPlease find our response to your request {} below.\n\n\
                 The council holds records of its link with its partner city: minutes of \
                 meetings, correspondence and the agreement itself. Some are withheld under \
                 the exemptions set out in the attached notice.\n\nInformation Governance\n",
                r.reference
            ),
        };
        self.messages.push(message::Model {
            id,
            request_id: Some(r.id),
            direction: Direction::Inbound,
            kind,
            state: MessageState::Stored,
            message_id: Some(format!(
                "<reply.{id}.{}@{}>",
                r.reference,
                domain_part(from)
            )),
            in_reply_to: None,
            from_addr: from.into(),
            to_addr: r.reply_to.clone(),
            to_domain: crate::store::messages::domain_of(&r.reply_to),
            subject: format!("RE: {}", r.subject),
            body,
            raw_path: None,
            attempts: 0,
            next_attempt_at: None,
            lease_until: None,
            last_error: None,
            server_reply: None,
            created_at: at,
            sent_at: None,
            received_at: Some(at),
            reply_to: None,
            references_hdr: None,
            auto_submitted: kind == MessageKind::Acknowledgement,
            claimed_by: None,
            raw_sha256: Some(digest("raw")),
            classification: Some(kind),
            matched_via: Some("address".into()),
            sender_flagged: false,
            source: Some("generated".into()),
            html_body: None,
            parse_warnings: None,
            content_sha256: Some(digest("content")),
            edited_at: None,
            edited_by: None,
            inline_parts: None,
        });
        self.next_message_request += 1;
        self.message_requests.push(message_request::Model {
            id: self.next_message_request,
            message_id: id,
            request_id: r.id,
            matched_via: Some("address".into()),
            created_at: at,
        });
        // A response's clock event is written by `clock`; an acknowledgement is a state.
        if kind == MessageKind::Acknowledgement {
            self.event(
                r.id,
                at,
                EventKind::State(S::Acknowledged),
                format!("acknowledgement from {from} filed"),
            );
        }
    }

    fn classify(&mut self, r: &request::Model, outcome: &str, on: NaiveDate) {
        self.next_classification += 1;
        let message_id = self
            .messages
            .iter()
            .rev()
            .find(|m| m.request_id == Some(r.id) && m.direction == Direction::Inbound)
            .map(|m| m.id);
        let at = at_ten(on) + Duration::hours(2);
        let exemptions = if outcome == "refused" || outcome == "partially_successful" {
            "s43,s27"
        } else {
            ""
        };
        self.classifications.push(classification::Model {
            id: self.next_classification,
            request_id: r.id,
            message_id,
            outcome: outcome.into(),
            exemptions: exemptions.into(),
            note: None,
            received_on: Some(on),
            at,
            actor: ACTOR.into(),
        });
        self.event(
            r.id,
            at,
            EventKind::Other(EventName::Classified),
            format!("classified as {outcome}"),
        );
    }

    fn chase(&mut self, r: &request::Model, kind: MessageKind, period: String, due: NaiveDate) {
        self.next_chase += 1;
        self.chases.push(chase::Model {
            id: self.next_chase,
            request_id: r.id,
            kind,
            deadline: due,
            message_id: None,
            created_at: at_ten(due) + Duration::days(2),
            period: Some(period),
        });
    }
}

/// 10:00 UTC on `date`: office hours in London all year.
fn at_ten(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(10, 0, 0).unwrap_or_default())
}

fn domain_part(addr: &str) -> &str {
    addr.rsplit_once('@').map(|(_, d)| d).unwrap_or(addr)
}

/// `foi dev generate`: refuses a database that already holds authorities or requests, so
/// nothing real is ever mixed with made-up rows.
#[tracing::instrument(skip_all, fields(requests = input.requests, seed = input.seed))]
pub async fn generate(
    app: &AppContext,
    now: DateTime<Utc>,
    input: Generate,
) -> ServiceResult<Generated> {
    if input.authorities == 0 || input.authorities > MAX_AUTHORITIES {
        return Err(ServiceError::Refused(format!(
            "--authorities must be 1 to {MAX_AUTHORITIES}, not {}",
            input.authorities
        )));
    }
    if input.requests > MAX_REQUESTS {
        return Err(ServiceError::Refused(format!(
            "--requests must be at most {MAX_REQUESTS}, not {}",
            input.requests
        )));
    }
    let db = &app.db;
    let held =
        authority::Entity::find().count(db).await? + request::Entity::find().count(db).await?;
    if held > 0 {
        return Err(ServiceError::Refused(
            "this database already holds authorities or requests; `foi dev generate` only fills an empty one \
             (point FOI__DATABASE__URL at a new file or database)"
                .into(),
        ));
    }
    let cal = app.calendar().await?;
    let clock = app.clock_settings();
    let today = london_date(now);
    let mut rng = StdRng::seed_from_u64(input.seed);
    let settings = &app.settings;
    let from = settings.mail.from_address.clone();
    let domain = settings.mail.reply_domain.clone();
    let mut out = Generated::default();

    // Authorities and their links.
    let base_authority = bulk::max_id::<authority::Entity>(db).await? as i32;
    let base_link = bulk::max_id::<twinning::Entity>(db).await? as i32;
    let base_campaign = bulk::max_id::<campaign::Entity>(db).await? as i32;
    let created = now - Duration::days(1200);
    let mut authorities = Vec::with_capacity(input.authorities);
    let mut links: Vec<Vec<twinning::Model>> = Vec::with_capacity(input.authorities);
    let mut next_link = base_link;
    for i in 0..input.authorities {
        let place = format!(
            "{}{}",
            PLACES[i % PLACES.len()],
            ENDINGS[(i / PLACES.len()) % ENDINGS.len()]
        );
        let round = i / (PLACES.len() * ENDINGS.len());
        let kind = KINDS[round % KINDS.len()];
        let name = match round / KINDS.len() {
            0 => format!("{place} {kind}"),
            n => format!("{place} {kind} {}", n + 1),
        };
        let slug = Slug::derive(&name).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let nation = match rng.random_range(0..100) {
            0..85 => Nation::England,
            85..93 => Nation::Scotland,
            93..98 => Nation::Wales,
            _ => Nation::NorthernIreland,
        };
        let with_email = rng.random_bool(0.92);
        let id = base_authority + 1 + i as i32;
        let a = authority::Model {
            id,
            slug: slug.to_string(),
            name: name.clone(),
            nation: nation.to_string(),
            regime: nation.default_regime().to_string(),
            foi_email: with_email.then(|| format!("foi@{slug}.gov.uk")),
            foi_email_source: with_email.then(|| "generated".into()),
            website: Some(format!("https://www.{slug}.gov.uk")),
            tags: if i % 5 == 0 {
                ",metro,".into()
            } else {
                String::new()
            },
            notes: None,
            created_at: created,
            updated_at: created,
        };
        let n = match rng.random_range(0..100) {
            0..50 => 1,
            50..80 => 2,
            80..95 => 3,
            _ => 4,
        };
        let first = rng.random_range(0..CITIES.len());
        let mine: Vec<twinning::Model> = (0..n)
            .map(|k| {
                next_link += 1;
                let (city, province) = CITIES[(first + k * 7) % CITIES.len()];
                let since = rng.random_range(1980..2020);
                let ended = rng.random_bool(0.15);
                twinning::Model {
                    id: next_link,
                    authority_id: id,
                    uk_place: place.clone(),
                    partner_city: city.into(),
                    partner_province: province.into(),
                    relationship: if k == 0 { "twinning" } else { "friendship" }.into(),
                    since_year: Some(since),
                    status: if ended { "ended" } else { "active" }.into(),
                    ended_year: ended.then(|| rng.random_range(since..2024)),
                    source: Some("generated".into()),
                    notes: None,
                    created_at: created,
                    updated_at: created,
                }
            })
            .collect();
        authorities.push(a);
        links.push(mine);
    }
    let campaigns: Vec<campaign::Model> = (0..6)
        .map(|k| campaign::Model {
            id: base_campaign + 1 + k,
            name: format!(
                "generated {} {}",
                now.year() - 3 + k / 2,
                if k % 2 == 0 { "spring" } else { "autumn" }
            ),
            created_at: created,
        })
        .collect();

    // Requests, planned first so ids and references follow the order of creation.
    let mut plans: Vec<Plan> = (0..input.requests)
        .map(|_| {
            let fate = pick_fate(&mut rng);
            let authority = rng.random_range(0..input.authorities);
            let has_email = authorities[authority].foi_email.is_some();
            let channel = match (has_email, rng.random_range(0..100)) {
                (true, 0..94) => Channel::Email,
                (_, 0..70) => Channel::Portal,
                _ => Channel::Post,
            };
            let received = today - Duration::days(days_ago(fate, &mut rng));
            Plan {
                authority,
                fate,
                channel,
                campaign: rng.random_range(0..campaigns.len()),
                received,
            }
        })
        .collect();
    plans.sort_by_key(|p| p.received);

    let base_request = bulk::max_id::<request::Entity>(db).await? as i32;
    let mut rows = Rows {
        next_message: bulk::max_id::<message::Entity>(db).await? as i32,
        next_event: bulk::max_id::<event::Entity>(db).await?,
        next_clock: bulk::max_id::<clock_event::Entity>(db).await? as i32,
        next_classification: bulk::max_id::<classification::Entity>(db).await? as i32,
        next_chase: bulk::max_id::<chase::Entity>(db).await? as i32,
        next_task: bulk::max_id::<task::Entity>(db).await? as i32,
        next_message_request: bulk::max_id::<message_request::Entity>(db).await? as i32,
        ..Default::default()
    };
    // One letter per council and channel, written once with a stand-in reference.
    let stand_in = Reference::new(9999, 999_999_999);
    let mut letters: HashMap<(usize, String), (String, String)> = HashMap::new();
    let mut numbers: HashMap<i32, u32> = HashMap::new();
    let vars = BTreeMap::new();
    let after = app.settings.chase.reminder_after_working_days;
    for (i, plan) in plans.iter().enumerate() {
        let a = &authorities[plan.authority];
        let regime: Regime = a
            .regime
            .parse()
            .map_err(|e| StoreError::Invalid(format!("{e}")))?;
        let id = base_request + 1 + i as i32;
        let created_at = at_ten(plan.received) - Duration::hours(1);
        let year = plan.received.year();
        let number = numbers.entry(year).or_insert(0);
        *number += 1;
        let reference = Reference::new(year, *number);
        let (subject, body) = match letters.get(&(plan.authority, plan.channel.to_string())) {
            Some(l) => l.clone(),
            None => {
                let (r, _) = super::queue::render(
                    app,
                    now,
                    TEMPLATE,
                    a,
                    &links[plan.authority],
                    &stand_in,
                    &vars,
                    plan.channel,
                )?;
                let l = (r.subject, r.body);
                letters.insert((plan.authority, plan.channel.to_string()), l.clone());
                l
            }
        };
        let reply_to = settings.reply_address(reference.as_str());
        let stand_in_reply = settings.reply_address(stand_in.as_str());
        let fill = |s: &str| {
            s.replace(&stand_in_reply, &reply_to)
                .replace(stand_in.as_str(), reference.as_str())
        };
        let mut r = request::Model {
            id,
            reference: reference.to_string(),
            authority_id: a.id,
            campaign_id: Some(campaigns[plan.campaign].id),
            twinning_id: None,
            template: TEMPLATE.into(),
            regime: a.regime.clone(),
            state: S::Queued,
            subject: fill(&subject),
            body: fill(&body),
            reply_to: reply_to.clone(),
            to_address: plan
                .channel
                .by_email()
                .then(|| a.foi_email.clone())
                .flatten(),
            vars: "{}".into(),
            created_at,
            updated_at: created_at,
            sent_at: None,
            response_due: None,
            deadlines: None,
            channel: plan.channel,
            portal_reference: None,
        };
        for t in &links[plan.authority] {
            rows.links.push(request_twinning::Model {
                request_id: id,
                twinning_id: t.id,
            });
        }
        rows.event(
            id,
            created_at,
            EventKind::State(S::Queued),
            format!(
                "queued request {} created from template {TEMPLATE}{}",
                r.reference,
                if r.channel.by_email() {
                    String::new()
                } else {
                    format!(", to go {}", r.channel.how())
                }
            ),
        );
        let state = life(
            &mut rows, &cal, &clock, regime, plan, &mut r, today, after, &from, &domain, &mut rng,
        )?;
        r.state = state;
        *out.by_state.entry(state.to_string()).or_default() += 1;
        rows.requests.push(r);
    }

    // Written in one transaction, parents first.
    let txn = db.begin().await?;
    out.authorities = authorities.len();
    out.campaigns = campaigns.len();
    let all_links: Vec<twinning::Model> = links.into_iter().flatten().collect();
    out.links = all_links.len();
    out.requests = rows.requests.len();
    out.messages = rows.messages.len();
    out.events = rows.events.len();
    out.clock_events = rows.clock.len();
    out.classifications = rows.classifications.len();
    out.chases = rows.chases.len();
    out.tasks = rows.tasks.len();
    write(&txn, authorities).await?;
    write(&txn, all_links).await?;
    write(&txn, campaigns).await?;
    write(&txn, rows.requests).await?;
    write(&txn, rows.links).await?;
    write(&txn, rows.messages).await?;
    write(&txn, rows.message_requests).await?;
    write(&txn, rows.events).await?;
    write(&txn, rows.clock).await?;
    write(&txn, rows.classifications).await?;
    write(&txn, rows.chases).await?;
    write(&txn, rows.tasks).await?;
    bulk::resync_ids::<authority::Entity>(&txn).await?;
    bulk::resync_ids::<twinning::Entity>(&txn).await?;
    bulk::resync_ids::<campaign::Entity>(&txn).await?;
    bulk::resync_ids::<request::Entity>(&txn).await?;
    bulk::resync_ids::<message::Entity>(&txn).await?;
    bulk::resync_ids::<message_request::Entity>(&txn).await?;
    bulk::resync_ids::<event::Entity>(&txn).await?;
    bulk::resync_ids::<clock_event::Entity>(&txn).await?;
    bulk::resync_ids::<classification::Entity>(&txn).await?;
    bulk::resync_ids::<chase::Entity>(&txn).await?;
    bulk::resync_ids::<task::Entity>(&txn).await?;
    txn.commit().await?;
    // PostgreSQL plans from statistics its autovacuum gathers some time after a change; after
    // a bulk load of this size, until then, it planned with a table it thought empty (a 10k
    // campaign queued at 380 a second instead of 2,700). Gather them now, as after any bulk
    // load.
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("ANALYZE").await?;
    } else {
        // The load went through the write-ahead log in one transaction: copy it into the
        // database now and empty it, rather than leave the next command a log the size of
        // the database to read back.
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    }
    Ok(out)
}

async fn write<M, A>(db: &impl sea_orm::ConnectionTrait, models: Vec<M>) -> ServiceResult<()>
where
    M: IntoActiveModel<A>,
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let rows: Vec<A> = models
        .into_iter()
        .map(|m| m.into_active_model().reset_all())
        .collect();
    bulk::insert_all(db, rows).await?;
    Ok(())
}

/// Writes the request's life after it was queued, as the services would have, and returns
/// the state it ends in.
#[allow(clippy::too_many_arguments)]
fn life(
    rows: &mut Rows,
    cal: &WorkingCalendar,
    clock: &crate::calendar::ClockSettings,
    regime: Regime,
    plan: &Plan,
    r: &mut request::Model,
    today: NaiveDate,
    reminder_after: u32,
    from: &str,
    domain: &str,
    rng: &mut StdRng,
) -> ServiceResult<S> {
    let id = r.id;
    let email = r.channel.by_email();
    let council = r
        .to_address
        .clone()
        .unwrap_or_else(|| format!("foi@{}.gov.uk", r.reference));
    let sent_at = at_ten(plan.received);
    match plan.fate {
        Fate::Queued => {
            if email {
                rows.outbound(
                    r,
                    MessageKind::Request,
                    MessageState::Queued,
                    from,
                    r.subject.clone(),
                    r.body.clone(),
                    r.created_at,
                    domain,
                );
            } else {
                rows.task(id, TaskKind::Submit, r, r.created_at);
            }
            return Ok(S::Queued);
        }
        Fate::Draft => return Ok(S::Draft),
        Fate::DeliveryFailed if email => {
            rows.outbound(
                r,
                MessageKind::Request,
                MessageState::Failed,
                from,
                r.subject.clone(),
                r.body.clone(),
                sent_at,
                domain,
            );
            rows.event(
                id,
                sent_at,
                EventKind::State(S::DeliveryFailed),
                format!("the request to {council} was not delivered: 550 mailbox unavailable"),
            );
            return Ok(S::DeliveryFailed);
        }
        _ => {}
    }
    // Sent: by email (the outbox), or submitted by staff (the task done).
    if email {
        rows.outbound(
            r,
            MessageKind::Request,
            MessageState::Sent,
            from,
            r.subject.clone(),
            r.body.clone(),
            sent_at,
            domain,
        );
        rows.event(
            id,
            sent_at,
            EventKind::State(S::Sent),
            format!("request to {council} accepted by the mail server: 250 OK"),
        );
    } else {
        rows.task(id, TaskKind::Submit, r, r.created_at);
        rows.close_task(sent_at, "submitted");
        if r.channel == Channel::Portal {
            r.portal_reference = Some(format!("CASE-{}", 100_000 + id));
        }
        rows.event(
            id,
            sent_at,
            EventKind::State(S::Sent),
            format!("sent {} by staff", r.channel.how()),
        );
    }
    r.sent_at = Some(sent_at);
    let received = plan.received;
    let mut events = vec![ClockEvent::new(received, ClockEventKind::Received)];
    rows.clock(id, ClockEventKind::Received, received);
    if plan.fate == Fate::Withdrawn {
        rows.event(
            id,
            sent_at + Duration::days(3),
            EventKind::State(S::Withdrawn),
            "withdrawn by staff".into(),
        );
        store_deadlines(r, cal, regime, &events, clock)?;
        return Ok(S::Withdrawn);
    }
    let day = |n: u32| cal.add_working_days(regime, received, n);
    let respond = |rows: &mut Rows, r: &request::Model, on: NaiveDate, events: &mut Vec<_>| {
        rows.inbound(r, MessageKind::Response, at_ten(on), &council);
        rows.clock(r.id, ClockEventKind::ResponseReceived, on);
        events.push(ClockEvent::new(on, ClockEventKind::ResponseReceived));
    };
    let state = match plan.fate {
        Fate::Open => {
            let d = compute(cal, regime, &events, clock).map_err(|source| ServiceError::Clock {
                reference: r.reference.clone(),
                source,
            })?;
            let ack = day(2)?;
            let acked = ack <= today && rng.random_bool(0.4);
            if acked {
                rows.inbound(r, MessageKind::Acknowledgement, at_ten(ack), &council);
            }
            let due = d.response_due.unwrap_or(today);
            if due >= today {
                if acked {
                    S::Acknowledged
                } else {
                    S::Sent
                }
            } else {
                let very = d.very_overdue_from.is_some_and(|v| v <= today);
                let at = at_ten(due) + Duration::days(1);
                rows.event(
                    id,
                    at,
                    EventKind::State(S::Overdue),
                    format!("the response was due on {due}"),
                );
                let period = d.response_period();
                let remind_from = cal.add_working_days(regime, due, reminder_after)?;
                if reminder_after > 0 && today >= remind_from {
                    rows.chase(r, MessageKind::Reminder, period.clone(), due);
                    if email {
                        let m = rows.outbound(
                            r,
                            MessageKind::Reminder,
                            MessageState::Sent,
                            from,
                            format!("Overdue: {}", r.subject),
                            format!(
                                "Dear FOI Officer,\n\nMy request {} was due on {due}.\n",
                                r.reference
                            ),
                            at_ten(remind_from),
                            domain,
                        );
                        if let Some(c) = rows.chases.last_mut() {
                            c.message_id = Some(m);
                        }
                        rows.event(
                            id,
                            at_ten(remind_from),
                            EventKind::Other(EventName::ReminderQueued),
                            format!("overdue reminder queued (response was due {due})"),
                        );
                    } else {
                        rows.task(id, TaskKind::Reminder, r, at_ten(remind_from));
                    }
                }
                if very {
                    let from_day = d.very_overdue_from.unwrap_or(today);
                    rows.event(
                        id,
                        at_ten(from_day),
                        EventKind::State(S::VeryOverdue),
                        format!("the response was due on {due}"),
                    );
                    rows.chase(r, MessageKind::InternalReview, period, due);
                    if email {
                        let m = rows.outbound(
                            r,
                            MessageKind::InternalReview,
                            MessageState::Draft,
                            from,
                            format!("Internal review: {}", r.subject),
                            format!(
                                "Dear FOI Officer,\n\nI ask for an internal review of {}.\n",
                                r.reference
                            ),
                            at_ten(from_day),
                            domain,
                        );
                        if let Some(c) = rows.chases.last_mut() {
                            c.message_id = Some(m);
                        }
                        rows.event(
                            id,
                            at_ten(from_day),
                            EventKind::Other(EventName::InternalReviewDrafted),
                            format!("internal review request drafted (message {m})"),
                        );
                    } else {
                        // The review says all the reminder would: it is withdrawn.
                        if rows
                            .tasks
                            .last()
                            .is_some_and(|t| t.request_id == id && t.kind == TaskKind::Reminder)
                        {
                            rows.close_task(
                                at_ten(from_day),
                                "superseded by the internal-review request",
                            );
                        }
                        rows.task(id, TaskKind::InternalReview, r, at_ten(from_day));
                    }
                    S::VeryOverdue
                } else {
                    S::Overdue
                }
            }
        }
        Fate::Extended if regime == Regime::Foia => {
            let on = day(15)?;
            rows.inbound(r, MessageKind::Response, at_ten(on), &council);
            rows.classify(r, "extended", on);
            rows.clock(id, ClockEventKind::PublicInterestExtension, on);
            events.push(ClockEvent::new(on, ClockEventKind::PublicInterestExtension));
            S::Extended
        }
        Fate::Clarification => {
            let on = day(5)?;
            rows.inbound(r, MessageKind::Response, at_ten(on), &council);
            rows.classify(r, "clarification_requested", on);
            rows.clock(id, ClockEventKind::ClarificationRequested, on);
            events.push(ClockEvent::new(on, ClockEventKind::ClarificationRequested));
            S::ClarificationRequested
        }
        Fate::Fees | Fate::FeeLapsed => {
            let on = day(10)?;
            rows.inbound(r, MessageKind::Response, at_ten(on), &council);
            rows.classify(r, "fees_notice", on);
            rows.clock(id, ClockEventKind::FeesNoticeGiven, on);
            events.push(ClockEvent::new(on, ClockEventKind::FeesNoticeGiven));
            if plan.fate == Fate::FeeLapsed {
                let d =
                    compute(cal, regime, &events, clock).map_err(|source| ServiceError::Clock {
                        reference: r.reference.clone(),
                        source,
                    })?;
                let lapsed = d.fee_lapses_on.unwrap_or(today);
                rows.event(
                    id,
                    at_ten(lapsed),
                    EventKind::State(S::FeeLapsed),
                    format!("the fee asked for was not paid within three months, so the request lapsed on {lapsed}"),
                );
                S::FeeLapsed
            } else {
                S::FeesNotice
            }
        }
        Fate::AwaitingClassification => {
            respond(rows, r, day(rng.random_range(8..18))?, &mut events);
            rows.event(
                id,
                rows.events.last().map(|e| e.at).unwrap_or(sent_at),
                EventKind::State(S::ResponseReceived),
                "the council's response was filed".into(),
            );
            S::ResponseReceived
        }
        Fate::InternalReview | Fate::ReviewUpheld | Fate::ReviewOverturned | Fate::Complaint => {
            let answered = day(rng.random_range(10..19))?;
            respond(rows, r, answered, &mut events);
            rows.classify(r, "refused", answered);
            let asked = if plan.fate == Fate::InternalReview {
                // Recent enough that the review is not yet late.
                (today - Duration::days(rng.random_range(1..10))).max(answered)
            } else {
                answered + Duration::days(rng.random_range(3..20))
            };
            if email {
                rows.outbound(
                    r,
                    MessageKind::InternalReview,
                    MessageState::Sent,
                    from,
                    format!("Internal review: {}", r.subject),
                    format!(
                        "Dear FOI Officer,\n\nI ask for an internal review of {}.\n",
                        r.reference
                    ),
                    at_ten(asked),
                    domain,
                );
            } else {
                rows.task(id, TaskKind::InternalReview, r, at_ten(answered));
                rows.close_task(at_ten(asked), "submitted");
            }
            rows.clock(id, ClockEventKind::InternalReviewRequested, asked);
            events.push(ClockEvent::new(
                asked,
                ClockEventKind::InternalReviewRequested,
            ));
            rows.event(
                id,
                at_ten(asked),
                EventKind::State(S::InternalReview),
                "internal review asked for".into(),
            );
            match plan.fate {
                Fate::InternalReview => S::InternalReview,
                _ => {
                    let outcome = asked + Duration::days(rng.random_range(10..30));
                    rows.inbound(r, MessageKind::Response, at_ten(outcome), &council);
                    rows.clock(id, ClockEventKind::ReviewOutcomeReceived, outcome);
                    events.push(ClockEvent::new(
                        outcome,
                        ClockEventKind::ReviewOutcomeReceived,
                    ));
                    let state = match plan.fate {
                        Fate::ReviewOverturned => S::ReviewOverturned,
                        Fate::Complaint => S::Complaint,
                        _ => S::ReviewUpheld,
                    };
                    if state != S::ReviewOverturned {
                        let d = compute(cal, regime, &events, clock).map_err(|source| {
                            ServiceError::Clock {
                                reference: r.reference.clone(),
                                source,
                            }
                        })?;
                        let period = d
                            .review_period()
                            .unwrap_or_else(|| format!("deadline:{outcome}"));
                        rows.chase(
                            r,
                            MessageKind::Complaint,
                            period,
                            d.review_due.unwrap_or(outcome),
                        );
                        let m = rows.outbound(
                            r,
                            MessageKind::Complaint,
                            MessageState::Draft,
                            from,
                            format!("Complaint: {}", r.subject),
                            format!("A complaint about {}.\n", r.reference),
                            at_ten(outcome),
                            domain,
                        );
                        if let Some(c) = rows.chases.last_mut() {
                            c.message_id = Some(m);
                        }
                    }
                    rows.event(
                        id,
                        at_ten(outcome),
                        EventKind::State(state),
                        format!("the internal review: {state}"),
                    );
                    state
                }
            }
        }
        Fate::Answered(state) => {
            let answered = day(rng.random_range(5..20))?;
            respond(rows, r, answered, &mut events);
            rows.classify(r, state.as_str(), answered);
            rows.event(
                id,
                at_ten(answered) + Duration::hours(2),
                EventKind::State(state),
                format!("now {state}"),
            );
            state
        }
        // A council that cannot extend (FOISA) answers instead; a failed delivery by post
        // or web form is not one foi would know of.
        _ => {
            let answered = day(rng.random_range(5..20))?;
            respond(rows, r, answered, &mut events);
            rows.classify(r, "successful", answered);
            rows.event(
                id,
                at_ten(answered) + Duration::hours(2),
                EventKind::State(S::Successful),
                "now successful".into(),
            );
            S::Successful
        }
    };
    store_deadlines(r, cal, regime, &events, clock)?;
    Ok(state)
}

/// The deadlines the clock events give, stored on the request as `deadlines` keeps them.
fn store_deadlines(
    r: &mut request::Model,
    cal: &WorkingCalendar,
    regime: Regime,
    events: &[ClockEvent],
    clock: &crate::calendar::ClockSettings,
) -> ServiceResult<()> {
    let d: Deadlines =
        compute(cal, regime, events, clock).map_err(|source| ServiceError::Clock {
            reference: r.reference.clone(),
            source,
        })?;
    r.response_due = d.response_due;
    r.deadlines = Some(
        serde_json::to_string(&d).map_err(|e| StoreError::Invalid(format!("deadlines: {e}")))?,
    );
    Ok(())
}
