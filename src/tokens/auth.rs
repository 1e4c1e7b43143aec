//! Authentication of BI clients: the personal access token is the password. Accepted forms are
//! `Authorization: Basic base64(username:token)` and `Authorization: Bearer <token>`.
//!
//! The Basic **username is ignored**: BI tools insist on one and users type their email, but the
//! token alone identifies its owner, so a typo in the name must not lock anyone out. When the
//! password is empty the username is taken as the token (people paste it into the first field).
//!
//! Every failure is a 401 with a `WWW-Authenticate: Basic` challenge (so Excel and Power BI ask
//! for credentials again) and a one-line reason that never says whether a token existed: unknown,
//! revoked, wrong secret and uninstalled site all read "Invalid or expired access token.". Only a
//! token whose secret matched is told that it expired, and where to create a new one: its holder
//! already has it, so this reveals nothing, and it saves them guessing why a working feed stopped.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

use crate::app_access::check::may_use;
use crate::app_access::policy::DENIED_MESSAGE;
use crate::connect::tenants::{self, Tenant};
use crate::crypto::SecretString;
use crate::db;
use crate::error::AppError;
use crate::ids::AccountId;
use crate::state::AppState;
use crate::state::app_state;
use crate::tokens::domain::{PresentedToken, is_expired_at};
use crate::tokens::store;

/// The challenge sent with every 401 from a feed.
pub const CHALLENGE: &str = r#"Basic realm="BI Connector for Jira", charset="UTF-8""#;

/// The owner of a valid access token: a feed handler serves this user's data of this site.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub tenant: Tenant,
    pub account_id: AccountId,
    /// The `access_tokens` row that authenticated the request.
    pub token_row_id: i64,
}

/// Why a request was not authenticated. The texts are what the client sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Missing,
    Malformed,
    NotAToken,
    Invalid,
    /// The right secret of a token past its expiry date.
    Expired,
    /// A valid token of someone the site's administrators no longer let use the app (kept, so it
    /// works again once they do).
    NotAllowed,
}

impl Rejection {
    pub fn message(self) -> &'static str {
        match self {
            Self::Missing => {
                "Sign in with your BI Connector access token as the password (any user name)."
            }
            Self::Malformed => {
                "The Authorization header is malformed; send the access token as the Basic password or as a Bearer token."
            }
            Self::NotAToken => {
                "That is not a BI Connector access token; it may be mistyped or truncated."
            }
            Self::Invalid => "Invalid or expired access token.",
            Self::NotAllowed => DENIED_MESSAGE,
            Self::Expired => {
                "This access token has expired. Create a new one in Jira under Apps → BI Connector → Tokens → Access Token, and enter it in your BI tool as the password."
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenAuthError {
    #[error("{}", .0.message())]
    Rejected(Rejection),
    #[error(transparent)]
    Internal(#[from] AppError),
}

impl ResponseError for TokenAuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Rejected(_) => StatusCode::UNAUTHORIZED,
            Self::Internal(err) => err.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Rejected(rejection) => HttpResponse::Unauthorized()
                .insert_header((WWW_AUTHENTICATE, CHALLENGE))
                .insert_header((CACHE_CONTROL, "no-store"))
                .content_type("text/plain; charset=utf-8")
                .body(format!("{}\n", rejection.message())),
            Self::Internal(err) => err.error_response(),
        }
    }
}

/// The token a client presented in `Authorization`, before any check of its format.
pub fn presented_secret(header: Option<&[u8]>) -> Result<SecretString, Rejection> {
    let header = header.ok_or(Rejection::Missing)?;
    let header = std::str::from_utf8(header).map_err(|_| Rejection::Malformed)?;
    let (scheme, value) = header.trim().split_once(' ').ok_or(Rejection::Malformed)?;
    let value = value.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Ok(SecretString::new(value));
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(Rejection::Malformed);
    }
    let decoded = STANDARD
        .decode(value)
        .or_else(|_| STANDARD_NO_PAD.decode(value))
        .map_err(|_| Rejection::Malformed)?;
    let decoded = String::from_utf8(decoded).map_err(|_| Rejection::Malformed)?;
    let (username, password) = decoded.split_once(':').ok_or(Rejection::Malformed)?;
    let token = if password.trim().is_empty() {
        username
    } else {
        password
    };
    Ok(SecretString::new(token))
}

