//! The one place that touches ring: randomness, hashing, constant-time comparison, HKDF and the
//! AES-256-GCM envelope used for every secret we keep at rest. Keeping it here means a reviewer
//! audits one file to know how secrets are protected.

use std::fmt;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use ring::{digest, hkdf};

/// A string that must never be logged or rendered: `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The only way to read the secret; grep for it to audit every use.
    pub fn expose(&self) -> &str {
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

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the system random number generator failed")]
    Random,
    #[error("stored ciphertext is malformed or was tampered with")]
    Decrypt,
    #[error("at-rest key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
}

/// `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    SystemRandom::new()
        .fill(&mut out)
        .map_err(|_| CryptoError::Random)?;
    Ok(out)
}

/// A random URL-safe identifier of `N` random bytes (for reference ids and shared secrets).
pub fn random_token<const N: usize>() -> Result<String, CryptoError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<N>()?))
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
    out
}

/// HMAC-SHA256 of `data` under `key` (for tamper-evident tokens such as feed paging cursors).
pub fn hmac_sha256(key: &[u8; 32], data: &[u8]) -> [u8; 32] {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::hmac::sign(&key, data).as_ref());
    out
}

/// Constant-time equality for secrets, hashes and MACs: the time taken depends only on the
/// lengths (which are public: hashes and MACs have fixed sizes), never on where bytes differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The server's master secret, kept in `DATA_DIR`; every other key is derived from it with HKDF,
/// so one file protects tenant secrets, Jira API tokens and session tokens, each under its own key.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

const KEY_FILE: &str = "at-rest.key";

impl MasterKey {
    /// Where a single instance keeps its key when `MASTER_KEY_FILE` is unset.
    pub fn data_dir_path(data_dir: &Path) -> std::path::PathBuf {
        data_dir.join(KEY_FILE)
    }

    /// Reads `<data_dir>/at-rest.key`, creating it (mode 0600) with 32 random bytes if absent.
    /// An existing file that the group or others may access is refused.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, CryptoError> {
        let path = data_dir.join(KEY_FILE);
        match Self::read(&path)? {
            Some(key) => Ok(key),
            None => Self::create(&path),
        }
    }

    /// Reads a key file that must exist (`MASTER_KEY_FILE`, shared by every instance): a missing
    /// one is an error, since an instance that made its own key could open nothing the others
    /// sealed.
    pub fn load(path: &Path) -> Result<Self, CryptoError> {
        Self::read(path)?.ok_or_else(|| CryptoError::KeyFile {
            path: path.display().to_string(),
            reason: format!(
                "not found; create it once with `jira-bi-connector generate-key {}` and give \
                 every instance the same file",
                path.display()
            ),
        })
    }

    /// Writes a new random key to `path` (mode 0600); an existing file is never overwritten.
    pub fn create(path: &Path) -> Result<Self, CryptoError> {
        let key_error = |reason: String| CryptoError::KeyFile {
            path: path.display().to_string(),
            reason,
        };
        let key = random_bytes::<32>()?;
        let mut file = create_private_file(path).map_err(|e| key_error(e.to_string()))?;
        file.write_all(URL_SAFE_NO_PAD.encode(key).as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| key_error(e.to_string()))?;
        Ok(Self(key))
    }

    /// The key in `path`, or `None` when there is no such file.
    fn read(path: &Path) -> Result<Option<Self>, CryptoError> {
        let key_error = |reason: String| CryptoError::KeyFile {
            path: path.display().to_string(),
            reason,
        };
        match std::fs::read(path) {
            Ok(bytes) => {
                // The key opens every sealed secret: refuse to run on a copy others can read.
                if let Some(mode) =
                    crate::private_files::loose_mode(path).map_err(|e| key_error(e.to_string()))?
                {
                    return Err(key_error(format!(
                        "mode {mode:04o} lets other users read it; run `chmod 600 {}` and start again",
                        path.display()
                    )));
                }
                let text = String::from_utf8(bytes).map_err(|_| key_error("not UTF-8".into()))?;
                let decoded = URL_SAFE_NO_PAD
                    .decode(text.trim())
                    .map_err(|_| key_error("not base64url".into()))?;
                let key: [u8; 32] = decoded
                    .try_into()
                    .map_err(|_| key_error("must hold exactly 32 bytes".into()))?;
                Ok(Some(Self(key)))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(key_error(err.to_string())),
        }
    }

    #[cfg(test)]
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A 32-byte subkey for one purpose (`info` names it, e.g. `b"session-token-v1"`).
    pub fn derive(&self, info: &'static [u8]) -> [u8; 32] {
        struct Len32;
        impl hkdf::KeyType for Len32 {
            fn len(&self) -> usize {
                32
            }
        }
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"jira-bi-connector");
        let prk = salt.extract(&self.0);
        let info_parts = [info];
        let mut out = [0u8; 32];
        // expand/fill only fail for lengths over 255 * 32 bytes; 32 is always valid.
        if let Ok(okm) = prk.expand(&info_parts, Len32) {
            let _ = okm.fill(&mut out);
        }
        out
    }

    /// The AEAD used for one kind of stored secret.
    pub fn sealer(&self, info: &'static [u8]) -> Sealer {
        Sealer::new(self.derive(info))
    }

    /// True when `other` holds the same key bytes (compared in constant time).
    pub fn same_as(&self, other: &MasterKey) -> bool {
        constant_time_eq(&self.0, &other.0)
    }
}

