//! Personal access tokens: the password a BI tool (Power BI, Excel, Tableau…) sends instead of a
//! Jira credential. `domain` holds the pure types (format, hashing, label, expiry), `lifetime`
//! the administrators' maximum lifetime, `store` the
//! rows, `pages` the Access Token tab, and `auth` the `TokenOwner` extractor feeds use.

pub mod auth;
pub mod domain;
pub mod lifetime;
pub mod pages;
pub mod store;
