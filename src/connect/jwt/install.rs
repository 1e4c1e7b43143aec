//! Signed `installed`/`uninstalled` callbacks: RS256 under Atlassian's public key for the
//! header's `kid`, with audience, issuer and qsh checked and a short maximum age, since the
//! signature does not cover the body.

use jsonwebtoken::{Algorithm, DecodingKey};
use rsa::traits::PublicKeyParts;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::common::{
    JwtError, RS256, check_qsh, check_times, read_header, required_str, split, verify_signature,
};

/// A signed-install token older than this is refused even if its `exp` is further away: the
/// signature does not cover the body, so a captured token must not stay useful for long.
pub const MAX_INSTALL_TOKEN_AGE_SECONDS: i64 = 3600;
/// Longest accepted `kid` on a signed install.
pub const MAX_KID_LEN: usize = 200;
/// Smallest RSA modulus accepted for install keys.
pub const MIN_RSA_BITS: usize = 2048;

/// Verified claims of a signed (RS256) `installed`/`uninstalled` callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallClaims {
    pub iss: String,
    /// Every `aud` entry as sent (a string `aud` becomes one entry).
    pub aud: Vec<String>,
    pub iat: i64,
    pub exp: i64,
    pub qsh: String,
}

/// Signed-install header check before fetching the key: alg must be exactly RS256, kid required,
/// kid safe to append to the key server URL (see [`validate_kid`]).
pub fn install_kid(token: &str) -> Result<String, JwtError> {
    let parts = split(token)?;
    let header = read_header(parts.header)?;
    header.require_alg(RS256)?;
    let kid = header.kid.ok_or(JwtError::MissingKid)?;
    validate_kid(&kid)?;
    Ok(kid)
}

/// A kid is appended to the key server URL, so it must not be able to change that URL: 1 to
/// [`MAX_KID_LEN`] characters from `[A-Za-z0-9_\-/.]`, no leading `/`, never `..`, and no empty
/// or `.` path segment (GitLab's rule plus the dot rules).
pub fn validate_kid(kid: &str) -> Result<(), JwtError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/' | '.');
    let ok = !kid.is_empty()
        && kid.len() <= MAX_KID_LEN
        && kid.chars().all(allowed)
        && !kid.contains("..")
        && kid
            .split('/')
            .all(|segment| !segment.is_empty() && segment != ".");
    if ok {
        Ok(())
    } else {
        Err(JwtError::InvalidKid)
    }
}

/// Verifies RS256 with the PEM public key fetched for the kid; `aud` (string or array; first
/// entry, trailing '/' stripped) must equal `expected_audience` (both normalised: trailing '/'
/// stripped, scheme/host lower-cased); `iss` must equal `expected_issuer` (the body's clientKey);
/// `qsh` must equal `expected_qsh`; exp/iat as for host tokens, and `iat` no older than
/// [`MAX_INSTALL_TOKEN_AGE_SECONDS`].
pub fn verify_install_jwt(
    token: &str,
    public_key_pem: &str,
    expected_audience: &str,
    expected_issuer: &str,
    expected_qsh: &str,
    now: OffsetDateTime,
) -> Result<InstallClaims, JwtError> {
    let parts = split(token)?;
    let header = read_header(parts.header)?;
    header.require_alg(RS256)?;
    validate_kid(header.kid.as_deref().ok_or(JwtError::MissingKid)?)?;
    let claims = verify_signature(token, &rsa_public_key(public_key_pem)?, Algorithm::RS256)?;

    let (iat, exp) = check_times(&claims, now)?;
    if iat < now.unix_timestamp() - MAX_INSTALL_TOKEN_AGE_SECONDS {
        return Err(JwtError::TooOld);
    }
    let iss = required_str(&claims, "iss", JwtError::MissingIssuer)?;
    if iss != expected_issuer {
        return Err(JwtError::WrongIssuer);
    }
    let aud = audience(&claims)?;
    let first = aud.first().ok_or(JwtError::MissingAudience)?;
    match (normalise_url(first), normalise_url(expected_audience)) {
        (Some(got), Some(want)) if got == want => {}
        _ => return Err(JwtError::WrongAudience),
    }
    let qsh = check_qsh(&claims, expected_qsh)?;
    Ok(InstallClaims {
        iss,
        aud,
        iat,
        exp,
        qsh,
    })
}

/// Parses an SPKI (`PUBLIC KEY`) or PKCS#1 (`RSA PUBLIC KEY`) PEM and refuses small moduli.
fn rsa_public_key(pem: &str) -> Result<DecodingKey, JwtError> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::pkcs8::DecodePublicKey;
    let pem = pem.trim();
    let key = rsa::RsaPublicKey::from_public_key_pem(pem)
        .or_else(|_| rsa::RsaPublicKey::from_pkcs1_pem(pem))
        .map_err(|_| JwtError::BadKey)?;
    if key.size() * 8 < MIN_RSA_BITS {
        return Err(JwtError::BadKey);
    }
    Ok(DecodingKey::from_rsa_raw_components(
        &key.n().to_bytes_be(),
        &key.e().to_bytes_be(),
    ))
}

/// `aud` as a list: a string is one entry, an array must hold only strings.
fn audience(claims: &Map<String, Value>) -> Result<Vec<String>, JwtError> {
    match claims.get("aud") {
        None | Some(Value::Null) => Err(JwtError::MissingAudience),
        Some(Value::String(aud)) => Ok(vec![aud.clone()]),
        Some(Value::Array(entries)) => entries
            .iter()
            .map(|entry| entry.as_str().map(str::to_owned).ok_or(JwtError::Malformed))
            .collect(),
        Some(_) => Err(JwtError::Malformed),
    }
}

/// WHATWG URL serialisation (scheme and host lower-cased, default port dropped) with one
/// trailing `/` removed; `None` for anything that isn't an absolute http(s) URL.
fn normalise_url(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return None;
    }
    let mut text = String::from(url);
    if text.ends_with('/') {
        text.pop();
    }
    Some(text)
}

#[cfg(test)]
mod tests;
