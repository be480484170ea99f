use crate::domain::{DocumentKind, DocumentStatus};
use sea_orm::entity::prelude::*;

/// A document a council sent: an inbound message's own text (`attachment_id` None) or one of
/// its attachments, with where its text extraction stands.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub message_id: i32,
    pub attachment_id: Option<i32>,
    pub name: String,
    pub content_type: String,
    pub status: DocumentStatus,
    pub reason: Option<String>,
    pub format: Option<String>,
    pub pages: i32,
    pub ocr_pages: i32,
    pub kind: Option<DocumentKind>,
    pub publishable: bool,
    pub attempts: i32,
    pub lease_until: Option<DateTimeUtc>,
    pub claimed_by: Option<String>,
    pub created_at: DateTimeUtc,
    pub extracted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
