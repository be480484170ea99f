//! `foi complaint REF --out DIR`: what the ICO or the Scottish Information Commissioner asks
//! for on its web form, ready to upload: the complaint text, the request, the council's
//! response(s), the review request and the review outcome as files, and a summary of the
//! dates with the end of the complaint window. `--submitted DATE` records that staff made it.

use super::lifecycle::advance_from;
use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::calendar::{london_date, ClockEventKind, Regime};
use crate::domain::lifecycle::Trigger;
use crate::domain::{Direction, EventName, MessageKind, MessageState, RequestState};
use crate::store::inbound::MessageModel;
use crate::store::{clock_events, events, inbound, messages, requests, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::TransactionTrait;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct PrepareComplaint {
    pub reference: String,
    pub out: PathBuf,
    /// The day staff submitted it on the regulator's form, if they have.
    pub submitted: Option<NaiveDate>,
    pub actor: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ComplaintBundle {
    pub reference: String,
    pub regulator: String,
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
    pub complaint_window_end: Option<NaiveDate>,
    /// Things staff must know before submitting (no review yet, say).
    pub warnings: Vec<String>,
    pub submitted: Option<NaiveDate>,
}

/// One dated step of the request's history, for the summary.
#[derive(Debug, Clone, serde::Serialize)]
struct Step {
    date: Option<NaiveDate>,
    what: String,
}

#[tracing::instrument(skip_all, fields(reference = %input.reference))]
pub async fn prepare(
    app: &AppContext,
    now: DateTime<Utc>,
    input: PrepareComplaint,
) -> ServiceResult<ComplaintBundle> {
    use RequestState as S;
    let r = requests::get_by_reference(&app.db, &input.reference).await?;
    let regime = super::deadlines::regime_of(&r)?;
    let reviewed = matches!(
        r.state,
        S::InternalReview | S::ReviewUpheld | S::ReviewOverturned | S::Complaint
    );
    let answered_or_late = matches!(
        r.state,
        S::Refused | S::PartiallySuccessful | S::NotHeld | S::Overdue | S::VeryOverdue
    );
    if !(reviewed || answered_or_late) {
        return Err(ServiceError::refused(format!(
            "{} is {}: a complaint follows a refusal, a partial or \"not held\" answer, a late \
             answer, or an internal review",
            r.reference, r.state
        )));
    }
    let mut warnings = Vec::new();
    if !reviewed {
        if regime.is_scottish() {
            return Err(ServiceError::refused(format!(
                "{}: the Scottish Information Commissioner only considers an application after a \
                 review has been required (FOISA s.47(1)); draft one with `foi review {}`",
                r.reference, r.reference
            )));
        }
        warnings.push(
            "no internal review is recorded: the ICO normally expects the council's review to be \
             finished first (`foi review`)"
                .to_string(),
        );
    }
    if let Some(on) = input.submitted {
        if on > london_date(now) {
            return Err(ServiceError::refused(format!(
                "--submitted {on} is in the future"
            )));
        }
    }
    let d = requests::deadlines_of(&r)?;
    let window = d.as_ref().and_then(|d| d.complaint_window_end);
    if window.is_none() && !regime.is_scottish() {
        warnings.push(
            "no review outcome is recorded, so the window cannot be counted from it: the ICO asks \
             for complaints within six weeks of the last substantive contact with the council"
                .to_string(),
        );
    }
    if let Some(w) = window.filter(|w| *w < london_date(now)) {
        warnings.push(format!(
            "the complaint window ended on {w}: say why the complaint is late"
        ));
    }

    let cal = app.calendar().await?;
    let complaint = super::follow_up::render(
        app,
        &app.db,
        &cal,
        &r,
        "regulator-complaint",
        london_date(now),
    )
    .await?;
    let mail = messages::for_request(&app.db, r.id).await?;
    let clock = clock_events::rows(&app.db, r.id).await?;
    let clock_date = |k: ClockEventKind| {
        clock
            .iter()
            .filter(|c| c.kind == k.as_str())
            .map(|c| c.date)
            .max()
    };
    let review_requested = clock_date(ClockEventKind::InternalReviewRequested);
    let review_outcome = clock_date(ClockEventKind::ReviewOutcomeReceived);
    let answer = super::follow_up::answer_of(&app.db, &r, regime).await?;

    let dir = input.out.join(&r.reference);
    let disk = |e: std::io::Error, path: &Path| ServiceError::Disk {
        dir: path.display().to_string(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(&dir).map_err(|e| disk(e, &dir))?;
    let mut files = Vec::new();
    put(
        &dir,
        &mut files,
        "complaint.txt".into(),
        format!("{}\n\n{}", complaint.subject, complaint.body).as_bytes(),
    )?;
    put(
        &dir,
        &mut files,
        "1-request.txt".into(),
        letter_text(
            &r.subject,
            r.to_address.as_deref().unwrap_or("-"),
            r.sent_at.map(london_date),
            &r.body,
        )
        .as_bytes(),
    )?;
    let review_letter = mail.iter().find(|m| {
        m.direction == Direction::Outbound
            && m.kind == MessageKind::InternalReview
            && matches!(m.state, MessageState::Sent | MessageState::Queued)
    });
    let review_sent_at = review_letter.and_then(|m| m.sent_at.or(Some(m.created_at)));
    for m in mail
        .iter()
        .filter(|m| m.direction == Direction::Inbound && m.kind == MessageKind::Response)
    {
        let after_review = review_sent_at.is_some_and(|at| m.received_at.is_some_and(|r| r > at));
        let prefix = if after_review {
            format!("4-review-outcome-{}", m.id)
        } else {
            format!("2-response-{}", m.id)
        };
        put(
            &dir,
            &mut files,
            format!("{prefix}.txt"),
            reply_text(m).as_bytes(),
        )?;
        for a in inbound::attachments(&app.db, m.id).await? {
            let bytes = std::fs::read(&a.path).map_err(|e| ServiceError::Disk {
                dir: a.path.clone(),
                message: format!("attachment {} ({}): {e}", a.id, a.filename),
            })?;
            put(&dir, &mut files, format!("{prefix}-{}", a.filename), &bytes)?;
        }
    }
    if let Some(m) = review_letter {
        put(
            &dir,
            &mut files,
            "3-review-request.txt".into(),
            letter_text(&m.subject, &m.to_addr, m.sent_at.map(london_date), &m.body).as_bytes(),
        )?;
    }

    let regulator = format!("the {}", regime.regulator());
    let mut steps = vec![
        Step {
            date: r.sent_at.map(london_date),
            what: "request sent".into(),
        },
        Step {
            date: clock_date(ClockEventKind::Received),
            what: "date of receipt (the statutory clock starts)".into(),
        },
        Step {
            date: d.as_ref().and_then(|d| d.response_due),
            what: "response due".into(),
        },
    ];
    if let Some(a) = &answer {
        let exemptions: Vec<String> = a
            .exemptions
            .iter()
            .map(|e| {
                if e.name.is_empty() {
                    e.code.clone()
                } else {
                    format!("{} ({})", e.code, e.name)
                }
            })
            .collect();
        steps.push(Step {
            date: a.received_on,
            what: format!(
                "response received: {}{}",
                a.outcome,
                if exemptions.is_empty() {
                    String::new()
                } else {
                    format!(", citing {}", exemptions.join(", "))
                }
            ),
        });
    }
    steps.push(Step {
        date: review_requested,
        what: "internal review requested".into(),
    });
    steps.push(Step {
        date: d.as_ref().and_then(|d| d.review_due),
        what: "review due".into(),
    });
    if regime == Regime::Foia {
        steps.push(Step {
            date: d.as_ref().and_then(|d| d.review_due_max),
            what: "review due at the latest (40 working days, exceptional cases)".into(),
        });
    }
    steps.push(Step {
        date: review_outcome,
        what: match r.state {
            S::ReviewOverturned => "review outcome received: the answer was overturned".into(),
            _ => "review outcome received".into(),
        },
    });
    steps.push(Step {
        date: window,
        what: format!(
            "last day to {} {} ({})",
            if regime.is_scottish() {
                "apply to"
            } else {
                "complain to"
            },
            regulator,
            if regime.is_scottish() {
                "six months, FOISA s.47"
            } else {
                "six weeks after the review outcome, the ICO's policy"
            }
        ),
    });
    let steps: Vec<Step> = steps.into_iter().filter(|s| s.date.is_some()).collect();
    let mut summary = format!(
        "{} to {}: {} [{}]\n\n",
        if regime.is_scottish() {
            "Application"
        } else {
            "Complaint"
        },
        regulator,
        r.subject,
        r.reference
    );
    for s in &steps {
        if let Some(date) = s.date {
            summary.push_str(&format!("{date}  {}\n", s.what));
        }
    }
    if !warnings.is_empty() {
        summary.push_str("\nbefore submitting:\n");
        for w in &warnings {
            summary.push_str(&format!("- {w}\n"));
        }
    }
    summary.push_str(&format!(
        "\nfiles in this folder, to attach on the form:\n{}",
        files
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| format!("- {}\n", n.to_string_lossy()))
            .collect::<String>()
    ));
    put(&dir, &mut files, "summary.txt".into(), summary.as_bytes())?;
    let json = serde_json::json!({
        "reference": r.reference,
        "regulator": regulator,
        "regime": regime.as_str(),
        "steps": steps,
        "complaint_window_end": window,
        "warnings": warnings,
    });
    put(
        &dir,
        &mut files,
        "summary.json".into(),
        serde_json::to_string_pretty(&json)
            .map_err(|e| StoreError::Invalid(e.to_string()))?
            .as_bytes(),
    )?;

    let txn = app.db.begin().await?;
    events::record(
        &txn,
        r.id,
        now,
        EventName::ComplaintPrepared,
        format!(
            "a complaint to {regulator} was prepared in {}{}",
            dir.display(),
            window
                .map(|w| format!("; the window ends on {w}"))
                .unwrap_or_default()
        ),
        &input.actor,
        None,
    )
    .await?;
    if let Some(on) = input.submitted {
        advance_from(
            &txn,
            &r,
            r.state,
            Trigger::ComplaintMade,
            Some(format!("complaint submitted to {regulator} on {on}")),
            &input.actor,
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(ComplaintBundle {
        reference: r.reference,
        regulator,
        dir,
        files,
        complaint_window_end: window,
        warnings,
        submitted: input.submitted,
    })
}

/// Writes one file of the bundle under a safe name.
fn put(dir: &Path, files: &mut Vec<PathBuf>, name: String, bytes: &[u8]) -> ServiceResult<()> {
    let path = dir.join(crate::mail::inbound::safe_filename(&name));
    std::fs::write(&path, bytes).map_err(|e| ServiceError::Disk {
        dir: path.display().to_string(),
        message: e.to_string(),
    })?;
    files.push(path);
    Ok(())
}

fn letter_text(subject: &str, to: &str, sent: Option<NaiveDate>, body: &str) -> String {
    format!(
        "To: {to}\nSent: {}\nSubject: {subject}\n\n{body}",
        sent.map(|d| d.to_string())
            .unwrap_or_else(|| "not yet".into())
    )
}

fn reply_text(m: &MessageModel) -> String {
    format!(
        "From: {}\nReceived: {}\nSubject: {}\n\n{}",
        m.from_addr,
        m.received_at
            .map(|d| london_date(d).to_string())
            .unwrap_or_default(),
        m.subject,
        m.body
    )
}

/// The complaint bundle as one zip file, for the dashboard's download: prepared as
/// `foi complaint` prepares it, in a scratch folder that is removed afterwards.
pub async fn prepare_zip(
    app: &AppContext,
    now: DateTime<Utc>,
    reference: &str,
    submitted: Option<NaiveDate>,
    actor: &str,
) -> ServiceResult<(ComplaintBundle, Vec<u8>)> {
    use std::io::Write as _;
    let scratch = tempfile::tempdir().map_err(|e| ServiceError::Disk {
        dir: std::env::temp_dir().display().to_string(),
        message: e.to_string(),
    })?;
    let bundle = prepare(
        app,
        now,
        PrepareComplaint {
            reference: reference.to_string(),
            out: scratch.path().to_path_buf(),
            submitted,
            actor: actor.to_string(),
        },
    )
    .await?;
    let fail = |e: String| ServiceError::Files(format!("the complaint bundle: {e}"));
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for f in &bundle.files {
        let name = f
            .strip_prefix(scratch.path())
            .unwrap_or(f)
            .display()
            .to_string();
        let bytes = std::fs::read(f).map_err(|e| fail(format!("{name}: {e}")))?;
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .map_err(|e| fail(e.to_string()))?;
        w.write_all(&bytes).map_err(|e| fail(e.to_string()))?;
    }
    let bytes = w.finish().map_err(|e| fail(e.to_string()))?.into_inner();
    Ok((bundle, bytes))
}
