//! `GET /feed/{id}/odata/Issues/$count`: the number of issues, as `text/plain`. It is exact, not
//! Jira's approximate count: when the JQL matches the filter exactly only ids are paged (5,000
//! per call); otherwise the filter's columns are fetched and the exact filter applied. `$top`,
//! `$skip`, `$orderby` and `$select` do not change a count and are ignored, as OData specifies.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};

use super::{ENTITY_SET, builder};
use crate::feed::FeedState;
use crate::feed::error::FeedError;
use crate::feed::export::{self, ExportError};
use crate::feed::query::FeedOptions;
use crate::feed::request::{FeedQuery, OData, OpenFeed, Rejection};
use crate::feed::source;
use crate::state::AppState;

#[get("/feed/{id}/odata/Issues/$count")]
pub async fn issue_count(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    query: FeedQuery<OData>,
) -> Result<HttpResponse, Rejection<OData>> {
    count_of(&state, &feed, &query, ENTITY_SET).await
}

/// `GET /feed/{id}/odata/{EntitySet}/$count`: the rows of any table.
#[get("/feed/{id}/odata/{table}/$count")]
pub async fn table_count(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    query: FeedQuery<OData>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Rejection<OData>> {
    count_of(&state, &feed, &query, &path.1).await
}

async fn count_of(
    state: &AppState,
    feed: &FeedState,
    query: &FeedQuery<OData>,
    table: &str,
) -> Result<HttpResponse, Rejection<OData>> {
    // Counting pages through every matching issue: an export in all but output.
    let open = query.open(state, feed).await?;
    let count = count_rows(state, feed, query, &open, table, "/$count").await?;
    Ok(builder(StatusCode::OK, "text/plain; charset=utf-8").body(count.to_string()))
}

/// The exact number of rows of `table` the query's filter matches, logged as counted for
/// `asked_by`.
pub(super) async fn count_rows(
    state: &AppState,
    feed: &FeedState,
    query: &FeedQuery<OData>,
    open: &OpenFeed,
    table: &str,
    asked_by: &str,
) -> Result<u64, FeedError> {
    let options = if table == ENTITY_SET {
        query.options.for_count()
    } else {
        FeedOptions {
            filter: query.options.filter.clone(),
            ..FeedOptions::default()
        }
    };
    let counting = query.prepare_table(open, &options, table, state.clock.now())?;
    let plan = open.plan_table(feed, &counting, None, 0, None);
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
