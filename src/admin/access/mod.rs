//! The "Who may use the app" tab: everyone, or only chosen Jira groups and people (found with
//! Jira's pickers, asked as the app). The rule itself lives in [`crate::app_access`].

pub mod grants;
pub mod mode;
pub mod show;
