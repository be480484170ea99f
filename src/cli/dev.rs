//! `foi dev`: tools for developers and benchmarks, not for campaign work (hidden from
//! `foi --help`, documented in README.md and BENCHMARKS.md).

use super::{output, Ctx};
use crate::services::generate::{self, Generate};

#[derive(Debug, clap::Subcommand)]
pub enum DevCommand {
    /// Fill an empty database with a made-up history: authorities, twinning links, and
    /// requests in every state with their mail, clock events, classifications and timeline.
    /// The same seed gives the same database.
    Generate {
        #[arg(long, default_value_t = 400)]
        authorities: usize,
        #[arg(long, default_value_t = 1000)]
        requests: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(ctx: &Ctx, c: DevCommand) -> anyhow::Result<()> {
    match c {
        DevCommand::Generate {
            authorities,
            requests,
            seed,
            json,
        } => {
            let app = ctx.app().await?;
            let started = std::time::Instant::now();
            let g = generate::generate(
                &app,
                ctx.clock(),
                Generate {
                    authorities,
                    requests,
                    seed,
                },
            )
            .await?;
            if json {
                return output::json(&g);
            }
            println!(
                "generated in {:.1} s: {} authorities, {} twinning links, {} campaigns, {} requests, \
                 {} messages, {} timeline events, {} clock events, {} classifications, {} chases, {} staff tasks",
                started.elapsed().as_secs_f64(),
                g.authorities,
                g.links,
                g.campaigns,
                g.requests,
                g.messages,
                g.events,
                g.clock_events,
                g.classifications,
                g.chases,
                g.tasks
            );
            let rows: Vec<Vec<String>> = g
                .by_state
                .iter()
                .map(|(s, n)| vec![s.clone(), n.to_string()])
                .collect();
            output::table(&["state", "requests"], &rows);
            Ok(())
        }
    }
}
