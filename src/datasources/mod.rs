//! Data sources: a user's saved selection of Jira issues (JQL) and fields, which the BI feeds
//! export. `domain` parses what the form submits, `store` keeps them per owner, `pages` are the
//! Data sources pages that create, show, edit and delete them (checking everything with Jira).

pub mod domain;
pub mod pages;
pub mod store;
