//! Reads `application/x-www-form-urlencoded` bodies for page forms without ever producing a raw
//! framework error: too large, wrong type and unreadable bodies become [`FormBodyError`]s the page
//! renders next to the form, and a field that is not UTF-8 is reported per field (actix's `Form`
//! would answer a bare 400, and lossy decoding would silently store U+FFFD).

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{HttpMessage, HttpRequest, web};
use futures_util::StreamExt;

/// Page forms are small; this matches the app's `FormConfig` limit.
pub const FORM_LIMIT_BYTES: usize = 64 * 1024;
/// How much of an oversized body is read and discarded so the client sees our answer instead of
/// a reset connection. Beyond this the connection is simply closed.
const DRAIN_LIMIT_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormBodyError {
    #[error("The form was too large to accept. Shorten what you entered and try again.")]
    TooLarge,
    #[error("The form was sent in an unexpected format. Reload the page and try again.")]
    UnsupportedType,
    #[error("The form could not be read. Reload the page and try again.")]
    Unreadable,
}

impl FormBodyError {
    pub fn status(self) -> StatusCode {
        match self {
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unreadable => StatusCode::BAD_REQUEST,
        }
    }
}

/// One submitted field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Missing,
    Text(String),
    /// The bytes were not UTF-8; `lossy` shows the user roughly what arrived.
    NotUtf8 {
        lossy: String,
    },
}

impl Field {
    /// What to put back into the input when the form is shown again.
    pub fn typed(&self) -> &str {
        match self {
            Self::Missing => "",
            Self::Text(text) => text,
            Self::NotUtf8 { lossy } => lossy,
        }
    }
}

/// The decoded fields of a body, in order.
#[derive(Debug, Clone, Default)]
pub struct FormFields(Vec<(Vec<u8>, Vec<u8>)>);

impl FormFields {
    /// Decodes a urlencoded body: `+` is a space, `%XX` a byte, malformed escapes stay literal.
    pub fn parse(body: &[u8]) -> Self {
        Self(
            body.split(|&b| b == b'&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let mut parts = pair.splitn(2, |&b| b == b'=');
                    let name = parts.next().unwrap_or_default();
                    let value = parts.next().unwrap_or_default();
                    (percent_decode(name), percent_decode(value))
                })
                .collect(),
        )
    }

    /// The first field called `name`.
    pub fn field(&self, name: &str) -> Field {
        match self.0.iter().find(|(n, _)| n == name.as_bytes()) {
            None => Field::Missing,
            Some((_, value)) => decode(value),
        }
    }

    /// Every field called `name`, in order (checkbox groups and multi-selects repeat a name).
    pub fn all(&self, name: &str) -> Vec<Field> {
        self.0
            .iter()
            .filter(|(n, _)| n == name.as_bytes())
            .map(|(_, value)| decode(value))
            .collect()
    }
}

fn decode(value: &[u8]) -> Field {
    match std::str::from_utf8(value) {
        Ok(text) => Field::Text(text.to_owned()),
        Err(_) => Field::NotUtf8 {
            lossy: String::from_utf8_lossy(value).into_owned(),
        },
    }
}

fn percent_decode(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut rest = raw;
    while let Some((&byte, tail)) = rest.split_first() {
        match byte {
            b'+' => {
                out.push(b' ');
                rest = tail;
            }
            b'%' => match tail.get(..2).and_then(hex_byte) {
                Some(decoded) => {
                    out.push(decoded);
                    rest = &tail[2..];
                }
                None => {
                    out.push(b'%');
                    rest = tail;
                }
            },
            other => {
                out.push(other);
                rest = tail;
            }
        }
    }
    out
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digit = |b: u8| char::from(b).to_digit(16);
    match pair {
        [high, low] => Some(u8::try_from(digit(*high)? * 16 + digit(*low)?).ok()?),
        _ => None,
    }
}

/// Reads and decodes the request body, at most [`FORM_LIMIT_BYTES`].
pub async fn read_form(
    req: &HttpRequest,
    mut payload: web::Payload,
) -> Result<FormFields, FormBodyError> {
    let content_type = req.content_type();
    if !content_type.is_empty()
        && !content_type.eq_ignore_ascii_case("application/x-www-form-urlencoded")
    {
        return Err(FormBodyError::UnsupportedType);
    }
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut body = Vec::new();
    let mut too_large = declared.is_some_and(|len| len > FORM_LIMIT_BYTES);
    let mut seen = 0usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| FormBodyError::Unreadable)?;
        seen = seen.saturating_add(chunk.len());
        if seen > FORM_LIMIT_BYTES {
            too_large = true;
        }
        if too_large {
            if seen > DRAIN_LIMIT_BYTES {
                break;
            }
            continue;
        }
        body.extend_from_slice(&chunk);
    }
    if too_large {
        return Err(FormBodyError::TooLarge);
    }
    Ok(FormFields::parse(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_percent_and_keeps_order() {
        let fields = FormFields::parse(b"label=Power+BI%20%26+Excel&expires_on=&x");
        assert_eq!(
            fields.field("label"),
            Field::Text("Power BI & Excel".into())
        );
        assert_eq!(fields.field("expires_on"), Field::Text(String::new()));
        assert_eq!(fields.field("x"), Field::Text(String::new()));
        assert_eq!(fields.field("missing"), Field::Missing);
    }

    #[test]
    fn first_occurrence_wins() {
        let fields = FormFields::parse(b"a=1&a=2");
        assert_eq!(fields.field("a"), Field::Text("1".into()));
    }

    #[test]
    fn malformed_escapes_stay_literal() {
        let fields = FormFields::parse(b"a=100%25&b=%zz%4&c=%");
        assert_eq!(fields.field("a"), Field::Text("100%".into()));
        assert_eq!(fields.field("b"), Field::Text("%zz%4".into()));
        assert_eq!(fields.field("c"), Field::Text("%".into()));
    }

    #[test]
    fn utf8_is_decoded_and_invalid_bytes_are_reported() {
        let fields = FormFields::parse(b"ok=caf%C3%A9&bad=caf%E9&raw=\xff");
        assert_eq!(fields.field("ok"), Field::Text("café".into()));
        assert_eq!(
            fields.field("bad"),
            Field::NotUtf8 {
                lossy: "caf\u{FFFD}".into()
            }
        );
        assert!(matches!(fields.field("raw"), Field::NotUtf8 { .. }));
        assert_eq!(fields.field("bad").typed(), "caf\u{FFFD}");
    }

    #[test]
    fn repeated_fields_are_all_returned_in_order() {
        let fields = FormFields::parse(b"f=summary&x=1&f=customfield_10020&f=%FF");
        assert_eq!(
            fields.all("f"),
            vec![
                Field::Text("summary".into()),
                Field::Text("customfield_10020".into()),
                Field::NotUtf8 {
                    lossy: "\u{FFFD}".into()
                },
            ]
        );
        assert!(fields.all("missing").is_empty());
    }

    #[test]
    fn names_are_decoded_too() {
        let fields = FormFields::parse(b"form%5Fid=abc");
        assert_eq!(fields.field("form_id"), Field::Text("abc".into()));
    }
}
