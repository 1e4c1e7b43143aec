//! What every JWT kind here shares: the refusal reasons, token shape and header checks, the
//! signature check with the algorithm pinned by the caller, and the claim readers that judge
//! times against the `now` passed in.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use crate::crypto::constant_time_eq;

/// Clock skew tolerated on `exp`, `iat` and `nbf`, as ACSB and the Scala implementation use.
pub const LEEWAY_SECONDS: i64 = 30;
/// Longest token we look at; page JWTs with a large `context` stay far below this.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// The fixed `qsh` of Atlassian context JWTs (`AP.context.getToken()`); never valid on page loads
/// or lifecycle callbacks, which must carry the computed hash.
pub const CONTEXT_QSH: &str = "context-qsh";

pub(crate) const HS256: &str = "HS256";
pub(crate) const RS256: &str = "RS256";

/// Why a token was refused. Display texts are for logs: they never include the token, a claim
/// value chosen by the sender (except a sanitised algorithm name) or a secret.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("token is not a well-formed JWT")]
    Malformed,
    #[error("token is longer than {MAX_TOKEN_BYTES} bytes")]
    TooLarge,
    #[error("token algorithm {0} is not accepted here")]
    WrongAlgorithm(String),
    #[error("token header has no kid")]
    MissingKid,
    #[error("token kid is not an acceptable key id")]
    InvalidKid,
    #[error("verification or signing key is unusable")]
    BadKey,
    #[error("token signature does not verify")]
    BadSignature,
    #[error("token has expired")]
    Expired,
    #[error("token has no exp claim")]
    MissingExp,
    #[error("token has no iat claim")]
    MissingIat,
    #[error("token iat is in the future")]
    IssuedInFuture,
    #[error("token nbf is in the future")]
    NotYetValid,
    #[error("token exp is before its iat")]
    ExpiresBeforeIssued,
    #[error("install token was issued too long ago")]
    TooOld,
    #[error("token has no qsh claim")]
    MissingQsh,
    #[error("token qsh does not match the request")]
    QshMismatch,
    #[error("token is a context JWT (qsh=context-qsh) where a request-bound JWT is required")]
    ContextQshNotAllowed,
    #[error("token has no aud claim")]
    MissingAudience,
    #[error("token aud is not this app")]
    WrongAudience,
    #[error("token has no iss claim")]
    MissingIssuer,
    #[error("token iss is not the expected issuer")]
    WrongIssuer,
    #[error("token has no sub claim")]
    MissingSubject,
    #[error("session token has no tnt claim")]
    MissingTenant,
    #[error("token is not an app session token")]
    WrongTokenType,
    #[error("session token has no auth_time claim")]
    MissingAuthTime,
    #[error("session began longer ago than the maximum session lifetime")]
    SessionTooOld,
    #[error("cannot sign a token: {0}")]
    InvalidInput(&'static str),
    #[error("signing the token failed")]
    Signing,
}

pub(crate) struct Parts<'a> {
    pub(crate) header: &'a str,
    pub(crate) payload: &'a str,
}

/// Exactly three dot-separated segments with a non-empty header and payload.
pub(crate) fn split(token: &str) -> Result<Parts<'_>, JwtError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(JwtError::TooLarge);
    }
    let mut segments = token.split('.');
    match (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) {
        (Some(header), Some(payload), Some(_signature), None)
            if !header.is_empty() && !payload.is_empty() =>
        {
            Ok(Parts { header, payload })
        }
        _ => Err(JwtError::Malformed),
    }
}

/// The header fields we act on, read before any signature check (so: only to refuse).
pub(crate) struct UnverifiedHeader {
    pub(crate) alg: String,
    pub(crate) kid: Option<String>,
}

impl UnverifiedHeader {
    pub(crate) fn require_alg(&self, expected: &str) -> Result<(), JwtError> {
        if self.alg == expected {
            Ok(())
        } else {
            Err(JwtError::WrongAlgorithm(loggable_alg(&self.alg)))
        }
    }
}

pub(crate) fn read_header(encoded: &str) -> Result<UnverifiedHeader, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| JwtError::Malformed)?;
    let Ok(Value::Object(header)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(JwtError::Malformed);
    };
    // RFC 7515 §4.1.11: we understand no critical extensions, so a token that has any is refused.
    if header.contains_key("crit") {
        return Err(JwtError::Malformed);
    }
    let alg = match header.get("alg") {
        Some(Value::String(alg)) => alg.clone(),
        _ => return Err(JwtError::Malformed),
    };
    let kid = optional_str(&header, "kid")?;
    Ok(UnverifiedHeader { alg, kid })
}

/// The sender picks `alg`; only short alphanumeric names are echoed into logs.
fn loggable_alg(alg: &str) -> String {
    if !alg.is_empty() && alg.len() <= 16 && alg.chars().all(|c| c.is_ascii_alphanumeric()) {
        alg.to_owned()
    } else {
        "(unrecognised)".to_owned()
    }
}

