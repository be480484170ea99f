use super::{output, Ctx};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Show which migrations are applied (without applying any).
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Apply pending migrations (they also run on every start).
    Migrate,
}

pub async fn run(ctx: &Ctx, cmd: DbCommand) -> anyhow::Result<()> {
    match cmd {
        DbCommand::Status { json } => {
            let db = ctx.connect().await?;
            let status = crate::store::migration_status(&db).await?;
            if json {
                return output::json(&status);
            }
            println!(
                "database: {}",
                crate::app::redact(&ctx.settings.database.url)
            );
            let rows: Vec<Vec<String>> = status
                .iter()
                .map(|m| {
                    vec![
                        m.name.clone(),
                        if m.applied { "applied" } else { "pending" }.into(),
                    ]
                })
                .collect();
            output::table(&["MIGRATION", "STATE"], &rows);
            Ok(())
        }
        DbCommand::Migrate => {
            let db = ctx.connect().await?;
            let applied = crate::store::migrate(&db).await?;
            println!("{applied} migration(s) applied; the schema is up to date");
            Ok(())
        }
    }
}
