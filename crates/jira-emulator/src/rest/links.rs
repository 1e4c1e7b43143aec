//! `GET /rest/api/{2,3}/issueLinkType`: the link types issues' `issuelinks` use.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::{RestError, api_version};
use crate::auth::JiraUser;
use crate::dataset::{LINK_TYPES, link_type_json};
use crate::state::SiteCtx;

pub(crate) async fn link_types(
    ctx: web::Data<SiteCtx>,
    _user: JiraUser,
    version: web::Path<String>,
) -> Result<HttpResponse, RestError> {
    let version = api_version(&version)?;
    let base_url = &ctx.site().info.base_url;
    let types: Vec<Value> = LINK_TYPES
        .iter()
        .map(|link_type| link_type_json(link_type, base_url, version.number()))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "issueLinkTypes": types })))
}
