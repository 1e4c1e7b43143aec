//! `GET /api/datasources/{id}`: one data source of the token's owner, described as in the list.
//! Someone else's id, or one that is not an id, is "not found", as on the feeds.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, get, web};

use super::description::describe;
use crate::feed::FeedState;
use crate::feed::columns::ColumnSet;
use crate::feed::odata::metadata::extra_tables;
use crate::feed::request::{Json, OwnedSource, Rejection};
use crate::feed::source;
use crate::state::AppState;

#[get("/api/datasources/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    owned: OwnedSource<Json>,
) -> Result<HttpResponse, Rejection<Json>> {
    let (owner, data_source) = (&owned.owner, &owned.data_source);
    let access = source::jira_access(&state, owner).await?;
    let fields = source::site_fields(&state, &feed, owner, &access).await?;
    let columns = ColumnSet::build(&fields, &data_source.fields);
    let extra = extra_tables(data_source, &columns, &fields);
    let body = describe(
        &state.settings.base_url_str(),
        data_source,
        &columns,
        &extra,
    );
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(body))
}
