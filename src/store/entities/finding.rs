use crate::domain::{CommitmentArea, FindingField, FindingState};
use sea_orm::entity::prelude::*;

/// One fact (or suggested fact) about a twinning link, with its source: a document and page,
/// or a message.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "findings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub twinning_id: i32,
    pub field: FindingField,
    pub area: Option<CommitmentArea>,
    pub value: String,
    pub state: FindingState,
    pub document_id: Option<i32>,
    pub page: Option<i32>,
    pub message_id: Option<i32>,
    /// For a suggestion: the rule that proposed it.
    pub rule: Option<String>,
    /// For a suggestion: the words around it.
    pub excerpt: Option<String>,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
    pub created_by: String,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
