//! Who may use the app on a site: everyone (the default), or only the groups and people its
//! Jira administrators chose. Kept apart from the admin pages that edit it because the pages,
//! the feeds and the admin page all ask the same question, and must get the same answer.

pub mod check;
pub mod policy;
pub mod store;
