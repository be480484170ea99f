//! `foi search`: every inbound message and document, the same on SQLite and PostgreSQL.

use super::{ServiceError, ServiceResult};
use crate::app::AppContext;
use crate::search::{parse_query, snippet, Snippet};
use crate::store::documents::{self, SearchScope};
use crate::store::{authorities, campaigns};
use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub struct Search {
    pub text: String,
    pub authority: Option<String>,
    pub campaign: Option<String>,
    pub limit: u64,
}

/// One page that holds what was looked for.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Hit {
    /// The council (slug), or None for mail not yet filed under a request.
    pub authority: Option<String>,
    pub authority_name: Option<String>,
    /// The requests the message is filed under.
    pub references: Vec<String>,
    pub document: i32,
    /// "message text" or the attachment's name.
    pub name: String,
    pub page: i32,
    /// The page's text came from OCR.
    pub ocr: bool,
    pub message_id: i32,
    pub snippet: Snippet,
    /// Watch-list names on the page.
    pub watch: Vec<String>,
}

pub async fn search(app: &AppContext, input: Search) -> ServiceResult<Vec<Hit>> {
    let db = &app.db;
    let query = parse_query(&input.text).map_err(|e| ServiceError::refused(e.to_string()))?;
    let authority_id = match &input.authority {
        Some(slug) => Some(authorities::get_by_slug(db, slug).await?.id),
        None => None,
    };
    let campaign_id = match &input.campaign {
        Some(name) => Some(
            campaigns::find(db, name)
                .await?
                .ok_or_else(|| ServiceError::refused(format!("no campaign named '{name}'")))?
                .id,
        ),
        None => None,
    };
    let ids = documents::search(
        db,
        &query,
        &SearchScope {
            authority_id,
            campaign_id,
            limit: if input.limit == 0 { 50 } else { input.limit },
        },
    )
    .await?;
    let pages: HashMap<i32, documents::PageModel> = documents::pages_by_id(db, &ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut hits = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(p) = pages.get(&id) else { continue };
        let d = documents::get(db, p.document_id).await?;
        let (mut references, mut authority, mut authority_name) = (Vec::new(), None, None);
        for r in super::documents::filed_under(db, d.message_id).await?.1 {
            if authority.is_none() {
                let a = authorities::get(db, r.authority_id).await?;
                authority = Some(a.slug);
                authority_name = Some(a.name);
            }
            references.push(r.reference);
        }
        hits.push(Hit {
            authority,
            authority_name,
            references,
            document: d.id,
            name: d.name,
            page: p.page,
            ocr: p.ocr,
            message_id: d.message_id,
            snippet: snippet(&p.text, &query.phrases, 160),
            watch: crate::store::findings::hits_on(db, d.id, p.page).await?,
        });
    }
    Ok(hits)
}
