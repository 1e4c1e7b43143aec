//! Calls to Jira **as the app** (the add-on's own user), authenticated with a Connect JWT signed
//! under the tenant's shared secret ([`crate::connect::app_jwt`]), never with a user's API token.
//! They answer questions about people that a user's own token must not decide: is this account a
//! Jira administrator, which groups is it in, which groups and users exist (for pickers).
//!
//! Every call goes through the same transport as the user's reads ([`JiraClient`]): no
//! redirects, capped bodies, Atlassian's retry rules; as an interactive handle (short attempt
//! timeout, one retry), since a page or a feed request waits on it.
//!
//! **Parameters** are what both authenticated paths already hold: a [`Tenant`] (the site, from
//! `JiraUser::tenant` or `TokenOwner::tenant`) and an [`AccountId`] (`JiraUser::account_id`,
//! `TokenOwner::account_id`), so page extractors and feed authentication call them alike:
//! `state.jira_app.is_jira_admin(&user.tenant, &user.account_id).await`.
//!
//! **Failures are errors, never answers**: a Jira that cannot answer (down, throttled, our
//! secret rejected) is an [`AppCallError`], which callers turn into a 503 page or a feed error.
//! It is never read as "not an administrator", "in no group" or "allowed".

use std::collections::HashMap;
use std::time::Duration;

use crate::connect::tenants::Tenant;
use crate::crypto::Sealer;
use crate::error::AppError;
use crate::ids::AccountId;
use crate::jira::client::{AppCredentials, Auth, Call, JiraClient, JiraError, JiraSite};

mod wire;

use wire::{
    FoundGroups, FoundUsers, GroupName, PATH_GROUPS_PICKER, PATH_PERMISSIONS_CHECK, PATH_USER,
    PATH_USER_BULK, PATH_USER_GROUPS, PATH_USER_PICKER, PermissionGrants, PermissionsCheckBody,
    PickerUser, UserPage,
};

/// Jira's "Administer Jira" global permission (what the `user_is_admin` condition means).
pub const ADMINISTER: &str = "ADMINISTER";
/// How many candidates a picker asks Jira for.
pub const PICKER_MAX_RESULTS: u32 = 20;
/// Account ids one `user/bulk` request names (and the page size it asks for): its URL stays a
/// few kilobytes.
pub const BULK_USERS_PER_CALL: usize = 50;
/// Pages read for one request's ids at most: a bound on an answer that never says `isLast`.
const MAX_BULK_PAGES: usize = 10;
/// Per-attempt timeout: someone is waiting for the page or the feed.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// A Jira group. `group_id` is the stable key (names can be renamed); Jira sites that predate
/// group ids answer without one, so it is kept optional where Jira may omit it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraGroup {
    pub group_id: String,
    pub name: String,
}

/// A person a picker found (app and bot accounts are left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraPerson {
    pub account_id: String,
    pub display_name: String,
}

