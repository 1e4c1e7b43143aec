//! Everything that talks to Jira: the outbound REST client (auth, paging, retries, rate limits).
//! The Jira API token tab builds on top of it.

#[expect(dead_code, reason = "used by the client added in the next commit")]
mod retry;
