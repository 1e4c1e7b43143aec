//! The outbound Jira Cloud client. It reads Jira *as the user* (HTTP Basic with their email and
//! Atlassian API token) so Jira's own permissions decide what a feed may see. It only ever calls
//! fixed read endpoints on the tenant's stored baseUrl, never follows redirects (credentials must
//! not travel to another origin), and retries throttled or failed reads the way Atlassian asks.
//!
//! Every response body is read with a size cap ([`BodyLimits`]), chunk by chunk, so a broken or
//! hostile server cannot make one call buffer without bound: past the cap the read stops, the
//! connection is dropped and the call fails with [`JiraError::ResponseTooLarge`].

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use url::{Host, Url};

use crate::clock::Clock;
use crate::crypto::SecretString;

pub use super::retry::{Pause, RetryPolicy, next_delay, parse_retry_after};

const USER_AGENT: &str = concat!("jira-bi-connector/", env!("CARGO_PKG_VERSION"));

const PATH_MYSELF: &str = "/rest/api/3/myself";
/// The v2 twin, used to validate a token on Validate & Save (as the products we replace do).
const PATH_MYSELF_V2: &str = "/rest/api/2/myself";
const PATH_SEARCH_JQL: &str = "/rest/api/3/search/jql";
const PATH_APPROXIMATE_COUNT: &str = "/rest/api/3/search/approximate-count";
const PATH_BULK_FETCH: &str = "/rest/api/3/issue/bulkfetch";
const PATH_FIELDS: &str = "/rest/api/3/field";
const PATH_PROJECT_SEARCH: &str = "/rest/api/3/project/search";

/// Jira accepts at most this many ids per `issue/bulkfetch` call.
pub const BULK_FETCH_MAX_IDS: usize = 100;
const PROJECT_PAGE_SIZE: u32 = 100;
/// A guard against a Jira that never says `isLast` (100 × 1,000 projects is far beyond any site).
const PROJECT_MAX_PAGES: usize = 1_000;

/// A tenant's Jira site, built from the `baseUrl` of its signed install. Every request URL is
/// this origin (plus any context path) joined with one of our fixed API paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraSite {
    base_url: Url,
}

impl JiraSite {
    /// Accepts `https://…` (and plain `http://` only for loopback hosts, i.e. the local Jira
    /// emulator), with no credentials, query or fragment. A trailing `/` is ignored.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let mut url = Url::parse(raw.trim()).map_err(|_| "the Jira base URL is not a valid URL")?;
        let host = url.host().ok_or("the Jira base URL has no host")?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&host) => {}
            _ => return Err("the Jira base URL must use https"),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("the Jira base URL must not contain credentials");
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("the Jira base URL must not have a query or fragment");
        }
        let path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&path);
        Ok(Self { base_url: url })
    }

    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    fn endpoint(&self, api_path: &'static str) -> Url {
        let mut url = self.base_url.clone();
        let joined = format!("{}{api_path}", self.base_url.path().trim_end_matches('/'));
        url.set_path(&joined);
        url
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// A user's Jira login for Basic auth. Neither part is ever logged; `Debug` redacts both.
#[derive(Clone)]
pub struct JiraCredentials {
    pub email: String,
    pub api_token: SecretString,
}

impl fmt::Debug for JiraCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JiraCredentials { email: ***, api_token: *** }")
    }
}

