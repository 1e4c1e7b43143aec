//! Personal access tokens are the *password* BI tools send us, so their format is fixed and
//! self-checking: a leaked token is recognisable by secret scanners, a mistyped one is rejected
//! before any database lookup, and only a hash of the secret is ever stored.
//!
//! # Format
//!
//! `jbc_` + id (12 base62) + secret (43 base62) + checksum (6 base62) = 65 characters, e.g.
//! `jbc_4fK9x0QbLm2Z` `Tq…(43)…` `0aB3xZ`. The regular expression for secret scanners is
//!
//! ```text
//! \bjbc_[0-9A-Za-z]{61}\b
//! ```
//!
//! - The **id** is public: it is the database lookup key and can be shown in lists and logs.
//! - The **secret** is 43 characters drawn uniformly (rejection sampling over ring's
//!   `SystemRandom`) from 62 symbols: 43 × log2(62) ≈ 256.03 bits of entropy.
//! - The **checksum** is the first 4 bytes of SHA-256 over `jbc_` + id + secret, written as 6
//!   base62 digits (zero-padded; 62⁶ > 2³²). It is not a secret; it only catches typos and
//!   truncation, and lets scanners discard random 65-character strings.
//!
//! # Why SHA-256 and not a password hash
//!
//! Password hashes (Argon2, bcrypt) exist to slow down guessing of *low-entropy, human-chosen*
//! passwords after a database leak. Our secrets are 256 bits of uniform randomness: nobody can
//! enumerate them, so one SHA-256 already makes a leaked hash useless, while a deliberately slow
//! hash would only burn CPU on every BI request (Power BI re-sends Basic credentials on every
//! call). Verification looks the row up by the public id and compares hashes in constant time.

use std::fmt;

use time::macros::time;
use time::{Date, Duration, Month, OffsetDateTime, UtcOffset};

use crate::crypto::{
    CryptoError, SecretString, constant_time_eq, random_bytes, random_token, sha256,
};

/// A user may hold at most this many tokens (active or expired, until deleted).
pub const MAX_TOKENS_PER_USER: usize = 25;

/// How long before it stops working a token is marked "Expires soon" and announced by a banner.
pub const EXPIRY_WARNING: Duration = Duration::days(7);

/// The fixed prefix that marks our tokens.
pub const TOKEN_PREFIX: &str = "jbc_";
const ID_LEN: usize = 12;
const SECRET_LEN: usize = 43;
const CHECKSUM_LEN: usize = 6;
const BODY_LEN: usize = ID_LEN + SECRET_LEN + CHECKSUM_LEN;
/// Total length of a token in characters (all ASCII, so also in bytes).
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + BODY_LEN;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Why a presented string is not one of our tokens. The texts never echo the token, so they are
/// safe to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenFormatError {
    #[error("no token was given")]
    Empty,
    #[error("the token does not start with \"jbc_\"")]
    WrongPrefix,
    #[error("the token does not have the expected length of 65 characters")]
    WrongLength,
    #[error("the token contains characters other than letters and digits")]
    InvalidCharacter,
    #[error("the token's checksum does not match (mistyped or truncated)")]
    ChecksumMismatch,
}

/// The public 12-character id of a token: the database lookup key.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenId(String);