/// Checks the presented token against the store at `now` and records its use.
async fn authenticate(
    state: &web::Data<AppState>,
    req: &HttpRequest,
) -> Result<TokenOwner, TokenAuthError> {
    let rejected = |rejection: Rejection, reason: &str| {
        tracing::info!(auth.reason = reason, http.path = %req.path(), "access token rejected");
        TokenAuthError::Rejected(rejection)
    };
    let secret = presented_secret(
        req.headers()
            .get(AUTHORIZATION)
            .map(actix_web::http::header::HeaderValue::as_bytes),
    )
    .map_err(|r| rejected(r, r.message()))?;
    let presented = PresentedToken::parse(secret.expose()).map_err(|e| {
        let reason = e.to_string();
        rejected(Rejection::NotAToken, &reason)
    })?;
    let now = state.clock.now();
    let token_id = presented.token_id().clone();
    let found = db::run(&state.pool, move |conn| {
        let Some(credential) = store::find_credential(conn, &token_id)? else {
            return Ok(None);
        };
        let tenant = tenants::find_by_id(conn, credential.tenant_id)?;
        Ok(tenant.map(|tenant| (credential, tenant)))
    })
    .await?;
    let Some((credential, tenant)) = found else {
        return Err(rejected(Rejection::Invalid, "unknown token id"));
    };
    if !presented.matches(&credential.secret_hash) {
        return Err(rejected(Rejection::Invalid, "wrong secret"));
    }
    if is_expired_at(credential.expires_on.map(|e| e.date()), now) {
        return Err(rejected(Rejection::Expired, "expired"));
    }
    if !tenant.is_active() {
        return Err(rejected(Rejection::Invalid, "site uninstalled or disabled"));
    }
    let account_id = AccountId::parse(&credential.account_id)
        .map_err(|e| AppError::internal(format!("stored token owner: {e}")))?;
    if !may_use(&state.pool, &state.jira_app, &tenant, &account_id).await? {
        return Err(rejected(
            Rejection::NotAllowed,
            "not allowed by the site's administrators",
        ));
    }
    if !store::last_used_is_fresh(credential.last_used_at, now) {
        let row_id = credential.row_id;
        let touched = db::run(&state.pool, move |conn| {
            store::touch_last_used(conn, row_id, now)
        })
        .await;
        if let Err(err) = touched {
            // The request is authenticated; a missed "last used" update must not fail it.
            tracing::warn!(error = %err, token.id = %presented.token_id(), "cannot record token use");
        }
    }
    Ok(TokenOwner {
        tenant,
        account_id,
        token_row_id: credential.row_id,
    })
}

impl FromRequest for TokenOwner {
    type Error = TokenAuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            authenticate(&state, &req).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(credentials: &str) -> String {
        format!("Basic {}", STANDARD.encode(credentials))
    }

    fn secret_of(header: &str) -> Result<String, Rejection> {
        presented_secret(Some(header.as_bytes())).map(|s| s.expose().to_owned())
    }

    #[test]
    fn basic_password_is_the_token_and_the_username_is_ignored() {
        assert_eq!(
            secret_of(&basic("me@example.com:jbc_x")),
            Ok("jbc_x".into())
        );
        assert_eq!(secret_of(&basic(":jbc_x")), Ok("jbc_x".into()));
        assert_eq!(secret_of(&basic("a:b:jbc_x")), Ok("b:jbc_x".into()));
    }

    #[test]
    fn an_empty_password_falls_back_to_the_username() {
        assert_eq!(secret_of(&basic("jbc_x:")), Ok("jbc_x".into()));
    }

    #[test]
    fn bearer_and_case_insensitive_schemes() {
        assert_eq!(secret_of("Bearer jbc_x"), Ok("jbc_x".into()));
        assert_eq!(secret_of("bearer  jbc_x "), Ok("jbc_x".into()));
        let lower = basic("u:jbc_x").replacen("Basic", "basic", 1);
        assert_eq!(secret_of(&lower), Ok("jbc_x".into()));
        let unpadded = format!("Basic {}", STANDARD_NO_PAD.encode("u:jbc_x1"));
        assert_eq!(secret_of(&unpadded), Ok("jbc_x1".into()));
    }

    #[test]
    fn missing_and_malformed_headers_are_rejected() {
        assert_eq!(presented_secret(None).err(), Some(Rejection::Missing));
        for bad in [
            "Basic",
            "Basic not*base64!",
            "Digest abc",
            "jbc_x",
            &basic("no colon here"),
            &format!("Basic {}", STANDARD.encode([0xff, 0xfe, b':', b'x'])),
        ] {
            assert_eq!(secret_of(bad).err(), Some(Rejection::Malformed), "{bad:?}");
        }
        assert_eq!(
            presented_secret(Some(b"Bearer \xff")).err(),
            Some(Rejection::Malformed)
        );
    }

    #[test]
    fn messages_are_one_line() {
        for r in [
            Rejection::Missing,
            Rejection::Malformed,
            Rejection::NotAToken,
            Rejection::Invalid,
            Rejection::Expired,
            Rejection::NotAllowed,
        ] {
            assert!(!r.message().contains('\n'));
        }
    }
}
