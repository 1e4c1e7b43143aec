//! The JWT the app signs to call a Jira site *as itself* (the app user), as Atlassian Connect
//! prescribes: HS256 under the tenant's shared secret, `iss` = our app key, `aud` = the site's
//! clientKey (what ACE sends), no `sub`, and `qsh` = the hash of exactly the request sent, computed
//! with [`crate::connect::qsh`] (the same code that checks Jira's tokens).
//!
//! **Lifetime: [`APP_JWT_TTL_SECONDS`] = 180 s**, ACE's `jwt.validityInMinutes: 3`. It is short
//! because the token is a bearer credential for one request (the qsh pins method, path and
//! query, not the body): a token leaked from a log or a proxy is useless after three minutes.
//! It need not be longer, because the client signs a fresh token for every attempt, retries
//! included; 180 s leaves room for a Jira clock that runs a little behind ours.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::connect::jwt::JwtError;
use crate::connect::jwt::common::{hmac_secret, lifetime, non_empty};
use crate::connect::qsh;

/// Our app key, the descriptor's `key` (a test holds them equal): the `iss` of every app JWT.
pub const APP_KEY: &str = "jira-bi-connector";

/// How long an app JWT is valid after it is signed (see the module doc).
pub const APP_JWT_TTL_SECONDS: i64 = 180;

/// One request to a Jira site, as its qsh sees it.
#[derive(Debug, Clone, Copy)]
pub struct OutgoingRequest<'a> {
    /// `GET`, `POST`, … (upper-cased for the hash).
    pub method: &'a str,
    /// The path relative to the tenant's `baseUrl` (`/rest/api/3/user/groups`), not encoded
    /// further: Jira Cloud has no context path, and a base path is outside the hash anyway.
    pub path: &'a str,
    /// The query parameters, decoded; their order does not matter.
    pub query: &'a [(String, String)],
}

impl OutgoingRequest<'_> {
    pub fn qsh(&self) -> String {
        qsh::query_string_hash(self.method, self.path, "", self.query)
    }
}

/// Claims in the order ACE and Atlassian's vector write them.
#[derive(Debug, Serialize, PartialEq, Eq, serde::Deserialize)]
pub struct AppClaims {
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    pub qsh: String,
    pub aud: Vec<String>,
}

/// Signs `request` for `client_key`'s site: `iat` = `now`, `exp` = `now` + [`APP_JWT_TTL_SECONDS`].
pub fn sign_app_jwt(
    app_key: &str,
    client_key: &str,
    shared_secret: &[u8],
    request: &OutgoingRequest<'_>,
    now: OffsetDateTime,
) -> Result<String, JwtError> {
    non_empty(app_key, "app key is empty")?;
    non_empty(client_key, "clientKey is empty")?;
    let (iat, exp) = lifetime(now, Duration::seconds(APP_JWT_TTL_SECONDS))?;
    let claims = AppClaims {
        iss: app_key.to_owned(),
        iat,
        exp,
        qsh: request.qsh(),
        aud: vec![client_key.to_owned()],
    };
    let key = EncodingKey::from_secret(hmac_secret(shared_secret)?);
    // The struct, not a map, so the claims keep the order above on the wire.
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key)
        .map_err(|_| JwtError::Signing)
}

#[cfg(test)]
mod tests;
