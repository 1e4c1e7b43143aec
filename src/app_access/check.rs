//! The one answer to "may this person use BI Connector here?", for pages, feeds and the admin
//! page alike. Asked on every request (no cache), so a change, or a person leaving a group in
//! Jira, counts from the next request. Jira is asked only when the site is restricted and the
//! person is not listed by name: first their groups, then whether they administer Jira
//! (administrators may always use the app, so nobody locks the administrators out).
//!
//! A Jira that cannot answer is an error, never a "yes": the caller shows a 503 or a feed error.

use crate::app_access::policy::AccessPolicy;
use crate::app_access::store;
use crate::connect::tenants::Tenant;
use crate::db::{self, Pool};
use crate::error::AppError;
use crate::ids::AccountId;
use crate::jira::app::JiraApp;

/// Whether `account` of `tenant` may use the app now.
pub async fn may_use(
    pool: &Pool,
    jira_app: &JiraApp,
    tenant: &Tenant,
    account: &AccountId,
) -> Result<bool, AppError> {
    let tenant_id = tenant.id;
    let policy: AccessPolicy = db::run(pool, move |conn| store::load(conn, tenant_id)).await?;
    if policy.admits_without_jira(account) {
        return Ok(true);
    }
    if policy.groups().next().is_some() {
        let groups = jira_app.user_groups(tenant, account).await?;
        let ids: Vec<String> = groups.into_iter().map(|g| g.group_id).collect();
        if policy.admits_groups(&ids) {
            return Ok(true);
        }
    }
    Ok(jira_app.is_jira_admin(tenant, account).await?)
}
