//! Keys, claims and hand-made tokens the JWT unit tests share. Each refusal reason from
//! `connect-auth.md` §2–§4 has a test; tokens are crafted with the signing helpers here,
//! `jsonwebtoken` directly, or by hand (alg `none`). The product signs no Jira token, so the
//! Jira-style signers live here, in the tests.

use std::sync::OnceLock;

use rsa::RsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use time::macros::datetime;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

use super::{HostClaims, InstallClaims, JwtError, verify_host_jwt, verify_install_jwt};
use crate::connect::qsh::query_string_hash;

pub(crate) const SECRET: &[u8] = b"tenant-shared-secret-0123456789abcdefghijklmnop";
pub(crate) const CLIENT_KEY: &str = "jira:5b1e6d1c-4c1f-4bb5-9d3a-1a2b3c4d5e6f";
pub(crate) const ACCOUNT_ID: &str = "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077";
/// V3 from the reference: a real page-load qsh.
pub(crate) const PAGE_QSH: &str =
    "8063ff4ca1e41df7bc90c8ab6d0f6207d491cf6dad7c66ea797b4614b71922e9";
pub(crate) const APP_URL: &str = "http://127.0.0.1:8080";
pub(crate) const KID: &str = "connect/prod/3a2b1c4d-key.v1";
pub(crate) const SESSION_KEY: [u8; 32] = [7u8; 32];
/// The default `SESSION_MAX_MINUTES`.
pub(crate) const MAX_AGE: Duration = Duration::minutes(480);

pub(crate) struct Keys {
    pub(crate) private_pem: String,
    pub(crate) public_pem: String,
}

pub(crate) fn generate(bits: usize) -> Keys {
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
pub(crate) fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| generate(2048))
}

/// Someone else's key.
pub(crate) fn other_keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| generate(2048))
}

pub(crate) fn now() -> OffsetDateTime {
    datetime!(2025-06-01 12:00:00 UTC)
}

pub(crate) fn at(offset_seconds: i64) -> i64 {
    now().unix_timestamp() + offset_seconds
}

pub(crate) fn install_qsh() -> String {
    query_string_hash("POST", "/lifecycle/installed", "", &[])
}

pub(crate) fn b64_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

pub(crate) fn hs_token(alg: Algorithm, secret: &[u8], claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret)).unwrap()
}

pub(crate) fn rs_token(
    alg: Algorithm,
    kid: Option<&str>,
    private_pem: &str,
    claims: &Value,
) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

pub(crate) fn host_claims() -> Value {
    json!({
        "iss": CLIENT_KEY,
        "sub": ACCOUNT_ID,
        "iat": at(-10),
        "exp": at(170),
        "qsh": PAGE_QSH,
    })
}

pub(crate) fn host_token_with(edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let mut claims = host_claims();
    edit(claims.as_object_mut().unwrap());
    hs_token(Algorithm::HS256, SECRET, &claims)
}

pub(crate) fn verify_host(token: &str) -> Result<HostClaims, JwtError> {
    verify_host_jwt(token, SECRET, PAGE_QSH, now())
}

pub(crate) fn install_claims() -> Value {
    json!({
        "iss": CLIENT_KEY,
        "aud": [APP_URL],
        "iat": at(-5),
        "exp": at(175),
        "qsh": install_qsh(),
    })
}

pub(crate) fn install_token_with(edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let mut claims = install_claims();
    edit(claims.as_object_mut().unwrap());
    rs_token(Algorithm::RS256, Some(KID), &keys().private_pem, &claims)
}

pub(crate) fn verify_install(token: &str) -> Result<InstallClaims, JwtError> {
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
pub(crate) fn flip_char(token: &str, segment: usize, index: usize) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let replacement = if parts[segment].as_bytes()[index] == b'A' {
        "B"
    } else {
        "A"
    };
    parts[segment].replace_range(index..=index, replacement);
    parts.join(".")
}

/// Signs a token the way Jira signs page loads.
pub(crate) fn sign_host_jwt(
    secret: &[u8],
    iss: &str,
    sub: Option<&str>,
    qsh: &str,
    iat: OffsetDateTime,
    ttl: Duration,
) -> Result<String, JwtError> {
    let iat = iat.unix_timestamp();
    let exp = iat + ttl.whole_seconds();
    let mut claims = json!({ "iss": iss, "iat": iat, "exp": exp, "qsh": qsh });
    if let Some(sub) = sub {
        claims["sub"] = json!(sub);
    }
    Ok(hs_token(Algorithm::HS256, secret, &claims))
}

/// Signs a signed-install token the way Atlassian does: RS256 with `kid` in the header, `aud` as
/// a one-element array.
pub(crate) fn sign_install_jwt(
    private_pem: &str,
    kid: &str,
    iss: &str,
    aud: &str,
    qsh: &str,
    iat: OffsetDateTime,
    ttl: Duration,
) -> Result<String, JwtError> {
    let iat = iat.unix_timestamp();
    let exp = iat + ttl.whole_seconds();
    let claims = json!({ "iss": iss, "aud": [aud], "iat": iat, "exp": exp, "qsh": qsh });
    Ok(rs_token(Algorithm::RS256, Some(kid), private_pem, &claims))
}
