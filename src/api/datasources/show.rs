//! `GET /api/datasources/{id}`: one data source of the token's owner, described as in the list.
//! Someone else's id, or one that is not an id, is "not found", as on the feeds.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, get, web};

use super::description::{DataSourceBody, describe};
use crate::feed::FeedState;
use crate::feed::error::{FeedError, Format};
use crate::feed::source;
use crate::state::AppState;
use crate::tokens::auth::{TokenAuthError, TokenOwner};

#[get("/api/datasources/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    owner: Result<TokenOwner, TokenAuthError>,
    id: web::Path<String>,
) -> HttpResponse {
    match serve(&state, &feed, owner, &id).await {
        Ok(body) => HttpResponse::Ok()
            .insert_header((CACHE_CONTROL, "no-store"))
            .json(body),
        Err(err) => err.response(Format::Json),
    }
}

async fn serve(
    state: &AppState,
    feed: &FeedState,
    owner: Result<TokenOwner, TokenAuthError>,
    raw_id: &str,
) -> Result<DataSourceBody, FeedError> {
    let owner = owner?;
    let data_source = source::data_source(state, &owner, source::parse_id(raw_id)?).await?;
    let access = source::jira_access(state, &owner).await?;
    let columns = source::columns(state, feed, &owner, &access, &data_source).await?;
    Ok(describe(
        &state.settings.base_url_str(),
        &data_source,
        &columns,
    ))
}
