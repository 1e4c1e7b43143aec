//! The app's own session tokens (HS256 under a key derived from the master key), handed to
//! every link and form of a page so that later requests need no cookie. They belong to the pages
//! layer; the JWT mechanics they share with Jira's tokens come from [`crate::connect::jwt`].

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

use crate::connect::jwt::common::{
    HS256, JwtError, LEEWAY_SECONDS, check_times, encode, lifetime, non_empty, optional_int,
    optional_str, read_header, required_str, split, verify_signature,
};

/// `iss` of app session tokens; no Jira token can carry it (Jira's `iss` is a clientKey).
pub const SESSION_ISSUER: &str = "jira-bi-connector/session";
/// The `typ` claim value of app session tokens, so they can't be mistaken for any other token.
pub const SESSION_TOKEN_TYPE: &str = "app-session";

/// Verified claims of an app session token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaims {
    pub client_key: String,
    pub account_id: String,
    pub iat: i64,
    pub exp: i64,
    /// When the session began: the `iat` of the Jira page JWT that opened it (OIDC's
    /// `auth_time`), carried unchanged through every renewal.
    pub auth_time: i64,
}

/// Issues the app's own short-lived token for navigation and form posts inside the iframe, for a
/// session that begins `now`. `key` comes from `MasterKey::derive(b"session-token-v1")`.
pub fn sign_session_token(
    key: &[u8; 32],
    client_key: &str,
    account_id: &str,
    now: OffsetDateTime,
    ttl: Duration,
) -> Result<String, JwtError> {
    sign_session_token_since(key, client_key, account_id, now.unix_timestamp(), now, ttl)
}

/// As [`sign_session_token`] for a session that began at `auth_time` (unix seconds: the `iat` of
/// the Jira page JWT that opened it). Renewals keep `auth_time`, so [`verify_session_token`] can
/// end a session after its maximum lifetime however often its token was renewed.
pub fn sign_session_token_since(
    key: &[u8; 32],
    client_key: &str,
    account_id: &str,
    auth_time: i64,
    now: OffsetDateTime,
    ttl: Duration,
) -> Result<String, JwtError> {
    non_empty(client_key, "client key is empty")?;
    non_empty(account_id, "account id is empty")?;
    let (iat, exp) = lifetime(now, ttl)?;
    let claims = json!({
        "iss": SESSION_ISSUER,
        "typ": SESSION_TOKEN_TYPE,
        "tnt": client_key,
        "sub": account_id,
        "iat": iat,
        "exp": exp,
        "auth_time": auth_time,
    });
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(key),
    )
}

/// Verifies an app session token: HS256 under `key`, `iss` = [`SESSION_ISSUER`], `typ` =
/// [`SESSION_TOKEN_TYPE`], exp/iat with leeway, and a session no older than `max_age`
/// (`auth_time` + `max_age` not yet passed). An expired but otherwise valid token gives
/// [`JwtError::Expired`] and a session past its maximum lifetime [`JwtError::SessionTooOld`]
/// (a token without `auth_time`, from an older version, [`JwtError::MissingAuthTime`]), so the
/// page can ask the user to reload.
pub fn verify_session_token(
    key: &[u8; 32],
    token: &str,
    now: OffsetDateTime,
    max_age: Duration,
) -> Result<SessionClaims, JwtError> {
    let claims = verify_session_signature(key, token)?;
    let (iat, exp) = check_times(&claims, now)?;
    let client_key = required_str(&claims, "tnt", JwtError::MissingTenant)?;
    let account_id = required_str(&claims, "sub", JwtError::MissingSubject)?;
    let auth_time = optional_int(&claims, "auth_time")?.ok_or(JwtError::MissingAuthTime)?;
    let now = now.unix_timestamp();
    if auth_time > now.saturating_add(LEEWAY_SECONDS) {
        return Err(JwtError::IssuedInFuture);
    }
    if now >= auth_time.saturating_add(max_age.whole_seconds()) {
        return Err(JwtError::SessionTooOld);
    }
    Ok(SessionClaims {
        client_key,
        account_id,
        iat,
        exp,
        auth_time,
    })
}

/// The tenant (`tnt`) of a session token that is ours (signature, issuer, type) whether or not it
/// has expired: only to show an expired session's error page inside the right Jira site.
pub fn session_token_tenant(key: &[u8; 32], token: &str) -> Result<String, JwtError> {
    let claims = verify_session_signature(key, token)?;
    required_str(&claims, "tnt", JwtError::MissingTenant)
}

fn verify_session_signature(key: &[u8; 32], token: &str) -> Result<Map<String, Value>, JwtError> {
    let parts = split(token)?;
    read_header(parts.header)?.require_alg(HS256)?;
    let claims = verify_signature(token, &DecodingKey::from_secret(key), Algorithm::HS256)?;
    let iss = required_str(&claims, "iss", JwtError::MissingIssuer)?;
    if iss != SESSION_ISSUER {
        return Err(JwtError::WrongIssuer);
    }
    if optional_str(&claims, "typ")?.as_deref() != Some(SESSION_TOKEN_TYPE) {
        return Err(JwtError::WrongTokenType);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests;
