//! The admin page's two histories (tokens, data sources): a site's audit trail for its Jira
//! administrators, filtered, paged and downloadable, and the site's tokens with Revoke.

pub mod data_sources;
pub mod download;
pub mod filter;
pub mod load;
pub mod rows;
pub mod tokens;
pub mod view;
