//! `GET /feed/{id}/odata` (with or without the trailing slash): the service document. Power BI
//! calls it to test credentials, so it never calls Jira: it checks the access token, the data
//! source and that a Jira API token is saved (so a missing one is reported right away); only a
//! data source with multi-value field tables needs the site's (cached) field list to name them.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, routes, web};
use serde_json::json;

use super::metadata::extra_tables;
use super::{ENTITY_SET, ODATA_JSON, OData, builder, service_root};
use crate::datasources::domain::ExtraTable;
use crate::feed::FeedState;
use crate::feed::columns::ColumnSet;
use crate::feed::request::{OwnedSource, Rejection};
use crate::feed::source;
use crate::state::AppState;

#[routes]
#[get("/feed/{id}/odata")]
#[get("/feed/{id}/odata/")]
pub async fn service_document(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    owned: OwnedSource<OData>,
) -> Result<HttpResponse, Rejection<OData>> {
    let access = source::jira_access(&state, &owned.owner).await?;
    let data_source = &owned.data_source;
    let mut sets = vec![ENTITY_SET.to_owned()];
    if data_source.tables.contains(ExtraTable::FieldValues) {
        // Only then are Jira's fields needed (cached per user): they name those tables.
        let fields = source::site_fields(&state, &feed, &owned.owner, &access).await?;
        let columns = ColumnSet::build(&fields, &data_source.fields);
        sets.extend(
            extra_tables(data_source, &columns, &fields)
                .into_iter()
                .map(|(n, _)| n),
        );
    } else {
        sets.extend(data_source.tables.names());
    }
    let root = service_root(&state, data_source.id);
    let value: Vec<serde_json::Value> = sets
        .iter()
        .map(|name| json!({"name": name, "kind": "EntitySet", "url": name}))
        .collect();
    Ok(builder(StatusCode::OK, ODATA_JSON).body(
        json!({
            "@odata.context": format!("{root}/$metadata"),
            "value": value,
        })
        .to_string(),
    ))
}
