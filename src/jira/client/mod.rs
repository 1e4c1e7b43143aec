//! The outbound Jira Cloud client. It reads Jira *as the user* (HTTP Basic with their email and
//! Atlassian API token) so Jira's own permissions decide what a feed may see. It only ever calls
//! fixed read endpoints on the tenant's stored baseUrl, never follows redirects (credentials must
//! not travel to another origin), and retries throttled or failed reads the way Atlassian asks.
//!
//! Every response body is read with a size cap ([`BodyLimits`]), chunk by chunk, so a broken or
//! hostile server cannot make one call buffer without bound: past the cap the read stops, the
//! connection is dropped and the call fails with [`JiraError::ResponseTooLarge`].
//!
//! The code is split by concern: `domain` holds the types the product works with, `wire` the
//! serde shapes of Jira's JSON (private), `transport` the client handle with its HTTP, retry and
//! body-cap machinery; this file holds the endpoints, one method per Jira API call.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

mod domain;
#[cfg(test)]
pub(crate) mod mock;
mod tables;
mod transport;
mod wire;

pub use super::retry::{Pause, RetryPolicy, next_delay, parse_retry_after};
pub use domain::{
    AppCredentials, FieldSchema, JiraAccount, JiraCredentials, JiraError, JiraField, JiraProject,
    JiraSite, SearchPage, SearchRequest,
};
pub use tables::CHANGELOG_MAX_ISSUES;
pub use transport::{BodyLimits, CallStats, JiraClient, JiraClientConfig};

pub(in crate::jira) use transport::{Auth, Call};
use wire::{
    BulkFetchBody, BulkFetchResults, CountBody, CountResult, PATH_APPROXIMATE_COUNT,
    PATH_BULK_FETCH, PATH_FIELDS, PATH_MYSELF, PATH_MYSELF_V2, PATH_PROJECT_SEARCH,
    PATH_SEARCH_JQL, ProjectPage, SearchBody, SearchResults, UserBody, issue_id,
};

/// Jira accepts at most this many ids per `issue/bulkfetch` call.
pub const BULK_FETCH_MAX_IDS: usize = 100;
const PROJECT_PAGE_SIZE: u32 = 100;
/// A guard against a Jira that never says `isLast` (100 × 1,000 projects is far beyond any site).
const PROJECT_MAX_PAGES: usize = 1_000;

impl JiraClient {
    /// `GET /rest/api/3/myself`: the credential probe (never anonymous).
    pub async fn myself(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
    ) -> Result<JiraAccount, JiraError> {
        self.myself_at(site, creds, PATH_MYSELF).await
    }

    /// `GET /rest/api/2/myself`: the same probe on the v2 API, which Validate & Save uses.
    pub async fn myself_v2(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
    ) -> Result<JiraAccount, JiraError> {
        self.myself_at(site, creds, PATH_MYSELF_V2).await
    }

    async fn myself_at(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
        path: &'static str,
    ) -> Result<JiraAccount, JiraError> {
        let user: UserBody = self.call(site, creds, Call::get(path)).await?;
        Ok(JiraAccount {
            account_id: user.account_id,
            display_name: user.display_name.unwrap_or_default(),
            email_address: user.email_address.filter(|email| !email.trim().is_empty()),
        })
    }

    /// `POST /rest/api/3/search/jql`: one page of issues; pass the returned token to continue.
    pub async fn search_jql(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
        request: &SearchRequest,
    ) -> Result<SearchPage, JiraError> {
        let body = SearchBody {
            jql: &request.jql,
            next_page_token: request.next_page_token.as_deref(),
            max_results: request.max_results,
            fields: &request.fields,
        };
        let results: SearchResults = self
            .call(site, creds, Call::post(PATH_SEARCH_JQL, &body)?)
            .await?;
        let next_page_token = results.next_page_token.filter(|token| !token.is_empty());
        let is_last = results.is_last == Some(true) || next_page_token.is_none();
        Ok(SearchPage {
            issues: results.issues,
            next_page_token,
            is_last,
        })
    }

    /// `POST /rest/api/3/search/approximate-count`: Jira's estimate of how many issues match.
    pub async fn approximate_count(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
        jql: &str,
    ) -> Result<u64, JiraError> {
        let call = Call::post(PATH_APPROXIMATE_COUNT, &CountBody { jql })?;
        let result: CountResult = self.call(site, creds, call).await?;
        Ok(result.count)
    }

