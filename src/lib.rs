#![forbid(unsafe_code)]
//! BI Connector for Jira: an Atlassian Connect add-on that serves Jira data to BI tools.
pub mod admin;
pub mod api;
pub mod app_access;
pub mod audit;
pub mod clock;
pub mod connect;
pub mod crypto;
pub mod datasources;
pub mod db;
pub mod error;
pub mod feed;
pub mod health;
pub mod ids;
pub mod jira;
pub mod pages;
pub mod private_files;
pub mod rotate;
pub mod routes;
pub mod security;
pub mod settings;
pub mod startup;
pub mod state;
pub mod static_files;
pub mod telemetry;
pub mod tokens;
