//! The user's Atlassian API token as a domain: the two form inputs parsed into types that cannot
//! hold nonsense, and the check with Jira that decides whether a token may be saved. Each way the
//! check can fail is its own variant with the troubleshooting text users expect.

use std::fmt;
use std::time::Duration;

use crate::crypto::SecretString;
use crate::ids::AccountId;
use crate::jira::client::{JiraAccount, JiraClient, JiraCredentials, JiraError, JiraSite};

/// Where users create an Atlassian API token (linked from the tab).
pub const CREATE_TOKEN_URL: &str = "https://id.atlassian.com/manage-profile/security/api-tokens";

/// The longest value accepted as an API token (today's tokens are under 200 characters).
pub const MAX_TOKEN_CHARS: usize = 1024;

/// How long Validate & Save waits for one answer from Jira: the user is looking at a spinner.
pub const VALIDATION_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The email address a user logs in to Jira with (the Basic-auth user name). `Debug` hides it,
/// since emails are never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct JiraEmail(String);

impl JiraEmail {
    /// Trimmed; 3 to 254 characters; exactly one `@` with something on both sides; no spaces or
    /// control characters. Deliberately loose otherwise: Jira decides whether it is the login.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let email = raw.trim();
        if email.is_empty() {
            return Err("Enter the email address you log in to Jira with.");
        }
        let chars = email.chars().count();
        if !(3..=254).contains(&chars) {
            return Err("That is not an email address: it must be 3 to 254 characters long.");
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("An email address cannot contain spaces.");
        }
        match email.split_once('@') {
            Some((local, domain))
                if !local.is_empty() && !domain.is_empty() && !domain.contains('@') =>
            {
                Ok(Self(email.to_owned()))
            }
            _ => Err("That is not an email address: it needs one @, like name@example.com."),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for JiraEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JiraEmail(***)")
    }
}

/// An Atlassian API token as pasted: surrounding whitespace (a stray newline from copying) is
/// dropped; what remains is 1 to [`MAX_TOKEN_CHARS`] visible ASCII characters. Redacted in
/// `Debug`/`Display` like every secret.
#[derive(Clone, PartialEq, Eq)]
pub struct JiraApiToken(SecretString);

impl JiraApiToken {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let token = raw.trim();
        if token.is_empty() {
            return Err("Paste the API token you created in your Atlassian account.");
        }
        if token.chars().count() > MAX_TOKEN_CHARS {
            return Err("That is longer than any Atlassian API token. Copy the token again.");
        }
        if !token.chars().all(|c| c.is_ascii_graphic()) {
            return Err(
                "An API token has only letters, digits and symbols, without spaces. \
                 Copy the token again.",
            );
        }
        Ok(Self(SecretString::new(token)))
    }

    pub fn secret(&self) -> &SecretString {
        &self.0
    }

    /// HTTP Basic credentials for Jira.
    pub fn credentials(&self, email: &JiraEmail) -> JiraCredentials {
        JiraCredentials {
            email: email.as_str().to_owned(),
            api_token: self.0.clone(),
        }
    }
}

impl fmt::Debug for JiraApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JiraApiToken(***)")
    }
}

/// Why a token may not be saved. Each has one message telling the user what to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// 401 (or a failed `X-Seraph-LoginReason`).
    WrongCredentials,
    /// 403 with `X-Authentication-Denied-Reason: CAPTCHA_CHALLENGE`; never retried.
    CaptchaRequired {
        login_url: Option<String>,
    },
    /// Any other 403.
    Forbidden,
    /// Valid credentials, but of another Jira account than the signed-in user.
    DifferentAccount,
    TimedOut,
    Unreachable,
    /// Anything else; the details are in the log under `reference`.
    Unexpected {
        reference: String,
    },
}

impl Rejection {
    pub fn message(&self) -> String {
        match self {
            Self::WrongCredentials => "Jira did not accept this email address and API token. \
                 Check that the email is the one you log in to Jira with and that you pasted the \
                 whole token. If the token has expired or was revoked, create a new one and paste \
                 it here."
                .to_owned(),
            Self::CaptchaRequired { .. } => "Jira is asking for a CAPTCHA after several failed \
                 sign-ins, so it refuses API tokens for this account for now. Log in to Jira once \
                 in your browser (solving the CAPTCHA), then come back and select Validate & Save \
                 again."
                .to_owned(),
            Self::Forbidden => "Jira accepted the sign-in but refused access (403). Your account \
                 may not have permission to use Jira, or your site restricts API access (for \
                 example with an IP allowlist or an authentication policy). Ask your Jira admin."
                .to_owned(),
            Self::DifferentAccount => "This API token belongs to a different Jira account than \
                 the one you are signed in with. Create the token while logged in to your own \
                 Atlassian account, and enter that account's email address."
                .to_owned(),
            Self::TimedOut => "Your Jira site did not answer in time, so the token could not be \
                 checked. Nothing was changed. Try again in a few minutes."
                .to_owned(),
            Self::Unreachable => "Your Jira site could not be reached, so the token could not be \
                 checked. Nothing was changed. Try again in a few minutes."
                .to_owned(),
            Self::Unexpected { reference } => format!(
                "Something unexpected happened while checking the token with Jira. Nothing was \
                 changed. Try again; if it keeps happening, give your Jira admin this reference: \
                 {reference}"
            ),
        }
    }

    /// A short name for the log (`jira_token.rejection`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::WrongCredentials => "wrong_credentials",
            Self::CaptchaRequired { .. } => "captcha_required",
            Self::Forbidden => "forbidden",
            Self::DifferentAccount => "different_account",
            Self::TimedOut => "timed_out",
            Self::Unreachable => "unreachable",
            Self::Unexpected { .. } => "unexpected",
        }
    }

    /// The Jira login page to link to when Jira wants a CAPTCHA (already checked to be on the
    /// tenant's own site by the client).
    pub fn login_url(&self) -> Option<&str> {
        match self {
            Self::CaptchaRequired { login_url } => login_url.as_deref(),
            _ => None,
        }
    }

    fn from_jira(err: JiraError) -> Self {
        match err {
            JiraError::Unauthorized => Self::WrongCredentials,
            JiraError::CaptchaChallenge { login_url } => Self::CaptchaRequired { login_url },
            JiraError::Forbidden => Self::Forbidden,
            JiraError::Timeout => Self::TimedOut,
            JiraError::Unreachable => Self::Unreachable,
            other => Self::unexpected(&other),
        }
    }

    fn unexpected(cause: &dyn fmt::Display) -> Self {
        let reference = crate::crypto::random_token::<6>().unwrap_or_else(|_| "unavailable".into());
        tracing::error!(
            error.reference = %reference,
            error.cause = ?cause.to_string(),
            "Jira API token check failed unexpectedly"
        );
        Self::Unexpected { reference }
    }
}

/// Asks the tenant's Jira site who `email`/`token` belong to (`GET /rest/api/2/myself`, Basic
/// auth) and accepts only the signed-in user's own account. `client` should be an
/// [`JiraClient::interactive`] handle. Success means HTTP 200, no failed `X-Seraph-LoginReason`
/// (both checked by the client) and `accountId == signed_in`.
pub async fn check_with_jira(
    client: &JiraClient,
    site: &JiraSite,
    credentials: &JiraCredentials,
    signed_in: &AccountId,
) -> Result<JiraAccount, Rejection> {
    let account = client
        .myself_v2(site, credentials)
        .await
        .map_err(Rejection::from_jira)?;
    if account.account_id != signed_in.as_str() {
        return Err(Rejection::DifferentAccount);
    }
    Ok(account)
}

#[cfg(test)]
mod tests;
