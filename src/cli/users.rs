use super::{output, Ctx};
use crate::services::staff;
use anyhow::Context as _;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a staff account for the web dashboard, or give an existing one a new password
    /// (enabling it again). The password is read from standard input (its first line).
    Add { name: String },
    /// The staff accounts.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Stop an account logging in; its open sessions end at once.
    Disable { name: String },
}

pub async fn run(ctx: &Ctx, cmd: UsersCommand) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    match cmd {
        UsersCommand::Add { name } => {
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                eprintln!(
                    "password for {name} (at least {} characters), then Enter:",
                    staff::MIN_PASSWORD_CHARS
                );
            }
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            let password = line.trim_end_matches(['\n', '\r']);
            let saved = staff::add_user(&app, ctx.clock(), &name, password).await?;
            if saved.created {
                println!("added staff account {}", saved.name);
            } else {
                println!("{}: new password set (the account is enabled)", saved.name);
            }
            Ok(())
        }
        UsersCommand::List { json } => {
            let users = staff::list_users(&app).await?;
            if json {
                return output::json(&users);
            }
            if users.is_empty() {
                println!("no staff accounts: add one with `foi users add NAME`");
                return Ok(());
            }
            let rows: Vec<Vec<String>> = users
                .iter()
                .map(|u| {
                    vec![
                        u.name.clone(),
                        if u.disabled { "disabled" } else { "active" }.into(),
                        u.created_at.format("%Y-%m-%d %H:%M").to_string(),
                    ]
                })
                .collect();
            output::table(&["NAME", "STATUS", "ADDED"], &rows);
            Ok(())
        }
        UsersCommand::Disable { name } => {
            let u = staff::disable_user(&app, &name).await?;
            println!("{}: disabled; its sessions have ended", u.name);
            Ok(())
        }
    }
}
