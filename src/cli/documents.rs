use super::{output, Ctx};
use crate::domain::{DocumentKind, DocumentStatus};
use crate::services::documents::{self, DocumentFilter, DocumentRow};
use crate::services::search::{self, Search};
use clap::Subcommand;

fn parse_kind(s: &str) -> Result<DocumentKind, String> {
    DocumentKind::parse(s).map_err(|e| e.to_string())
}

fn parse_status(s: &str) -> Result<DocumentStatus, String> {
    DocumentStatus::parse(s).map_err(|e| e.to_string())
}

#[derive(Debug, Subcommand)]
pub enum DocumentsCommand {
    /// The documents councils sent (each reply's own text and each attachment), with where
    /// reading their text stands.
    List {
        /// Only those of this request.
        #[arg(long, value_name = "REF")]
        request: Option<String>,
        /// Only those staff tagged so (agreement, mou, renewal, action_plan, review, minutes,
        /// correspondence, other).
        #[arg(long, value_parser = parse_kind)]
        kind: Option<DocumentKind>,
        /// Only those in this state (pending, extracted, partial, failed, unsupported).
        #[arg(long, value_parser = parse_status)]
        status: Option<DocumentStatus>,
        #[arg(long)]
        json: bool,
    },
    /// One document's text, page by page (pages read by OCR are marked).
    Show {
        id: i32,
        #[arg(long)]
        page: Option<i32>,
        #[arg(long)]
        json: bool,
    },
    /// Read the text of the documents waiting now (the daemon's `extract` job does this every
    /// minute); --all reads every document again (after installing OCR, say), --id the ones
    /// named.
    Extract {
        #[arg(long, conflicts_with = "id")]
        all: bool,
        #[arg(long, value_name = "ID")]
        id: Vec<i32>,
        #[arg(long)]
        json: bool,
    },
    /// Mark a document for the public site (`foi publish` copies only these); --undo takes
    /// the mark off.
    Publish {
        id: i32,
        #[arg(long)]
        undo: bool,
    },
    /// Say what a document is (agreement, mou, renewal, action_plan, review, minutes,
    /// correspondence, other); --clear removes the tag.
    Tag {
        id: i32,
        #[arg(value_parser = parse_kind, required_unless_present = "clear")]
        kind: Option<DocumentKind>,
        #[arg(long)]
        clear: bool,
    },
}

/// `foi search "words"`: every inbound message and document.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// Words that must all be on the page; "quoted words" together; Chinese as written.
    query: String,
    #[arg(long, value_name = "SLUG")]
    authority: Option<String>,
    #[arg(long, value_name = "NAME")]
    campaign: Option<String>,
    /// At most this many pages (best first).
    #[arg(long, default_value_t = 50)]
    limit: u64,
    #[arg(long)]
    json: bool,
}

fn print_rows(rows: &[DocumentRow]) {
    output::table(
        &[
            "ID",
            "STATUS",
            "PAGES",
            "OCR",
            "KIND",
            "PUBLISH",
            "REQUEST",
            "AUTHORITY",
            "NAME",
        ],
        &rows
            .iter()
            .map(|r| {
                vec![
                    r.id.to_string(),
                    r.status.to_string(),
                    r.pages.to_string(),
                    r.ocr_pages.to_string(),
                    output::or_dash(r.kind.map(|k| k.as_str())),
                    if r.publishable { "yes" } else { "-" }.to_string(),
                    output::or_dash(Some(&r.references.join(","))),
                    output::or_dash(Some(&r.authorities.join(","))),
                    output::printable(&r.name),
                ]
            })
            .collect::<Vec<_>>(),
    );
    for r in rows.iter().filter(|r| r.reason.is_some()) {
        println!(
            "  {}: {}",
            r.id,
            output::printable(r.reason.as_deref().unwrap_or_default())
        );
    }
}

