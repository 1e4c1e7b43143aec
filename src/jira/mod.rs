//! Everything that talks to Jira: the outbound REST client (auth, paging, retries, rate limits).
//! The Jira API token tab builds on top of it.

pub mod client;
mod retry;
