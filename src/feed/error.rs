//! Errors of the BI endpoints, each rendered the way its client expects: OData's
//! `{"error":{"code","message"}}` with `OData-Version: 4.0`, plain text for CSV, a JSON error
//! for the JSON feed. Messages tell the user what to do; internal details stay in the log.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, RETRY_AFTER, WWW_AUTHENTICATE};
use serde_json::json;

use super::export::ExportError;
use crate::error::AppError;
use crate::jira::client::JiraError;
use crate::jira::credentials::CredentialsError;
use crate::tokens::auth::{CHALLENGE, TokenAuthError};

/// `Content-Type` of every OData JSON answer (errors included).
pub const ODATA_JSON: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false";

/// Which kind of client is asking (decides how an error is written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    OData,
    Csv,
    Json,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OData => "odata",
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedError {
    pub status: StatusCode,
    /// A stable, machine-readable code (OData's `error.code`).
    pub code: &'static str,
    pub message: String,
    /// Send `WWW-Authenticate` (only for our own 401s).
    pub challenge: bool,
    /// Seconds for `Retry-After` (a 503 without one gets 60).
    pub retry_after: Option<u32>,
}

impl FeedError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            challenge: false,
            retry_after: None,
        }
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            "No such data source. Check the feed URL; a data source can only be read with an access token of its owner.",
        )
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    pub fn not_implemented(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_IMPLEMENTED, "NotImplemented", message)
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        Self::from(AppError::internal(err))
    }

    /// Writes the error for `format`.
    pub fn response(&self, format: Format) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        builder.insert_header((CACHE_CONTROL, "no-store"));
        if self.challenge {
            builder.insert_header((WWW_AUTHENTICATE, CHALLENGE));
        }
        let retry_after = self
            .retry_after
            .or((self.status == StatusCode::SERVICE_UNAVAILABLE).then_some(60));
        if let Some(seconds) = retry_after {
            builder.insert_header((RETRY_AFTER, seconds.to_string()));
        }
        let body = json!({"error": {"code": self.code, "message": self.message}});
        match format {
            Format::OData => builder
                .insert_header(("OData-Version", "4.0"))
                .content_type(ODATA_JSON)
                .body(body.to_string()),
            Format::Json => builder
                .content_type("application/json")
                .body(body.to_string()),
            Format::Csv => builder
                .content_type("text/plain; charset=utf-8")
                .body(format!("{}\n", self.message)),
        }
    }
}

impl From<AppError> for FeedError {
    fn from(err: AppError) -> Self {
        let code = match &err {
            AppError::BadRequest(_) => "BadRequest",
            AppError::Unauthorized(_) | AppError::SessionExpired => "Unauthorized",
            AppError::Forbidden(_) => "Forbidden",
            AppError::NotFound => "NotFound",
            AppError::Conflict(_) => "Conflict",
            AppError::Unavailable { .. } => "ServiceUnavailable",
            AppError::Internal { .. } => "InternalError",
        };
        Self::new(err.status(), code, err.to_string())
    }
}

impl From<TokenAuthError> for FeedError {
    fn from(err: TokenAuthError) -> Self {
        match err {
            TokenAuthError::Rejected(rejection) => Self {
                challenge: true,
                ..Self::new(
                    StatusCode::UNAUTHORIZED,
                    "Unauthorized",
                    rejection.message(),
                )
            },
            TokenAuthError::Internal(inner) => inner.into(),
        }
    }
}

impl From<CredentialsError> for FeedError {
    fn from(err: CredentialsError) -> Self {
        let code = match &err {
            CredentialsError::NotSaved => "JiraApiTokenMissing",
            CredentialsError::Rejected => "JiraApiTokenRejected",
            CredentialsError::Unreadable => "JiraApiTokenUnreadable",
            CredentialsError::Internal(_) => "InternalError",
        };
        match err {
            CredentialsError::Internal(inner) => inner.into(),
            user_side => Self::new(StatusCode::FORBIDDEN, code, user_side.to_string()),
        }
    }
}

