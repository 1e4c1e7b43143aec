//! BI Connector's administration, for a site's Jira administrators (Jira shows it under Apps →
//! Manage apps, the descriptor's `adminPages` module with `user_is_admin`). Jira's condition
//! only hides the link, so every request here is re-checked with Jira ([`guard`]).

pub mod access;
pub mod entry;
pub mod guard;
pub mod history;
pub mod lifetime;
pub mod revoke;
pub mod tabs;
