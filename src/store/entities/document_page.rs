use sea_orm::entity::prelude::*;

/// One page of a document's text (a sheet of a spreadsheet; the whole text for formats
/// without pages). `search_text` is the page folded for the search index.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "document_pages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub document_id: i32,
    pub page: i32,
    pub text: String,
    pub ocr: bool,
    pub search_text: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
