//! `GET /api/datasources`: every data source of the token's owner (on this site), by name, then
//! those shared with them (with `sharedBy`), with tables, columns and feed URLs. Nothing else is
//! ever listed; an empty list needs no Jira call beyond the reader's groups.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, get, web};
use serde_json::json;

use super::description::describe;
use crate::datasources::{access, store};
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
    let own = db::run(&state.pool, move |conn| {
        store::list(conn, tenant_id, &account)
    })
    .await?;
    let shared = access::shared_with_me(
        &state.pool,
        &state.jira_app,
        &owner.tenant,
        &owner.account_id,
    )
    .await?;
    let data_sources = own
        .into_iter()
        .map(|source| (source, None))
        .chain(shared.into_iter().map(|s| (s.source, Some(s.owner_name))));
    let mut described = Vec::new();
    let mut jira = None;
    let base_url = state.settings.base_url_str();
    for (data_source, shared_by) in data_sources {
        let access = match &jira {
            Some(access) => access,
            None => jira.insert(source::jira_access(state, &owner).await?),
        };
        let fields = source::site_fields(state, feed, &owner, access).await?;
        let columns = ColumnSet::build(&fields, &data_source.fields);
        let extra = extra_tables(&data_source, &columns, &fields);
        let mut body = describe(&base_url, &data_source, &columns, &extra);
        body.shared_by = shared_by;
        described.push(body);
    }
    Ok(json!({ "dataSources": described }))
}
