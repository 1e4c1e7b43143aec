//! `GET /feed/{id}/odata` (with or without the trailing slash): the service document. Power BI
//! calls it to test credentials, so it never calls Jira: it checks the access token, the data
//! source and that a Jira API token is saved (so a missing one is reported right away).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, routes, web};
use serde_json::json;

use super::{ENTITY_SET, ODATA_JSON, builder, resolve, service_root};
use crate::feed::error::Format;
use crate::feed::source;
use crate::state::AppState;
use crate::tokens::auth::{TokenAuthError, TokenOwner};

#[routes]
#[get("/feed/{id}/odata")]
#[get("/feed/{id}/odata/")]
pub async fn service_document(
    state: web::Data<AppState>,
    owner: Result<TokenOwner, TokenAuthError>,
    id: web::Path<String>,
) -> HttpResponse {
    let (owner, data_source) = match resolve(&state, owner, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Err(err) = source::jira_access(&state, &owner).await {
        return err.response(Format::OData);
    }
    let root = service_root(&state, data_source.id);
    builder(StatusCode::OK, ODATA_JSON).body(
        json!({
            "@odata.context": format!("{root}/$metadata"),
            "value": [{"name": ENTITY_SET, "kind": "EntitySet", "url": ENTITY_SET}],
        })
        .to_string(),
    )
}
