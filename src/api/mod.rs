//! The app's own small JSON API for connectors (Looker Studio, Google Sheets) that need to know
//! what a user can read before they read it. Authenticated exactly like the feeds: an access
//! token as the Basic password or a Bearer token, answered 401 before any data is touched.

pub mod datasources;
