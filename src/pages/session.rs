//! A Jira user's session in the app: who they are (tenant, account) and since when, as proven
//! by Jira's page JWT and carried on by our own session token. The extractors that prove it are
//! in [`crate::pages::extractors`].

use crate::connect::tenants::Tenant;
use crate::error::AppError;
use crate::ids::AccountId;
use crate::pages::session_token;
use crate::pages::warnings::Warnings;
use crate::state::AppState;

/// A Jira user of an installed site, as proven by a Jira JWT or our session token.
#[derive(Clone, Debug)]
pub struct JiraUser {
    pub tenant: Tenant,
    pub account_id: AccountId,
    /// When this session began (unix seconds): the `iat` of the Jira page JWT that opened it.
    /// Every renewed session token carries it, so `SESSION_MAX_MINUTES` bounds the session.
    pub session_began: i64,
    /// What the page banner warns of (expiring access tokens, a Jira API token to validate
    /// again), read with the user; empty on a page load from Jira, which only redirects.
    pub warnings: Warnings,
}

impl JiraUser {
    /// A fresh session token for links and forms on the page being rendered; the session keeps
    /// the time it began.
    pub fn session_token(&self, state: &AppState) -> Result<String, AppError> {
        session_token::sign_session_token_since(
            &state.session_key,
            self.tenant.client_key.as_str(),
            self.account_id.as_str(),
            self.session_began,
            state.clock.now(),
            state.settings.session_ttl,
        )
        .map_err(|e| AppError::internal(format!("signing a session token: {e}")))
    }
}

/// The site of a session that expired (signature, issuer and type still valid): its error page
/// loads that site's `all.js`, so Jira shows the frame and the Reload button can reload Jira.
#[derive(Clone, Debug)]
pub struct ExpiredSession {
    pub tenant: Tenant,
}