impl TokenId {
    /// Parses an id read back from the database (or from a URL on the token list page).
    pub fn parse(raw: &str) -> Result<Self, TokenFormatError> {
        if raw.len() != ID_LEN {
            return Err(TokenFormatError::WrongLength);
        }
        if !raw.bytes().all(is_base62) {
            return Err(TokenFormatError::InvalidCharacter);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenId({})", self.0)
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A freshly generated token: store `token_id` and `secret_hash`, show `plaintext()` once.
pub struct NewAccessToken {
    pub token_id: TokenId,
    pub secret_hash: [u8; 32],
    plaintext: SecretString,
}

impl NewAccessToken {
    pub fn generate() -> Result<Self, CryptoError> {
        let id = random_base62(ID_LEN)?;
        let secret = random_base62(SECRET_LEN)?;
        Ok(Self::from_parts(id, &secret))
    }

    fn from_parts(id: String, secret: &str) -> Self {
        let plaintext = SecretString::new(assemble(&id, secret));
        Self {
            token_id: TokenId(id),
            secret_hash: sha256(secret.as_bytes()),
            plaintext,
        }
    }

    /// The full token, to be shown to the user exactly once right after creation.
    pub fn plaintext(&self) -> &SecretString {
        &self.plaintext
    }
}

impl fmt::Debug for NewAccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAccessToken")
            .field("token_id", &self.token_id)
            .finish_non_exhaustive()
    }
}

/// A well-formed token presented by a client (checksum verified), reduced to what the store
/// needs: the id to look up and the hash to compare.
pub struct PresentedToken {
    token_id: TokenId,
    secret_hash: [u8; 32],
}

impl PresentedToken {
    /// Surrounding whitespace is ignored (pasted passwords often carry a trailing newline);
    /// everything else must match the format exactly.
    pub fn parse(raw: &str) -> Result<Self, TokenFormatError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(TokenFormatError::Empty);
        }
        let Some(body) = raw.strip_prefix(TOKEN_PREFIX) else {
            return Err(TokenFormatError::WrongPrefix);
        };
        if body.len() != BODY_LEN {
            return Err(TokenFormatError::WrongLength);
        }
        if !body.bytes().all(is_base62) {
            return Err(TokenFormatError::InvalidCharacter);
        }
        // All ASCII from here on, so byte offsets are character boundaries.
        let (id, rest) = body.split_at(ID_LEN);
        let (secret, check) = rest.split_at(SECRET_LEN);
        if checksum(id, secret) != check {
            return Err(TokenFormatError::ChecksumMismatch);
        }
        Ok(Self {
            token_id: TokenId(id.to_owned()),
            secret_hash: sha256(secret.as_bytes()),
        })
    }

    pub fn token_id(&self) -> &TokenId {
        &self.token_id
    }

    /// Whether this token's secret hashes to `stored_hash` (constant time).
    pub fn matches(&self, stored_hash: &[u8]) -> bool {
        constant_time_eq(&self.secret_hash, stored_hash)
    }
}

impl fmt::Debug for PresentedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PresentedToken")
            .field("token_id", &self.token_id)
            .finish_non_exhaustive()
    }
}

fn is_base62(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// `len` characters, each uniform over the 62 symbols: bytes ≥ 248 (= 4 × 62) are discarded so
/// that `b % 62` favours no symbol.
fn random_base62(len: usize) -> Result<String, CryptoError> {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in random_bytes::<64>()? {
            if b < 248 {
                out.push(char::from(BASE62[usize::from(b % 62)]));
                if out.len() == len {
                    break;
                }
            }
        }
    }
    Ok(out)
}

fn checksum(id: &str, secret: &str) -> String {
    let mut covered = String::with_capacity(TOKEN_PREFIX.len() + ID_LEN + SECRET_LEN);
    covered.push_str(TOKEN_PREFIX);
    covered.push_str(id);
    covered.push_str(secret);
    let digest = sha256(covered.as_bytes());
    let mut value = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    let mut digits = [b'0'; CHECKSUM_LEN];
    for digit in digits.iter_mut().rev() {
        *digit = BASE62[(value % 62) as usize];
        value /= 62;
    }
    digits.iter().map(|&b| char::from(b)).collect()
}

fn assemble(id: &str, secret: &str) -> String {
    let mut token = String::with_capacity(TOKEN_LEN);
    token.push_str(TOKEN_PREFIX);
    token.push_str(id);
    token.push_str(secret);
    token.push_str(&checksum(id, secret));
    token
}

/// The user's name for a token ("Power BI on my laptop"). Stored and rendered verbatim: HTML
/// escaping is the template's job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenLabel(String);

const LABEL_MAX_CHARS: usize = 100;