/// The master key that seals new secrets and signs sessions and cursors, plus the keys a rotation
/// still accepts for *opening* sealed secrets (`MASTER_KEY_DECRYPT_ONLY_FILE`): before the switch
/// that is the new key (rows `rotate-key` already re-sealed), after it the old one (rows written
/// while the rotation ran). A sealed value carries no key id: opening tries the current key and
/// then each decrypt-only key, and a wrong key fails the AES-GCM tag check, so the stored format
/// stays `v1.` and a rotation needs no schema change.
#[derive(Clone, Debug)]
pub struct Keyring {
    current: MasterKey,
    decrypt_only: Vec<MasterKey>,
}

impl Keyring {
    pub fn new(current: MasterKey, decrypt_only: Vec<MasterKey>) -> Self {
        Self {
            current,
            decrypt_only,
        }
    }

    /// The keys as the app loads them: `master_key_file` (or `<data_dir>/at-rest.key`, created
    /// on first start, when it is `None`) and the optional decrypt-only key file, which must exist.
    pub fn load(
        master_key_file: Option<&Path>,
        data_dir: &Path,
        decrypt_only_file: Option<&Path>,
    ) -> Result<Self, CryptoError> {
        let current = match master_key_file {
            Some(path) => MasterKey::load(path)?,
            None => MasterKey::load_or_create(data_dir)?,
        };
        let decrypt_only = decrypt_only_file
            .map(MasterKey::load)
            .transpose()?
            .into_iter()
            .collect();
        Ok(Self::new(current, decrypt_only))
    }

    /// The key that seals and signs.
    pub fn current(&self) -> &MasterKey {
        &self.current
    }

    /// True when `key` is the current key or one of the decrypt-only keys.
    pub fn accepts(&self, key: &MasterKey) -> bool {
        self.current.same_as(key) || self.decrypt_only.iter().any(|k| k.same_as(key))
    }

    /// A subkey of the current key (signing keys: only the current one signs and verifies).
    pub fn derive(&self, info: &'static [u8]) -> [u8; 32] {
        self.current.derive(info)
    }

    /// Seals under the current key; opens under it or any decrypt-only key.
    pub fn sealer(&self, info: &'static [u8]) -> Sealer {
        Sealer {
            key: self.current.derive(info),
            also_opens: self.decrypt_only.iter().map(|k| k.derive(info)).collect(),
        }
    }
}

