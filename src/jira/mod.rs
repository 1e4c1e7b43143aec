//! Everything that talks to Jira: the outbound REST client (auth, paging, retries, rate limits),
//! the calls the app makes as itself (`app`),
//! and the Jira API Token tab where users save the token that client reads Jira with.

pub mod api_token;
pub mod app;
pub mod client;
pub mod credentials;
mod retry;
pub mod revoke;
pub mod tab;
pub mod token_store;
