#![forbid(unsafe_code)]
pub mod clock;
pub mod connect;
pub mod crypto;
pub mod jira;
pub mod tokens;
