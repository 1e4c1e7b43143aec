//! One error type for the whole app. Client errors carry text that is safe to show; internal
//! errors log their cause chain once, under a reference id, and show only that id.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    /// The caller could not be authenticated; the text is safe to show.
    #[error("{0}")]
    Unauthorized(String),
    /// The in-app session token expired: the user reloads the page in Jira to get a new one.
    #[error("Your session has expired. Reload the page in your browser to continue.")]
    SessionExpired,
    #[error("{0}")]
    Forbidden(String),
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    Unavailable { message: String },
    #[error("Something went wrong on our side. Reference: {reference}")]
    Internal { reference: String },
}

impl AppError {
    /// Logs `cause` (with its source chain) under a fresh reference id shown to the user.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let reference = crate::crypto::random_token::<6>().unwrap_or_else(|_| "unavailable".into());
        // Causes can quote what a caller sent (a parse error, a path): escaped, one line.
        tracing::error!(error.reference = %reference, error.cause = ?cause.to_string(), "internal error");
        Self::Internal { reference }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) | Self::SessionExpired => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status());
        if matches!(self, Self::Unavailable { .. }) {
            response.insert_header(("Retry-After", DATABASE_RETRY_AFTER_SECONDS.to_string()));
        }
        response
            .content_type("text/plain; charset=utf-8")
            .body(self.to_string())
    }
}

/// What a 503 for a lost database asks clients to wait before retrying.
pub const DATABASE_RETRY_AFTER_SECONDS: u32 = 5;

impl AppError {
    /// The database cannot be reached right now (logged once here, without the URL).
    fn database_unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(error.cause = %cause, "database unavailable");
        Self::Unavailable {
            message: "The service cannot reach its database right now. Try again in a few seconds."
                .into(),
        }
    }
}

impl From<r2d2::Error> for AppError {
    fn from(err: r2d2::Error) -> Self {
        Self::database_unavailable(format!("database pool: {err}"))
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        match err {
            diesel::result::Error::NotFound => Self::NotFound,
            // The database went away (restart, network cut): 503 and a retry, not a 500.
            other @ (diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ClosedConnection
                | diesel::result::DatabaseErrorKind::UnableToSendCommand,
                _,
            )
            | diesel::result::Error::BrokenTransactionManager) => {
                Self::database_unavailable(format!("database: {other}"))
            }
            other => Self::internal(format!("database: {other}")),
        }
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        Self::internal(format!("blocking task: {err}"))
    }
}

impl From<crate::crypto::CryptoError> for AppError {
    fn from(err: crate::crypto::CryptoError) -> Self {
        Self::internal(format!("crypto: {err}"))
    }
}

impl From<askama::Error> for AppError {
    fn from(err: askama::Error) -> Self {
        Self::internal(format!("template: {err}"))
    }
}
