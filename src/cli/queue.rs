use super::{output, parse_var, Ctx};
use crate::domain::{Channel, TaskKind, TwinningStatus};
use crate::services::queue::{self, Per, QueueCampaign, QueueOne, QueuedLetter};
use crate::services::CLI;
use anyhow::Context as _;
use clap::Args;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("target").required(true).args(["authority", "all_twinned"]))]
pub struct QueueArgs {
    /// The letter template (see `foi templates list`).
    #[arg(long)]
    template: String,
    /// Queue one request to this authority.
    #[arg(long)]
    authority: Option<String>,
    /// Write about this one twinning link (see `foi twinnings list`). Without it, the letter
    /// covers all of the authority's links (or, for a template written about one link, its
    /// only one).
    #[arg(long, requires = "authority")]
    twinning: Option<i32>,
    /// Queue it even though the authority already has a request from this template about
    /// the same link(s).
    #[arg(long, requires = "authority")]
    again: bool,
    /// Queue a whole campaign under this name: one letter per council, covering all of its
    /// twinning links (--per link: one per link).
    #[arg(long, requires = "all_twinned")]
    campaign: Option<String>,
    /// With --campaign: every twinning link, whatever its status (narrow with --status and
    /// --tag).
    #[arg(long, requires = "campaign")]
    all_twinned: bool,
    /// council (the default): one letter per council covering all its links; link: one
    /// letter per link.
    #[arg(long, value_name = "council|link", value_parser = Per::parse, requires = "all_twinned")]
    per: Option<Per>,
    /// Only links with this status (active, ended, unknown); by default all of them.
    #[arg(long, value_enum, requires = "all_twinned")]
    status: Option<TwinningStatus>,
    /// Only authorities with this tag.
    #[arg(long, requires = "all_twinned")]
    tag: Option<String>,
    /// Extra template variables, available as {{vars.KEY}}.
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// How the letter goes: email (the default: foi sends it), portal (staff paste it into
    /// the council's web form) or post (staff print and post it). A portal or postal request
    /// gets no outbox letter, only a staff task; record it with `foi requests sent`.
    #[arg(long, value_name = "email|portal|post", value_parser = parse_channel)]
    via: Option<Channel>,
    /// With --campaign and --via portal|post: only the councils with no FOI email address.
    #[arg(long, requires = "campaign", requires = "via")]
    without_address: bool,
    /// Also write the letter(s) to this file, to paste or print (it must not exist yet).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Render and show what would be queued; store nothing.
    #[arg(long)]
    dry_run: bool,
    #[arg(long)]
    json: bool,
}

pub fn parse_channel(s: &str) -> Result<Channel, String> {
    Channel::parse(s).map_err(|e| e.to_string())
}

/// The file `--out` names, made before anything is queued so that a bad path stores nothing;
/// removed again if queueing fails.
pub struct OutFile {
    path: PathBuf,
    file: Option<std::fs::File>,
}

impl OutFile {
    pub fn create(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(OutFile {
                path: PathBuf::new(),
                file: None,
            });
        };
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .with_context(|| {
                format!(
                    "--out {}: cannot create it (it must not exist yet, in a folder that does)",
                    path.display()
                )
            })?;
        Ok(OutFile {
            path: path.to_path_buf(),
            file: Some(file),
        })
    }

    /// Writes the letters, or says where they can be read again if that fails: they are
    /// stored already.
    pub fn write(mut self, letters: &[&QueuedLetter]) -> anyhow::Result<()> {
        if self.file.is_some() && letters.is_empty() {
            println!("no letters, so nothing written to {}", self.path.display());
            return Ok(());
        }
        let Some(mut file) = self.file.take() else {
            return Ok(());
        };
        let mut text = String::new();
        for (i, q) in letters.iter().enumerate() {
            if i > 0 {
                // A page break between posted letters, so each prints on its own pages.
                if q.channel == Channel::Post {
                    text.push('\u{c}');
                }
                text.push('\n');
            }
            if letters.len() > 1 {
                text.push_str(&format!("===== {} {} =====\n", q.reference, q.authority));
            }
            text.push_str(&format!("Subject: {}\n\n{}", q.subject, q.body));
        }
        file.write_all(text.as_bytes())
            .and_then(|_| file.sync_all())
            .with_context(|| {
                format!(
                    "--out {}: could not write the letters (they are stored: see `foi requests show REF`)",
                    self.path.display()
                )
            })?;
        println!("letter(s) written to {}", self.path.display());
        Ok(())
    }
}

