use crate::domain::MessageKind;
use sea_orm::entity::prelude::*;

/// One chase (reminder, internal review, complaint) made for one period of waiting; unique
/// per (request, kind, period).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub request_id: i32,
    pub kind: MessageKind,
    /// The due date when the chase was made (for the record).
    pub deadline: Date,
    pub message_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub period: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
