use super::{output, Ctx};
use crate::domain::EmailAddress;
use crate::services::directory;
use crate::store::authorities;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum AuthoritiesCommand {
    /// Import or update authorities from a CSV or TSV file with a header
    /// (name, nation; optional slug, regime, foi_email, website, tags).
    Import { file: PathBuf },
    /// List authorities.
    List {
        #[arg(long)]
        tag: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show one authority with its twinning links.
    Show {
        slug: String,
        #[arg(long)]
        json: bool,
    },
    /// Set an authority's FOI email address.
    SetEmail { slug: String, address: String },
}

pub async fn run(ctx: &Ctx, cmd: AuthoritiesCommand) -> anyhow::Result<()> {
    match cmd {
        AuthoritiesCommand::Import { file } => {
            let text = super::read_import_file(&file)?;
            let name = file.display().to_string();
            let app = ctx.app().await?;
            let done = crate::services::imports::authorities(&app, &name, &text).await?;
            let s = &done.summary;
            println!(
                "{}: {} rows read; {} authorities created, {} updated, {} unchanged",
                file.display(),
                done.rows,
                s.created,
                s.updated,
                s.unchanged
            );
            Ok(())
        }
        AuthoritiesCommand::List { tag, json } => {
            let app = ctx.app().await?;
            let list = directory::authorities(&app, tag.as_deref()).await?;
            if json {
                let v: Vec<_> = list.iter().map(authority_json).collect();
                return output::json(&v);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|a| {
                    vec![
                        a.slug.clone(),
                        a.name.clone(),
                        a.nation.clone(),
                        a.regime.clone(),
                        output::or_dash(a.foi_email.as_deref()),
                        output::or_dash(Some(&authorities::tags_of(a).join(" "))),
                    ]
                })
                .collect();
            output::table(
                &["SLUG", "NAME", "NATION", "REGIME", "FOI EMAIL", "TAGS"],
                &rows,
            );
            Ok(())
        }
        AuthoritiesCommand::Show { slug, json } => {
            let app = ctx.app().await?;
            let directory::AuthorityDetail {
                authority: a,
                links,
                requests: reqs,
            } = directory::authority(&app, &slug).await?;
            if json {
                let mut v = authority_json(&a);
                v["twinnings"] = serde_json::to_value(
                    links
                        .iter()
                        .map(super::twinnings::link_json)
                        .collect::<Vec<_>>(),
                )?;
                v["requests"] = serde_json::to_value(&reqs)?;
                return output::json(&v);
            }
            println!("{} ({})", a.name, a.slug);
            println!("nation:     {}", a.nation);
            println!("regime:     {}", a.regime);
            println!("FOI email:  {}", output::or_dash(a.foi_email.as_deref()));
            if let Some(src) = &a.foi_email_source {
                println!("  source:   {src}");
            }
            println!("website:    {}", output::or_dash(a.website.as_deref()));
            println!(
                "tags:       {}",
                output::or_dash(Some(&authorities::tags_of(&a).join(" ")))
            );
            if let Some(n) = &a.notes {
                println!("notes:      {n}");
            }
            println!("\ntwinning links:");
            if links.is_empty() {
                println!("  none");
            }
            for t in &links {
                println!(
                    "  #{} {} ({}), {}, since {}, {}",
                    t.id,
                    t.partner_city,
                    t.partner_province,
                    t.relationship,
                    t.since_year
                        .map(|y| y.to_string())
                        .unwrap_or_else(|| "?".into()),
                    t.status
                );
            }
            println!("\nrequests: {}", reqs.len());
            for r in &reqs {
                println!("  {} {} {}", r.reference, r.state, r.template);
            }
            Ok(())
        }
        AuthoritiesCommand::SetEmail { slug, address } => {
            let email = EmailAddress::parse(&address)?;
            let app = ctx.app().await?;
            let done = crate::services::set_email::set_email(
                &app,
                ctx.clock(),
                &slug,
                &email,
                crate::services::CLI,
            )
            .await?;
            println!("{}: FOI email set to {}", done.slug, done.email);
            for m in done.readdressed {
                println!(
                    "  {}: {} unsent letter(s) now go to {email}",
                    m.reference, m.messages
                );
            }
            Ok(())
        }
    }
}

fn authority_json(a: &authorities::AuthorityModel) -> serde_json::Value {
    serde_json::json!({
        "slug": a.slug,
        "name": a.name,
        "nation": a.nation,
        "regime": a.regime,
        "foi_email": a.foi_email,
        "foi_email_source": a.foi_email_source,
        "website": a.website,
        "tags": authorities::tags_of(a),
        "notes": a.notes,
    })
}
