//! Domain identifiers that travel between layers (accounts, rows in URLs). They live at the
//! bottom so that stores, extractors and pages can share them without importing each other.

/// An Atlassian account id (`sub` of Jira's JWT), e.g. `5b10a2844c20165700ede21g` or
/// `712020:2c5e…`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AccountId(String);

impl AccountId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let valid = !raw.is_empty()
            && raw.len() <= 128
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_'));
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err("not an Atlassian account id".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a text is not a row id. Every page and feed answers it with 404, the same as an id that
/// does not exist, so a probe learns nothing from the id's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a row id")]
pub struct InvalidId;

impl From<InvalidId> for crate::error::AppError {
    fn from(_: InvalidId) -> Self {
        Self::NotFound
    }
}

/// The one rule for a row id in a URL: the canonical decimal form of a positive `i64`, which is
/// what [`std::fmt::Display`] writes. No sign (`+4`), no leading zero, no white space.
fn parse_row_id(raw: &str) -> Result<i64, InvalidId> {
    let canonical = raw.bytes().all(|b| b.is_ascii_digit()) && !raw.starts_with('0');
    if !canonical {
        return Err(InvalidId);
    }
    // Empty and too-large texts fail here; zero was refused above.
    raw.parse::<i64>().map_err(|_| InvalidId)
}

/// A row id newtype: parsed once from a URL segment, written back by `Display`, and (de)serialised
/// as the same text.
macro_rules! row_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i64);

        impl $name {
            /// The database key.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;

            fn from_str(raw: &str) -> Result<Self, InvalidId> {
                parse_row_id(raw).map(Self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                raw.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

row_id!(
    /// A data source's row id (`/app/datasources/{id}`, `/feed/…/{id}`).
    DataSourceId
);
row_id!(
    /// An access token's row id (`/app/tokens/access/{id}/revoke`).
    AccessTokenId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_id_is_the_canonical_decimal_form_of_a_positive_integer() {
        assert_eq!("42".parse::<DataSourceId>().unwrap().get(), 42);
        assert_eq!("1".parse::<AccessTokenId>().unwrap().get(), 1);
        let max = i64::MAX.to_string();
        assert_eq!(max.parse::<DataSourceId>().unwrap().get(), i64::MAX);
    }

    #[test]
    fn anything_else_is_not_a_row_id() {
        let overflow = (i128::from(i64::MAX) + 1).to_string();
        for bad in [
            "",
            "0",
            "00",
            "042",
            "+4",
            "-1",
            "-0",
            " 4",
            "4 ",
            "\t4",
            "4\n",
            "4x",
            "1.5",
            "1e3",
            "%34",
            "٤",
            "99999999999999999999",
            &overflow,
        ] {
            assert_eq!(bad.parse::<DataSourceId>(), Err(InvalidId), "{bad:?}");
            assert_eq!(bad.parse::<AccessTokenId>(), Err(InvalidId), "{bad:?}");
        }
    }

    #[test]
    fn a_row_id_reads_back_what_it_writes() {
        let id: DataSourceId = "907".parse().unwrap();
        assert_eq!(id.to_string(), "907");
        assert_eq!(id.to_string().parse::<DataSourceId>(), Ok(id));
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"907\"");
        assert_eq!(serde_json::from_str::<DataSourceId>("\"907\"").unwrap(), id);
        assert!(serde_json::from_str::<DataSourceId>("\"+907\"").is_err());
    }

    #[test]
    fn a_malformed_row_id_is_a_not_found() {
        let err = crate::error::AppError::from(InvalidId);
        assert!(matches!(err, crate::error::AppError::NotFound));
    }
}
