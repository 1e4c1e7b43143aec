//! A local Jira Cloud emulator: real HTTP servers on loopback that play one or more Jira Cloud
//! sites, so the app can be tried by hand and tested end to end with no Atlassian account.

pub mod config;
pub mod directory;
pub mod dataset;
pub mod fields;
pub mod jql;
pub mod jql_eval;
mod search;
mod stats;
mod auth;
mod error;
mod faults;
mod install;
mod signing;
mod state;
mod rest;
