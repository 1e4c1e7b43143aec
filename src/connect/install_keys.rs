//! Atlassian's public keys for signed install callbacks, fetched from `INSTALL_KEYS_URL/<kid>`
//! with a timeout and cached by kid (Atlassian rotates keys by issuing a new kid, so a cached key
//! never goes stale).

use std::collections::HashMap;
use std::sync::RwLock;

use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the key server has no key with this kid (status {0})")]
    Unknown(u16),
    #[error("the key server could not be reached: {0}")]
    Unreachable(String),
    #[error("the key server answered something that is not a PEM public key")]
    NotAPublicKey,
}

/// Keys are small and few; a process-local map is enough, and survives until restart.
pub struct InstallKeys {
    base: Url,
    http: reqwest::Client,
    cache: RwLock<HashMap<String, String>>,
}

impl InstallKeys {
    pub fn new(base: Url, http: reqwest::Client) -> Self {
        Self {
            base,
            http,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// The PEM public key for `kid` (already validated by the JWT layer: safe charset, no `..`).
    pub async fn public_key(&self, kid: &str) -> Result<String, KeyError> {
        if let Some(pem) = self.cache.read().ok().and_then(|c| c.get(kid).cloned()) {
            return Ok(pem);
        }
        let url = format!("{}/{}", self.base.as_str().trim_end_matches('/'), kid);
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| KeyError::Unreachable(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(KeyError::Unknown(status.as_u16()));
        }
        let pem = response
            .text()
            .await
            .map_err(|e| KeyError::Unreachable(e.without_url().to_string()))?;
        if !pem.trim_start().starts_with("-----BEGIN PUBLIC KEY-----") {
            return Err(KeyError::NotAPublicKey);
        }
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(kid.to_owned(), pem.clone());
        }
        Ok(pem)
    }
}
