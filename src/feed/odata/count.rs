//! `GET /feed/{id}/odata/Issues/$count`: the number of issues, as `text/plain`. It is exact, not
//! Jira's approximate count: when the JQL matches the filter exactly only ids are paged (5,000
//! per call); otherwise the filter's columns are fetched and the exact filter applied. `$top`,
//! `$skip`, `$orderby` and `$select` do not change a count and are ignored, as OData specifies.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::{builder, resolve};
use crate::datasources::store::DataSource;
use crate::feed::FeedState;
use crate::feed::error::{FeedError, Format};
use crate::feed::export::{self, ExportError};
use crate::feed::query::{Params, parse_options, prepare};
use crate::feed::source;
use crate::state::AppState;
use crate::tokens::auth::{TokenAuthError, TokenOwner};

#[get("/feed/{id}/odata/Issues/$count")]
pub async fn issue_count(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    owner: Result<TokenOwner, TokenAuthError>,
    id: web::Path<String>,
    request: HttpRequest,
) -> HttpResponse {
    let (owner, data_source) = match resolve(&state, owner, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match serve(&state, &feed, &owner, &data_source, &request).await {
        Ok(count) => builder(StatusCode::OK, "text/plain; charset=utf-8").body(count.to_string()),
        Err(err) => err.response(Format::OData),
    }
}

async fn serve(
    state: &web::Data<AppState>,
    feed: &FeedState,
    owner: &TokenOwner,
    data_source: &DataSource,
    request: &HttpRequest,
) -> Result<u64, FeedError> {
    let params = Params::parse(request.query_string());
    let options = parse_options(&params, Format::OData)?.for_count();
    // Counting pages through every matching issue: an export in all but output.
    let _permit = feed
        .limits
        .try_acquire(owner.tenant.id, owner.account_id.as_str())?;
    let access = source::jira_access(state, owner).await?;
    let columns = source::columns(state, feed, owner, &access, data_source).await?;
    let prepared = prepare(&data_source.jql, &columns, &options)?;
    let (site, creds) = &access;
    let plan = prepared.plan(site, creds, None, 0, None, feed.tuning);
    let jira = state.jira.with_fresh_stats();
    match export::count(&jira, &plan).await {
        Ok((total, stats)) => {
            tracing::info!(
                datasource.id = data_source.id,
                export.rows = total,
                jira.requests = stats.requests,
                jira.retries = stats.retries,
                "counted issues for /$count"
            );
            Ok(total)
        }
        Err(ExportError::Jira(err)) => Err(source::jira_failed(state, owner, creds, err).await),
        Err(err) => Err(err.into()),
    }
}
