use super::{output, parse_var, Ctx};
use crate::letters::LetterRegistry;
use crate::queue::Queuer;
use crate::store::{authorities, requests};
use chrono::Datelike;
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
        /// The twinning link the letter is about; may be left out when the authority has only one.
        #[arg(long)]
        twinning: Option<i32>,
        #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_var)]
        vars: Vec<(String, String)>,
    },
}

pub async fn run(ctx: &Ctx, cmd: TemplatesCommand) -> anyhow::Result<()> {
    match cmd {
        TemplatesCommand::List { json } => {
            let letters = LetterRegistry::load(&ctx.settings.paths.templates_dir)?;
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
            let a = authorities::get_by_slug(&app.db, &authority).await?;
            let queuer = Queuer {
                settings: &app.settings,
                letters: &app.letters,
                now: ctx.now,
                actor: "cli",
            };
            let t = queuer.twinning_for(&app.db, &name, &a, twinning).await?;
            let reference = requests::next_reference(&app.db, ctx.now.year()).await?;
            let (r, reply_to) = queuer.render(&name, &a, t.as_ref(), &reference, &vars)?;
            println!("To: {}", output::or_dash(a.foi_email.as_deref()));
            println!("Reply-To: {reply_to}");
            println!("Subject: {}", r.subject);
            println!();
            print!("{}", r.body);
            Ok(())
        }
    }
}