impl Drop for OutFile {
    fn drop(&mut self) {
        // Still held: queueing failed, so the empty file would only mislead.
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

pub async fn run(ctx: &Ctx, args: QueueArgs) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    let vars: BTreeMap<String, String> = args.vars.into_iter().collect();
    let via = args.via.unwrap_or_default();
    let out_file = OutFile::create(args.out.as_deref())?;
    if let Some(slug) = args.authority {
        let q = queue::one(
            &app,
            ctx.clock(),
            QueueOne {
                template: args.template,
                authority: slug,
                twinning: args.twinning,
                vars,
                dry_run: args.dry_run,
                again: args.again,
                via,
                actor: CLI.into(),
            },
        )
        .await?;
        if args.json {
            output::json(&q)?;
        } else {
            print_letter(&q, args.dry_run);
        }
        return out_file.write(&[&q]);
    }
    let out = queue::campaign(
        &app,
        ctx.clock(),
        QueueCampaign {
            campaign: args.campaign.unwrap_or_default(),
            template: args.template,
            status: args.status,
            tag: args.tag,
            vars,
            dry_run: args.dry_run,
            per: args.per.unwrap_or_default(),
            via,
            without_address: args.without_address,
            actor: CLI.into(),
        },
    )
    .await?;
    let letters: Vec<&QueuedLetter> = out.queued.iter().collect();
    if args.json {
        output::json(&out)?;
        return out_file.write(&letters);
    }
    // Staff submit letters not sent by email themselves, so they are shown.
    if args.dry_run || !via.by_email() {
        for q in &out.queued {
            print_letter(q, args.dry_run);
            println!();
        }
    }
    let verb = if args.dry_run {
        "would queue"
    } else {
        "queued"
    };
    println!(
        "campaign '{}': {verb} {} request(s)",
        out.campaign,
        out.queued.len()
    );
    for q in &out.queued {
        println!(
            "  {} {} ({})",
            q.reference,
            q.authority,
            q.partner_city.as_deref().unwrap_or("-")
        );
    }
    if !out.already_held.is_empty() {
        println!(
            "already asked with this template, skipped: {} link(s)",
            out.already_held.len()
        );
        for h in &out.already_held {
            let where_ = if h.in_this_campaign {
                ""
            } else {
                ", outside this campaign"
            };
            println!(
                "  {} ({}): {}{where_}",
                h.authority, h.partner_city, h.reference
            );
        }
    }
    if !out.no_address.is_empty() {
        println!(
            "skipped, no FOI email address ({}; set with `foi authorities set-email SLUG ADDRESS`, \
             or queue them for the council's web form or the post with --via portal|post --without-address):",
            out.no_address.len()
        );
        for (slug, name) in &out.no_address {
            println!("  {slug} ({name})");
        }
    }
    if !out.has_address.is_empty() {
        println!(
            "skipped, has an FOI email address ({}; --without-address leaves them to an email campaign):",
            out.has_address.len()
        );
        for (slug, name) in &out.has_address {
            println!("  {slug} ({name})");
        }
    }
    out_file.write(&letters)
}

pub fn print_letter(q: &QueuedLetter, dry_run: bool) {
    if dry_run {
        println!("(dry run: nothing stored; the reference is the one it would get now)");
    } else {
        println!("queued {}", q.reference);
    }
    if q.channel.by_email() {
        println!("To: {}", q.to);
    } else {
        println!(
            "Via: {} (nothing is emailed; staff submit it)",
            q.channel.how()
        );
        if let Some(w) = &q.website {
            println!("Council website: {w}");
        }
    }
    println!("Reply-To: {}", q.reply_to);
    println!("Subject: {}", q.subject);
    println!();
    print!("{}", q.body);
    if !q.channel.by_email() && !dry_run {
        println!();
        println!(
            "To do: {}.",
            TaskKind::Submit.instruction(q.channel, &q.reference)
        );
    }
}
