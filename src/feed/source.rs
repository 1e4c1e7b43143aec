//! What every feed request resolves first: the data source (one the token's owner may read: their
//! own or one shared with them, [`access::readable`]; any other id is "not found"), the owner's
//! Jira access (their saved Jira API token, so Jira's permissions apply: a shared data source
//! returns each reader only what they may see), and the data source's columns (from the cached
//! field catalogue, as the reader sees it).

use std::sync::Arc;

use super::FeedState;
use super::columns::ColumnSet;
use super::error::FeedError;
use crate::datasources::access;
use crate::datasources::store::DataSource;
use crate::ids::DataSourceId;
use crate::jira::client::{JiraCredentials, JiraError, JiraField, JiraSite};
use crate::jira::credentials::{credentials_for, note_jira_error};
use crate::state::AppState;
use crate::tokens::auth::TokenOwner;

/// A data source id from the URL ([`DataSourceId`]'s one rule); anything else is simply not
/// found.
pub fn parse_id(raw: &str) -> Result<DataSourceId, FeedError> {
    raw.parse().map_err(|_| FeedError::not_found())
}

/// Data source `id` if the token's owner may read it now; any other is indistinguishable from a
/// missing one.
pub async fn data_source(
    state: &AppState,
    owner: &TokenOwner,
    id: DataSourceId,
) -> Result<DataSource, FeedError> {
    access::readable(
        &state.pool,
        &state.jira_app,
        &owner.tenant,
        &owner.account_id,
        id.get(),
    )
    .await?
    .map(|readable| readable.source)
    .ok_or_else(FeedError::not_found)
}

/// The site and the owner's saved Jira credentials (no Jira call).
pub async fn jira_access(
    state: &AppState,
    owner: &TokenOwner,
) -> Result<(JiraSite, JiraCredentials), FeedError> {
    Ok(credentials_for(state, &owner.tenant, &owner.account_id).await?)
}

/// After a Jira call with `creds` failed: a 401 marks the saved token rejected (so the Jira API
/// Token tab says so), and the error becomes the feed's.
pub async fn jira_failed(
    state: &AppState,
    owner: &TokenOwner,
    creds: &JiraCredentials,
    err: JiraError,
) -> FeedError {
    note_jira_error(state, &owner.tenant, &owner.account_id, creds, err)
        .await
        .into()
}

/// The data source's columns, from the owner's field catalogue (one Jira call per
/// [`super::field_cache::TTL`]).
pub async fn columns(
    state: &AppState,
    feed: &FeedState,
    owner: &TokenOwner,
    access: &(JiraSite, JiraCredentials),
    data_source: &DataSource,
) -> Result<ColumnSet, FeedError> {
    let fields = site_fields(state, feed, owner, access).await?;
    Ok(ColumnSet::build(&fields, &data_source.fields))
}

/// The site's field catalogue as the owner sees it (cached for a while per user).
pub async fn site_fields(
    state: &AppState,
    feed: &FeedState,
    owner: &TokenOwner,
    access: &(JiraSite, JiraCredentials),
) -> Result<Arc<Vec<JiraField>>, FeedError> {
    let now = state.clock.now();
    let account = owner.account_id.as_str();
    if let Some(fields) = feed.fields.get(owner.tenant.id, account, now) {
        return Ok(fields);
    }
    let (site, creds) = access;
    let fetched = state
        .jira
        .fields(site, creds)
        .await
        .map_err(|err| (err, creds.clone()));
    let fields = match fetched {
        Ok(fields) => Arc::new(fields),
        Err((err, creds)) => return Err(jira_failed(state, owner, &creds, err).await),
    };
    feed.fields
        .put(owner.tenant.id, account, Arc::clone(&fields), now);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_id_is_a_feed_not_found() {
        assert_eq!(parse_id("42").map(DataSourceId::get), Ok(42));
        assert_eq!(parse_id("+4"), Err(FeedError::not_found()));
    }
}
