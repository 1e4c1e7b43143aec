//! Server-rendered pages inside Jira's iframe. Every page gets a [`Layout`] carrying a fresh
//! session token for its links and forms, and answers with a CSP that lets only its own Jira site
//! frame it. Errors render as proper pages ([`PageError`]), never as a raw body.

pub mod error_page;
pub mod extractors;
pub mod form_body;
pub mod layout;
pub mod main_page;
pub mod people_names;
pub mod people_search;
pub mod session;
pub mod session_token;
pub mod shared;
pub mod tokens;
pub mod warnings;

pub use error_page::PageError;
pub use layout::{Layout, Nav};
