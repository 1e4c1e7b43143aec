//! Tokens Jira signs with the tenant's shared secret (HS256): page loads, iframes and the
//! `enabled`/`disabled` callbacks, each bound to its request by the computed qsh.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde_json::Value;
use time::OffsetDateTime;

use super::common::{
    HS256, JwtError, check_qsh, check_times, hmac_key, optional_str, read_header, required_str,
    split, verify_signature,
};

/// Verified claims of a Jira-issued HS256 token (page load, iframe, `enabled`/`disabled`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostClaims {
    /// The tenant's clientKey; equal to what [`unverified_hs256_issuer`] returned for this token.
    pub iss: String,
    /// The user's accountId; absent for anonymous or app-level calls.
    pub sub: Option<String>,
    pub iat: i64,
    pub exp: i64,
    pub qsh: String,
    /// Jira's product context object, `Null` when absent.
    pub context: Value,
}

/// Unverified peek for tenant lookup: checks 3 segments, header parses, header alg == HS256,
/// returns `iss` claim. The result is only a lookup key: trust nothing until
/// [`verify_host_jwt`] succeeds with that tenant's secret.
pub fn unverified_hs256_issuer(token: &str) -> Result<String, JwtError> {
    let parts = split(token)?;
    read_header(parts.header)?.require_alg(HS256)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(parts.payload)
        .map_err(|_| JwtError::Malformed)?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(claims)) => required_str(&claims, "iss", JwtError::MissingIssuer),
        _ => Err(JwtError::Malformed),
    }
}

/// Page/iframe/enabled/disabled tokens from Jira: HS256 only, signature under `shared_secret`,
/// `exp` and `iat` required (with [`LEEWAY_SECONDS`]), `qsh` equal (constant time) to
/// `expected_qsh`; a context JWT (`qsh` = [`CONTEXT_QSH`]) is refused.
pub fn verify_host_jwt(
    token: &str,
    shared_secret: &[u8],
    expected_qsh: &str,
    now: OffsetDateTime,
) -> Result<HostClaims, JwtError> {
    let parts = split(token)?;
    read_header(parts.header)?.require_alg(HS256)?;
    let claims = verify_signature(token, &hmac_key(shared_secret)?, Algorithm::HS256)?;

    let iss = required_str(&claims, "iss", JwtError::MissingIssuer)?;
    let (iat, exp) = check_times(&claims, now)?;
    let qsh = check_qsh(&claims, expected_qsh)?;
    let sub = optional_str(&claims, "sub")?.filter(|sub| !sub.is_empty());
    let context = claims.get("context").cloned().unwrap_or(Value::Null);
    Ok(HostClaims {
        iss,
        sub,
        iat,
        exp,
        qsh,
        context,
    })
}

#[cfg(test)]
mod tests;