impl From<MasterKey> for Keyring {
    fn from(current: MasterKey) -> Self {
        Self::new(current, Vec::new())
    }
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// AES-256-GCM with a fresh random nonce per write. Stored form: `v1.` + base64url(nonce ‖
/// ciphertext ‖ tag). The associated data binds a ciphertext to its row (e.g. the tenant's
/// clientKey), so a value copied into another row does not decrypt. During a key rotation it
/// also opens (never seals) under the [`Keyring`]'s decrypt-only keys.
#[derive(Clone)]
pub struct Sealer {
    key: [u8; 32],
    also_opens: Vec<[u8; 32]>,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(***)")
    }
}

const SEALED_PREFIX: &str = "v1.";

impl Sealer {
    fn new(key: [u8; 32]) -> Self {
        Self {
            key,
            also_opens: Vec::new(),
        }
    }

    /// A sealer that seals under `self`'s key and opens under it or any of `others`' keys (the
    /// `rotate-key` command: it opens under every key it knows and seals under the new one).
    pub fn opening_also(mut self, others: &[Sealer]) -> Self {
        for other in others {
            self.also_opens.push(other.key);
            self.also_opens.extend_from_slice(&other.also_opens);
        }
        self
    }

    fn aead_key(key: &[u8; 32]) -> LessSafeKey {
        // 32 bytes is exactly AES-256's key length, so construction cannot fail.
        let unbound = UnboundKey::new(&AES_256_GCM, key)
            .unwrap_or_else(|_| unreachable!("a 32-byte key is always valid for AES-256-GCM"));
        LessSafeKey::new(unbound)
    }

