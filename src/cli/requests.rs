use super::{output, Ctx};
use crate::domain::RequestState;
use crate::store::{events, requests};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum RequestsCommand {
    /// List requests.
    List {
        #[arg(long, value_enum)]
        state: Option<RequestState>,
        #[arg(long)]
        authority: Option<String>,
        #[arg(long)]
        campaign: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show one request: the letter, its state and its timeline.
    Show {
        reference: String,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(ctx: &Ctx, cmd: RequestsCommand) -> anyhow::Result<()> {
    let db = ctx.db().await?;
    match cmd {
        RequestsCommand::List {
            state,
            authority,
            campaign,
            json,
        } => {
            let filter = requests::RequestFilter {
                state,
                authority_slug: authority,
                campaign,
            };
            let rows = requests::list(&db, &filter).await?;
            if json {
                return output::json(&rows);
            }
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.reference.clone(),
                        r.state.clone(),
                        r.authority.clone(),
                        output::or_dash(r.partner_city.as_deref()),
                        output::or_dash(r.campaign.as_deref()),
                        r.template.clone(),
                        r.created_at.format("%Y-%m-%d").to_string(),
                    ]
                })
                .collect();
            output::table(
                &[
                    "REFERENCE",
                    "STATE",
                    "AUTHORITY",
                    "PARTNER",
                    "CAMPAIGN",
                    "TEMPLATE",
                    "CREATED",
                ],
                &table,
            );
            Ok(())
        }
        RequestsCommand::Show { reference, json } => {
            let model = requests::get_by_reference(&db, &reference).await?;
            let body = model.body.clone();
            let id = model.id;
            let row = requests::rows_for(&db, vec![model]).await?.remove(0);
            let timeline = events::timeline(&db, id).await?;
            if json {
                let mut v = serde_json::to_value(&row)?;
                v["body"] = body.into();
                v["timeline"] = serde_json::to_value(
                    timeline
                        .iter()
                        .map(|e| serde_json::json!({"at": e.at, "kind": e.kind, "detail": e.detail, "actor": e.actor}))
                        .collect::<Vec<_>>(),
                )?;
                return output::json(&v);
            }
            println!("{}  [{}]  {}", row.reference, row.state, row.regime);
            println!("authority: {} ({})", row.authority_name, row.authority);
            if let Some(c) = &row.partner_city {
                println!("about:     twinning link with {c}");
            }
            if let Some(c) = &row.campaign {
                println!("campaign:  {c}");
            }
            println!("template:  {}", row.template);
            println!("created:   {}", row.created_at.format("%Y-%m-%d %H:%M UTC"));
            if let Some(s) = row.sent_at {
                println!("sent:      {}", s.format("%Y-%m-%d %H:%M UTC"));
            }
            println!("\nTo: {}", output::or_dash(row.to_address.as_deref()));
            println!("Reply-To: {}", row.reply_to);
            println!("Subject: {}\n", row.subject);
            print!("{body}");
            println!("\ntimeline:");
            for e in &timeline {
                println!(
                    "  {}  {:<18} {}  ({})",
                    e.at.format("%Y-%m-%d %H:%M"),
                    e.kind,
                    e.detail,
                    e.actor
                );
            }
            Ok(())
        }
    }
}
