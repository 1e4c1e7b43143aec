//! How one call reaches Jira: the client handle (cheap to clone, shared pool and counters), the
//! reqwest client (no redirects, our timeouts and user agent),
//! the request built from a fixed path, the retry loop with its waits, body caps, and the
//! decision what a status and its headers mean. The endpoints in the parent module only say
//! *which* call to make and how to read its answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::domain::{AppCredentials, JiraCredentials, JiraError, JiraSite};
use super::wire::{
    PATH_BULK_FETCH, PATH_CHANGELOG_BULK, PATH_FIELDS, PATH_ISSUE_WORKLOG, PATH_SEARCH_JQL,
    describe_json_error, error_messages,
};
use crate::clock::Clock;
use crate::connect::app_jwt::{OutgoingRequest, sign_app_jwt};
use crate::jira::retry::{Pause, RetryPolicy, next_delay, parse_retry_after};

/// Requests sent and retries made through one [`JiraClient`] handle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    pub retries: u64,
}

#[derive(Debug, Default)]
pub(super) struct StatsCounters {
    pub(super) requests: AtomicU64,
    pub(super) retries: AtomicU64,
}

/// Cheap to clone: clones share the connection pool and the stats counters.
#[derive(Debug, Clone)]
pub struct JiraClient {
    pub(super) http: reqwest::Client,
    pub(super) retry: RetryPolicy,
    pub(super) body_limits: BodyLimits,
    /// Overrides the configured per-attempt timeout (see [`JiraClient::interactive`]).
    pub(super) attempt_timeout: Option<Duration>,
    pub(super) clock: Clock,
    /// How retries wait (injected by tests).
    pub(super) pause: Pause,
    pub(super) stats: Arc<StatsCounters>,
}

impl JiraClient {
    /// A client with its own connection pool: no redirects, the configured timeouts, our user agent.
    pub fn new(config: JiraClientConfig, clock: Clock) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: http_client(&config)?,
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

    /// Waits `delay` the way this client's retries wait (through its [`Pause`]), for callers that
    /// pace their own re-tries of a call, such as the export engine after a throttled batch, so
    /// tests see those waits among the recorded ones instead of sleeping through them.
    pub async fn wait(&self, delay: Duration) {
        self.pause.sleep(delay).await;
    }

    pub fn stats(&self) -> CallStats {
        CallStats {
            requests: self.stats.requests.load(Ordering::Relaxed),
            retries: self.stats.retries.load(Ordering::Relaxed),
        }
    }
}

const USER_AGENT: &str = concat!("jira-bi-connector/", env!("CARGO_PKG_VERSION"));

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
/// The bound on memory per export is therefore `max_concurrency × issues` (12 × 32 MiB) in the
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
            PATH_SEARCH_JQL | PATH_BULK_FETCH | PATH_CHANGELOG_BULK | PATH_ISSUE_WORKLOG => {
                self.issues
            }
            PATH_FIELDS => self.fields,
            _ => self.other,
        }
    }
}

/// The HTTP client every [`JiraClient`] handle shares: no redirects, the configured timeouts,
/// our user agent.
pub(super) fn http_client(config: &JiraClientConfig) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        .user_agent(USER_AGENT)
        .build()
}

/// Who a call authenticates as.
#[derive(Debug, Clone, Copy)]
pub(in crate::jira) enum Auth<'a> {
    /// HTTP Basic with the user's email and API token: Jira applies the user's permissions.
    User(&'a JiraCredentials),
    /// A Connect JWT signed as the app for each attempt (a retry gets a fresh `iat`/`exp`).
    App(&'a AppCredentials),
}

/// The `Authorization` of one attempt.
enum Authorization<'a> {
    Basic(&'a JiraCredentials),
    Jwt(String),
}

/// One API call: a fixed path plus what varies. The body is encoded once and re-sent on retry.
pub(in crate::jira) struct Call {
    method: Method,
    /// The path, or for a path with an id in it the template (`/rest/agile/1.0/sprint/{id}`):
    /// what logs name and what picks the body cap.
    path: &'static str,
    /// The path with the id filled in, when `path` is a template.
    concrete: Option<String>,
    pub(in crate::jira) query: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
}

impl Call {
    pub(in crate::jira) fn get(path: &'static str) -> Self {
        Self {
            method: Method::GET,
            path,
            concrete: None,
            query: Vec::new(),
            body: None,
        }
    }

    /// `GET` of `template` with its one `{id}` replaced by `id`, which must be a plain decimal
    /// number (Jira's numeric ids), so nothing a response said can change the path's shape.
    pub(super) fn get_with_id(template: &'static str, id: &str) -> Result<Self, JiraError> {
        let numeric = !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit());
        if !numeric {
            return Err(JiraError::InvalidResponse(format!(
                "GET {template}: Jira gave an id that is not a number"
            )));
        }
        let mut call = Self::get(template);
        call.concrete = Some(template.replace("{id}", id));
        Ok(call)
    }

    pub(in crate::jira) fn post(
        path: &'static str,
        body: &impl Serialize,
    ) -> Result<Self, JiraError> {
        let encoded = serde_json::to_vec(body).map_err(|_| {
            JiraError::InvalidResponse(format!("POST {path}: request not encodable"))
        })?;
        Ok(Self {
            method: Method::POST,
            path,
            concrete: None,
            query: Vec::new(),
            body: Some(encoded),
        })
    }
}

