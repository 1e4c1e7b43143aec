//! How the rest of the product reads Jira as a user: the tenant's site plus the user's saved API
//! token, or a typed reason why there is none that a feed can show as it is. A 401 from Jira is
//! reported back here so the Jira API Token tab shows the token as rejected.

use crate::connect::tenants::Tenant;
use crate::db;
use crate::error::AppError;
use crate::ids::AccountId;
use crate::jira::client::{JiraCredentials, JiraError, JiraSite};
use crate::jira::token_store;
use crate::state::AppState;

/// Why a user's Jira credentials are not available. `Display` is safe to show to the user.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error(
        "No Jira API token saved: open BI Connector in Jira → Tokens → Jira API Token and save one."
    )]
    NotSaved,
    #[error(
        "Your saved Jira API token was rejected by Jira; save a new one in BI Connector → Tokens → \
         Jira API Token."
    )]
    Rejected,
    /// The sealed token does not open (altered in storage, or the at-rest key changed).
    #[error(
        "Your saved Jira API token could not be read; save it again in BI Connector → Tokens → \
         Jira API Token."
    )]
    Unreadable,
    /// Storage failed or the tenant's baseUrl is unusable; already logged with a reference.
    #[error(transparent)]
    Internal(#[from] AppError),
}

impl From<CredentialsError> for AppError {
    /// The user must act (save a token), so the three user-side cases are 403 with their text.
    fn from(err: CredentialsError) -> Self {
        match err {
            CredentialsError::Internal(inner) => inner,
            user_side => AppError::Forbidden(user_side.to_string()),
        }
    }
}

/// The tenant's Jira site and the user's saved credentials, ready for [`crate::jira::client`].
/// A token Jira has rejected (see [`mark_invalid`]) is not handed out again.
pub async fn credentials_for(
    state: &AppState,
    tenant: &Tenant,
    account_id: &AccountId,
) -> Result<(JiraSite, JiraCredentials), CredentialsError> {
    let site = JiraSite::parse(tenant.base_url.as_str()).map_err(|reason| {
        AppError::internal(format!(
            "tenant {} has an unusable baseUrl: {reason}",
            tenant.client_key.as_str()
        ))
    })?;
    let (tenant_id, account) = (tenant.id, account_id.clone());
    let saved = db::run(&state.pool, move |conn| {
        token_store::find(conn, tenant_id, &account)
    })
    .await?
    .ok_or(CredentialsError::NotSaved)?;
    if saved.rejected_at.is_some() {
        return Err(CredentialsError::Rejected);
    }
    let credentials = saved.open(&state.jira_tokens).map_err(|err| {
        tracing::warn!(
            tenant.client_key = tenant.client_key.as_str(),
            user.account_id = account_id.as_str(),
            error = %err,
            "saved Jira API token does not open"
        );
        CredentialsError::Unreadable
    })?;
    Ok((site, credentials))
}

/// Marks the saved token rejected after Jira answered 401 to `rejected` (the credentials from
/// [`credentials_for`]); a token saved in the meantime is left alone. True if it was marked.
pub async fn mark_invalid(
    state: &AppState,
    tenant: &Tenant,
    account_id: &AccountId,
    rejected: &JiraCredentials,
) -> Result<bool, AppError> {
    let (tenant_id, account, rejected) = (tenant.id, account_id.clone(), rejected.clone());
    let sealer = state.jira_tokens.clone();
    let now = state.clock.now();
    let marked = db::run(&state.pool, move |conn| {
        token_store::mark_rejected(conn, &sealer, tenant_id, &account, &rejected, now)
    })
    .await?;
    if marked {
        tracing::info!(
            tenant.client_key = tenant.client_key.as_str(),
            user.account_id = account_id.as_str(),
            "Jira rejected the saved API token; marked invalid"
        );
    }
    Ok(marked)
}

/// For callers of the client: after a call with `used` failed with `err`, marks the saved token
/// invalid if Jira said 401. Returns `err` unchanged, so it reads `.map_err(…)`-style:
/// `Err(note_jira_error(state, tenant, account, &creds, err).await)`.
pub async fn note_jira_error(
    state: &AppState,
    tenant: &Tenant,
    account_id: &AccountId,
    used: &JiraCredentials,
    err: JiraError,
) -> JiraError {
    if err == JiraError::Unauthorized
        && let Err(mark_failed) = mark_invalid(state, tenant, account_id, used).await
    {
        // Already logged with a reference; the Jira error is what the caller must report.
        tracing::debug!(error = %mark_failed, "could not mark the Jira API token invalid");
    }
    err
}

#[cfg(test)]
mod tests;
