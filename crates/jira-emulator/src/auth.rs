//! HTTP Basic authentication (`email:api_token`) against the site's user directory, answering
//! failures with the exact status, headers and body Jira Cloud uses, so the app's error handling
//! is tested against the real shapes.

use std::future::{Ready, ready};

use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, dev::Payload, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::crypto::constant_time_eq;

use super::state::SiteCtx;
use super::stats::Event;

/// The authenticated caller of a REST endpoint: an index into the site's users.
#[derive(Clone, Copy, Debug)]
pub(crate) struct JiraUser {
    pub user: usize,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum AuthError {
    #[error("client must be authenticated")]
    Unauthenticated,
    #[error("CAPTCHA challenge pending")]
    Captcha { login_url: String },
    #[error("emulator state missing")]
    Misconfigured,
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            AuthError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AuthError::Captcha { .. } => StatusCode::FORBIDDEN,
            AuthError::Misconfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AuthError::Unauthenticated => HttpResponse::Unauthorized()
                .insert_header(("X-Seraph-LoginReason", "AUTHENTICATED_FAILED"))
                .insert_header(("WWW-Authenticate", "Basic realm=\"protected-area\""))
                .json(serde_json::json!({
                    "errorMessages": ["Client must be authenticated to access this resource."],
                    "errors": {}
                })),
            AuthError::Captcha { login_url } => HttpResponse::Forbidden()
                .insert_header(("X-Seraph-LoginReason", "AUTHENTICATION_DENIED"))
                .insert_header((
                    "X-Authentication-Denied-Reason",
                    format!("CAPTCHA_CHALLENGE; login-url={login_url}"),
                ))
                .content_type("text/plain;charset=UTF-8")
                .body("Basic Authentication Failure - Reason : AUTHENTICATION_DENIED"),
            AuthError::Misconfigured => HttpResponse::InternalServerError().finish(),
        }
    }
}

impl FromRequest for JiraUser {
    type Error = AuthError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(ctx) = request.app_data::<web::Data<SiteCtx>>() else {
            return ready(Err(AuthError::Misconfigured));
        };
        let header = request
            .headers()
            .get("Authorization")
            .and_then(|value| value.to_str().ok());
        let result = authenticate(ctx, header);
        match &result {
            Err(AuthError::Unauthenticated) => ctx.shared.stats.record(Event::AuthFailure),
            Err(AuthError::Captcha { .. }) => ctx.shared.stats.record(Event::CaptchaChallenge),
            _ => {}
        }
        ready(result)
    }
}

fn authenticate(ctx: &SiteCtx, header: Option<&str>) -> Result<JiraUser, AuthError> {
    let (email, token) = header
        .and_then(parse_basic)
        .ok_or(AuthError::Unauthenticated)?;
    let site = ctx.site();
    let user = site
        .info
        .users
        .iter()
        .position(|user| user.email.eq_ignore_ascii_case(&email))
        .ok_or(AuthError::Unauthenticated)?;
    if site.captcha_locked(user) {
        return Err(AuthError::Captcha {
            login_url: format!("{}/login.jsp", site.info.base_url),
        });
    }
    if !constant_time_eq(site.info.users[user].api_token.as_bytes(), token.as_bytes()) {
        return Err(AuthError::Unauthenticated);
    }
    Ok(JiraUser { user })
}

/// `Basic base64(email:token)` → `(email, token)`.
fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (email, token) = decoded.split_once(':')?;
    Some((email.to_owned(), token.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_basic_credentials() {
        let header = format!("Basic {}", STANDARD.encode("a@b.c:tok:en"));
        assert_eq!(
            parse_basic(&header),
            Some(("a@b.c".to_owned(), "tok:en".to_owned()))
        );
        assert_eq!(parse_basic("Bearer abc"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
        assert_eq!(
            parse_basic(&format!("Basic {}", STANDARD.encode("nocolon"))),
            None
        );
    }
}