pub async fn run(ctx: &Ctx, cmd: DocumentsCommand) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    match cmd {
        DocumentsCommand::List {
            request,
            kind,
            status,
            json,
        } => {
            let rows = documents::list(
                &app,
                &DocumentFilter {
                    request,
                    kind,
                    status,
                },
            )
            .await?;
            if json {
                return output::json(&rows);
            }
            if rows.is_empty() {
                println!("no documents (they appear as replies arrive; `foi documents extract` reads new ones now)");
                return Ok(());
            }
            print_rows(&rows);
        }
        DocumentsCommand::Show { id, page, json } => {
            let d = documents::show(&app, id, page).await?;
            if json {
                return output::json(&d);
            }
            let r = &d.row;
            println!(
                "document {}  {}  [{}]  {} page(s), {} by OCR",
                r.id,
                output::printable(&r.name),
                r.status,
                r.pages,
                r.ocr_pages
            );
            if let Some(why) = &r.reason {
                println!("note: {}", output::printable(why));
            }
            println!(
                "request(s): {}   council(s): {}",
                output::or_dash(Some(&r.references.join(", "))),
                output::or_dash(Some(&r.authorities.join(", ")))
            );
            for p in &d.pages {
                let how = if p.ocr { " (OCR)" } else { "" };
                println!("\n--- page {}{how} ---\n{}", p.page, p.text.trim_end());
            }
        }
        DocumentsCommand::Extract { all, id, json } => {
            let done =
                documents::extract_now(&app, ctx.clock(), all, &id, &super::progress::Bar::new())
                    .await?;
            if json {
                return output::json(&done);
            }
            println!("{done}");
        }
        DocumentsCommand::Publish { id, undo } => {
            documents::set_publishable(&app, id, !undo).await?;
            if undo {
                println!("document {id} will not be published");
            } else {
                println!("document {id} will be published by the next `foi publish`");
            }
        }
        DocumentsCommand::Tag { id, kind, clear } => {
            let kind = if clear { None } else { kind };
            documents::tag(&app, id, kind).await?;
            match kind {
                Some(k) => println!("document {id} tagged {k}"),
                None => println!("document {id} untagged"),
            }
        }
    }
    Ok(())
}

pub async fn run_search(ctx: &Ctx, a: SearchArgs) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    let hits = search::search(
        &app,
        Search {
            text: a.query,
            authority: a.authority,
            campaign: a.campaign,
            limit: a.limit,
        },
    )
    .await?;
    if a.json {
        return output::json(&hits);
    }
    if hits.is_empty() {
        println!("nothing found (documents still pending are not searched yet: `foi documents list --status pending`)");
        return Ok(());
    }
    for h in &hits {
        let who = match (&h.authority_name, h.references.is_empty()) {
            (Some(name), false) => format!("{name} ({})", h.references.join(", ")),
            _ => "unmatched mail".to_string(),
        };
        let ocr = if h.ocr { ", OCR" } else { "" };
        println!(
            "{who}: {} (document {}), page {}{ocr}",
            output::printable(&h.name),
            h.document,
            h.page
        );
        println!("  {}", h.snippet.marked());
        if !h.watch.is_empty() {
            println!("  watch list: {}", h.watch.join(", "));
        }
        println!();
    }
    println!("{} page(s)", hits.len());
    Ok(())
}

/// `foi doctor`: what this installation can and cannot do.
pub async fn run_doctor(ctx: &Ctx) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    println!(
        "database:   {} (migrations applied)",
        crate::app::redact(&ctx.settings.database.url)
    );
    println!(
        "templates:  {} loaded from {}",
        app.letters.templates().count(),
        ctx.settings.paths.templates_dir.display()
    );
    match app.transport() {
        Ok(t) => println!("mail:       {}", t.describe()),
        Err(e) => println!("mail:       cannot send: {e}"),
    }
    if ctx.settings.requester_is_placeholder() {
        println!("requester:  still the placeholder: set [requester] before sending anything real");
    }
    match &app.ocr().1 {
        crate::extract::OcrAvailability::Ready { languages } => {
            println!("OCR:        ready ({languages})")
        }
        crate::extract::OcrAvailability::Missing { reason } => {
            println!("OCR:        unavailable: {reason}; scanned pages get no text until it is installed (scripts/install-deps.sh), then `foi documents extract --all`")
        }
    }
    match crate::services::findings::watch_list(&app) {
        Ok(w) => println!(
            "watch list: {} name(s) from {}",
            w.terms.len(),
            ctx.settings.findings.watch_list.display()
        ),
        Err(e) => println!("watch list: broken: {e}"),
    }
    let pending = documents::list(
        &app,
        &DocumentFilter {
            status: Some(DocumentStatus::Pending),
            ..Default::default()
        },
    )
    .await?
    .len();
    println!("documents:  {pending} waiting to be read");
    Ok(())
}
