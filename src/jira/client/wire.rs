//! The serde shapes of Jira's JSON for the endpoints we call, private to the client: what goes
//! over the wire is decoded here and handed on as domain types. Serde ignores unknown keys, so
//! additions on Jira's side do not break us.

use serde::{Deserialize, Serialize};

use super::domain::JiraProject;

pub(super) const PATH_MYSELF: &str = "/rest/api/3/myself";
/// The v2 twin, used to validate a token on Validate & Save (as the products we replace do).
pub(super) const PATH_MYSELF_V2: &str = "/rest/api/2/myself";
pub(super) const PATH_SEARCH_JQL: &str = "/rest/api/3/search/jql";
pub(super) const PATH_APPROXIMATE_COUNT: &str = "/rest/api/3/search/approximate-count";
pub(super) const PATH_BULK_FETCH: &str = "/rest/api/3/issue/bulkfetch";
pub(super) const PATH_FIELDS: &str = "/rest/api/3/field";
pub(super) const PATH_PROJECT_SEARCH: &str = "/rest/api/3/project/search";
pub(super) const PATH_CHANGELOG_BULK: &str = "/rest/api/3/changelog/bulkfetch";
/// Templates: `{id}` is filled in with a numeric id (see `Call::get_with_id`).
pub(super) const PATH_ISSUE_WORKLOG: &str = "/rest/api/3/issue/{id}/worklog";
pub(super) const PATH_SPRINT: &str = "/rest/agile/1.0/sprint/{id}";
pub(super) const PATH_PROJECT_VERSIONS: &str = "/rest/api/3/project/{id}/version";
pub(super) const PATH_STATUSES: &str = "/rest/api/3/status";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UserBody {
    pub(super) account_id: String,
    #[serde(default)]
    pub(super) display_name: Option<String>,
    #[serde(default)]
    pub(super) email_address: Option<String>,
}

/// Only keys `SearchAndReconcileRequestBean` allows (it has `additionalProperties: false`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SearchBody<'a> {
    pub(super) jql: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) next_page_token: Option<&'a str>,
    pub(super) max_results: u32,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub(super) fields: &'a [String],
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SearchResults {
    #[serde(default)]
    pub(super) issues: Vec<serde_json::Value>,
    #[serde(default)]
    pub(super) next_page_token: Option<String>,
    #[serde(default)]
    pub(super) is_last: Option<bool>,
}

#[derive(Serialize)]
pub(super) struct CountBody<'a> {
    pub(super) jql: &'a str,
}

#[derive(Deserialize)]
pub(super) struct CountResult {
    pub(super) count: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BulkFetchBody<'a> {
    pub(super) issue_ids_or_keys: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub(super) fields: &'a [String],
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BulkFetchResults {
    #[serde(default)]
    pub(super) issues: Vec<serde_json::Value>,
    #[serde(default)]
    pub(super) issue_errors: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ProjectPage {
    #[serde(default)]
    pub(super) values: Vec<JiraProject>,
    #[serde(default)]
    pub(super) is_last: Option<bool>,
    #[serde(default)]
    pub(super) total: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ErrorCollection {
    #[serde(default)]
    pub(super) error_messages: Vec<String>,
    #[serde(default)]
    pub(super) errors: serde_json::Map<String, serde_json::Value>,
}

/// The `id` of an `IssueBean` or `IssueError` (a string in the spec; a number is tolerated).
pub(super) fn issue_id(value: &serde_json::Value) -> Option<String> {
    match value.get("id")? {
        serde_json::Value::String(id) => Some(id.clone()),
        serde_json::Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

/// Jira's `ErrorCollection`: `errorMessages` first, then the per-field `errors` values.
/// Anything else (HTML, plain text) yields no messages.
pub(super) fn error_messages(body: &[u8]) -> Vec<String> {
    let Ok(collection) = serde_json::from_slice::<ErrorCollection>(body) else {
        return Vec::new();
    };
    let mut messages = collection.error_messages;
    messages.extend(
        collection
            .errors
            .into_iter()
            .filter_map(|(_, value)| value.as_str().map(str::to_owned)),
    );
    messages.retain(|message| !message.trim().is_empty());
    messages
}

/// serde_json's own message can quote values from the response (issue data); keep only the kind
/// of problem and where it is.
pub(super) fn describe_json_error(err: &serde_json::Error) -> String {
    let kind = match err.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => "unexpected JSON shape",
        serde_json::error::Category::Eof => "truncated JSON",
    };
    format!("{kind} at line {} column {}", err.line(), err.column())
}

#[cfg(test)]
mod tests;
