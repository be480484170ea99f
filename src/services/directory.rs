//! Reading the directory staff work from: the authorities, their twinning links, the requests
//! made to each; the outbox and the holding pen of unmatched mail.

use super::ServiceResult;
use crate::app::AppContext;
use crate::domain::{MessageState, TwinningStatus};
use crate::store::authorities::AuthorityModel;
use crate::store::inbound::MessageModel;
use crate::store::requests::{RequestFilter, RequestRow};
use crate::store::twinnings::TwinningModel;
use crate::store::{authorities, inbound, messages, requests, twinnings};
use std::collections::HashMap;

pub async fn authorities(
    app: &AppContext,
    tag: Option<&str>,
) -> ServiceResult<Vec<AuthorityModel>> {
    Ok(authorities::list(&app.db, tag).await?)
}

/// One authority with its twinning links and the requests made to it.
#[derive(Debug, Clone)]
pub struct AuthorityDetail {
    pub authority: AuthorityModel,
    pub links: Vec<TwinningModel>,
    pub requests: Vec<RequestRow>,
}

pub async fn authority(app: &AppContext, slug: &str) -> ServiceResult<AuthorityDetail> {
    let authority = authorities::get_by_slug(&app.db, slug).await?;
    let links = twinnings::for_authority(&app.db, authority.id).await?;
    let requests = requests::list(
        &app.db,
        &RequestFilter {
            authority_slug: Some(authority.slug.clone()),
            ..Default::default()
        },
    )
    .await?;
    Ok(AuthorityDetail {
        authority,
        links,
        requests,
    })
}

pub async fn twinnings(
    app: &AppContext,
    status: Option<TwinningStatus>,
) -> ServiceResult<Vec<(TwinningModel, AuthorityModel)>> {
    Ok(twinnings::list(&app.db, status, None).await?)
}

/// An outgoing message with the reference of its request (none for staff mail).
#[derive(Debug, Clone)]
pub struct OutboxLine {
    pub message: MessageModel,
    pub reference: Option<String>,
}

/// `foi outbox list [--state S]`.
pub async fn outbox(
    app: &AppContext,
    state: Option<MessageState>,
) -> ServiceResult<Vec<OutboxLine>> {
    let list = messages::list_outbound(&app.db, state).await?;
    let ids: Vec<i32> = list.iter().filter_map(|m| m.request_id).collect();
    let refs: HashMap<i32, String> = requests::references_by_id(&app.db, &ids).await?;
    Ok(list
        .into_iter()
        .map(|m| OutboxLine {
            reference: m.request_id.and_then(|i| refs.get(&i).cloned()),
            message: m,
        })
        .collect())
}

/// The holding pen: mail that could not be tied to a request.
pub async fn unmatched(app: &AppContext) -> ServiceResult<Vec<MessageModel>> {
    Ok(inbound::unmatched(&app.db).await?)
}

/// The parser's warnings stored with a message.
pub fn warnings(m: &MessageModel) -> Vec<String> {
    inbound::warnings(m)
}
