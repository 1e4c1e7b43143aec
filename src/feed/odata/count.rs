//! `GET /feed/{id}/odata/Issues/$count`: the number of issues, as `text/plain`. It is exact, not
//! Jira's approximate count: when the JQL matches the filter exactly only ids are paged (5,000
//! per call); otherwise the filter's columns are fetched and the exact filter applied. `$top`,
//! `$skip`, `$orderby` and `$select` do not change a count and are ignored, as OData specifies.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};

use super::builder;
use crate::feed::FeedState;
use crate::feed::error::FeedError;
use crate::feed::export::{self, ExportError};
use crate::feed::request::{FeedQuery, OData, OpenFeed, Rejection};
use crate::feed::source;
use crate::state::AppState;

#[get("/feed/{id}/odata/Issues/$count")]
pub async fn issue_count(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    query: FeedQuery<OData>,
) -> Result<HttpResponse, Rejection<OData>> {
    // Counting pages through every matching issue: an export in all but output.
    let open = query.open(&state, &feed).await?;
    let count = count_issues(&state, &feed, &query, &open, "/$count").await?;
    Ok(builder(StatusCode::OK, "text/plain; charset=utf-8").body(count.to_string()))
}

/// The exact number of issues the query's filter matches, logged as counted for `asked_by`.
pub(super) async fn count_issues(
    state: &AppState,
    feed: &FeedState,
    query: &FeedQuery<OData>,
    open: &OpenFeed,
    asked_by: &str,
) -> Result<u64, FeedError> {
    let counting = query.prepare(open, &query.options.for_count())?;
    let plan = open.plan(feed, &counting, None, 0, None);
    let jira = state.jira.with_fresh_stats();
    match export::count(&jira, &plan).await {
        Ok((total, stats)) => {
            tracing::info!(
                datasource.id = query.data_source.id,
                export.rows = total,
                jira.requests = stats.requests,
                jira.retries = stats.retries,
                "counted issues for {asked_by}"
            );
            Ok(total)
        }
        Err(ExportError::Jira(err)) => {
            Err(source::jira_failed(state, &query.owner, &open.creds, err).await)
        }
        Err(err) => Err(err.into()),
    }
}