/// Why a Jira call failed. `Display` is for logs (no secrets, no Jira data);
/// [`JiraError::user_message`] is for pages and feeds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JiraError {
    /// 401: wrong email or API token, or the token expired or was revoked.
    #[error("Jira rejected the credentials (401)")]
    Unauthorized,
    /// Jira wants a browser login (CAPTCHA) after repeated failures; retrying makes it worse.
    #[error("Jira demands a CAPTCHA login")]
    CaptchaChallenge { login_url: Option<String> },
    /// 403 for any other reason: the account lacks permission.
    #[error("Jira refused access (403)")]
    Forbidden,
    #[error("Jira reported not found (404)")]
    NotFound,
    /// 400 with Jira's `errorMessages`/`errors`, e.g. invalid or unbounded JQL.
    #[error("Jira rejected the request (400, {} messages)", messages.len())]
    BadRequest { messages: Vec<String> },
    /// Still throttled (429) after every retry.
    #[error("Jira is still rate limiting after all retries")]
    RateLimited,
    #[error("Jira did not answer in time")]
    Timeout,
    #[error("could not connect to Jira")]
    Unreachable,
    /// Any other status, including redirects (never followed) and 5xx after every retry.
    #[error("Jira answered with unexpected status {status}")]
    Unexpected { status: u16 },
    /// `issue/bulkfetch` kept listing these issues under `issueErrors` (retriable) after every
    /// retry: the answer would be incomplete.
    #[error("Jira could not return {count} issues after all retries")]
    IssuesUnavailable { count: usize },
    /// A success status whose body is not what the API documents. The text names the endpoint
    /// and the position of the problem, never the data.
    #[error("Jira sent an unreadable response: {0}")]
    InvalidResponse(String),
    /// The body was longer than the cap for its endpoint (see [`BodyLimits`]); not retried,
    /// since the same request gets the same answer.
    #[error("Jira sent a response larger than the {limit_bytes}-byte cap")]
    ResponseTooLarge { limit_bytes: usize },
}

impl JiraError {
    /// A sentence or two for the user, telling them what to do about it.
    pub fn user_message(&self) -> String {
        match self {
            Self::Unauthorized => "Jira did not accept your email address and API token. Check \
                 both; if the token has expired or was revoked, create a new one at \
                 id.atlassian.com and save it again."
                .to_owned(),
            Self::CaptchaChallenge { .. } => "Jira is asking for a CAPTCHA after several failed \
                 sign-ins. Log out of Jira, log in again in your browser (solving the CAPTCHA), \
                 then try again."
                .to_owned(),
            Self::Forbidden => "Your Jira account does not have permission for this. Ask a Jira \
                 administrator for access, or use an account that has it."
                .to_owned(),
            Self::NotFound => "Jira could not find what was requested, or your account is not \
                 allowed to see it."
                .to_owned(),
            Self::BadRequest { messages } if messages.is_empty() => {
                "Jira rejected the request as invalid. Check the data source's JQL.".to_owned()
            }
            Self::BadRequest { messages } => {
                format!("Jira rejected the request: {}", messages.join(" "))
            }
            Self::RateLimited => {
                "Jira is limiting how fast data can be read right now. Wait a few \
                 minutes, then refresh again."
                    .to_owned()
            }
            Self::Timeout => "Jira took too long to answer. Try again later, or narrow the data \
                 source's JQL so fewer issues are read."
                .to_owned(),
            Self::Unreachable => {
                "Could not connect to your Jira site. Try again in a few minutes.".to_owned()
            }
            Self::Unexpected { status } if (300..400).contains(status) => format!(
                "Jira answered with a redirect (HTTP {status}), which is not followed for \
                 security reasons. Check that the Jira site address is current."
            ),
            Self::Unexpected { status } if (500..600).contains(status) => format!(
                "Jira is having problems right now (HTTP {status}). Try again in a few minutes."
            ),
            Self::Unexpected { status } => {
                format!("Jira answered with an unexpected status (HTTP {status}).")
            }
            Self::IssuesUnavailable { count } => format!(
                "Jira could not return {count} of the issues right now, even after several \
                 tries, so the data would be incomplete. Try again in a few minutes."
            ),
            Self::InvalidResponse(_) => "Jira sent a response that could not be read. Try again; \
                 if it keeps happening, contact support."
                .to_owned(),
            Self::ResponseTooLarge { limit_bytes } => format!(
                "Jira sent more data in one answer than BI Connector accepts ({} MiB). If the \
                 data source selects large fields (long texts, many comments or attachments), \
                 select fewer; if it keeps happening, contact support.",
                limit_bytes.div_ceil(1024 * 1024)
            ),
        }
    }

    /// Whether the stored Jira credentials themselves are the problem (the user must act).
    pub fn is_credential_problem(&self) -> bool {
        matches!(self, Self::Unauthorized | Self::CaptchaChallenge { .. })
    }
}

/// Timeouts, retries and body caps for every call made by a [`JiraClient`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JiraClientConfig {
    pub connect_timeout: Duration,
    /// For one attempt, from sending the request to the end of the response body.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    pub body_limits: BodyLimits,
}

impl Default for JiraClientConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            body_limits: BodyLimits::default(),
        }
    }
}

