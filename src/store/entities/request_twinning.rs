use sea_orm::entity::prelude::*;

/// One twinning link a request is about; a letter covering all of a council's links has a
/// row for each.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_twinnings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub twinning_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
