use super::{output, parse_var, Ctx};
use clap::Subcommand;
use std::collections::BTreeMap;

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// List the letter templates (each is checked as it loads).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Preview a letter for an authority, without storing anything.
    Render {
        name: String,
        #[arg(long)]
        authority: String,
        /// Write about this one twinning link; without it, the letter covers all of the authority's links.
        #[arg(long)]
        twinning: Option<i32>,
        #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_var)]
        vars: Vec<(String, String)>,
    },
}

pub async fn run(ctx: &Ctx, cmd: TemplatesCommand) -> anyhow::Result<()> {
    match cmd {
        TemplatesCommand::List { json } => {
            let letters = crate::app::load_letters(&ctx.settings)?;
            let list: Vec<_> = letters.templates().collect();
            if json {
                return output::json(&list);
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|t| {
                    vec![
                        t.name.clone(),
                        format!("{:?}", t.kind).to_lowercase(),
                        output::or_dash(Some(&t.requires.join(", "))),
                        t.description.clone(),
                    ]
                })
                .collect();
            output::table(&["NAME", "KIND", "REQUIRES", "DESCRIPTION"], &rows);
            Ok(())
        }
        TemplatesCommand::Render {
            name,
            authority,
            twinning,
            vars,
        } => {
            let app = ctx.app().await?;
            let vars: BTreeMap<String, String> = vars.into_iter().collect();
            let p = crate::services::queue::preview(
                &app,
                ctx.clock(),
                &name,
                &authority,
                twinning,
                &vars,
            )
            .await?;
            println!("To: {}", output::or_dash(p.to.as_deref()));
            println!("Reply-To: {}", p.reply_to);
            println!("Subject: {}", p.subject);
            println!();
            print!("{}", p.body);
            Ok(())
        }
    }
}