/// Why an app call gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum AppCallError {
    #[error(transparent)]
    Jira(#[from] JiraError),
    /// The tenant's stored URL or sealed secret is unusable (logged where it happened).
    #[error(transparent)]
    Setup(#[from] AppError),
}

impl From<AppCallError> for AppError {
    /// A 503 with a sentence the user can act on; a 401 from Jira means our shared secret is
    /// stale (the app must be reinstalled), which is logged as such.
    fn from(err: AppCallError) -> Self {
        match err {
            AppCallError::Setup(err) => err,
            AppCallError::Jira(JiraError::Unauthorized) => {
                tracing::error!(
                    "Jira rejected the app's own JWT: the site's shared secret may be stale"
                );
                AppError::Unavailable {
                    message: "BI Connector could not check your access with Jira: Jira did not \
                              accept the app's credentials. Ask your Jira administrator to \
                              reinstall or update BI Connector."
                        .into(),
                }
            }
            AppCallError::Jira(err) => {
                tracing::warn!(error = %err, "Jira could not answer an app call");
                AppError::Unavailable {
                    message: "BI Connector could not check your access with Jira right now. Try \
                              again in a few minutes."
                        .into(),
                }
            }
        }
    }
}

/// The app's side of Jira: the shared transport, the key that opens tenants' secrets, our app key.
#[derive(Clone)]
pub struct JiraApp {
    client: JiraClient,
    tenant_secrets: Sealer,
    app_key: String,
}

impl JiraApp {
    pub fn new(client: &JiraClient, tenant_secrets: Sealer, app_key: impl Into<String>) -> Self {
        Self {
            client: client.interactive(ATTEMPT_TIMEOUT),
            tenant_secrets,
            app_key: app_key.into(),
        }
    }

    /// This handle with a given transport (tests: a client with millisecond retries).
    pub fn with_client(self, client: JiraClient) -> Self {
        Self { client, ..self }
    }

    fn identity(&self, tenant: &Tenant) -> Result<(JiraSite, AppCredentials), AppCallError> {
        let site = JiraSite::parse(tenant.base_url.as_str())
            .map_err(|e| AppError::internal(format!("tenant baseUrl: {e}")))?;
        let creds = AppCredentials {
            app_key: self.app_key.clone(),
            client_key: tenant.client_key.as_str().to_owned(),
            shared_secret: tenant.shared_secret(&self.tenant_secrets)?,
        };
        Ok((site, creds))
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        tenant: &Tenant,
        call: Call,
    ) -> Result<T, AppCallError> {
        let (site, creds) = self.identity(tenant)?;
        Ok(self.client.call_as(&site, Auth::App(&creds), call).await?)
    }

    /// `POST /rest/api/3/permissions/check` with `globalPermissions: ["ADMINISTER"]`: whether the
    /// account holds *Administer Jira*. Connect apps may ask this for any user.
    pub async fn is_jira_admin(
        &self,
        tenant: &Tenant,
        account_id: &AccountId,
    ) -> Result<bool, AppCallError> {
        let body = PermissionsCheckBody {
            account_id: account_id.as_str(),
            global_permissions: [ADMINISTER],
        };
        let grants: PermissionGrants = self
            .call(tenant, Call::post(PATH_PERMISSIONS_CHECK, &body)?)
            .await?;
        Ok(grants.global_permissions.iter().any(|p| p == ADMINISTER))
    }

    /// `GET /rest/api/3/user/groups?accountId=`: the groups the account is in. A group Jira
    /// lists without an id cannot be matched to a saved choice and is left out (logged).
    pub async fn user_groups(
        &self,
        tenant: &Tenant,
        account_id: &AccountId,
    ) -> Result<Vec<JiraGroup>, AppCallError> {
        let mut call = Call::get(PATH_USER_GROUPS);
        call.query = vec![("accountId", account_id.as_str().to_owned())];
        let groups: Vec<GroupName> = self.call(tenant, call).await?;
        Ok(groups
            .into_iter()
            .filter_map(|g| with_id(g.group_id, g.name))
            .collect())
    }

    /// `GET /rest/api/3/groups/picker?query=`: groups whose name matches, for the picker and to
    /// check that a submitted group exists.
    pub async fn find_groups(
        &self,
        tenant: &Tenant,
        query: &str,
    ) -> Result<Vec<JiraGroup>, AppCallError> {
        let mut call = Call::get(PATH_GROUPS_PICKER);
        call.query = vec![
            ("query", query.to_owned()),
            ("maxResults", PICKER_MAX_RESULTS.to_string()),
        ];
        let found: FoundGroups = self.call(tenant, call).await?;
        Ok(found
            .groups
            .into_iter()
            .filter_map(|g| with_id(g.group_id, g.name))
            .collect())
    }

    /// `GET /rest/api/3/user/picker?query=`: people whose name or email matches, for the picker.
    pub async fn find_users(
        &self,
        tenant: &Tenant,
        query: &str,
    ) -> Result<Vec<JiraPerson>, AppCallError> {
        let mut call = Call::get(PATH_USER_PICKER);
        call.query = vec![
            ("query", query.to_owned()),
            ("maxResults", PICKER_MAX_RESULTS.to_string()),
        ];
        let found: FoundUsers = self.call(tenant, call).await?;
        Ok(found.users.into_iter().filter_map(person).collect())
    }

    /// `GET /rest/api/3/user?accountId=`: the person, or `None` when Jira knows no such account
    /// (404), to check a submitted user exists.
    pub async fn find_user(
        &self,
        tenant: &Tenant,
        account_id: &AccountId,
    ) -> Result<Option<JiraPerson>, AppCallError> {
        let mut call = Call::get(PATH_USER);
        call.query = vec![("accountId", account_id.as_str().to_owned())];
        match self.call::<PickerUser>(tenant, call).await {
            Ok(user) => Ok(person(user)),
            Err(AppCallError::Jira(JiraError::NotFound)) => Ok(None),
            Err(err) => Err(err),
        }
    }
}

impl JiraApp {
    /// `GET /rest/api/3/user/bulk?accountId=…`: the display names of the accounts Jira knows, by
    /// account id, for lists that name people (histories). Unknown and app accounts are left
    /// out; ids are asked [`BULK_USERS_PER_CALL`] at a time, each request paged by `isLast`.
    pub async fn display_names(
        &self,
        tenant: &Tenant,
        account_ids: &[String],
    ) -> Result<HashMap<String, String>, AppCallError> {
        let mut unique: Vec<&String> = account_ids.iter().filter(|id| !id.is_empty()).collect();
        unique.sort_unstable();
        unique.dedup();
        let mut names = HashMap::new();
        for chunk in unique.chunks(BULK_USERS_PER_CALL) {
            let mut start_at = 0;
            for _ in 0..MAX_BULK_PAGES {
                let mut call = Call::get(PATH_USER_BULK);
                call.query = chunk
                    .iter()
                    .map(|id| ("accountId", (*id).clone()))
                    .collect();
                call.query.push(("startAt", start_at.to_string()));
                call.query
                    .push(("maxResults", BULK_USERS_PER_CALL.to_string()));
                let page: UserPage = self.call(tenant, call).await?;
                let read = page.values.len();
                names.extend(
                    page.values
                        .into_iter()
                        .filter_map(person)
                        .map(|p| (p.account_id, p.display_name)),
                );
                if read == 0 || page.is_last.unwrap_or(true) {
                    break;
                }
                start_at += read;
            }
        }
        Ok(names)
    }
}

fn with_id(group_id: Option<String>, name: String) -> Option<JiraGroup> {
    match group_id.filter(|id| !id.trim().is_empty()) {
        Some(group_id) => Some(JiraGroup { group_id, name }),
        None => {
            tracing::info!("Jira listed a group without a groupId; it is not matched");
            None
        }
    }
}

fn person(user: PickerUser) -> Option<JiraPerson> {
    if user.account_type.as_deref() == Some("app") || user.account_id.is_empty() {
        return None;
    }
    let display_name = user
        .display_name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| user.account_id.clone());
    Some(JiraPerson {
        account_id: user.account_id,
        display_name,
    })
}

#[cfg(test)]
mod tests;
