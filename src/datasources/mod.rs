//! Data sources: a user's saved selection of Jira issues (JQL) and fields, which the BI feeds
//! export. `domain` parses what the form submits, `store` keeps them per owner, `pages` are the
//! Data sources pages that create, show, edit, share and delete them (checking everything with
//! Jira). `access` is the one rule of who may read one: its owner and those it is shared with.

pub mod access;
pub mod domain;
pub mod pages;
pub mod store;
