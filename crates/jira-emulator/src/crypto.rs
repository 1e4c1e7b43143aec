//! The emulator's few uses of cryptography, on `ring` directly rather than through the product's
//! helpers: SHA-256 (qsh, derived identifiers), constant-time comparison (API tokens), random
//! shared secrets, and a secret type that never prints.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Compares two byte strings in time that depends only on their lengths (never where they differ).
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// `N` random bytes from the operating system, base64url without padding (what Jira's shared
/// secrets look like: 43 characters for 32 bytes).
pub(crate) fn random_token<const N: usize>() -> Result<String, ring::error::Unspecified> {
    let mut bytes = [0u8; N];
    SystemRandom::new().fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// A shared secret: `Debug` and `Display` print `***`, so it cannot leak into a log line.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SecretString(String);

impl SecretString {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_foo_is_the_value_the_connect_docs_print() {
        // Source: the original Connect "Understanding JWT" page (and ACSB's javadoc).
        assert_eq!(
            hex(&sha256(b"foo")),
            "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
        );
    }

    #[test]
    fn constant_time_eq_compares_length_and_every_byte() {
        assert!(constant_time_eq(b"token", b"token"));
        assert!(!constant_time_eq(b"token", b"tokeN"));
        assert!(!constant_time_eq(b"Token", b"token"));
        assert!(!constant_time_eq(b"token", b"token!"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn random_tokens_are_url_safe_of_the_asked_length_and_differ() {
        let one = random_token::<32>().expect("randomness");
        let two = random_token::<32>().expect("randomness");
        assert_eq!(one.len(), 43);
        assert!(
            one.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(one, two);
    }

    #[test]
    fn a_secret_never_prints() {
        let secret = SecretString::new("s3cr3t");
        assert_eq!(format!("{secret} {secret:?}"), "*** ***");
        assert_eq!(secret.expose(), "s3cr3t");
    }
}