/// Signature check only, with the algorithm pinned by the caller; the crate's clock and claim
/// checks are all switched off because this module does them against `now`.
pub(crate) fn verify_signature(
    token: &str,
    key: &DecodingKey,
    alg: Algorithm,
) -> Result<Map<String, Value>, JwtError> {
    let mut validation = Validation::new(alg);
    validation.required_spec_claims = HashSet::new();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    let data =
        jsonwebtoken::decode::<Value>(token, key, &validation).map_err(|err| match err.kind() {
            ErrorKind::InvalidSignature => JwtError::BadSignature,
            ErrorKind::InvalidRsaKey(_)
            | ErrorKind::InvalidKeyFormat
            | ErrorKind::InvalidEcdsaKey
            | ErrorKind::InvalidEddsaKey => JwtError::BadKey,
            _ => JwtError::Malformed,
        })?;
    match data.claims {
        Value::Object(claims) => Ok(claims),
        _ => Err(JwtError::Malformed),
    }
}

pub(crate) fn hmac_secret(secret: &[u8]) -> Result<&[u8], JwtError> {
    if secret.is_empty() {
        Err(JwtError::BadKey)
    } else {
        Ok(secret)
    }
}

pub(crate) fn hmac_key(secret: &[u8]) -> Result<DecodingKey, JwtError> {
    Ok(DecodingKey::from_secret(hmac_secret(secret)?))
}

pub(crate) fn optional_str(
    map: &Map<String, Value>,
    name: &str,
) -> Result<Option<String>, JwtError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(JwtError::Malformed),
    }
}

/// A present, non-empty string claim; `missing` when absent or empty.
pub(crate) fn required_str(
    map: &Map<String, Value>,
    name: &str,
    missing: JwtError,
) -> Result<String, JwtError> {
    optional_str(map, name)?
        .filter(|value| !value.is_empty())
        .ok_or(missing)
}

/// A NumericDate claim; only whole seconds are accepted (what Jira sends).
pub(crate) fn optional_int(map: &Map<String, Value>, name: &str) -> Result<Option<i64>, JwtError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value.as_i64().map(Some).ok_or(JwtError::Malformed),
    }
}

/// `exp` and `iat` required; `exp > now - leeway`, `iat <= now + leeway`, `nbf` (if any)
/// `<= now + leeway`, and `exp >= iat`. Returns `(iat, exp)`.
pub(crate) fn check_times(
    claims: &Map<String, Value>,
    now: OffsetDateTime,
) -> Result<(i64, i64), JwtError> {
    let now = now.unix_timestamp();
    let exp = optional_int(claims, "exp")?.ok_or(JwtError::MissingExp)?;
    let iat = optional_int(claims, "iat")?.ok_or(JwtError::MissingIat)?;
    if exp <= now.saturating_sub(LEEWAY_SECONDS) {
        return Err(JwtError::Expired);
    }
    if iat > now.saturating_add(LEEWAY_SECONDS) {
        return Err(JwtError::IssuedInFuture);
    }
    if let Some(nbf) = optional_int(claims, "nbf")?
        && nbf > now.saturating_add(LEEWAY_SECONDS)
    {
        return Err(JwtError::NotYetValid);
    }
    if exp < iat {
        return Err(JwtError::ExpiresBeforeIssued);
    }
    Ok((iat, exp))
}

/// `qsh` present, not the context marker, and equal to `expected` in constant time.
pub(crate) fn check_qsh(claims: &Map<String, Value>, expected: &str) -> Result<String, JwtError> {
    let qsh = required_str(claims, "qsh", JwtError::MissingQsh)?;
    if qsh == CONTEXT_QSH {
        return Err(JwtError::ContextQshNotAllowed);
    }
    if !constant_time_eq(qsh.as_bytes(), expected.as_bytes()) {
        return Err(JwtError::QshMismatch);
    }
    Ok(qsh)
}

pub(crate) fn non_empty(value: &str, reason: &'static str) -> Result<(), JwtError> {
    if value.is_empty() {
        Err(JwtError::InvalidInput(reason))
    } else {
        Ok(())
    }
}

pub(crate) fn lifetime(iat: OffsetDateTime, ttl: Duration) -> Result<(i64, i64), JwtError> {
    if !ttl.is_positive() {
        return Err(JwtError::InvalidInput("ttl must be positive"));
    }
    let iat = iat.unix_timestamp();
    let exp = iat
        .checked_add(ttl.whole_seconds())
        .ok_or(JwtError::InvalidInput("ttl is too large"))?;
    Ok((iat, exp))
}

pub(crate) fn encode(
    header: &Header,
    claims: &Value,
    key: &EncodingKey,
) -> Result<String, JwtError> {
    jsonwebtoken::encode(header, claims, key).map_err(|err| match err.kind() {
        ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidKeyFormat => JwtError::BadKey,
        _ => JwtError::Signing,
    })
}
