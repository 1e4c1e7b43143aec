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
