//! Personal access tokens: the password a BI tool (Power BI, Excel, Tableau…) sends instead of a
//! Jira credential. `domain` holds the pure types (format, hashing, label, expiry), `store` the
//! rows, `pages` the Access Token tab, and `auth` the `TokenOwner` extractor feeds use.

pub mod auth;
pub mod domain;
pub mod pages;
pub mod store;
