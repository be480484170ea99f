use super::{output, Ctx};
use crate::domain::{CommitmentArea, FindingField};
use crate::services::findings::{self, LinkRegister, SetFacts, Source};
use crate::services::CLI;
use clap::Subcommand;

fn parse_source(s: &str) -> Result<Source, String> {
    Source::parse(s)
}

fn parse_commitment(s: &str) -> Result<(CommitmentArea, String), String> {
    let (area, text) = s.split_once('=').ok_or_else(|| {
        format!("'{s}' should be AREA=TEXT, e.g. education=\"student exchanges\" (areas: education, trade, culture, policing, data, other)")
    })?;
    let area = CommitmentArea::parse(area).map_err(|e| e.to_string())?;
    Ok((area, text.to_string()))
}

#[derive(Debug, clap::Args)]
pub struct SetArgs {
    link: String,
    /// Where it is written: DOC:PAGE (ids from `foi documents list`), DOC, or message:ID.
    #[arg(long, value_parser = parse_source)]
    source: Source,
    #[arg(long, value_name = "YYYY-MM-DD")]
    signed_on: Option<String>,
    /// How long it runs ("5 years", "indefinite").
    #[arg(long)]
    term: Option<String>,
    /// How often it is renewed ("every 5 years").
    #[arg(long)]
    renewal_cycle: Option<String>,
    /// The next day the council decides again: the digest warns ahead of it.
    #[arg(long, value_name = "YYYY-MM-DD")]
    next_renewal: Option<String>,
    /// active, lapsed, suspended, ended or unknown.
    #[arg(long)]
    status: Option<String>,
    /// Who signed it, with their role (repeatable).
    #[arg(long)]
    signatory: Vec<String>,
    /// AREA=TEXT, the area one of education, trade, culture, policing, data, other
    /// (repeatable).
    #[arg(long, value_parser = parse_commitment, value_name = "AREA=TEXT")]
    commitment: Vec<(CommitmentArea, String)>,
    /// An organisation named as proposing or facilitating the link (repeatable).
    #[arg(long)]
    organisation: Vec<String>,
    /// Money spent or received for the link, as written (repeatable).
    #[arg(long)]
    money: Vec<String>,
    /// A visit made under the link (repeatable).
    #[arg(long)]
    visit: Vec<String>,
    #[arg(long)]
    note: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum FindingsCommand {
    /// Record what a document (or message) says about a link. LINK is its id (`foi twinnings
    /// list`) or council-slug:City; every fact cites --source.
    Set(Box<SetArgs>),
    /// What the register holds about one link: its documents, facts with their sources, and
    /// suggestions waiting.
    Show {
        link: String,
        #[arg(long)]
        json: bool,
    },
    /// The register: one row per link, every council side by side.
    List {
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        #[arg(long)]
        csv: bool,
    },
    /// Suggestions read from documents, waiting for staff to confirm or reject.
    Suggestions {
        #[arg(long)]
        json: bool,
    },
    /// Confirm a suggestion: it becomes a fact (--link puts it on another link of the request).
    Confirm {
        id: i32,
        #[arg(long)]
        link: Option<String>,
    },
    /// Reject a suggestion: it is not proposed again.
    Reject { id: i32 },
}

pub async fn run(ctx: &Ctx, cmd: FindingsCommand) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    match cmd {
        FindingsCommand::Set(args) => {
            let SetArgs {
                link,
                source,
                signed_on,
                term,
                renewal_cycle,
                next_renewal,
                status,
                signatory,
                commitment,
                organisation,
                money,
                visit,
                note,
            } = *args;
            let mut facts = Vec::new();
            for (field, value) in [
                (FindingField::SignedOn, signed_on),
                (FindingField::Term, term),
                (FindingField::RenewalCycle, renewal_cycle),
                (FindingField::NextRenewal, next_renewal),
                (FindingField::Status, status),
            ] {
                if let Some(v) = value {
                    facts.push((field, None, v));
                }
            }
            for (field, values) in [
                (FindingField::Signatory, signatory),
                (FindingField::Organisation, organisation),
                (FindingField::Money, money),
                (FindingField::Visit, visit),
            ] {
                facts.extend(values.into_iter().map(|v| (field, None, v)));
            }
            facts.extend(
                commitment
                    .into_iter()
                    .map(|(a, v)| (FindingField::Commitment, Some(a), v)),
            );
            let done = findings::set(
                &app,
                ctx.clock(),
                SetFacts {
                    link,
                    facts,
                    source,
                    note,
                    actor: CLI.into(),
                },
            )
            .await?;
            for f in &done {
                println!(
                    "recorded {} {}: {}",
                    f.id,
                    findings::field_key(f.field, f.area),
                    f.value
                );
            }
        }
        FindingsCommand::Show { link, json } => {
            let r = findings::show(&app, &link).await?;
            if json {
                return output::json(&r);
            }
            print_register(&r);
        }
        FindingsCommand::List { json, csv } => {
            let all = findings::list(&app).await?;
            if json {
                return output::json(&all);
            }
            if csv {
                findings::register_rows(&all).write_csv(std::io::stdout())?;
                return Ok(());
            }
            // On a terminal the register is too wide for a table: one block per link.
            for r in &all {
                print_register(r);
                println!();
            }
        }
        FindingsCommand::Suggestions { json } => {
            let all = findings::suggestions(&app).await?;
            if json {
                return output::json(&all);
            }
            if all.is_empty() {
                println!("no suggestions waiting");
            }
            for (link, f) in &all {
                println!(
                    "{}  {link}  {}: {}  ({}; {})",
                    f.id,
                    findings::field_key(f.field, f.area),
                    f.value,
                    f.source,
                    f.rule.as_deref().unwrap_or("staff")
                );
                if let Some(e) = &f.excerpt {
                    println!("    \"{}\"", output::printable(e));
                }
            }
            if !all.is_empty() {
                println!(
                    "confirm with `foi findings confirm ID`, reject with `foi findings reject ID`"
                );
            }
        }
        FindingsCommand::Confirm { id, link } => {
            let f = findings::decide(&app, ctx.clock(), id, true, link.as_deref(), CLI).await?;
            println!(
                "finding {id} confirmed: {} = {}",
                findings::field_key(f.field, f.area),
                f.value
            );
        }
        FindingsCommand::Reject { id } => {
            findings::decide(&app, ctx.clock(), id, false, None, CLI).await?;
            println!("finding {id} rejected (it will not be suggested again)");
        }
    }
    Ok(())
}