    /// `POST /rest/api/3/issue/bulkfetch`: full issues for ids or keys, in Jira's order
    /// (ascending id) per call. More than [`BULK_FETCH_MAX_IDS`] ids are sent as consecutive
    /// calls.
    ///
    /// Jira lists under `issueErrors` the issues it could not return *this time* ("a retriable
    /// error or payload constraint"); those are requested again, after the policy's backoff, up
    /// to `max_retries` times, each round counted as a retry. If some still cannot be read the
    /// call fails with [`JiraError::IssuesUnavailable`], so no caller mistakes a partial answer
    /// for a whole one. Issues that are neither returned nor listed (deleted, or not visible to
    /// the user) are simply absent, as the spec documents.
    pub async fn bulk_fetch(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
        ids: &[String],
        fields: &[String],
    ) -> Result<Vec<serde_json::Value>, JiraError> {
        let mut issues = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(BULK_FETCH_MAX_IDS) {
            self.bulk_fetch_chunk(site, creds, chunk, fields, &mut issues)
                .await?;
        }
        Ok(issues)
    }

    /// One call of at most [`BULK_FETCH_MAX_IDS`] ids, plus its re-requests of `issueErrors`.
    async fn bulk_fetch_chunk(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
        chunk: &[String],
        fields: &[String],
        issues: &mut Vec<serde_json::Value>,
    ) -> Result<(), JiraError> {
        let mut pending: Vec<String> = chunk.to_vec();
        let mut round: u32 = 0;
        loop {
            let body = BulkFetchBody {
                issue_ids_or_keys: &pending,
                fields,
            };
            let results: BulkFetchResults = self
                .call(site, creds, Call::post(PATH_BULK_FETCH, &body)?)
                .await?;
            let returned: HashSet<String> = results.issues.iter().filter_map(issue_id).collect();
            let mut again: Vec<String> = Vec::new();
            for error in &results.issue_errors {
                // An error we cannot tie to an issue cannot be retried: the answer is unusable.
                let Some(id) = issue_id(error) else {
                    return Err(JiraError::InvalidResponse(format!(
                        "POST {PATH_BULK_FETCH}: an issueErrors entry has no id"
                    )));
                };
                // Never more than was asked for, and never an issue that did come back.
                if again.len() < pending.len() && !returned.contains(&id) && !again.contains(&id) {
                    again.push(id);
                }
            }
            issues.extend(results.issues);
            if again.is_empty() {
                return Ok(());
            }
            if round >= self.retry.max_retries {
                tracing::warn!(
                    http.path = PATH_BULK_FETCH,
                    jira.issue_errors = again.len(),
                    attempt = round + 1,
                    "Jira still could not return some issues after all retries"
                );
                return Err(JiraError::IssuesUnavailable { count: again.len() });
            }
            let delay = next_delay(round, None, &self.retry, self.pause.jitter());
            tracing::info!(
                http.path = PATH_BULK_FETCH,
                jira.issue_errors = again.len(),
                attempt = round + 1,
                delay_ms = delay.as_millis(),
                "Jira could not return some issues this time; they will be requested again"
            );
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            round += 1;
            self.pause.sleep(delay).await;
            pending = again;
        }
    }

    /// `GET /rest/api/3/field`: every system and custom field the user can see.
    pub async fn fields(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
    ) -> Result<Vec<JiraField>, JiraError> {
        self.call(site, creds, Call::get(PATH_FIELDS)).await
    }

    /// `GET /rest/api/3/project/search`, following `startAt` pages until `isLast`.
    pub async fn projects(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
    ) -> Result<Vec<JiraProject>, JiraError> {
        let mut projects = Vec::new();
        for _ in 0..PROJECT_MAX_PAGES {
            let mut call = Call::get(PATH_PROJECT_SEARCH);
            call.query = vec![
                ("startAt", projects.len().to_string()),
                ("maxResults", PROJECT_PAGE_SIZE.to_string()),
                ("orderBy", "key".to_owned()),
            ];
            let page: ProjectPage = match self.call(site, creds, call).await {
                Ok(page) => page,
                // Jira answers 404 when no (more) projects match.
                Err(JiraError::NotFound) => break,
                Err(err) => return Err(err),
            };
            let received = page.values.len();
            projects.extend(page.values);
            let reached_total = page
                .total
                .is_some_and(|total| projects.len() as u64 >= total);
            if received == 0 || page.is_last.unwrap_or(reached_total) {
                break;
            }
        }
        Ok(projects)
    }
}

#[cfg(test)]
mod tests;