impl TokenLabel {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let label = raw.trim();
        if label.is_empty() {
            return Err("Enter a label");
        }
        if label.chars().count() > LABEL_MAX_CHARS {
            return Err("The label must be at most 100 characters");
        }
        if label.chars().any(is_disallowed_in_label) {
            return Err(
                "The label must not contain control characters such as tabs or line breaks",
            );
        }
        Ok(Self(label.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Lower-cased form the store uses to keep labels unique per user, ignoring case.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for TokenLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Control characters, plus the bidirectional overrides and isolates, which could make a label
/// render as something else in the token list.
fn is_disallowed_in_label(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The last day (UTC) on which a token is accepted; it stays valid through the end of that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpiryDate(Date);

const EXPIRY_FORMAT_MESSAGE: &str = "Enter the expiry date as YYYY-MM-DD, for example 2030-12-31, \
     or leave it empty for a token that never expires";
const EXPIRY_NO_SUCH_DATE_MESSAGE: &str =
    "That date does not exist; enter a real calendar date as YYYY-MM-DD";
const EXPIRY_PAST_MESSAGE: &str = "The expiry date must be today or later";

impl ExpiryDate {
    /// Parses the form field. Empty means "never expires" (`Ok(None)`). `today` is the current
    /// UTC date, passed in so tests control time.
    pub fn parse(raw: &str, today: Date) -> Result<Option<Self>, &'static str> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let bytes = raw.as_bytes();
        let well_shaped = bytes.len() == 10
            && bytes.iter().enumerate().all(|(i, &b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !well_shaped {
            return Err(EXPIRY_FORMAT_MESSAGE);
        }
        // The shape check guarantees ASCII digits at these positions.
        let number = |range: std::ops::Range<usize>| -> Result<u16, &'static str> {
            raw.get(range)
                .and_then(|digits| digits.parse().ok())
                .ok_or(EXPIRY_FORMAT_MESSAGE)
        };
        let year = i32::from(number(0..4)?);
        let month = u8::try_from(number(5..7)?).map_err(|_| EXPIRY_NO_SUCH_DATE_MESSAGE)?;
        let day = u8::try_from(number(8..10)?).map_err(|_| EXPIRY_NO_SUCH_DATE_MESSAGE)?;
        let month = Month::try_from(month).map_err(|_| EXPIRY_NO_SUCH_DATE_MESSAGE)?;
        let date =
            Date::from_calendar_date(year, month, day).map_err(|_| EXPIRY_NO_SUCH_DATE_MESSAGE)?;
        if date < today {
            return Err(EXPIRY_PAST_MESSAGE);
        }
        Ok(Some(Self(date)))
    }

    /// An expiry read back from the store; it may lie in the past by now.
    pub fn from_stored(date: Date) -> Self {
        Self(date)
    }

    /// An expiry read back from the store as text (`YYYY-MM-DD`); past dates are fine here.
    pub fn parse_stored(raw: &str) -> Result<Self, &'static str> {
        Self::parse(raw, Date::MIN)?.ok_or(EXPIRY_FORMAT_MESSAGE)
    }

    pub fn date(&self) -> Date {
        self.0
    }

    /// The last second the token is valid: 23:59:59 UTC on the expiry date.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.0.with_time(time!(23:59:59)).assume_utc()
    }

    pub fn is_expired_at(&self, now: OffsetDateTime) -> bool {
        is_expired_at(Some(self.0), now)
    }

    /// The first instant the token no longer works: midnight UTC after the expiry date.
    pub fn ends_at(&self) -> OffsetDateTime {
        self.0.with_time(time!(00:00)).assume_utc() + Duration::days(1)
    }

    /// Still working at `now`, and stops within [`EXPIRY_WARNING`].
    pub fn expires_soon_at(&self, now: OffsetDateTime) -> bool {
        !self.is_expired_at(now) && self.ends_at() - now <= EXPIRY_WARNING
    }
}

impl fmt::Display for ExpiryDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The one-time id carried by a "Create token" form. The store records each submitted id, so a
/// reload or a double click of the same form cannot mint a second token. It needs no signature:
/// it only protects users from their own browser, and sessions never travel in cookies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormId(String);

/// 16 random bytes in unpadded base64url.
const FORM_ID_LEN: usize = 22;

impl FormId {
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self(random_token::<16>()?))
    }

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let shaped = raw.len() == FORM_ID_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if shaped {
            Ok(Self(raw.to_owned()))
        } else {
            Err("This form is incomplete or out of date")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether a token with this expiry date (`None` = never) is expired at `now`: it is valid
/// through the whole expiry day in UTC, including its last fraction of a second.
pub fn is_expired_at(expiry: Option<Date>, now: OffsetDateTime) -> bool {
    expiry.is_some_and(|last_day| now.to_offset(UtcOffset::UTC).date() > last_day)
}

#[cfg(test)]
mod tests;
