//! Who may read a data source, asked the same way by its page and by its feeds: the owner, a
//! person it is shared with, or a member of a group it is shared with. Group membership is
//! Jira's answer *now* (asked as the app, never cached), so someone removed from a group in
//! Jira loses the data source on their next request; Jira is asked only when the data source
//! (or, for "Shared with me", the site) has a group share at all. A Jira that cannot answer
//! is an error, never a "no": the caller shows a 503 or a feed error instead of a 404.

use crate::connect::tenants::Tenant;
use crate::datasources::store::shares::{self, Readable, SharedSource};
use crate::db::{self, Pool};
use crate::error::AppError;
use crate::ids::AccountId;
use crate::jira::app::JiraApp;

/// The groups Jira lists for `account` now, by groupId.
async fn group_ids(
    jira_app: &JiraApp,
    tenant: &Tenant,
    account: &AccountId,
) -> Result<Vec<String>, AppError> {
    let groups = jira_app.user_groups(tenant, account).await?;
    Ok(groups.into_iter().map(|g| g.group_id).collect())
}

/// Data source `id` if `account` may read it now; `None` exactly as for an id that does not
/// exist.
pub async fn readable(
    pool: &Pool,
    jira_app: &JiraApp,
    tenant: &Tenant,
    account: &AccountId,
    id: i64,
) -> Result<Option<Readable>, AppError> {
    let (tenant_id, who) = (tenant.id, account.clone());
    let (direct, via_groups) = db::run(pool, move |conn| {
        let direct = shares::find_readable(conn, tenant_id, who.as_str(), &[], id)?;
        let via_groups = direct.is_none() && shares::shared_with_groups(conn, tenant_id, id)?;
        Ok::<_, AppError>((direct, via_groups))
    })
    .await?;
    if !via_groups {
        return Ok(direct);
    }
    let groups = group_ids(jira_app, tenant, account).await?;
    let who = account.clone();
    db::run(pool, move |conn| {
        shares::find_readable(conn, tenant_id, who.as_str(), &groups, id)
    })
    .await
}

/// The data sources shared with `account` (by name or through their groups) that they do not
/// own, by name.
pub async fn shared_with_me(
    pool: &Pool,
    jira_app: &JiraApp,
    tenant: &Tenant,
    account: &AccountId,
) -> Result<Vec<SharedSource>, AppError> {
    let tenant_id = tenant.id;
    let any_group = db::run(pool, move |conn| {
        shares::site_shares_with_groups(conn, tenant_id)
    })
    .await?;
    let groups = if any_group {
        group_ids(jira_app, tenant, account).await?
    } else {
        Vec::new()
    };
    let who = account.clone();
    db::run(pool, move |conn| {
        shares::shared_with(conn, tenant_id, who.as_str(), &groups)
    })
    .await
}
