//! `GET /feed/{id}/odata` (with or without the trailing slash): the service document. Power BI
//! calls it to test credentials, so it never calls Jira: it checks the access token, the data
//! source and that a Jira API token is saved (so a missing one is reported right away).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, routes, web};
use serde_json::json;

use super::{ENTITY_SET, ODATA_JSON, OData, builder, service_root};
use crate::feed::request::{OwnedSource, Rejection};
use crate::feed::source;
use crate::state::AppState;

#[routes]
#[get("/feed/{id}/odata")]
#[get("/feed/{id}/odata/")]
pub async fn service_document(
    state: web::Data<AppState>,
    owned: OwnedSource<OData>,
) -> Result<HttpResponse, Rejection<OData>> {
    source::jira_access(&state, &owned.owner).await?;
    let root = service_root(&state, owned.data_source.id);
    Ok(builder(StatusCode::OK, ODATA_JSON).body(
        json!({
            "@odata.context": format!("{root}/$metadata"),
            "value": [{"name": ENTITY_SET, "kind": "EntitySet", "url": ENTITY_SET}],
        })
        .to_string(),
    ))
}
