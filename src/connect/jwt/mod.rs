//! Connect JWTs: verifying what Jira signs (page, lifecycle and signed-install tokens) and the
//! app's own session tokens. The algorithm is pinned per token class and every time check uses the
//! `now` passed in, so a forged header or a wrong clock can't loosen what we accept.
//!
//! `jsonwebtoken` checks signatures only; header and claim rules (alg, kid, exp, iat, aud, iss,
//! qsh) are enforced here, after the signature is verified, so an unauthenticated caller learns
//! nothing about which claim failed.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::traits::PublicKeyParts;
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

use crate::crypto::constant_time_eq;

/// Clock skew tolerated on `exp`, `iat` and `nbf`, as ACSB and the Scala implementation use.
pub const LEEWAY_SECONDS: i64 = 30;
/// Longest token we look at; page JWTs with a large `context` stay far below this.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// The fixed `qsh` of Atlassian context JWTs (`AP.context.getToken()`); never valid on page loads
/// or lifecycle callbacks, which must carry the computed hash.
pub const CONTEXT_QSH: &str = "context-qsh";
/// `iss` of app session tokens; no Jira token can carry it (Jira's `iss` is a clientKey).
pub const SESSION_ISSUER: &str = "jira-bi-connector/session";
/// The `typ` claim value of app session tokens, so they can't be mistaken for any other token.
pub const SESSION_TOKEN_TYPE: &str = "app-session";
/// A signed-install token older than this is refused even if its `exp` is further away: the
/// signature does not cover the body, so a captured token must not stay useful for long.
pub const MAX_INSTALL_TOKEN_AGE_SECONDS: i64 = 3600;
/// Longest accepted `kid` on a signed install.
pub const MAX_KID_LEN: usize = 200;
/// Smallest RSA modulus accepted for install keys.
pub const MIN_RSA_BITS: usize = 2048;

const HS256: &str = "HS256";
const RS256: &str = "RS256";

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

// ---------------------------------------------------------------------------------------------
// Jira host tokens (HS256 with the tenant's shared secret)
// ---------------------------------------------------------------------------------------------

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

/// Signs a token the way Jira signs page loads (used by the Jira emulator and tests).
pub fn sign_host_jwt(
    shared_secret: &[u8],
    iss: &str,
    sub: Option<&str>,
    qsh: &str,
    iat: OffsetDateTime,
    ttl: Duration,
) -> Result<String, JwtError> {
    non_empty(iss, "iss is empty")?;
    let (iat, exp) = lifetime(iat, ttl)?;
    let mut claims = json!({ "iss": iss, "iat": iat, "exp": exp, "qsh": qsh });
    if let (Some(sub), Value::Object(map)) = (sub, &mut claims) {
        map.insert("sub".into(), Value::String(sub.into()));
    }
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(hmac_secret(shared_secret)?),
    )
}

// ---------------------------------------------------------------------------------------------
// Signed install (RS256 with Atlassian's key for `kid`)
// ---------------------------------------------------------------------------------------------

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

/// Signs a signed-install token the way Atlassian does (used by the Jira emulator and tests):
/// RS256 with `kid` in the header, `aud` as a one-element array.
pub fn sign_install_jwt(
    private_key_pem: &str,
    kid: &str,
    iss: &str,
    aud: &str,
    qsh: &str,
    iat: OffsetDateTime,
    ttl: Duration,
) -> Result<String, JwtError> {
    validate_kid(kid)?;
    non_empty(iss, "iss is empty")?;
    non_empty(aud, "aud is empty")?;
    let (iat, exp) = lifetime(iat, ttl)?;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let key =
        EncodingKey::from_rsa_pem(private_key_pem.as_bytes()).map_err(|_| JwtError::BadKey)?;
    let claims = json!({ "iss": iss, "aud": [aud], "iat": iat, "exp": exp, "qsh": qsh });
    encode(&header, &claims, &key)
}

// ---------------------------------------------------------------------------------------------
// App session tokens (HS256 with a key derived from the server master key)
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------

struct Parts<'a> {
    header: &'a str,
    payload: &'a str,
}

/// Exactly three dot-separated segments with a non-empty header and payload.
fn split(token: &str) -> Result<Parts<'_>, JwtError> {
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
struct UnverifiedHeader {
    alg: String,
    kid: Option<String>,
}

impl UnverifiedHeader {
    fn require_alg(&self, expected: &str) -> Result<(), JwtError> {
        if self.alg == expected {
            Ok(())
        } else {
            Err(JwtError::WrongAlgorithm(loggable_alg(&self.alg)))
        }
    }
}

fn read_header(encoded: &str) -> Result<UnverifiedHeader, JwtError> {
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
fn verify_signature(
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

fn hmac_secret(secret: &[u8]) -> Result<&[u8], JwtError> {
    if secret.is_empty() {
        Err(JwtError::BadKey)
    } else {
        Ok(secret)
    }
}

fn hmac_key(secret: &[u8]) -> Result<DecodingKey, JwtError> {
    Ok(DecodingKey::from_secret(hmac_secret(secret)?))
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

fn optional_str(map: &Map<String, Value>, name: &str) -> Result<Option<String>, JwtError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(JwtError::Malformed),
    }
}

/// A present, non-empty string claim; `missing` when absent or empty.
fn required_str(
    map: &Map<String, Value>,
    name: &str,
    missing: JwtError,
) -> Result<String, JwtError> {
    optional_str(map, name)?
        .filter(|value| !value.is_empty())
        .ok_or(missing)
}

/// A NumericDate claim; only whole seconds are accepted (what Jira sends).
fn optional_int(map: &Map<String, Value>, name: &str) -> Result<Option<i64>, JwtError> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value.as_i64().map(Some).ok_or(JwtError::Malformed),
    }
}

