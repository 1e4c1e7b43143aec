//! Atlassian Connect: everything that proves a request really comes from a Jira site.
pub mod jwt;
pub mod qsh;
