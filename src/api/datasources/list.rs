//! `GET /api/datasources`: every data source of the token's owner (on this site), by name, with
//! tables, columns and feed URLs. Nobody else's is ever listed; an empty list needs no Jira call.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, get, web};
use serde_json::json;

use super::description::describe;
use crate::datasources::store;
use crate::db;
use crate::feed::FeedState;
use crate::feed::columns::ColumnSet;
use crate::feed::error::{FeedError, Format};
use crate::feed::odata::metadata::extra_tables;
use crate::feed::source;
use crate::state::AppState;
use crate::tokens::auth::{TokenAuthError, TokenOwner};

#[get("/api/datasources")]
pub async fn list(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    owner: Result<TokenOwner, TokenAuthError>,
) -> HttpResponse {
    match serve(&state, &feed, owner).await {
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
) -> Result<serde_json::Value, FeedError> {
    let owner = owner?;
    let (tenant_id, account) = (owner.tenant.id, owner.account_id.as_str().to_owned());
    let data_sources = db::run(&state.pool, move |conn| {
        store::list(conn, tenant_id, &account)
    })
    .await?;
    let mut described = Vec::with_capacity(data_sources.len());
    if !data_sources.is_empty() {
        let access = source::jira_access(state, &owner).await?;
        let base_url = state.settings.base_url_str();
        for data_source in &data_sources {
            let fields = source::site_fields(state, feed, &owner, &access).await?;
            let columns = ColumnSet::build(&fields, &data_source.fields);
            let extra = extra_tables(data_source, &columns, &fields);
            described.push(describe(&base_url, data_source, &columns, &extra));
        }
    }
    Ok(json!({ "dataSources": described }))
}
