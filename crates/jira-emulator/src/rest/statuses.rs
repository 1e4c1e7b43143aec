//! `GET /rest/api/3/status`: every status of the site's one workflow as `StatusDetails`, under
//! today's names (a status renamed since keeps its old name only in change histories).

use actix_web::{HttpResponse, web};
use serde_json::Value;

use super::{RestError, api_version};
use crate::auth::JiraUser;
use crate::dataset::STATUSES;
use crate::state::SiteCtx;

pub(crate) async fn statuses(
    ctx: web::Data<SiteCtx>,
    _user: JiraUser,
    version: web::Path<String>,
) -> Result<HttpResponse, RestError> {
    let api = api_version(&version)?.number();
    let dataset = &ctx.site().dataset;
    let list: Vec<Value> = (0..STATUSES.len())
        .map(|status| dataset.status_json(status as u8, api))
        .collect();
    Ok(HttpResponse::Ok().json(list))
}
