//! What a handler answers when a use case says no: the service's own message (written for
//! staff) on an error page, or as JSON under `/api/`; a database failure is logged and shown
//! only as "try again".

use crate::services::ServiceError;
use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct WebError {
    pub status: StatusCode,
    pub message: String,
    /// Answer as JSON (an `/api/` route) rather than a page.
    pub json: bool,
}

impl WebError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        WebError {
            status,
            message: message.into(),
            json: false,
        }
    }

    pub fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn json(mut self) -> Self {
        self.json = true;
        self
    }
}

impl From<ServiceError> for WebError {
    fn from(e: ServiceError) -> Self {
        let status = match &e {
            ServiceError::Store(StoreError::NotFound(_)) => StatusCode::NOT_FOUND,
            ServiceError::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
            ServiceError::Store(StoreError::Db(_)) | ServiceError::Disk { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ServiceError::Files(_) | ServiceError::Transport(_) | ServiceError::Inbox(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %e, "dashboard request failed");
        }
        let message = if e.is_temporary() {
            "the database or the disk did not answer; nothing was changed, try again".to_string()
        } else {
            e.to_string()
        };
        WebError::new(status, message)
    }
}

impl From<anyhow::Error> for WebError {
    fn from(e: anyhow::Error) -> Self {
        tracing::error!(error = %e, "dashboard request failed");
        WebError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if self.json {
            return (
                self.status,
                axum::Json(serde_json::json!({ "error": self.message })),
            )
                .into_response();
        }
        (
            self.status,
            super::views::error_page(self.status, &self.message),
        )
            .into_response()
    }
}

pub type WebResult<T> = Result<T, WebError>;
