//! Signs what Jira signs: RS256 install/uninstall tokens with a `kid` whose public key the
//! emulator itself serves, and HS256 tokens with the tenant's shared secret. Deliberately
//! independent of the app's own JWT code, so the two cannot share a bug.

use std::sync::Arc;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::crypto::{hex, sha256};

use super::error::EmulatorError;

/// The emulator's install-signing key pair.
pub(crate) struct InstallKey {
    pub kid: String,
    key: EncodingKey,
    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`), as Atlassian's key server serves it.
    pub public_pem: String,
}

/// One key per process: RSA-2048 generation takes seconds in debug builds, and every emulator
/// (tests start many) can share it, as all Jira sites share Atlassian's install key.
static INSTALL_KEY: OnceCell<Arc<InstallKey>> = OnceCell::const_new();

/// The process's install key, generated on a blocking thread the first time it is needed.
pub(crate) async fn install_key() -> Result<Arc<InstallKey>, EmulatorError> {
    INSTALL_KEY
        .get_or_try_init(|| async {
            tokio::task::spawn_blocking(generate_install_key)
                .await
                .map_err(|error| EmulatorError::Signing(error.to_string()))?
        })
        .await
        .cloned()
}

fn generate_install_key() -> Result<Arc<InstallKey>, EmulatorError> {
    let signing = |error: &dyn std::fmt::Display| EmulatorError::Signing(error.to_string());
    let private = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(|e| signing(&e))?;
    let der = private.to_pkcs1_der().map_err(|e| signing(&e))?;
    let public = private.to_public_key();
    let public_pem = public
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| signing(&e))?;
    let public_der = public.to_public_key_der().map_err(|e| signing(&e))?;
    let fingerprint = hex(&sha256(public_der.as_bytes())[..8]);
    Ok(Arc::new(InstallKey {
        kid: format!("jira-emulator-{fingerprint}"),
        key: EncodingKey::from_rsa_der(der.as_bytes()),
        public_pem,
    }))
}

/// An RS256 token with `kid`, like Jira's signed `installed`/`uninstalled` callbacks.
pub(crate) fn sign_install(key: &InstallKey, claims: &Value) -> Result<String, EmulatorError> {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    header.typ = Some("JWT".to_owned());
    encode(&header, claims, &key.key).map_err(|error| EmulatorError::Signing(error.to_string()))
}

/// An HS256 token signed with the tenant's shared secret (page loads, enabled/disabled); public so
/// tests can forge host tokens (a wrong secret, a spoiled claim) the way Jira would sign them.
pub fn sign_shared(secret: &str, claims: &Value) -> Result<String, EmulatorError> {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some("JWT".to_owned());
    encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|error| EmulatorError::Signing(error.to_string()))
}
