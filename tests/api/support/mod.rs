//! What the tests share, none of it a test itself: the app and the Jira emulator wired to each
//! other in-process ([`app`]), the app as its own process ([`app_process`]), a real browser
//! ([`browser`]) and a user set up for the feeds ([`feed`]).

pub mod app;
pub mod app_process;
pub mod browser;
pub mod feed;

pub use app::{
    Session, TestApp, other_rsa_key, spawn_app, spawn_app_shifted, spawn_app_with,
    spawn_app_with_pause, spawn_app_with_settings, spawn_app_without_installs,
};