/// The most bytes read from one response body, by kind of answer. The defaults are several times
/// the largest legitimate answers, so only a broken or hostile server reaches them:
///
/// * a page of issues: `search/jql` returns at most 5,000 ids (about 20 bytes each, ~100 KB) or
///   100 issues with fields, and `issue/bulkfetch` at most 100 issues; an issue with dozens of
///   fields, a long description and labels is 10–50 KB, so a heavy page is 1–5 MB → **32 MiB**;
/// * the field catalogue (`GET /field`): about 500 bytes per field, and even sites with 10,000
///   custom fields stay near 5 MB → **16 MiB**;
/// * anything else (`myself`, `approximate-count`, a page of 100 projects, a 400's error list):
///   a few KB to ~200 KB → **4 MiB**.
///
/// The bound on memory per export is therefore `max_concurrency × issues` (8 × 32 MiB) in the
/// worst case; typical pages are a hundredth of that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    pub issues: usize,
    pub fields: usize,
    pub other: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        const MIB: usize = 1024 * 1024;
        Self {
            issues: 32 * MIB,
            fields: 16 * MIB,
            other: 4 * MIB,
        }
    }
}

impl BodyLimits {
    /// The cap for the answer of `api_path` (one of our fixed paths).
    fn for_path(&self, api_path: &str) -> usize {
        match api_path {
            PATH_SEARCH_JQL | PATH_BULK_FETCH => self.issues,
            PATH_FIELDS => self.fields,
            _ => self.other,
        }
    }
}

/// Requests sent and retries made through one [`JiraClient`] handle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    pub retries: u64,
}

#[derive(Debug, Default)]
struct StatsCounters {
    requests: AtomicU64,
    retries: AtomicU64,
}

/// Cheap to clone: clones share the connection pool and the stats counters.
#[derive(Debug, Clone)]
pub struct JiraClient {
    http: reqwest::Client,
    retry: RetryPolicy,
    body_limits: BodyLimits,
    /// Overrides the configured per-attempt timeout (see [`JiraClient::interactive`]).
    attempt_timeout: Option<Duration>,
    clock: Clock,
    /// How retries wait (injected by tests).
    pause: Pause,
    stats: Arc<StatsCounters>,
}

/// Who the credentials belong to (`GET /rest/api/3/myself`). `Debug` hides the email.
#[derive(Clone, PartialEq, Eq)]
pub struct JiraAccount {
    pub account_id: String,
    pub display_name: String,
    /// Absent when the user's privacy settings hide it.
    pub email_address: Option<String>,
}

impl fmt::Debug for JiraAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JiraAccount")
            .field("account_id", &self.account_id)
            .field("display_name", &self.display_name)
            .field("email_address", &self.email_address.as_ref().map(|_| "***"))
            .finish()
    }
}

/// One page of `POST /rest/api/3/search/jql`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    /// Must be bounded (Jira rejects e.g. an empty query or one with only `ORDER BY`).
    pub jql: String,
    pub next_page_token: Option<String>,
    pub max_results: u32,
    /// Field ids to return; empty means Jira's default (`id` only).
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    /// Raw `IssueBean`s: `{"id","key","self","fields":{…}}`.
    pub issues: Vec<serde_json::Value>,
    pub next_page_token: Option<String>,
    /// True when Jira says so *or* gave no token to continue with. Callers should also stop on
    /// an empty page, since Jira's `isLast` is known to be unreliable.
    pub is_last: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JiraField {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub custom: bool,
    #[serde(default)]
    pub schema: Option<FieldSchema>,
}

/// Jira's `JsonTypeBean`. Identify custom fields by `custom` (e.g.
/// `com.pyxis.greenhopper.jira:gh-sprint`), not by their localized name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldSchema {
    #[serde(rename = "type")]
    pub field_type: String,
    #[serde(default)]
    pub items: Option<String>,
    #[serde(default)]
    pub custom: Option<String>,
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub custom_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct JiraProject {
    pub id: String,
    pub key: String,
    #[serde(default)]
    pub name: String,
}

// Wire shapes. Serde ignores unknown keys, so additions on Jira's side do not break us.

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserBody {
    account_id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    email_address: Option<String>,
}

