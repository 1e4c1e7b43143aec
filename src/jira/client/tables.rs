//! The endpoints the extra tables read: change histories in bulk, an issue's worklogs, a
//! sprint, a project's versions and the status catalogue. Each one follows its paging to the end
//! or fails: a page that stops early, repeats, or never ends is an error, never a short answer.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::domain::{JiraCredentials, JiraError, JiraSite};
use super::transport::Call;
use super::transport::JiraClient;
use super::wire::{
    PATH_CHANGELOG_BULK, PATH_ISSUE_WORKLOG, PATH_PROJECT_VERSIONS, PATH_SPRINT, PATH_STATUSES,
};

/// Jira accepts at most this many issues per `changelog/bulkfetch` call.
pub const CHANGELOG_MAX_ISSUES: usize = 1_000;
/// Histories per `changelog/bulkfetch` page (Jira's default; at most 10,000).
const CHANGELOG_PAGE_SIZE: u32 = 1_000;
/// Worklogs per page of `GET /issue/{id}/worklog` (Jira's documented default and maximum).
const WORKLOG_PAGE_SIZE: u32 = 5_000;
/// Versions per page of `GET /project/{id}/version` (Jira's maximum for it is 50).
const VERSION_PAGE_SIZE: u32 = 50;
/// Guards against a Jira whose paging never ends: 10,000 pages of 1,000 histories for 1,000
/// issues, of 5,000 worklogs for one issue, of 50 versions for one project are far beyond any site.
const MAX_PAGES: usize = 10_000;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChangelogBody<'a> {
    issue_ids_or_keys: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    field_ids: &'a [String],
    max_results: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChangelogPage {
    #[serde(default)]
    issue_change_logs: Vec<IssueChangeLog>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IssueChangeLog {
    issue_id: Option<String>,
    #[serde(default)]
    change_histories: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorklogPage {
    #[serde(default)]
    start_at: Option<u64>,
    #[serde(default)]
    total: Option<u64>,
    #[serde(default)]
    worklogs: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionPage {
    #[serde(default)]
    values: Vec<Value>,
    #[serde(default)]
    is_last: Option<bool>,
    #[serde(default)]
    total: Option<u64>,
}

impl JiraClient {
    /// `POST /rest/api/3/changelog/bulkfetch` for `issue_ids` (any number: sent
    /// [`CHANGELOG_MAX_ISSUES`] at a time), optionally only changes of `field_ids` (at most 10),
    /// following `nextPageToken` to the end. Histories per issue id, in the order Jira pages them
    /// (oldest first). Issues the user cannot see have no entry.
    pub async fn changelogs(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
        issue_ids: &[String],
        field_ids: &[String],
    ) -> Result<HashMap<String, Vec<Value>>, JiraError> {
        let mut histories: HashMap<String, Vec<Value>> = HashMap::new();
        for chunk in issue_ids.chunks(CHANGELOG_MAX_ISSUES) {
            let asked: HashSet<&str> = chunk.iter().map(String::as_str).collect();
            let mut token: Option<String> = None;
            let mut seen_tokens: HashSet<String> = HashSet::new();
            let mut pages = 0;
            loop {
                pages += 1;
                if pages > MAX_PAGES {
                    return Err(JiraError::InvalidResponse(format!(
                        "POST {PATH_CHANGELOG_BULK}: the paging did not end"
                    )));
                }
                let body = ChangelogBody {
                    issue_ids_or_keys: chunk,
                    field_ids,
                    max_results: CHANGELOG_PAGE_SIZE,
                    next_page_token: token.as_deref(),
                };
                let page: ChangelogPage = self
                    .call(site, creds, Call::post(PATH_CHANGELOG_BULK, &body)?)
                    .await?;
                for log in page.issue_change_logs {
                    let Some(id) = log.issue_id.filter(|id| asked.contains(id.as_str())) else {
                        return Err(JiraError::InvalidResponse(format!(
                            "POST {PATH_CHANGELOG_BULK}: a changelog for an issue not asked for"
                        )));
                    };
                    histories
                        .entry(id)
                        .or_default()
                        .extend(log.change_histories);
                }
                match page.next_page_token.filter(|next| !next.is_empty()) {
                    None => break,
                    Some(next) => {
                        if !seen_tokens.insert(next.clone()) {
                            return Err(JiraError::InvalidResponse(format!(
                                "POST {PATH_CHANGELOG_BULK}: a page token came back twice"
                            )));
                        }
                        token = Some(next);
                    }
                }
            }
        }
        Ok(histories)
    }

    /// `GET /rest/api/3/issue/{id}/worklog`, every page: all worklogs of one issue the user may
    /// see. Pages are requested from where the last one ended until `total` is reached; a page
    /// that brings nothing before that is an error (the answer would be short).
    pub async fn issue_worklogs(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
        issue_id: &str,
    ) -> Result<Vec<Value>, JiraError> {
        let mut worklogs: Vec<Value> = Vec::new();
        for _ in 0..MAX_PAGES {
            let mut call = Call::get_with_id(PATH_ISSUE_WORKLOG, issue_id)?;
            call.query = vec![
                ("startAt", worklogs.len().to_string()),
                ("maxResults", WORKLOG_PAGE_SIZE.to_string()),
            ];
            let page: WorklogPage = self.call(site, creds, call).await?;
            if page.start_at.is_some_and(|at| at != worklogs.len() as u64) {
                return Err(JiraError::InvalidResponse(format!(
                    "GET {PATH_ISSUE_WORKLOG}: a page started elsewhere than asked"
                )));
            }
            let received = page.worklogs.len();
            worklogs.extend(page.worklogs);
            let Some(total) = page.total else {
                // Without a total, a page shorter than asked for is the last one.
                if received < WORKLOG_PAGE_SIZE as usize {
                    return Ok(worklogs);
                }
                continue;
            };
            if worklogs.len() as u64 >= total {
                return Ok(worklogs);
            }
            if received == 0 {
                return Err(JiraError::InvalidResponse(format!(
                    "GET {PATH_ISSUE_WORKLOG}: a page was empty before the total was reached"
                )));
            }
        }
        Err(JiraError::InvalidResponse(format!(
            "GET {PATH_ISSUE_WORKLOG}: the paging did not end"
        )))
    }

    /// `GET /rest/agile/1.0/sprint/{id}`; `None` when Jira answers 404 (the sprint is gone or
    /// its board is not visible to the user).
    pub async fn sprint(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
        sprint_id: i64,
    ) -> Result<Option<Value>, JiraError> {
        let call = Call::get_with_id(PATH_SPRINT, &sprint_id.to_string())?;
        match self.call(site, creds, call).await {
            Ok(sprint) => Ok(Some(sprint)),
            Err(JiraError::NotFound) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// `GET /rest/api/3/project/{id}/version`, every page: the project's versions. `None` when
    /// Jira answers 404 (the project is gone or not visible to the user).
    pub async fn project_versions(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
        project_id: &str,
    ) -> Result<Option<Vec<Value>>, JiraError> {
        let mut versions: Vec<Value> = Vec::new();
        for _ in 0..MAX_PAGES {
            let mut call = Call::get_with_id(PATH_PROJECT_VERSIONS, project_id)?;
            call.query = vec![
                ("startAt", versions.len().to_string()),
                ("maxResults", VERSION_PAGE_SIZE.to_string()),
            ];
            let page: VersionPage = match self.call(site, creds, call).await {
                Ok(page) => page,
                Err(JiraError::NotFound) if versions.is_empty() => return Ok(None),
                Err(err) => return Err(err),
            };
            let received = page.values.len();
            versions.extend(page.values);
            let reached_total = page.total.is_some_and(|t| versions.len() as u64 >= t);
            match page.is_last {
                Some(true) => return Ok(Some(versions)),
                Some(false) if received == 0 => {
                    return Err(JiraError::InvalidResponse(format!(
                        "GET {PATH_PROJECT_VERSIONS}: an empty page that is not the last"
                    )));
                }
                Some(false) => {}
                None if received == 0 || reached_total => return Ok(Some(versions)),
                None => {}
            }
        }
        Err(JiraError::InvalidResponse(format!(
            "GET {PATH_PROJECT_VERSIONS}: the paging did not end"
        )))
    }

    /// `GET /rest/api/3/status`: every status of the site's active workflows, with its category.
    pub async fn statuses(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
    ) -> Result<Vec<Value>, JiraError> {
        self.call(site, creds, Call::get(PATH_STATUSES)).await
    }
}

#[cfg(test)]
mod tests;
