//! What the product works with when it talks about Jira: a tenant's site, a user's credentials,
//! the account, pages of issues, fields and projects, and why a call failed (with the sentence a
//! user is shown). No HTTP here: the transport and the endpoints turn these into requests.

use std::fmt;

use serde::Deserialize;
use url::{Host, Url};

use crate::crypto::SecretString;

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

    pub(super) fn endpoint(&self, api_path: &str) -> Url {
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

/// What the app signs its own calls to a site with (see [`crate::connect::app_jwt`]): our app
/// key, the site's clientKey and its opened shared secret. `Debug` redacts the secret.
#[derive(Clone)]
pub struct AppCredentials {
    pub app_key: String,
    pub client_key: String,
    pub shared_secret: SecretString,
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AppCredentials {{ app_key: {:?}, client_key: {:?}, shared_secret: *** }}",
            self.app_key, self.client_key
        )
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

#[cfg(test)]
mod tests;
