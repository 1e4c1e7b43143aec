//! Paging cursors: OData's `$skiptoken` and the JSON feed's `cursor`. A cursor says where the
//! next page resumes in Jira's id paging (Jira's own `nextPageToken` plus a position in that
//! page), so a page costs no re-scan; it is signed, so a client cannot edit it into something
//! else, and bound to the request (data source and query options) it was issued for.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::crypto::{constant_time_eq, hmac_sha256, sha256};

const VERSION: &str = "1";
/// Bytes of HMAC kept in a token (128 bits).
const MAC_LEN: usize = 16;
/// Tokens longer than this are refused before any decoding work.
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Where a page resumes, and what earlier pages already established.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Jira's `nextPageToken` for the id page to request again; `None`: the first page.
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
    /// Ids of that page already consumed.
    #[serde(rename = "o")]
    pub offset: u32,
    /// Rows of the issue at `offset` already sent (tables with several rows per issue).
    #[serde(rename = "w", default, skip_serializing_if = "is_zero")]
    pub within: u32,
    /// Which JQL variant the export runs (the pushdown level Jira accepted on the first page).
    #[serde(rename = "v")]
    pub variant: u8,
    /// Rows already sent on earlier pages (for `$top`).
    #[serde(rename = "n")]
    pub sent: u64,
    /// `@odata.count` computed on the first page, repeated on later pages without recounting.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Fingerprint of the request the cursor belongs to.
    #[serde(rename = "q")]
    pub query: String,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("The paging token is malformed or was altered.")]
    Invalid,
    #[error(
        "The paging token belongs to a different query or an older version of the data source. Start again from the first page."
    )]
    OtherQuery,
}

/// Signs and checks cursors with a key derived from the server's master key.
#[derive(Clone)]
pub struct CursorCodec {
    key: [u8; 32],
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec { key: *** }")
    }
}

impl CursorCodec {
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// `1.<payload>.<mac>`, all URL-safe.
    pub fn encode(&self, cursor: &Cursor) -> String {
        // Serializing a struct of strings and integers cannot fail.
        let json = serde_json::to_vec(cursor).unwrap_or_default();
        let payload = URL_SAFE_NO_PAD.encode(json);
        let signed = format!("{VERSION}.{payload}");
        let mac = hmac_sha256(&self.key, signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(&mac[..MAC_LEN]))
    }

    /// The cursor in `token`, if it is intact and was issued for `fingerprint`.
    pub fn decode(&self, token: &str, fingerprint: &str) -> Result<Cursor, CursorError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(CursorError::Invalid);
        }
        let (signed, mac) = token.rsplit_once('.').ok_or(CursorError::Invalid)?;
        let mac = URL_SAFE_NO_PAD
            .decode(mac)
            .map_err(|_| CursorError::Invalid)?;
        let expected = hmac_sha256(&self.key, signed.as_bytes());
        if !constant_time_eq(&mac, &expected[..MAC_LEN]) {
            return Err(CursorError::Invalid);
        }
        let payload = signed
            .strip_prefix(VERSION)
            .and_then(|rest| rest.strip_prefix('.'))
            .ok_or(CursorError::Invalid)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| CursorError::Invalid)?;
        let cursor: Cursor = serde_json::from_slice(&json).map_err(|_| CursorError::Invalid)?;
        if !constant_time_eq(cursor.query.as_bytes(), fingerprint.as_bytes()) {
            return Err(CursorError::OtherQuery);
        }
        Ok(cursor)
    }
}

/// A short digest of the parts that define a request (unambiguous: each part is length-prefixed).
pub fn fingerprint(parts: &[&str]) -> String {
    let mut buffer = Vec::new();
    for part in parts {
        buffer.extend_from_slice(&(part.len() as u64).to_be_bytes());
        buffer.extend_from_slice(part.as_bytes());
    }
    URL_SAFE_NO_PAD.encode(&sha256(&buffer)[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> CursorCodec {
        CursorCodec::new([9u8; 32])
    }

    fn cursor() -> Cursor {
        Cursor {
            page_token: Some("CAEaAggD+/=".to_owned()),
            offset: 4200,
            within: 7,
            variant: 1,
            sent: 10_000,
            count: Some(52_345),
            query: fingerprint(&["7", "$filter=Updated ge 2024-01-01"]),
        }
    }

    #[test]
    fn cursors_round_trip_and_are_url_safe() {
        let token = codec().encode(&cursor());
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "{token}"
        );
        assert_eq!(codec().decode(&token, &cursor().query), Ok(cursor()));
        let first = Cursor {
            page_token: None,
            count: None,
            ..cursor()
        };
        assert_eq!(
            codec().decode(&codec().encode(&first), &first.query),
            Ok(first)
        );
    }

    #[test]
    fn any_change_to_a_token_is_refused() {
        let token = codec().encode(&cursor());
        for at in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).expect("ascii");
            if tampered != token {
                assert_eq!(
                    codec().decode(&tampered, &cursor().query),
                    Err(CursorError::Invalid),
                    "byte {at}"
                );
            }
        }
        for junk in ["", ".", "1..", "abc", &"x".repeat(MAX_TOKEN_LEN + 1)] {
            assert_eq!(
                codec().decode(junk, &cursor().query),
                Err(CursorError::Invalid)
            );
        }
        let other_key = CursorCodec::new([1u8; 32]);
        assert_eq!(
            other_key.decode(&token, &cursor().query),
            Err(CursorError::Invalid)
        );
    }

    #[test]
    fn a_token_only_works_for_the_query_it_was_issued_for() {
        let token = codec().encode(&cursor());
        let other = fingerprint(&["7", "$filter=Updated ge 2025-01-01"]);
        assert_eq!(codec().decode(&token, &other), Err(CursorError::OtherQuery));
    }

    #[test]
    fn fingerprints_are_unambiguous() {
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_eq!(fingerprint(&["a"]), fingerprint(&["a"]));
    }
}