/// Only keys `SearchAndReconcileRequestBean` allows (it has `additionalProperties: false`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SearchBody<'a> {
    jql: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<&'a str>,
    max_results: u32,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    fields: &'a [String],
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchResults {
    #[serde(default)]
    issues: Vec<serde_json::Value>,
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    is_last: Option<bool>,
}

#[derive(Serialize)]
struct CountBody<'a> {
    jql: &'a str,
}

#[derive(Deserialize)]
struct CountResult {
    count: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BulkFetchBody<'a> {
    issue_ids_or_keys: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    fields: &'a [String],
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkFetchResults {
    #[serde(default)]
    issues: Vec<serde_json::Value>,
    #[serde(default)]
    issue_errors: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProjectPage {
    #[serde(default)]
    values: Vec<JiraProject>,
    #[serde(default)]
    is_last: Option<bool>,
    #[serde(default)]
    total: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorCollection {
    #[serde(default)]
    error_messages: Vec<String>,
    #[serde(default)]
    errors: serde_json::Map<String, serde_json::Value>,
}

/// One API call: a fixed path plus what varies. The body is encoded once and re-sent on retry.
struct Call {
    method: Method,
    path: &'static str,
    query: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
}

impl Call {
    fn get(path: &'static str) -> Self {
        Self {
            method: Method::GET,
            path,
            query: Vec::new(),
            body: None,
        }
    }

    fn post(path: &'static str, body: &impl Serialize) -> Result<Self, JiraError> {
        let encoded = serde_json::to_vec(body).map_err(|_| {
            JiraError::InvalidResponse(format!("POST {path}: request not encodable"))
        })?;
        Ok(Self {
            method: Method::POST,
            path,
            query: Vec::new(),
            body: Some(encoded),
        })
    }
}

/// What one attempt came to.
enum Attempt<T> {
    Success(T),
    Failed(JiraError),
    Retryable {
        retry_after: Option<Duration>,
        /// Returned if no retries are left.
        give_up: JiraError,
    },
}

impl JiraClient {
    /// Builds the HTTP client: no redirects, the configured timeouts, our user agent.
    pub fn new(config: JiraClientConfig, clock: Clock) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(USER_AGENT)
            .build()?;
        Ok(Self {
            http,
            retry: config.retry,
            body_limits: config.body_limits,
            attempt_timeout: None,
            clock,
            pause: Pause::real(),
            stats: Arc::default(),
        })
    }

    /// This client with retries waiting through `pause` (tests record the waits instead).
    pub fn with_pause(self, pause: Pause) -> Self {
        Self { pause, ..self }
    }

    /// A handle sharing this client's connection pool and settings but counting on its own from
    /// zero: take one per export so its log line reports that export's calls and retries.
    pub fn with_fresh_stats(&self) -> Self {
        Self {
            stats: Arc::default(),
            ..self.clone()
        }
    }

    /// A handle for a call a person is waiting on (e.g. Validate & Save): each attempt is cut
    /// off after `attempt_timeout` (instead of the configured timeout) and a failed attempt is
    /// retried at most once, after at most two seconds, so the page answers in bounded time.
    /// Shares the connection pool and stats.
    pub fn interactive(&self, attempt_timeout: Duration) -> Self {
        Self {
            retry: RetryPolicy {
                max_retries: 1,
                base_delay: Duration::from_millis(500),
                max_delay: Duration::from_secs(2),
            },
            attempt_timeout: Some(attempt_timeout),
            ..self.clone()
        }
    }

    pub fn stats(&self) -> CallStats {
        CallStats {
            requests: self.stats.requests.load(Ordering::Relaxed),
            retries: self.stats.retries.load(Ordering::Relaxed),
        }
    }

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

    /// Sends `call`, retrying as the policy allows, and decodes a success body as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
        call: Call,
    ) -> Result<T, JiraError> {
        let mut url = site.endpoint(call.path);
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&call.query);
        }
        let mut retries_done: u32 = 0;
        loop {
            let started = Instant::now();
            let outcome = self.attempt::<T>(site, creds, &call, &url).await;
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let elapsed_ms = started.elapsed().as_millis();
            match outcome {
                Attempt::Success(value) => {
                    tracing::debug!(
                        http.method = %call.method,
                        http.path = call.path,
                        attempt = retries_done + 1,
                        elapsed_ms,
                        "Jira call succeeded"
                    );
                    return Ok(value);
                }
                Attempt::Failed(err) => {
                    tracing::debug!(
                        http.method = %call.method,
                        http.path = call.path,
                        attempt = retries_done + 1,
                        elapsed_ms,
                        error = %err,
                        "Jira call failed"
                    );
                    return Err(err);
                }
                Attempt::Retryable {
                    retry_after,
                    give_up,
                } => {
                    if retries_done >= self.retry.max_retries {
                        tracing::warn!(
                            http.method = %call.method,
                            http.path = call.path,
                            attempt = retries_done + 1,
                            elapsed_ms,
                            error = %give_up,
                            "Jira call failed after all retries"
                        );
                        return Err(give_up);
                    }
                    let delay =
                        next_delay(retries_done, retry_after, &self.retry, self.pause.jitter());
                    tracing::info!(
                        http.method = %call.method,
                        http.path = call.path,
                        attempt = retries_done + 1,
                        elapsed_ms,
                        error = %give_up,
                        delay_ms = delay.as_millis(),
                        "Jira call will be retried"
                    );
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    retries_done += 1;
                    self.pause.sleep(delay).await;
                }
            }
        }
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
        call: &Call,
        url: &Url,
    ) -> Attempt<T> {
        let mut request = self
            .http
            .request(call.method.clone(), url.clone())
            .basic_auth(&creds.email, Some(creds.api_token.expose()))
            .header(ACCEPT, "application/json");
        if let Some(timeout) = self.attempt_timeout {
            request = request.timeout(timeout);
        }
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => return transport_failure(&err),
        };
        let status = response.status();
        tracing::debug!(
            http.method = %call.method,
            http.path = call.path,
            http.status = status.as_u16(),
            "Jira responded"
        );
        let headers = response.headers().clone();
        let now = self.clock.now();
        let limit = self.body_limits.for_path(call.path);
        match classify(status, &headers, site, now) {
            Verdict::Success => match read_body(response, limit).await {
                Ok(body) => match serde_json::from_slice(&body) {
                    Ok(value) => Attempt::Success(value),
                    Err(err) => Attempt::Failed(JiraError::InvalidResponse(format!(
                        "{} {}: {}",
                        call.method,
                        call.path,
                        describe_json_error(&err)
                    ))),
                },
                Err(BodyFailure::TooLarge) => {
                    Attempt::Failed(JiraError::ResponseTooLarge { limit_bytes: limit })
                }
                Err(BodyFailure::Transport(err)) => transport_failure(&err),
            },
            Verdict::BadRequest => {
                // If the body cannot be read (or is absurdly long), the status alone still says
                // "bad request".
                let body = read_body(response, limit).await.unwrap_or_default();
                Attempt::Failed(JiraError::BadRequest {
                    messages: error_messages(&body),
                })
            }
            Verdict::Failed(err) => Attempt::Failed(err),
            Verdict::Retryable {
                retry_after,
                give_up,
            } => Attempt::Retryable {
                retry_after,
                give_up,
            },
        }
    }
}