/// `exp` and `iat` required; `exp > now - leeway`, `iat <= now + leeway`, `nbf` (if any)
/// `<= now + leeway`, and `exp >= iat`. Returns `(iat, exp)`.
fn check_times(claims: &Map<String, Value>, now: OffsetDateTime) -> Result<(i64, i64), JwtError> {
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
fn check_qsh(claims: &Map<String, Value>, expected: &str) -> Result<String, JwtError> {
    let qsh = required_str(claims, "qsh", JwtError::MissingQsh)?;
    if qsh == CONTEXT_QSH {
        return Err(JwtError::ContextQshNotAllowed);
    }
    if !constant_time_eq(qsh.as_bytes(), expected.as_bytes()) {
        return Err(JwtError::QshMismatch);
    }
    Ok(qsh)
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

fn non_empty(value: &str, reason: &'static str) -> Result<(), JwtError> {
    if value.is_empty() {
        Err(JwtError::InvalidInput(reason))
    } else {
        Ok(())
    }
}

fn lifetime(iat: OffsetDateTime, ttl: Duration) -> Result<(i64, i64), JwtError> {
    if !ttl.is_positive() {
        return Err(JwtError::InvalidInput("ttl must be positive"));
    }
    let iat = iat.unix_timestamp();
    let exp = iat
        .checked_add(ttl.whole_seconds())
        .ok_or(JwtError::InvalidInput("ttl is too large"))?;
    Ok((iat, exp))
}

fn encode(header: &Header, claims: &Value, key: &EncodingKey) -> Result<String, JwtError> {
    jsonwebtoken::encode(header, claims, key).map_err(|err| match err.kind() {
        ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidKeyFormat => JwtError::BadKey,
        _ => JwtError::Signing,
    })
}

#[cfg(test)]
mod tests {
    //! Each refusal reason from `connect-auth.md` §2–§4 has a test; tokens are crafted with the
    //! signing helpers, `jsonwebtoken` directly, or by hand (alg `none`).
    use std::sync::OnceLock;

    use rsa::RsaPrivateKey;
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    use time::macros::datetime;

    use super::*;
    use crate::connect::qsh::query_string_hash;

    const SECRET: &[u8] = b"tenant-shared-secret-0123456789abcdefghijklmnop";
    const CLIENT_KEY: &str = "jira:5b1e6d1c-4c1f-4bb5-9d3a-1a2b3c4d5e6f";
    const ACCOUNT_ID: &str = "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077";
    /// V3 from the reference: a real page-load qsh.
    const PAGE_QSH: &str = "8063ff4ca1e41df7bc90c8ab6d0f6207d491cf6dad7c66ea797b4614b71922e9";
    const APP_URL: &str = "http://127.0.0.1:8080";
    const KID: &str = "connect/prod/3a2b1c4d-key.v1";
    const SESSION_KEY: [u8; 32] = [7u8; 32];
    /// The default `SESSION_MAX_MINUTES`.
    const MAX_AGE: Duration = Duration::minutes(480);

    struct Keys {
        private_pem: String,
        public_pem: String,
    }

    fn generate(bits: usize) -> Keys {
        let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, bits).unwrap();
        Keys {
            private_pem: key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
            public_pem: key
                .to_public_key()
                .to_public_key_pem(LineEnding::LF)
                .unwrap(),
        }
    }

    /// Atlassian's install key in these tests.
    fn keys() -> &'static Keys {
        static KEYS: OnceLock<Keys> = OnceLock::new();
        KEYS.get_or_init(|| generate(2048))
    }

    /// Someone else's key.
    fn other_keys() -> &'static Keys {
        static KEYS: OnceLock<Keys> = OnceLock::new();
        KEYS.get_or_init(|| generate(2048))
    }

    fn now() -> OffsetDateTime {
        datetime!(2025-06-01 12:00:00 UTC)
    }

    fn at(offset_seconds: i64) -> i64 {
        now().unix_timestamp() + offset_seconds
    }

    fn install_qsh() -> String {
        query_string_hash("POST", "/lifecycle/installed", "", &[])
    }

    fn b64_json(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    }

    fn hs_token(alg: Algorithm, secret: &[u8], claims: &Value) -> String {
        jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret)).unwrap()
    }

    fn rs_token(alg: Algorithm, kid: Option<&str>, private_pem: &str, claims: &Value) -> String {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_owned);
        let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap();
        jsonwebtoken::encode(&header, claims, &key).unwrap()
    }

    fn host_claims() -> Value {
        json!({
            "iss": CLIENT_KEY,
            "sub": ACCOUNT_ID,
            "iat": at(-10),
            "exp": at(170),
            "qsh": PAGE_QSH,
        })
    }

    fn host_token_with(edit: impl FnOnce(&mut Map<String, Value>)) -> String {
        let mut claims = host_claims();
        edit(claims.as_object_mut().unwrap());
        hs_token(Algorithm::HS256, SECRET, &claims)
    }

    fn verify_host(token: &str) -> Result<HostClaims, JwtError> {
        verify_host_jwt(token, SECRET, PAGE_QSH, now())
    }

    fn install_claims() -> Value {
        json!({
            "iss": CLIENT_KEY,
            "aud": [APP_URL],
            "iat": at(-5),
            "exp": at(175),
            "qsh": install_qsh(),
        })
    }

    fn install_token_with(edit: impl FnOnce(&mut Map<String, Value>)) -> String {
        let mut claims = install_claims();
        edit(claims.as_object_mut().unwrap());
        rs_token(Algorithm::RS256, Some(KID), &keys().private_pem, &claims)
    }

    fn verify_install(token: &str) -> Result<InstallClaims, JwtError> {
        verify_install_jwt(
            token,
            &keys().public_pem,
            APP_URL,
            CLIENT_KEY,
            &install_qsh(),
            now(),
        )
    }

    /// Replaces one character of one segment with a different base64url character.
    fn flip_char(token: &str, segment: usize, index: usize) -> String {
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let replacement = if parts[segment].as_bytes()[index] == b'A' {
            "B"
        } else {
            "A"
        };
        parts[segment].replace_range(index..=index, replacement);
        parts.join(".")
    }

    // --- host tokens ---------------------------------------------------------------------

    #[test]
    fn a_valid_host_token_is_accepted_and_its_claims_are_returned() {
        let token = sign_host_jwt(
            SECRET,
            CLIENT_KEY,
            Some(ACCOUNT_ID),
            PAGE_QSH,
            now() - Duration::seconds(10),
            Duration::minutes(3),
        )
        .unwrap();

        let claims = verify_host(&token).unwrap();

        assert_eq!(claims.iss, CLIENT_KEY);
        assert_eq!(claims.sub.as_deref(), Some(ACCOUNT_ID));
        assert_eq!(claims.qsh, PAGE_QSH);
        assert_eq!(claims.iat, at(-10));
        assert_eq!(claims.exp, at(170));
        assert_eq!(claims.context, Value::Null);
    }

    #[test]
    fn a_host_token_without_sub_is_accepted_with_no_subject() {
        let token = sign_host_jwt(
            SECRET,
            CLIENT_KEY,
            None,
            PAGE_QSH,
            now(),
            Duration::minutes(3),
        )
        .unwrap();
        assert_eq!(verify_host(&token).unwrap().sub, None);
    }

    #[test]
    fn the_jira_context_object_is_passed_through() {
        let context = json!({ "license": "none", "jira": { "project": { "key": "ABC" } } });
        let token = host_token_with(|c| {
            c.insert("context".into(), context.clone());
        });
        assert_eq!(verify_host(&token).unwrap().context, context);
    }

    #[test]
    fn the_unverified_issuer_of_an_hs256_token_is_readable_for_tenant_lookup() {
        let token = host_token_with(|_| {});
        assert_eq!(unverified_hs256_issuer(&token).unwrap(), CLIENT_KEY);
    }

    #[test]
    fn the_unverified_issuer_peek_refuses_other_algorithms_and_missing_issuers() {
        let rs = rs_token(Algorithm::RS256, None, &keys().private_pem, &host_claims());
        assert_eq!(
            unverified_hs256_issuer(&rs),
            Err(JwtError::WrongAlgorithm("RS256".into()))
        );
        let no_iss = host_token_with(|c| {
            c.remove("iss");
        });
        assert_eq!(
            unverified_hs256_issuer(&no_iss),
            Err(JwtError::MissingIssuer)
        );
        assert_eq!(unverified_hs256_issuer("abc.def"), Err(JwtError::Malformed));
    }

    #[test]
    fn an_alg_none_token_is_rejected_on_the_host_path() {
        let header = b64_json(&json!({ "alg": "none", "typ": "JWT" }));
        let payload = b64_json(&host_claims());
        let token = format!("{header}.{payload}.");

        assert_eq!(
            verify_host(&token),
            Err(JwtError::WrongAlgorithm("none".into()))
        );
        assert_eq!(
            unverified_hs256_issuer(&token),
            Err(JwtError::WrongAlgorithm("none".into()))
        );
    }

    #[test]
    fn hs512_and_hs384_tokens_are_rejected_even_with_the_right_secret() {
        let hs512 = hs_token(Algorithm::HS512, SECRET, &host_claims());
        let hs384 = hs_token(Algorithm::HS384, SECRET, &host_claims());
        assert_eq!(
            verify_host(&hs512),
            Err(JwtError::WrongAlgorithm("HS512".into()))
        );
        assert_eq!(
            verify_host(&hs384),
            Err(JwtError::WrongAlgorithm("HS384".into()))
        );
    }

    #[test]
    fn an_rs256_signed_token_is_rejected_on_the_host_path() {
        let token = rs_token(
            Algorithm::RS256,
            Some(KID),
            &keys().private_pem,
            &host_claims(),
        );
        assert_eq!(
            verify_host(&token),
            Err(JwtError::WrongAlgorithm("RS256".into()))
        );
    }

    #[test]
    fn a_token_signed_with_the_public_key_pem_as_hmac_secret_is_a_bad_signature() {
        let token = hs_token(
            Algorithm::HS256,
            keys().public_pem.as_bytes(),
            &host_claims(),
        );
        assert_eq!(verify_host(&token), Err(JwtError::BadSignature));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_a_bad_signature() {
        let token = hs_token(Algorithm::HS256, b"someone-elses-secret", &host_claims());
        assert_eq!(verify_host(&token), Err(JwtError::BadSignature));
    }

    #[test]
    fn an_edited_payload_is_a_bad_signature() {
        let genuine = host_token_with(|_| {});
        let forged_payload = b64_json(&json!({
            "iss": CLIENT_KEY, "sub": "admin", "iat": at(-10), "exp": at(170), "qsh": PAGE_QSH,
        }));
        let parts: Vec<&str> = genuine.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(verify_host(&forged), Err(JwtError::BadSignature));
    }

    #[test]
    fn an_empty_shared_secret_is_refused_as_a_bad_key() {
        let token = host_token_with(|_| {});
        assert_eq!(
            verify_host_jwt(&token, b"", PAGE_QSH, now()),
            Err(JwtError::BadKey)
        );
    }

    #[test]
    fn a_token_expired_beyond_the_leeway_is_rejected() {
        let token = host_token_with(|c| {
            c.insert("iat".into(), json!(at(-600)));
            c.insert("exp".into(), json!(at(-LEEWAY_SECONDS - 1)));
        });
        assert_eq!(verify_host(&token), Err(JwtError::Expired));
    }

    #[test]
    fn a_token_expiring_exactly_at_the_leeway_edge_is_rejected() {
        let token = host_token_with(|c| {
            c.insert("iat".into(), json!(at(-600)));
            c.insert("exp".into(), json!(at(-LEEWAY_SECONDS)));
        });
        assert_eq!(verify_host(&token), Err(JwtError::Expired));
    }

    #[test]
    fn a_token_expired_within_the_leeway_is_accepted() {
        let token = host_token_with(|c| {
            c.insert("iat".into(), json!(at(-600)));
            c.insert("exp".into(), json!(at(-LEEWAY_SECONDS + 1)));
        });
        assert!(verify_host(&token).is_ok());
    }

    #[test]
    fn a_token_without_exp_is_rejected() {
        let token = host_token_with(|c| {
            c.remove("exp");
        });
        assert_eq!(verify_host(&token), Err(JwtError::MissingExp));
    }

    #[test]
    fn a_token_without_iat_is_rejected() {
        let token = host_token_with(|c| {
            c.remove("iat");
        });
        assert_eq!(verify_host(&token), Err(JwtError::MissingIat));
    }

    #[test]
    fn a_token_issued_far_in_the_future_is_rejected() {
        let token = host_token_with(|c| {
            c.insert("iat".into(), json!(at(3600)));
            c.insert("exp".into(), json!(at(3780)));
        });
        assert_eq!(verify_host(&token), Err(JwtError::IssuedInFuture));
    }

    #[test]
    fn a_token_issued_slightly_in_the_future_within_the_leeway_is_accepted() {
        let token = host_token_with(|c| {
            c.insert("iat".into(), json!(at(LEEWAY_SECONDS)));
        });
        assert!(verify_host(&token).is_ok());
    }

    #[test]
    fn a_token_not_valid_before_a_future_time_is_rejected() {
        let token = host_token_with(|c| {
            c.insert("nbf".into(), json!(at(120)));
        });
        assert_eq!(verify_host(&token), Err(JwtError::NotYetValid));
    }

    #[test]
    fn a_token_expiring_before_it_was_issued_is_rejected() {
        let token = host_token_with(|c| {
            c.insert("iat".into(), json!(at(20)));
            c.insert("exp".into(), json!(at(10)));
        });
        assert_eq!(verify_host(&token), Err(JwtError::ExpiresBeforeIssued));
    }

    #[test]
    fn time_claims_that_are_not_whole_numbers_are_malformed() {
        let token = host_token_with(|c| {
            c.insert("exp".into(), json!(at(170).to_string()));
        });
        assert_eq!(verify_host(&token), Err(JwtError::Malformed));
    }

    #[test]
    fn a_token_for_another_request_is_a_qsh_mismatch() {
        let other_qsh = query_string_hash("GET", "/app/tokens/access", "", &[]);
        let token = host_token_with(|c| {
            c.insert("qsh".into(), json!(other_qsh));
        });
        assert_eq!(verify_host(&token), Err(JwtError::QshMismatch));
    }

    #[test]
    fn a_token_without_qsh_is_rejected() {
        let token = host_token_with(|c| {
            c.remove("qsh");
        });
        assert_eq!(verify_host(&token), Err(JwtError::MissingQsh));
    }

    #[test]
    fn a_context_jwt_is_rejected_on_the_host_path() {
        let token = host_token_with(|c| {
            c.insert("qsh".into(), json!(CONTEXT_QSH));
        });
        assert_eq!(verify_host(&token), Err(JwtError::ContextQshNotAllowed));
    }

    #[test]
    fn a_token_without_iss_is_rejected() {
        let token = host_token_with(|c| {
            c.remove("iss");
        });
        assert_eq!(verify_host(&token), Err(JwtError::MissingIssuer));
    }

    #[test]
    fn tokens_that_are_not_three_segments_or_have_garbage_headers_are_malformed() {
        let genuine = host_token_with(|_| {});
        for token in [
            String::new(),
            "abc".to_owned(),
            "abc.def".to_owned(),
            format!("{genuine}.extra"),
            format!(".{}", genuine.split_once('.').unwrap().1),
            format!("!!!.{}", genuine.split_once('.').unwrap().1),
            format!(
                "{}.{}",
                b64_json(&json!(["not", "an", "object"])),
                genuine.split_once('.').unwrap().1
            ),
        ] {
            assert_eq!(verify_host(&token), Err(JwtError::Malformed), "{token}");
        }
    }

    #[test]
    fn an_oversized_token_is_refused_before_parsing() {
        let token = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(verify_host(&token), Err(JwtError::TooLarge));
        assert_eq!(unverified_hs256_issuer(&token), Err(JwtError::TooLarge));
    }

    #[test]
    fn the_algorithm_name_is_matched_exactly() {
        let header = b64_json(&json!({ "alg": "hs256", "typ": "JWT" }));
        let rest = host_token_with(|_| {});
        let token = format!("{header}.{}", rest.split_once('.').unwrap().1);
        assert_eq!(
            verify_host(&token),
            Err(JwtError::WrongAlgorithm("hs256".into()))
        );
    }

    #[test]
    fn a_header_with_critical_extensions_is_refused() {
        let header = b64_json(&json!({ "alg": "HS256", "crit": ["b64"], "b64": false }));
        let rest = host_token_with(|_| {});
        let token = format!("{header}.{}", rest.split_once('.').unwrap().1);
        assert_eq!(verify_host(&token), Err(JwtError::Malformed));
    }

    #[test]
    fn an_odd_algorithm_name_is_never_echoed_into_logs() {
        let header = b64_json(&json!({ "alg": "<script>\nalert(1)" }));
        let token = format!("{header}.{}.", b64_json(&host_claims()));
        let err = verify_host(&token).unwrap_err();
        assert_eq!(err, JwtError::WrongAlgorithm("(unrecognised)".into()));
        assert!(!err.to_string().contains("script"));
    }

    // --- signed install ------------------------------------------------------------------

    #[test]
    fn a_valid_signed_install_token_is_accepted() {
        let token = sign_install_jwt(
            &keys().private_pem,
            KID,
            CLIENT_KEY,
            APP_URL,
            &install_qsh(),
            now() - Duration::seconds(5),
            Duration::minutes(3),
        )
        .unwrap();

        assert_eq!(install_kid(&token).unwrap(), KID);
        let claims = verify_install(&token).unwrap();

        assert_eq!(claims.iss, CLIENT_KEY);
        assert_eq!(claims.aud, vec![APP_URL.to_owned()]);
        assert_eq!(claims.qsh, install_qsh());
        assert_eq!((claims.iat, claims.exp), (at(-5), at(175)));
    }

    #[test]
    fn a_pkcs1_public_key_pem_is_also_understood() {
        use rsa::pkcs1::EncodeRsaPublicKey;
        use rsa::pkcs8::DecodePublicKey;
        let public = rsa::RsaPublicKey::from_public_key_pem(&keys().public_pem).unwrap();
        let pkcs1 = public.to_pkcs1_pem(LineEnding::LF).unwrap();
        let token = install_token_with(|_| {});
        assert!(
            verify_install_jwt(&token, &pkcs1, APP_URL, CLIENT_KEY, &install_qsh(), now()).is_ok()
        );
    }

    #[test]
    fn the_audience_may_be_a_plain_string_with_a_trailing_slash_and_upper_case_scheme() {
        let token = install_token_with(|c| {
            c.insert("aud".into(), json!("HTTP://127.0.0.1:8080/"));
        });
        assert!(verify_install(&token).is_ok());
    }

    #[test]
    fn audience_and_expected_base_url_are_compared_after_normalising_both() {
        let token = install_token_with(|c| {
            c.insert("aud".into(), json!(["https://BI.Example.COM:443/connect/"]));
        });
        let verify = |expected: &str| {
            verify_install_jwt(
                &token,
                &keys().public_pem,
                expected,
                CLIENT_KEY,
                &install_qsh(),
                now(),
            )
        };
        assert!(verify("https://bi.example.com/connect").is_ok());
        assert!(verify("HTTPS://bi.example.com/connect/").is_ok());
        assert_eq!(
            verify("https://bi.example.com/Connect"),
            Err(JwtError::WrongAudience)
        );
        assert_eq!(verify("not a url"), Err(JwtError::WrongAudience));
    }

    #[test]
    fn an_hs256_signed_install_token_is_rejected() {
        let token = hs_token(Algorithm::HS256, SECRET, &install_claims());
        assert_eq!(
            install_kid(&token),
            Err(JwtError::WrongAlgorithm("HS256".into()))
        );
        assert_eq!(
            verify_install(&token),
            Err(JwtError::WrongAlgorithm("HS256".into()))
        );
    }

    #[test]
    fn an_hs256_token_keyed_with_the_install_public_key_is_rejected() {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(KID.to_owned());
        let token = jsonwebtoken::encode(
            &header,
            &install_claims(),
            &EncodingKey::from_secret(keys().public_pem.as_bytes()),
        )
        .unwrap();
        assert_eq!(
            verify_install(&token),
            Err(JwtError::WrongAlgorithm("HS256".into()))
        );
    }

    #[test]
    fn other_rsa_algorithms_are_rejected_on_the_install_path() {
        for (alg, name) in [(Algorithm::RS512, "RS512"), (Algorithm::PS256, "PS256")] {
            let token = rs_token(alg, Some(KID), &keys().private_pem, &install_claims());
            assert_eq!(
                install_kid(&token),
                Err(JwtError::WrongAlgorithm(name.into()))
            );
            assert_eq!(
                verify_install(&token),
                Err(JwtError::WrongAlgorithm(name.into()))
            );
        }
    }

    #[test]
    fn an_install_token_signed_with_another_key_is_a_bad_signature() {
        let token = rs_token(
            Algorithm::RS256,
            Some(KID),
            &other_keys().private_pem,
            &install_claims(),
        );
        assert_eq!(verify_install(&token), Err(JwtError::BadSignature));
    }

    #[test]
    fn an_install_token_for_another_app_is_a_wrong_audience() {
        for aud in [
            json!(["https://evil.example.com"]),
            json!(["http://127.0.0.1:8080/other"]),
            json!(["http://127.0.0.1:8081"]),
            json!(["https://127.0.0.1:8080"]),
            json!("127.0.0.1:8080"),
        ] {
            let token = install_token_with(|c| {
                c.insert("aud".into(), aud.clone());
            });
            assert_eq!(
                verify_install(&token),
                Err(JwtError::WrongAudience),
                "{aud}"
            );
        }
    }

    #[test]
    fn only_the_first_audience_entry_counts() {
        let token = install_token_with(|c| {
            c.insert("aud".into(), json!(["https://evil.example.com", APP_URL]));
        });
        assert_eq!(verify_install(&token), Err(JwtError::WrongAudience));
    }

    #[test]
    fn an_install_token_without_audience_is_rejected() {
        for edit in [None, Some(json!([]))] {
            let token = install_token_with(|c| match edit {
                None => {
                    c.remove("aud");
                }
                Some(aud) => {
                    c.insert("aud".into(), aud);
                }
            });
            assert_eq!(verify_install(&token), Err(JwtError::MissingAudience));
        }
    }

    #[test]
    fn an_install_token_from_another_tenant_is_a_wrong_issuer() {
        let token = install_token_with(|c| {
            c.insert("iss".into(), json!("jira:another-tenant"));
        });
        assert_eq!(verify_install(&token), Err(JwtError::WrongIssuer));
    }

    #[test]
    fn an_install_token_for_another_callback_is_a_qsh_mismatch() {
        let token = install_token_with(|c| {
            c.insert(
                "qsh".into(),
                json!(query_string_hash("POST", "/lifecycle/uninstalled", "", &[])),
            );
        });
        assert_eq!(verify_install(&token), Err(JwtError::QshMismatch));
        let context = install_token_with(|c| {
            c.insert("qsh".into(), json!(CONTEXT_QSH));
        });
        assert_eq!(
            verify_install(&context),
            Err(JwtError::ContextQshNotAllowed)
        );
    }

    #[test]
    fn an_expired_install_token_is_rejected() {
        let token = install_token_with(|c| {
            c.insert("iat".into(), json!(at(-600)));
            c.insert("exp".into(), json!(at(-420)));
        });
        assert_eq!(verify_install(&token), Err(JwtError::Expired));
    }

    #[test]
    fn an_install_token_issued_too_long_ago_is_rejected_even_if_not_expired() {
        let token = install_token_with(|c| {
            c.insert("iat".into(), json!(at(-MAX_INSTALL_TOKEN_AGE_SECONDS - 1)));
            c.insert("exp".into(), json!(at(3600)));
        });
        assert_eq!(verify_install(&token), Err(JwtError::TooOld));
    }

    #[test]
    fn an_install_token_without_kid_is_rejected() {
        let token = rs_token(
            Algorithm::RS256,
            None,
            &keys().private_pem,
            &install_claims(),
        );
        assert_eq!(install_kid(&token), Err(JwtError::MissingKid));
        assert_eq!(verify_install(&token), Err(JwtError::MissingKid));
    }

    #[test]
    fn a_kid_that_walks_up_the_key_server_path_is_rejected() {
        for kid in ["../secrets", "connect/../../etc", "a/..", "..", "a..b"] {
            let token = rs_token(
                Algorithm::RS256,
                Some(kid),
                &keys().private_pem,
                &install_claims(),
            );
            assert_eq!(install_kid(&token), Err(JwtError::InvalidKid), "{kid}");
            assert_eq!(verify_install(&token), Err(JwtError::InvalidKid), "{kid}");
        }
    }

    #[test]
    fn a_kid_with_odd_characters_or_shape_is_rejected() {
        let long = "k".repeat(MAX_KID_LEN + 1);
        for kid in [
            "",
            "/absolute",
            "a b",
            "a?x=1",
            "a#frag",
            "a%2e%2e",
            "a\\b",
            "host:443",
            "ké",
            "a\nb",
            "a//b",
            "a/./b",
            "trailing/",
            long.as_str(),
        ] {
            assert_eq!(validate_kid(kid), Err(JwtError::InvalidKid), "{kid:?}");
        }
        let token = rs_token(
            Algorithm::RS256,
            Some("https://evil.example.com/key"),
            &keys().private_pem,
            &install_claims(),
        );
        assert_eq!(install_kid(&token), Err(JwtError::InvalidKid));
    }

    #[test]
    fn ordinary_kids_are_accepted() {
        for kid in [
            "connect/prod/3a2b1c",
            "micros/connect-install-keys/abc-123_DEF",
            "key.v2",
            &"k".repeat(MAX_KID_LEN),
        ] {
            assert_eq!(validate_kid(kid), Ok(()), "{kid}");
        }
    }

    #[test]
    fn an_unusable_or_small_public_key_is_refused() {
        let token = install_token_with(|_| {});
        for pem in ["", "not a pem", keys().private_pem.as_str()] {
            assert_eq!(
                verify_install_jwt(&token, pem, APP_URL, CLIENT_KEY, &install_qsh(), now()),
                Err(JwtError::BadKey)
            );
        }
        let small = generate(1024);
        let small_token = rs_token(
            Algorithm::RS256,
            Some(KID),
            &small.private_pem,
            &install_claims(),
        );
        assert_eq!(
            verify_install_jwt(
                &small_token,
                &small.public_pem,
                APP_URL,
                CLIENT_KEY,
                &install_qsh(),
                now()
            ),
            Err(JwtError::BadKey)
        );
    }

    // --- session tokens ------------------------------------------------------------------

    fn session_token() -> String {
        sign_session_token(
            &SESSION_KEY,
            CLIENT_KEY,
            ACCOUNT_ID,
            now(),
            Duration::minutes(15),
        )
        .unwrap()
    }

    #[test]
    fn a_session_token_round_trips() {
        let claims = verify_session_token(&SESSION_KEY, &session_token(), now(), MAX_AGE).unwrap();
        assert_eq!(
            claims,
            SessionClaims {
                client_key: CLIENT_KEY.to_owned(),
                account_id: ACCOUNT_ID.to_owned(),
                iat: at(0),
                exp: at(15 * 60),
                auth_time: at(0),
            }
        );
    }

    #[test]
    fn a_session_token_with_a_flipped_signature_character_is_rejected() {
        let token = flip_char(&session_token(), 2, 5);
        assert_eq!(
            verify_session_token(&SESSION_KEY, &token, now(), MAX_AGE),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn a_session_token_with_a_flipped_payload_character_is_rejected() {
        let token = flip_char(&session_token(), 1, 10);
        assert_eq!(
            verify_session_token(&SESSION_KEY, &token, now(), MAX_AGE),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn a_session_token_for_another_user_cannot_be_forged_by_swapping_the_payload() {
        let genuine = session_token();
        let parts: Vec<&str> = genuine.split('.').collect();
        let forged_payload = b64_json(&json!({
            "iss": SESSION_ISSUER, "typ": SESSION_TOKEN_TYPE, "tnt": CLIENT_KEY,
            "sub": "someone-else", "iat": at(0), "exp": at(900),
        }));
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(
            verify_session_token(&SESSION_KEY, &forged, now(), MAX_AGE),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn an_expired_session_token_says_expired() {
        let later = now() + Duration::minutes(15) + Duration::seconds(LEEWAY_SECONDS);
        assert_eq!(
            verify_session_token(&SESSION_KEY, &session_token(), later, MAX_AGE),
            Err(JwtError::Expired)
        );
    }

    /// A token renewed at `renewed` (fresh for 15 minutes) of a session that began at `began`.
    fn renewed_session_token(began: OffsetDateTime, renewed: OffsetDateTime) -> String {
        sign_session_token_since(
            &SESSION_KEY,
            CLIENT_KEY,
            ACCOUNT_ID,
            began.unix_timestamp(),
            renewed,
            Duration::minutes(15),
        )
        .unwrap()
    }

    #[test]
    fn a_renewed_session_token_keeps_the_time_the_session_began() {
        let began = now() - Duration::hours(2);
        let claims = verify_session_token(
            &SESSION_KEY,
            &renewed_session_token(began, now()),
            now(),
            MAX_AGE,
        )
        .unwrap();
        assert_eq!(claims.auth_time, began.unix_timestamp());
        assert_eq!(claims.iat, at(0));
    }

    #[test]
    fn a_freshly_renewed_token_is_refused_once_its_session_is_older_than_the_maximum() {
        let began = now() - MAX_AGE;
        let just_renewed = renewed_session_token(began, now());
        assert_eq!(
            verify_session_token(&SESSION_KEY, &just_renewed, now(), MAX_AGE),
            Err(JwtError::SessionTooOld)
        );
        let a_second_younger = renewed_session_token(began + Duration::seconds(1), now());
        assert!(verify_session_token(&SESSION_KEY, &a_second_younger, now(), MAX_AGE).is_ok());
        assert_eq!(
            verify_session_token(
                &SESSION_KEY,
                &a_second_younger,
                now() + Duration::seconds(1),
                MAX_AGE
            ),
            Err(JwtError::SessionTooOld)
        );
    }

    #[test]
    fn a_session_token_without_a_start_time_or_starting_in_the_future_is_refused() {
        let no_start = hs_token(
            Algorithm::HS256,
            &SESSION_KEY,
            &json!({ "iss": SESSION_ISSUER, "typ": SESSION_TOKEN_TYPE, "tnt": CLIENT_KEY,
                     "sub": ACCOUNT_ID, "iat": at(0), "exp": at(900) }),
        );
        assert_eq!(
            verify_session_token(&SESSION_KEY, &no_start, now(), MAX_AGE),
            Err(JwtError::MissingAuthTime)
        );
        let future = renewed_session_token(now() + Duration::minutes(5), now());
        assert_eq!(
            verify_session_token(&SESSION_KEY, &future, now(), MAX_AGE),
            Err(JwtError::IssuedInFuture)
        );
    }

    #[test]
    fn a_session_names_its_tenant_expired_or_not_but_only_when_it_is_ours() {
        assert_eq!(
            session_token_tenant(&SESSION_KEY, &session_token()).as_deref(),
            Ok(CLIENT_KEY)
        );
        let forged = flip_char(&session_token(), 1, 10);
        assert_eq!(
            session_token_tenant(&SESSION_KEY, &forged),
            Err(JwtError::BadSignature)
        );
        assert!(session_token_tenant(&[8u8; 32], &session_token()).is_err());
    }

    #[test]
    fn a_session_token_signed_with_another_key_is_rejected() {
        let token = sign_session_token(
            &[8u8; 32],
            CLIENT_KEY,
            ACCOUNT_ID,
            now(),
            Duration::minutes(15),
        )
        .unwrap();
        assert_eq!(
            verify_session_token(&SESSION_KEY, &token, now(), MAX_AGE),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn a_jira_host_token_is_not_accepted_as_a_session_token() {
        let token = host_token_with(|_| {});
        assert_eq!(
            verify_session_token(&SESSION_KEY, &token, now(), MAX_AGE),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn a_jira_shaped_token_under_the_session_key_is_still_not_a_session_token() {
        let jira_shaped = hs_token(Algorithm::HS256, &SESSION_KEY, &host_claims());
        assert_eq!(
            verify_session_token(&SESSION_KEY, &jira_shaped, now(), MAX_AGE),
            Err(JwtError::WrongIssuer)
        );
        let untyped = hs_token(
            Algorithm::HS256,
            &SESSION_KEY,
            &json!({ "iss": SESSION_ISSUER, "tnt": CLIENT_KEY, "sub": ACCOUNT_ID,
                     "iat": at(0), "exp": at(900) }),
        );
        assert_eq!(
            verify_session_token(&SESSION_KEY, &untyped, now(), MAX_AGE),
            Err(JwtError::WrongTokenType)
        );
    }

    #[test]
    fn a_session_token_is_not_accepted_as_a_jira_host_token() {
        assert_eq!(
            verify_host_jwt(&session_token(), &SESSION_KEY, PAGE_QSH, now()),
            Err(JwtError::MissingQsh)
        );
        assert_eq!(
            verify_host_jwt(&session_token(), SECRET, PAGE_QSH, now()),
            Err(JwtError::BadSignature)
        );
    }

    #[test]
    fn a_session_token_with_another_algorithm_is_rejected() {
        let claims = json!({
            "iss": SESSION_ISSUER, "typ": SESSION_TOKEN_TYPE, "tnt": CLIENT_KEY,
            "sub": ACCOUNT_ID, "iat": at(0), "exp": at(900),
        });
        let token = hs_token(Algorithm::HS512, &SESSION_KEY, &claims);
        assert_eq!(
            verify_session_token(&SESSION_KEY, &token, now(), MAX_AGE),
            Err(JwtError::WrongAlgorithm("HS512".into()))
        );
    }

    #[test]
    fn session_tokens_need_a_tenant_a_user_and_a_positive_lifetime() {
        let sign = |client: &str, account: &str, ttl: Duration| {
            sign_session_token(&SESSION_KEY, client, account, now(), ttl)
        };
        assert!(matches!(
            sign("", ACCOUNT_ID, Duration::minutes(1)),
            Err(JwtError::InvalidInput(_))
        ));
        assert!(matches!(
            sign(CLIENT_KEY, "", Duration::minutes(1)),
            Err(JwtError::InvalidInput(_))
        ));
        assert!(matches!(
            sign(CLIENT_KEY, ACCOUNT_ID, Duration::ZERO),
            Err(JwtError::InvalidInput(_))
        ));
        let no_tenant = hs_token(
            Algorithm::HS256,
            &SESSION_KEY,
            &json!({ "iss": SESSION_ISSUER, "typ": SESSION_TOKEN_TYPE, "sub": ACCOUNT_ID,
                     "iat": at(0), "exp": at(900) }),
        );
        assert_eq!(
            verify_session_token(&SESSION_KEY, &no_tenant, now(), MAX_AGE),
            Err(JwtError::MissingTenant)
        );
        let no_user = hs_token(
            Algorithm::HS256,
            &SESSION_KEY,
            &json!({ "iss": SESSION_ISSUER, "typ": SESSION_TOKEN_TYPE, "tnt": CLIENT_KEY,
                     "iat": at(0), "exp": at(900) }),
        );
        assert_eq!(
            verify_session_token(&SESSION_KEY, &no_user, now(), MAX_AGE),
            Err(JwtError::MissingSubject)
        );
    }
}
