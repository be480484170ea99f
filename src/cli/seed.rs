use super::{output, Ctx};

#[derive(Debug, clap::Args)]
pub struct SeedArgs {
    #[arg(long)]
    json: bool,
}

pub async fn run(ctx: &Ctx, args: SeedArgs) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    let s = crate::services::seed::run(&app).await?;
    if args.json {
        return output::json(&s);
    }
    let t = &s.twinnings;
    println!(
        "seeded: {} authorities created, {} twinning links created, {} updated, {} unchanged; {} FOI addresses filled",
        t.authorities_created, t.links_created, t.links_updated, t.links_unchanged, s.emails_filled
    );
    if !s.authorities_without_email.is_empty() {
        println!(
            "{} authorities have no known FOI address (set one with `foi authorities set-email SLUG ADDRESS`):",
            s.authorities_without_email.len()
        );
        for slug in &s.authorities_without_email {
            println!("  {slug}");
        }
    }
    Ok(())
}
