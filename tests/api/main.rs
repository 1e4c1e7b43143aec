//! The one integration-test binary. Each test gets its own app (port 0, own SQLite file) and its
//! own Jira emulator on loopback, and talks to both over real HTTP. One module per area.

mod support;

mod access_tokens;
mod admin_access;
mod admin_history;
mod admin_lifetime;
mod architecture;
mod connect_descriptor;
mod connect_lifecycle;
mod connect_pages;
mod connectors;
mod crash_safety;
mod datasource_sharing;
mod datasources;
mod emulator;
mod feed_agile;
mod feed_csv_json;
mod feed_export;
mod feed_history;
mod feed_hostile;
mod feed_issue_errors;
mod feed_limits;
mod feed_odata;
mod feed_tables;
mod jira_token;
mod key_rotation;
mod postgres;
mod startup;
mod token_expiry;
mod token_history;
mod ui;
mod ui_a11y;
mod ui_admin;
mod ui_errors;
mod ui_feed;
mod ui_pages;
mod ui_sharing;
