//! What foi knows about a released document's text, and what staff say it is.

use crate::stored_enum;

stored_enum! {
    /// Where a document's text extraction stands.
    pub enum DocumentStatus ("a document status") {
        /// Waiting for the `extract` job (or `foi documents extract`).
        Pending = "pending",
        /// Every page read.
        Extracted = "extracted",
        /// Some pages have no text (scanned pages without OCR, pages past the limit).
        Partial = "partial",
        /// Nothing could be read; the reason says why.
        Failed = "failed",
        /// A format foi does not read.
        Unsupported = "unsupported",
    }
}

stored_enum! {
    /// What a document is, as staff tag it.
    pub enum DocumentKind ("a document kind") {
        Agreement = "agreement",
        Mou = "mou",
        Renewal = "renewal",
        ActionPlan = "action_plan",
        Review = "review",
        Minutes = "minutes",
        Correspondence = "correspondence",
        Other = "other",
    }
}