/// Why a body was not read in full.
enum BodyFailure {
    /// Longer than the cap (by `Content-Length` or by what arrived).
    TooLarge,
    Transport(reqwest::Error),
}

/// Reads the body chunk by chunk, stopping as soon as it would exceed `limit` bytes (the rest is
/// never read: dropping the response closes the connection). A `Content-Length` over the cap
/// fails before any byte is read; one under it is not trusted for more than a first allocation.
async fn read_body(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, BodyFailure> {
    const FIRST_ALLOCATION_MAX: usize = 1024 * 1024;
    let declared = response.content_length();
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(BodyFailure::TooLarge);
    }
    let capacity = declared.map_or(0, |length| length as usize);
    let mut body = Vec::with_capacity(capacity.min(limit).min(FIRST_ALLOCATION_MAX));
    while let Some(chunk) = response.chunk().await.map_err(BodyFailure::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyFailure::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The `id` of an `IssueBean` or `IssueError` (a string in the spec; a number is tolerated).
fn issue_id(value: &serde_json::Value) -> Option<String> {
    match value.get("id")? {
        serde_json::Value::String(id) => Some(id.clone()),
        serde_json::Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

/// Connection failures and timeouts are worth retrying: every call we make is a read.
fn transport_failure<T>(err: &reqwest::Error) -> Attempt<T> {
    let give_up = if err.is_timeout() {
        JiraError::Timeout
    } else {
        JiraError::Unreachable
    };
    if err.is_timeout() || err.is_connect() || err.is_request() || err.is_body() {
        Attempt::Retryable {
            retry_after: None,
            give_up,
        }
    } else {
        Attempt::Failed(give_up)
    }
}

/// The status-and-headers decision, separated from I/O so it can be tested directly.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Success,
    /// 400: the body carries Jira's messages.
    BadRequest,
    Failed(JiraError),
    Retryable {
        retry_after: Option<Duration>,
        give_up: JiraError,
    },
}

fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    site: &JiraSite,
    now: time::OffsetDateTime,
) -> Verdict {
    // Jira can serve a request anonymously (200 or 404) after failed authentication, flagging
    // it only in X-Seraph-LoginReason; treat that as the auth failure it is.
    if let Some(err) = auth_failure(headers, site) {
        return Verdict::Failed(err);
    }
    let retry_after = || {
        headers
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, now))
    };
    match status.as_u16() {
        200..=299 => Verdict::Success,
        400 => Verdict::BadRequest,
        401 => Verdict::Failed(JiraError::Unauthorized),
        403 => Verdict::Failed(JiraError::Forbidden),
        404 => Verdict::Failed(JiraError::NotFound),
        429 => Verdict::Retryable {
            retry_after: retry_after(),
            give_up: JiraError::RateLimited,
        },
        code @ (502..=504) => {
            let retry_after = retry_after();
            // A 503 with Retry-After is Jira shedding load, i.e. throttling by another name.
            let give_up = if code == 503 && retry_after.is_some() {
                JiraError::RateLimited
            } else {
                JiraError::Unexpected { status: code }
            };
            Verdict::Retryable {
                retry_after,
                give_up,
            }
        }
        code => Verdict::Failed(JiraError::Unexpected { status: code }),
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Reads `X-Authentication-Denied-Reason` and `X-Seraph-LoginReason` (values such as `OK`,
/// `AUTHENTICATED_FAILED`, `AUTHENTICATION_DENIED`, `AUTHORISATION_FAILED`, possibly several
/// separated by commas).
fn auth_failure(headers: &HeaderMap, site: &JiraSite) -> Option<JiraError> {
    if let Some(denied) = header_text(headers, "x-authentication-denied-reason")
        && denied.to_ascii_uppercase().contains("CAPTCHA_CHALLENGE")
    {
        return Some(JiraError::CaptchaChallenge {
            login_url: captcha_login_url(denied, site),
        });
    }
    let reasons = header_text(headers, "x-seraph-loginreason")?;
    let failure = reasons
        .split(',')
        .map(str::trim)
        .find(|reason| !reason.is_empty() && !reason.eq_ignore_ascii_case("OK"))?;
    Some(match failure.to_ascii_uppercase().as_str() {
        "AUTHENTICATION_DENIED" => JiraError::CaptchaChallenge { login_url: None },
        "AUTHORISATION_FAILED" | "AUTHORIZATION_FAILED" => JiraError::Forbidden,
        _ => JiraError::Unauthorized,
    })
}

/// `CAPTCHA_CHALLENGE; login-url=https://site/login.jsp` → the URL, kept only if it points at
/// the tenant's own site (it may be shown to the user as a link).
fn captcha_login_url(header: &str, site: &JiraSite) -> Option<String> {
    let raw = header.split(';').map(str::trim).find_map(|part| {
        let (key, value) = part.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("login-url")
            .then(|| value.trim())
    })?;
    let url = Url::parse(raw).ok()?;
    let same_site = url.scheme() == site.base_url.scheme()
        && url.host_str() == site.base_url.host_str()
        && url.port_or_known_default() == site.base_url.port_or_known_default();
    same_site.then(|| url.to_string())
}

/// Jira's `ErrorCollection`: `errorMessages` first, then the per-field `errors` values.
/// Anything else (HTML, plain text) yields no messages.
fn error_messages(body: &[u8]) -> Vec<String> {
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
fn describe_json_error(err: &serde_json::Error) -> String {
    let kind = match err.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => "unexpected JSON shape",
        serde_json::error::Category::Eof => "truncated JSON",
    };
    format!("{kind} at line {} column {}", err.line(), err.column())
}

#[cfg(test)]
pub(crate) mod tests;
