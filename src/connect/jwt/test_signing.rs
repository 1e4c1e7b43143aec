//! Test-only signing for the integration tests, which forge Jira tokens; the product never signs
//! a Jira token. Removed once tests/api uses the emulator's signer.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::common::{JwtError, encode, hmac_secret, lifetime, non_empty};

/// Signs a token the way Jira signs page loads.
#[doc(hidden)]
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
