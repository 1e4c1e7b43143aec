//! Atlassian Connect: everything that proves a request really comes from a Jira site.
pub mod app_jwt;
pub mod auth;
pub mod descriptor;
pub mod install_keys;
pub mod jwt;
pub mod lifecycle;
pub mod qsh;
pub mod tenants;
