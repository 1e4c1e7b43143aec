//! Personal access tokens: the password a BI tool (Power BI, Excel, Tableau…) sends instead of a
//! Jira credential. `domain` holds the pure types; the store and pages build on top of it.

pub mod auth;
pub mod domain;
pub mod pages;
pub mod store;