    pub fn seal(&self, plaintext: &str, associated: &str) -> Result<String, CryptoError> {
        let nonce_bytes = random_bytes::<NONCE_LEN>()?;
        let mut buffer = plaintext.as_bytes().to_vec();
        Self::aead_key(&self.key)
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(associated.as_bytes()),
                &mut buffer,
            )
            .map_err(|_| CryptoError::Decrypt)?;
        let mut stored = nonce_bytes.to_vec();
        stored.extend_from_slice(&buffer);
        Ok(format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(stored)))
    }

    /// Opens `stored` under the sealing key, else under each decrypt-only key in turn.
    pub fn open(&self, stored: &str, associated: &str) -> Result<SecretString, CryptoError> {
        std::iter::once(&self.key)
            .chain(&self.also_opens)
            .find_map(|key| Self::open_with(key, stored, associated).ok())
            .ok_or(CryptoError::Decrypt)
    }

    fn open_with(
        key: &[u8; 32],
        stored: &str,
        associated: &str,
    ) -> Result<SecretString, CryptoError> {
        let encoded = stored
            .strip_prefix(SEALED_PREFIX)
            .ok_or(CryptoError::Decrypt)?;
        let mut bytes = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| CryptoError::Decrypt)?;
        if bytes.len() < NONCE_LEN {
            return Err(CryptoError::Decrypt);
        }
        let mut ciphertext = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes).map_err(|_| CryptoError::Decrypt)?;
        let plaintext = Self::aead_key(key)
            .open_in_place(nonce, Aad::from(associated.as_bytes()), &mut ciphertext)
            .map_err(|_| CryptoError::Decrypt)?;
        let text = String::from_utf8(plaintext.to_vec()).map_err(|_| CryptoError::Decrypt)?;
        Ok(SecretString::new(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_a_reference_implementation() {
        let key: [u8; 32] = std::array::from_fn(|i| i as u8);
        // Python: hmac.new(bytes(range(32)), b'feed cursor', hashlib.sha256).hexdigest()
        let expected = "77ba8a538031f9b40c34232fc08393d761abf9fa16cfecead6f311e8e3d58d5b";
        let hex: String = hmac_sha256(&key, b"feed cursor")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, expected);
    }

    fn sealer() -> Sealer {
        MasterKey::from_bytes([7u8; 32]).sealer(b"test")
    }

    #[test]
    fn sealed_value_round_trips_and_never_contains_the_plaintext() {
        let sealed = sealer().seal("super-secret-value", "tenant-a").unwrap();
        assert!(!sealed.contains("super-secret-value"));
        assert_eq!(
            sealer().open(&sealed, "tenant-a").unwrap().expose(),
            "super-secret-value"
        );
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let a = sealer().seal("same", "x").unwrap();
        let b = sealer().seal("same", "x").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn tampered_ciphertext_or_other_row_is_rejected() {
        let sealed = sealer().seal("secret", "tenant-a").unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed[3..]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = format!("v1.{}", URL_SAFE_NO_PAD.encode(bytes));
        assert!(sealer().open(&tampered, "tenant-a").is_err());
        assert!(sealer().open(&sealed, "tenant-b").is_err());
        assert!(sealer().open("garbage", "tenant-a").is_err());
    }

    #[test]
    fn a_keyring_seals_under_its_current_key_and_also_opens_under_its_decrypt_only_keys() {
        let old = MasterKey::from_bytes([1u8; 32]);
        let new = MasterKey::from_bytes([2u8; 32]);
        let stranger = MasterKey::from_bytes([3u8; 32]);
        let during = Keyring::new(old.clone(), vec![new.clone()]);
        let sealed_by_new = new.sealer(b"p").seal("s", "row").unwrap();
        let sealed_by_old = during.sealer(b"p").seal("s", "row").unwrap();
        assert_eq!(
            during
                .sealer(b"p")
                .open(&sealed_by_new, "row")
                .unwrap()
                .expose(),
            "s"
        );
        assert_eq!(
            old.sealer(b"p")
                .open(&sealed_by_old, "row")
                .unwrap()
                .expose(),
            "s"
        );
        assert!(
            new.sealer(b"p").open(&sealed_by_old, "row").is_err(),
            "sealed under old"
        );
        let foreign = stranger.sealer(b"p").seal("s", "row").unwrap();
        assert!(during.sealer(b"p").open(&foreign, "row").is_err());
        assert!(
            during
                .sealer(b"p")
                .open(&sealed_by_new, "other row")
                .is_err()
        );
        assert!(during.accepts(&new) && during.accepts(&old) && !during.accepts(&stranger));
        assert_eq!(
            during.derive(b"sign"),
            old.derive(b"sign"),
            "only current signs"
        );
    }

    #[test]
    fn a_decrypt_only_key_file_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("next.key");
        let err = Keyring::load(None, dir.path(), Some(&missing)).unwrap_err();
        assert!(err.to_string().contains("next.key"), "{err}");
        MasterKey::create(&missing).unwrap();
        let keys = Keyring::load(None, dir.path(), Some(&missing)).unwrap();
        assert!(keys.accepts(&MasterKey::load(&missing).unwrap()));
    }

    #[test]
    fn derived_keys_differ_by_purpose() {
        let master = MasterKey::from_bytes([1u8; 32]);
        assert_ne!(master.derive(b"a"), master.derive(b"b"));
        assert_eq!(master.derive(b"a"), master.derive(b"a"));
    }

    #[test]
    fn secret_string_is_redacted() {
        let secret = SecretString::new("hunter2");
        assert_eq!(format!("{secret:?} {secret}"), "*** ***");
    }

    #[test]
    fn constant_time_eq_compares_contents() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_can_read_is_refused_with_the_chmod_that_fixes_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        MasterKey::load_or_create(dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let message = MasterKey::load_or_create(dir.path())
            .unwrap_err()
            .to_string();
        assert!(message.contains("mode 0644"), "{message}");
        assert!(
            message.contains(&format!("chmod 600 {}", path.display())),
            "{message}"
        );
        assert_eq!(message.lines().count(), 1, "{message}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(MasterKey::load_or_create(dir.path()).is_ok());
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = MasterKey::load_or_create(dir.path()).unwrap();
        let second = MasterKey::load_or_create(dir.path()).unwrap();
        assert_eq!(first.derive(b"x"), second.derive(b"x"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
