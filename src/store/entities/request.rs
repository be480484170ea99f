use crate::domain::{Channel, RequestState};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub reference: String,
    pub authority_id: i32,
    pub campaign_id: Option<i32>,
    pub twinning_id: Option<i32>,
    pub template: String,
    pub regime: String,
    pub state: RequestState,
    pub subject: String,
    pub body: String,
    pub reply_to: String,
    pub to_address: Option<String>,
    pub vars: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub response_due: Option<Date>,
    pub deadlines: Option<String>,
    pub channel: Channel,
    /// The case number a council's web form gave (portal requests).
    pub portal_reference: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::authority::Entity",
        from = "Column::AuthorityId",
        to = "super::authority::Column::Id"
    )]
    Authority,
    #[sea_orm(has_many = "super::event::Entity")]
    Event,
}

impl Related<super::authority::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Authority.def()
    }
}

impl Related<super::event::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Event.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
