use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "authorities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub nation: String,
    pub regime: String,
    pub foi_email: Option<String>,
    pub foi_email_source: Option<String>,
    pub website: Option<String>,
    pub tags: String,
    pub notes: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::twinning::Entity")]
    Twinning,
    #[sea_orm(has_many = "super::request::Entity")]
    Request,
}

impl Related<super::twinning::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Twinning.def()
    }
}

impl Related<super::request::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Request.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
