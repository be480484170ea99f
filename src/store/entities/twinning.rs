use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "twinnings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub authority_id: i32,
    pub uk_place: String,
    pub partner_city: String,
    pub partner_province: String,
    pub relationship: String,
    pub since_year: Option<i32>,
    pub status: String,
    pub ended_year: Option<i32>,
    pub source: Option<String>,
    pub notes: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::authority::Entity",
        from = "Column::AuthorityId",
        to = "super::authority::Column::Id"
    )]
    Authority,
}

impl Related<super::authority::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Authority.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
