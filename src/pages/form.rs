//! Reads an HTML form body by hand instead of with `web::Form`, so that every malformed
//! submission (wrong content type, too large, not UTF-8, a field missing or repeated) becomes a
//! readable message on the page the form belongs to, never actix's plain-text 400 or a 500.

use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;

/// Plenty for our forms (an email and a token are under 2 KiB).
pub const MAX_FORM_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("The form was not sent as a web form. Reload the page and try again.")]
    NotAForm,
    #[error("The form was too large to accept. Check what you pasted and try again.")]
    TooLarge,
    #[error("The form contained characters that could not be read. Type the values again.")]
    NotUtf8,
    #[error("The form arrived incomplete. Try again.")]
    Interrupted,
    #[error("The form is missing the field “{0}”. Reload the page and try again.")]
    Missing(&'static str),
    #[error("The form has the field “{0}” more than once. Reload the page and try again.")]
    Repeated(&'static str),
}

/// The decoded `name=value` pairs of an `application/x-www-form-urlencoded` body.
#[derive(Debug)]
pub struct FormFields(Vec<(String, String)>);

impl FormFields {
    /// Reads at most `limit` bytes of `payload` and decodes them.
    pub async fn read(
        req: &HttpRequest,
        mut payload: web::Payload,
        limit: usize,
    ) -> Result<Self, FormError> {
        let is_form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                mime.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(FormError::NotAForm);
        }
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|length| length > limit as u64) {
            return Err(FormError::TooLarge);
        }
        let mut body = Vec::with_capacity(declared.unwrap_or(0).min(limit as u64) as usize);
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| FormError::Interrupted)?;
            if body.len() + chunk.len() > limit {
                return Err(FormError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Self::parse(&body)
    }

    /// Decodes a urlencoded body (`+` is a space, `%XX` a byte, a stray `%` stays as it is) and
    /// insists the decoded names and values are UTF-8.
    pub fn parse(body: &[u8]) -> Result<Self, FormError> {
        let mut fields = Vec::new();
        for pair in body.split(|&b| b == b'&').filter(|pair| !pair.is_empty()) {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &[][..]),
            };
            let name = String::from_utf8(percent_decode(name)).map_err(|_| FormError::NotUtf8)?;
            let value = String::from_utf8(percent_decode(value)).map_err(|_| FormError::NotUtf8)?;
            fields.push((name, value));
        }
        Ok(Self(fields))
    }

    /// The single value of `name`.
    pub fn required(&self, name: &'static str) -> Result<&str, FormError> {
        let mut values = self.0.iter().filter(|(key, _)| key == name);
        match (values.next(), values.next()) {
            (Some((_, value)), None) => Ok(value),
            (None, _) => Err(FormError::Missing(name)),
            (Some(_), Some(_)) => Err(FormError::Repeated(name)),
        }
    }
}

fn percent_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = input
                    .get(i + 1..i + 3)
                    .and_then(|digits| std::str::from_utf8(digits).ok())
                    .and_then(|digits| u8::from_str_radix(digits, 16).ok());
                if let Some(byte) = hex {
                    out.push(byte);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> FormFields {
        FormFields::parse(body.as_bytes()).unwrap()
    }

    #[test]
    fn plus_and_percent_escapes_are_decoded() {
        let form = parse("email=ana%40example.com&api_token=a+b%2Bc%3D");
        assert_eq!(form.required("email"), Ok("ana@example.com"));
        assert_eq!(form.required("api_token"), Ok("a b+c="));
    }

    #[test]
    fn utf8_escapes_decode_and_stray_percent_signs_stay() {
        let form = parse("name=J%C3%BCrgen&odd=100%&odder=%zz%4");
        assert_eq!(form.required("name"), Ok("Jürgen"));
        assert_eq!(form.required("odd"), Ok("100%"));
        assert_eq!(form.required("odder"), Ok("%zz%4"));
    }

    #[test]
    fn invalid_utf8_is_refused_whether_escaped_or_raw() {
        assert_eq!(
            FormFields::parse(b"email=%FF%FE").unwrap_err(),
            FormError::NotUtf8
        );
        assert_eq!(
            FormFields::parse(b"email=\xff").unwrap_err(),
            FormError::NotUtf8
        );
        assert_eq!(FormFields::parse(b"%C3=x").unwrap_err(), FormError::NotUtf8);
    }

    #[test]
    fn missing_and_repeated_fields_are_named() {
        let form = parse("email=a&email=b&&flag");
        assert_eq!(form.required("email"), Err(FormError::Repeated("email")));
        assert_eq!(
            form.required("api_token"),
            Err(FormError::Missing("api_token"))
        );
        assert_eq!(form.required("flag"), Ok(""));
    }

    #[test]
    fn an_empty_body_has_no_fields() {
        assert_eq!(
            parse("").required("email"),
            Err(FormError::Missing("email"))
        );
    }
}