fn print_register(r: &LinkRegister) {
    println!(
        "{} – {}{} ({}, link {}, {})",
        r.authority_name,
        r.partner_city,
        if r.partner_province.is_empty() {
            String::new()
        } else {
            format!(", {}", r.partner_province)
        },
        r.relationship,
        r.link_id,
        r.link_status
    );
    if r.requests.is_empty() {
        println!("  requests:  none yet");
    } else {
        println!(
            "  requests:  {}",
            r.requests
                .iter()
                .map(|(reference, state)| format!("{reference} ({state})"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for d in &r.documents {
        println!(
            "  document {}: {} [{}] {} page(s)",
            d.id,
            output::printable(&d.name),
            d.kind.as_deref().unwrap_or("untagged"),
            d.pages
        );
    }
    for (key, title) in findings::REGISTER_COLUMNS {
        if let Some(facts) = r.facts.get(*key) {
            for f in facts {
                println!("  {title}: {}  [{}]", f.value, f.source);
            }
        }
    }
    if !r.suggestions.is_empty() {
        println!("  suggestions waiting ({}):", r.suggestions.len());
        for f in &r.suggestions {
            println!(
                "    {}  {}: {}  [{}]",
                f.id,
                findings::field_key(f.field, f.area),
                f.value,
                f.source
            );
        }
    }
}
