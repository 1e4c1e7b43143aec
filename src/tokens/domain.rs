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
use time::{Date, Month, OffsetDateTime, UtcOffset};

use crate::crypto::{
    CryptoError, SecretString, constant_time_eq, random_bytes, random_token, sha256,
};

/// A user may hold at most this many tokens (active or expired, until deleted).
pub const MAX_TOKENS_PER_USER: usize = 25;

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
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    const ID: &str = "AbCdEf012345";
    const SECRET: &str = "0123456789abcdefghijABCDEFGHIJklmnopqrstUVW";

    fn fixed_token() -> String {
        assemble(ID, SECRET)
    }

    #[test]
    fn generated_token_has_prefix_fixed_length_and_base62_body() {
        let token = NewAccessToken::generate().unwrap();
        let text = token.plaintext().expose();
        assert_eq!(TOKEN_LEN, 65);
        assert_eq!(text.len(), TOKEN_LEN);
        assert!(text.starts_with("jbc_"));
        assert!(text[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(&text[4..16], token.token_id.as_str());
    }

    #[test]
    fn generated_token_parses_and_matches_its_own_hash() {
        let token = NewAccessToken::generate().unwrap();
        let presented = PresentedToken::parse(token.plaintext().expose()).unwrap();
        assert_eq!(presented.token_id(), &token.token_id);
        assert!(presented.matches(&token.secret_hash));
    }

    #[test]
    fn hash_is_sha256_of_the_secret_part() {
        let token = NewAccessToken::from_parts(ID.to_owned(), SECRET);
        assert_eq!(token.secret_hash, sha256(SECRET.as_bytes()));
    }

    #[test]
    fn random_tokens_differ() {
        let a = NewAccessToken::generate().unwrap();
        let b = NewAccessToken::generate().unwrap();
        assert_ne!(a.plaintext().expose(), b.plaintext().expose());
        assert_ne!(a.token_id, b.token_id);
        assert_ne!(a.secret_hash, b.secret_hash);
    }

    #[test]
    fn random_characters_cover_the_whole_alphabet() {
        // 62 symbols over ~5,500 draws: every symbol appears unless sampling is broken.
        let mut seen = [false; 128];
        for _ in 0..100 {
            let token = NewAccessToken::generate().unwrap();
            for b in token.plaintext().expose()[4..59].bytes() {
                seen[usize::from(b)] = true;
            }
        }
        assert!(BASE62.iter().all(|&b| seen[usize::from(b)]));
    }

    #[test]
    fn checksum_is_six_base62_digits() {
        let check = checksum(ID, SECRET);
        assert_eq!(check.len(), 6);
        assert!(check.bytes().all(is_base62));
    }

    #[test]
    fn checksum_catches_a_single_changed_character_at_every_position() {
        let token = fixed_token();
        assert!(PresentedToken::parse(&token).is_ok());
        for position in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            let original = bytes[position];
            bytes[position] = if original == b'z' { b'y' } else { b'z' };
            let altered = String::from_utf8(bytes).unwrap();
            let expected = if position < TOKEN_PREFIX.len() {
                TokenFormatError::WrongPrefix
            } else {
                TokenFormatError::ChecksumMismatch
            };
            assert_eq!(
                PresentedToken::parse(&altered).err(),
                Some(expected),
                "position {position}"
            );
        }
    }

    #[test]
    fn swapped_neighbours_are_caught() {
        let token = fixed_token();
        let mut bytes = token.into_bytes();
        bytes.swap(20, 21);
        let swapped = String::from_utf8(bytes).unwrap();
        assert_eq!(
            PresentedToken::parse(&swapped).err(),
            Some(TokenFormatError::ChecksumMismatch)
        );
    }

    #[test]
    fn wrong_prefix_is_rejected() {
        let body = &fixed_token()[4..];
        for prefix in ["jbx_", "JBC_", "ghp_", ""] {
            assert_eq!(
                PresentedToken::parse(&format!("{prefix}{body}")).err(),
                Some(TokenFormatError::WrongPrefix)
            );
        }
    }

    #[test]
    fn wrong_length_is_rejected() {
        let token = fixed_token();
        assert_eq!(
            PresentedToken::parse(&token[..64]).err(),
            Some(TokenFormatError::WrongLength)
        );
        assert_eq!(
            PresentedToken::parse(&format!("{token}A")).err(),
            Some(TokenFormatError::WrongLength)
        );
        assert_eq!(
            PresentedToken::parse("jbc_").err(),
            Some(TokenFormatError::WrongLength)
        );
    }

    #[test]
    fn non_base62_characters_are_rejected() {
        let token = fixed_token();
        for bad in ["-", "_", "+", "/", "=", " ", "é"] {
            let altered = format!("{}{}{}", &token[..30], bad, &token[30 + bad.len()..]);
            assert_eq!(altered.len(), TOKEN_LEN);
            assert_eq!(
                PresentedToken::parse(&altered).err(),
                Some(TokenFormatError::InvalidCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn empty_and_surrounding_whitespace() {
        assert_eq!(
            PresentedToken::parse("").err(),
            Some(TokenFormatError::Empty)
        );
        assert_eq!(
            PresentedToken::parse("  \n").err(),
            Some(TokenFormatError::Empty)
        );
        let padded = format!("  {}\r\n", fixed_token());
        assert_eq!(
            PresentedToken::parse(&padded).unwrap().token_id().as_str(),
            ID
        );
    }

    #[test]
    fn error_texts_never_echo_the_token() {
        let token = fixed_token();
        let mut broken = token.clone().into_bytes();
        broken[40] = if broken[40] == b'z' { b'y' } else { b'z' };
        let broken = String::from_utf8(broken).unwrap();
        let err = PresentedToken::parse(&broken).err().unwrap();
        let text = err.to_string();
        assert!(!text.contains(ID));
        assert!(!text.contains(&token[16..30]));
    }

    #[test]
    fn matches_is_true_only_for_the_stored_hash() {
        let presented = PresentedToken::parse(&fixed_token()).unwrap();
        assert!(presented.matches(&sha256(SECRET.as_bytes())));
        assert!(!presented.matches(&sha256(b"another secret")));
        assert!(!presented.matches(&[]));
        assert!(!presented.matches(&sha256(SECRET.as_bytes())[..31]));
    }

    #[test]
    fn debug_output_hides_secret_and_hash() {
        let token = NewAccessToken::from_parts(ID.to_owned(), SECRET);
        let debug = format!("{token:?}");
        assert!(debug.contains(ID));
        assert!(!debug.contains(SECRET));
        assert!(!debug.contains("secret_hash"));
        assert_eq!(token.plaintext().to_string(), "***");
        let presented = PresentedToken::parse(&fixed_token()).unwrap();
        assert!(!format!("{presented:?}").contains("secret_hash"));
    }

    #[test]
    fn token_id_parses_stored_ids() {
        assert_eq!(TokenId::parse(ID).unwrap().as_str(), ID);
        assert_eq!(TokenId::parse(ID).unwrap().to_string(), ID);
        assert_eq!(
            TokenId::parse("short").err(),
            Some(TokenFormatError::WrongLength)
        );
        assert_eq!(
            TokenId::parse("AbCdEf01234-").err(),
            Some(TokenFormatError::InvalidCharacter)
        );
    }

    #[test]
    fn label_is_trimmed() {
        let label = TokenLabel::parse("  Power BI laptop \t").unwrap();
        assert_eq!(label.as_str(), "Power BI laptop");
    }

    #[test]
    fn label_is_required() {
        assert_eq!(TokenLabel::parse(""), Err("Enter a label"));
        assert_eq!(TokenLabel::parse("   \n "), Err("Enter a label"));
    }

    #[test]
    fn label_of_100_characters_is_accepted_and_101_rejected() {
        assert!(TokenLabel::parse(&"a".repeat(100)).is_ok());
        assert_eq!(
            TokenLabel::parse(&"a".repeat(101)),
            Err("The label must be at most 100 characters")
        );
        assert_eq!(
            TokenLabel::parse(&"a".repeat(10_000)),
            Err("The label must be at most 100 characters")
        );
    }

    #[test]
    fn label_length_counts_characters_not_bytes() {
        let hundred_multibyte = "é".repeat(50) + &"🙂".repeat(50);
        assert_eq!(hundred_multibyte.chars().count(), 100);
        assert!(hundred_multibyte.len() > 100);
        assert!(TokenLabel::parse(&hundred_multibyte).is_ok());
        assert!(TokenLabel::parse(&"ü".repeat(101)).is_err());
    }

    #[test]
    fn label_rejects_control_characters() {
        for bad in [
            "a\tb",
            "a\nb",
            "a\u{0}b",
            "a\u{7f}b",
            "a\u{85}b",
            "a\u{202E}b",
        ] {
            assert_eq!(
                TokenLabel::parse(bad),
                Err("The label must not contain control characters such as tabs or line breaks"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn label_keeps_html_verbatim() {
        let raw = "<script>alert('x')</script> & \"quotes\"";
        assert_eq!(TokenLabel::parse(raw).unwrap().as_str(), raw);
    }

    #[test]
    fn label_normalized_is_lowercase() {
        let label = TokenLabel::parse("Power BI ÄÖ").unwrap();
        assert_eq!(label.normalized(), "power bi äö");
        assert_eq!(label.as_str(), "Power BI ÄÖ");
    }

    const TODAY: Date = date!(2025 - 06 - 15);

    #[test]
    fn empty_expiry_means_never() {
        assert_eq!(ExpiryDate::parse("", TODAY), Ok(None));
        assert_eq!(ExpiryDate::parse("   ", TODAY), Ok(None));
    }

    #[test]
    fn expiry_today_and_future_are_accepted() {
        let today = ExpiryDate::parse("2025-06-15", TODAY).unwrap().unwrap();
        assert_eq!(today.date(), TODAY);
        let future = ExpiryDate::parse(" 2030-01-31 ", TODAY).unwrap().unwrap();
        assert_eq!(future.date(), date!(2030 - 01 - 31));
        assert_eq!(future.to_string(), "2030-01-31");
    }

    #[test]
    fn expiry_in_the_past_is_rejected() {
        assert_eq!(
            ExpiryDate::parse("2025-06-14", TODAY),
            Err("The expiry date must be today or later")
        );
        assert_eq!(
            ExpiryDate::parse("1999-01-01", TODAY),
            Err("The expiry date must be today or later")
        );
    }

    #[test]
    fn malformed_expiry_is_rejected_with_a_format_hint() {
        for bad in [
            "tomorrow",
            "2025/06/20",
            "20-06-2025",
            "2025-6-20",
            "2025-06-20T00:00",
            "+2025-06-20",
            "２０２５-06-20",
        ] {
            let err = ExpiryDate::parse(bad, TODAY).unwrap_err();
            assert!(err.contains("YYYY-MM-DD"), "{bad:?}: {err}");
            assert!(err.starts_with("Enter the expiry date"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn impossible_calendar_dates_are_rejected() {
        for bad in [
            "2026-13-01",
            "2026-00-10",
            "2026-02-30",
            "2027-02-29",
            "2026-04-31",
        ] {
            assert_eq!(
                ExpiryDate::parse(bad, TODAY),
                Err("That date does not exist; enter a real calendar date as YYYY-MM-DD"),
                "{bad:?}"
            );
        }
        assert!(ExpiryDate::parse("2028-02-29", TODAY).unwrap().is_some());
    }

    #[test]
    fn expires_at_is_the_last_second_of_the_day_in_utc() {
        let expiry = ExpiryDate::parse("2025-06-20", TODAY).unwrap().unwrap();
        assert_eq!(expiry.expires_at(), datetime!(2025-06-20 23:59:59 UTC));
    }

    #[test]
    fn token_is_valid_through_the_end_of_its_expiry_day() {
        let expiry = Some(date!(2025 - 06 - 20));
        assert!(!is_expired_at(expiry, datetime!(2025-06-19 12:00 UTC)));
        assert!(!is_expired_at(expiry, datetime!(2025-06-20 00:00 UTC)));
        assert!(!is_expired_at(expiry, datetime!(2025-06-20 23:59:59 UTC)));
        assert!(!is_expired_at(
            expiry,
            datetime!(2025-06-20 23:59:59.999 UTC)
        ));
        assert!(is_expired_at(expiry, datetime!(2025-06-21 00:00 UTC)));
        assert!(is_expired_at(expiry, datetime!(2026-01-01 00:00 UTC)));
        // The boundary is UTC midnight, whatever offset `now` carries.
        assert!(is_expired_at(expiry, datetime!(2025-06-20 21:00 -05:00)));
        assert!(!is_expired_at(expiry, datetime!(2025-06-21 01:00 +02:00)));
        let stored = ExpiryDate::from_stored(date!(2025 - 06 - 20));
        assert!(stored.is_expired_at(datetime!(2025-06-21 00:00 UTC)));
    }

    #[test]
    fn stored_expiry_may_lie_in_the_past() {
        let stored = ExpiryDate::parse_stored("2001-02-03").unwrap();
        assert_eq!(stored.date(), date!(2001 - 02 - 03));
        assert!(ExpiryDate::parse_stored("").is_err());
        assert!(ExpiryDate::parse_stored("2001-02-30").is_err());
    }

    #[test]
    fn form_ids_are_random_and_round_trip() {
        let a = FormId::generate().unwrap();
        let b = FormId::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(FormId::parse(a.as_str()), Ok(a));
        for bad in [
            "",
            "short",
            &"a".repeat(23),
            "aaaaaaaaaaaaaaaaaaaa+/",
            "ééééééééééé",
        ] {
            assert!(FormId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn no_expiry_never_expires() {
        assert!(!is_expired_at(None, datetime!(9999-12-31 23:59:59 UTC)));
    }
}