/// What one attempt came to.
pub(super) enum Attempt<T> {
    Success(T),
    Failed(JiraError),
    Retryable {
        retry_after: Option<Duration>,
        /// Returned if no retries are left.
        give_up: JiraError,
    },
}

impl JiraClient {
    /// Sends `call`, retrying as the policy allows, and decodes a success body as `T`.
    pub(super) async fn call<T: DeserializeOwned>(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
        call: Call,
    ) -> Result<T, JiraError> {
        self.call_as(site, Auth::User(creds), call).await
    }

    /// [`Self::call`] with the caller's choice of identity: the user, or the app itself.
    pub(in crate::jira) async fn call_as<T: DeserializeOwned>(
        &self,
        site: &JiraSite,
        auth: Auth<'_>,
        call: Call,
    ) -> Result<T, JiraError> {
        let mut url = site.endpoint(call.concrete.as_deref().unwrap_or(call.path));
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&call.query);
        }
        let mut retries_done: u32 = 0;
        loop {
            // Only for the `elapsed_ms` log field: no decision depends on it (retry waits go
            // through the Pause, Retry-After dates through the Clock).
            #[allow(
                clippy::disallowed_methods,
                reason = "a duration for logs, monotonic and never a decision"
            )]
            let started = Instant::now();
            let authorization = self.authorization(auth, &call)?;
            let outcome = self.attempt::<T>(site, &authorization, &call, &url).await;
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

    /// Basic for the user; for the app a JWT signed now, bound to this call's method, path and
    /// query. Signing fails only for an empty key or secret: a broken installation, reported as
    /// the authentication failure it amounts to (logged here).
    fn authorization<'a>(
        &self,
        auth: Auth<'a>,
        call: &Call,
    ) -> Result<Authorization<'a>, JiraError> {
        match auth {
            Auth::User(creds) => Ok(Authorization::Basic(creds)),
            Auth::App(app) => {
                let query: Vec<(String, String)> = call
                    .query
                    .iter()
                    .map(|(name, value)| ((*name).to_owned(), value.clone()))
                    .collect();
                let request = OutgoingRequest {
                    method: call.method.as_str(),
                    path: call.concrete.as_deref().unwrap_or(call.path),
                    query: &query,
                };
                sign_app_jwt(
                    &app.app_key,
                    &app.client_key,
                    app.shared_secret.expose().as_bytes(),
                    &request,
                    self.clock.now(),
                )
                .map(Authorization::Jwt)
                .map_err(|err| {
                    tracing::error!(error = %err, http.path = call.path, "cannot sign an app JWT");
                    JiraError::Unauthorized
                })
            }
        }
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        site: &JiraSite,
        authorization: &Authorization<'_>,
        call: &Call,
        url: &Url,
    ) -> Attempt<T> {
        let request = self.http.request(call.method.clone(), url.clone());
        let mut request = match authorization {
            Authorization::Basic(creds) => {
                request.basic_auth(&creds.email, Some(creds.api_token.expose()))
            }
            Authorization::Jwt(token) => request.header(AUTHORIZATION, format!("JWT {token}")),
        }
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
    let same_site = url.scheme() == site.base_url().scheme()
        && url.host_str() == site.base_url().host_str()
        && url.port_or_known_default() == site.base_url().port_or_known_default();
    same_site.then(|| url.to_string())
}

#[cfg(test)]
mod tests;
