use super::{output, parse_var, Ctx};
use crate::domain::TwinningStatus;
use crate::services::queue::{self, QueueCampaign, QueueOne, QueuedLetter};
use crate::services::CLI;
use clap::Args;
use std::collections::BTreeMap;

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("target").required(true).args(["authority", "all_twinned"]))]
pub struct QueueArgs {
    /// The letter template (see `foi templates list`).
    #[arg(long)]
    template: String,
    /// Queue one request to this authority.
    #[arg(long)]
    authority: Option<String>,
    /// The twinning link the letter is about (see `foi twinnings list`); may be left out when
    /// the authority has only one.
    #[arg(long, requires = "authority")]
    twinning: Option<i32>,
    /// Queue it even though the authority already has a request from this template about
    /// this link.
    #[arg(long, requires = "authority")]
    again: bool,
    /// Queue one request per (authority, twinning link) under this campaign name.
    #[arg(long, requires = "all_twinned")]
    campaign: Option<String>,
    /// With --campaign: every twinning link (narrow with --status and --tag).
    #[arg(long, requires = "campaign")]
    all_twinned: bool,
    #[arg(long, value_enum, requires = "all_twinned")]
    status: Option<TwinningStatus>,
    /// Only authorities with this tag.
    #[arg(long, requires = "all_twinned")]
    tag: Option<String>,
    /// Extra template variables, available as {{vars.KEY}}.
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// Render and show what would be queued; store nothing.
    #[arg(long)]
    dry_run: bool,
    #[arg(long)]
    json: bool,
}

pub async fn run(ctx: &Ctx, args: QueueArgs) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    let vars: BTreeMap<String, String> = args.vars.into_iter().collect();
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
                actor: CLI.into(),
            },
        )
        .await?;
        if args.json {
            return output::json(&q);
        }
        print_letter(&q, args.dry_run);
        return Ok(());
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
            actor: CLI.into(),
        },
    )
    .await?;
    if args.json {
        return output::json(&out);
    }
    if args.dry_run {
        for q in &out.queued {
            print_letter(q, true);
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
            "already in the campaign, skipped: {}",
            out.already_held.len()
        );
        for (slug, city) in &out.already_held {
            println!("  {slug} ({city})");
        }
    }
    if !out.no_address.is_empty() {
        println!(
            "skipped, no FOI email address ({}; set with `foi authorities set-email SLUG ADDRESS`):",
            out.no_address.len()
        );
        for (slug, name) in &out.no_address {
            println!("  {slug} ({name})");
        }
    }
    Ok(())
}

fn print_letter(q: &QueuedLetter, dry_run: bool) {
    if dry_run {
        println!("(dry run: nothing stored; the reference is the one it would get now)");
    } else {
        println!("queued {}", q.reference);
    }
    println!("To: {}", q.to);
    println!("Reply-To: {}", q.reply_to);
    println!("Subject: {}", q.subject);
    println!();
    print!("{}", q.body);
}
