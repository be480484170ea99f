use super::{output, Ctx};
use crate::domain::Direction;
use crate::services::messages::{self, AttachmentLine, MessageDetail, OutcomeLine};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum MessagesCommand {
    /// One message, in or out: its header fields, its text, its attachments, the requests it
    /// is filed under, the outcome staff recorded and the parser's warnings.
    Show {
        id: i32,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(ctx: &Ctx, cmd: MessagesCommand) -> anyhow::Result<()> {
    let app = ctx.app().await?;
    match cmd {
        MessagesCommand::Show { id, json } => {
            let d = messages::show(&app, id).await?;
            if json {
                return output::json(&d);
            }
            print_detail(&d);
            Ok(())
        }
    }
}

/// A message as staff read it: the header block, the text, then what belongs with it.
pub(super) fn print_detail(d: &MessageDetail) {
    let way = match d.direction {
        Direction::Inbound => "in",
        Direction::Outbound => "out",
    };
    println!("message {}  {way}  {}  [{}]", d.id, d.kind, d.state);
    println!("From:        {}", output::or_dash(Some(&d.from)));
    println!("To:          {}", output::or_dash(Some(&d.to)));
    if let Some(r) = &d.reply_to {
        println!("Reply-To:    {r}");
    }
    if let Some(date) = d.date {
        println!("Date:        {}", date.format("%Y-%m-%d %H:%M UTC"));
    }
    if let Some(at) = d.received_at {
        println!("Received:    {}", at.format("%Y-%m-%d %H:%M UTC"));
    }
    if d.direction == Direction::Outbound {
        println!("Created:     {}", d.created_at.format("%Y-%m-%d %H:%M UTC"));
    }
    println!("Subject:     {}", output::printable(&d.subject));
    println!(
        "Filed under: {}",
        if d.requests.is_empty() {
            "no request (the holding pen: `foi inbox assign`)".to_string()
        } else {
            d.requests.join(", ")
        }
    );
    if let Some(id) = &d.message_id {
        println!("Message-ID:  {id}");
    }
    if let (Some(at), Some(by)) = (d.edited_at, &d.edited_by) {
        println!(
            "Edited:      {} by {by} (sent as edited)",
            at.format("%Y-%m-%d %H:%M UTC")
        );
    }
    if d.sender_flagged {
        println!("Note:        the sender is not at the council's FOI address domain");
    }
    if let Some(e) = &d.last_error {
        println!("Last error:  {e}");
    }
    for o in &d.outcomes {
        println!("Outcome:     {}", describe_outcome(o));
    }
    println!();
    if d.body.trim().is_empty() {
        println!("(no text)");
    } else {
        println!("{}", d.body.trim_end());
    }
    if !d.attachments.is_empty() {
        println!("\nattachments:");
        for a in &d.attachments {
            println!("  {}", describe_attachment(a));
        }
    }
    if !d.parse_warnings.is_empty() {
        println!("\nparse warnings:");
        for w in &d.parse_warnings {
            println!("  {w}");
        }
    }
}

/// `#7 Report.pdf (application/pdf, 12.3 KB)`, with the name it is saved under when that
/// differs.
pub(super) fn describe_attachment(a: &AttachmentLine) -> String {
    let name = output::printable(&a.name);
    let saved = if a.filename != a.name {
        format!("; saved as {}", a.filename)
    } else {
        String::new()
    };
    format!(
        "#{} {name} ({}, {}{saved})",
        a.id,
        a.content_type,
        output::size(a.size)
    )
}

pub(super) fn describe_outcome(o: &OutcomeLine) -> String {
    let mut s = o.outcome.clone();
    if !o.exemptions.is_empty() {
        s.push_str(&format!(" ({})", o.exemptions.join(", ")));
    }
    if let Some(n) = &o.note {
        s.push_str(&format!(": {n}"));
    }
    s.push_str(&format!(
        "  [{} recorded {} by {}]",
        o.reference,
        o.recorded_at.format("%Y-%m-%d"),
        o.recorded_by
    ));
    s
}