impl From<JiraError> for FeedError {
    /// Jira's answer, as the BI client should see it: credential problems are the user's to fix
    /// (403; not 401, which would make the BI tool ask for *our* token again), a rejected query
    /// is the data source's (400), the rest is Jira being unavailable (502/503/504).
    fn from(err: JiraError) -> Self {
        let (status, code) = match &err {
            JiraError::Unauthorized => (StatusCode::FORBIDDEN, "JiraApiTokenRejected"),
            JiraError::CaptchaChallenge { .. } => (StatusCode::FORBIDDEN, "JiraCaptchaRequired"),
            JiraError::Forbidden => (StatusCode::FORBIDDEN, "JiraForbidden"),
            JiraError::NotFound => (StatusCode::NOT_FOUND, "JiraNotFound"),
            JiraError::BadRequest { .. } => (StatusCode::BAD_REQUEST, "JiraRejectedQuery"),
            JiraError::RateLimited => (StatusCode::SERVICE_UNAVAILABLE, "JiraRateLimited"),
            JiraError::IssuesUnavailable { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "JiraIssuesUnavailable")
            }
            JiraError::Timeout => (StatusCode::GATEWAY_TIMEOUT, "JiraTimeout"),
            JiraError::Unreachable
            | JiraError::Unexpected { .. }
            | JiraError::InvalidResponse(_) => (StatusCode::BAD_GATEWAY, "JiraUnavailable"),
            JiraError::ResponseTooLarge { .. } => (StatusCode::BAD_GATEWAY, "JiraResponseTooLarge"),
        };
        let mut message = err.user_message();
        if err == JiraError::Unauthorized {
            message.push_str(
                " Then save it again in BI Connector → Tokens → Jira API Token; this feed uses it.",
            );
        }
        Self::new(status, code, message)
    }
}

impl From<ExportError> for FeedError {
    fn from(err: ExportError) -> Self {
        match err {
            ExportError::Jira(jira) => jira.into(),
            ExportError::Internal(detail) => Self::internal(detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(response: HttpResponse) -> String {
        let bytes = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap_or_default();
        String::from_utf8(bytes.to_vec()).unwrap_or_default()
    }

    #[actix_web::test]
    async fn odata_errors_are_odata_json_with_one_version_header() {
        let response =
            FeedError::not_implemented("$expand is not supported").response(Format::OData);
        assert_eq!(response.status(), StatusCode::NOT_IMPLEMENTED);
        assert_eq!(response.headers().get_all("OData-Version").count(), 1);
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some(ODATA_JSON)
        );
        let body: serde_json::Value = serde_json::from_str(&body_of(response).await).expect("json");
        assert_eq!(
            body,
            json!({"error": {"code": "NotImplemented", "message": "$expand is not supported"}})
        );
    }

    #[actix_web::test]
    async fn csv_errors_are_plain_text_and_json_errors_json() {
        let error = FeedError::from(CredentialsError::NotSaved);
        assert_eq!(error.status, StatusCode::FORBIDDEN);
        let text = body_of(error.response(Format::Csv)).await;
        assert!(text.contains("Jira API Token"), "{text}");
        let json: serde_json::Value =
            serde_json::from_str(&body_of(error.response(Format::Json)).await).expect("json");
        assert_eq!(json["error"]["code"], "JiraApiTokenMissing");
    }

    #[test]
    fn jira_failures_map_to_gateway_statuses() {
        assert_eq!(
            FeedError::from(JiraError::RateLimited).status,
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            FeedError::from(JiraError::Unexpected { status: 500 }).status,
            StatusCode::BAD_GATEWAY
        );
        assert_eq!(
            FeedError::from(JiraError::Unauthorized).status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            FeedError::from(JiraError::BadRequest { messages: vec![] }).status,
            StatusCode::BAD_REQUEST
        );
    }
}
