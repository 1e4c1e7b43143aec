//! `myself`, the field catalogue and the project list: what the app reads to validate a token
//! and to describe columns.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::qsh;

use super::{RestError, api_version, list_param, single_param};
use crate::auth::JiraUser;
use crate::dataset::PROJECTS;
use crate::fields::catalogue_json;
use crate::state::SiteCtx;

pub(crate) async fn myself(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    version: web::Path<String>,
) -> Result<HttpResponse, RestError> {
    let version = api_version(&version)?;
    let site = ctx.site();
    let Some(info) = site.info.users.get(user.user) else {
        return Err(RestError::internal());
    };
    let mut body = site.dataset.user_json(user.user, version.number());
    if let Value::Object(map) = &mut body {
        map.insert("emailAddress".into(), json!(info.email));
        map.insert("locale".into(), json!("en_US"));
        map.insert("groups".into(), json!({"size": 2, "items": []}));
        map.insert("applicationRoles".into(), json!({"size": 1, "items": []}));
        map.insert("expand".into(), json!("groups,applicationRoles"));
    }
    Ok(HttpResponse::Ok().json(body))
}

pub(crate) async fn fields(
    _user: JiraUser,
    version: web::Path<String>,
) -> Result<HttpResponse, RestError> {
    api_version(&version)?;
    Ok(HttpResponse::Ok().json(catalogue_json()))
}

/// `GET /rest/api/3/project/search`: the projects the caller can browse, paged by
/// `startAt`/`maxResults` (at most 100), filtered by `keys`, `id` and `query`.
pub(crate) async fn project_search(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    version: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, RestError> {
    let version = api_version(&version)?;
    let params = qsh::parse_query(request.query_string());
    let site = ctx.site();
    let hidden = site
        .info
        .users
        .get(user.user)
        .map(|user| user.hidden_projects.clone())
        .unwrap_or_default();
    let keys = list_param(&params, "keys");
    let ids = list_param(&params, "id");
    let query = single_param(&params, "query").map(str::to_lowercase);
    let filtered = !keys.is_empty() || !ids.is_empty() || query.is_some();
    let mut visible: Vec<usize> = (0..PROJECTS.len())
        .filter(|&index| {
            let project = &PROJECTS[index];
            !hidden.iter().any(|key| key == project.key)
                && (keys.is_empty() || keys.iter().any(|key| key.eq_ignore_ascii_case(project.key)))
                && (ids.is_empty() || ids.iter().any(|id| *id == project.id.to_string()))
                && query.as_ref().is_none_or(|query| {
                    project.key.to_lowercase().contains(query)
                        || project.name.to_lowercase().contains(query)
                })
        })
        .collect();
    match single_param(&params, "orderBy").unwrap_or("key") {
        "name" | "+name" => visible.sort_by_key(|&index| PROJECTS[index].name),
        "-name" => visible.sort_by_key(|&index| std::cmp::Reverse(PROJECTS[index].name)),
        "-key" => visible.sort_by_key(|&index| std::cmp::Reverse(PROJECTS[index].key)),
        _ => visible.sort_by_key(|&index| PROJECTS[index].key),
    }
    if filtered && visible.is_empty() {
        return Err(RestError::not_found(
            "No projects were found matching the search criteria.",
        ));
    }
    let start_at: usize = single_param(&params, "startAt")
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let max_results: usize = single_param(&params, "maxResults")
        .and_then(|value| value.parse::<usize>().ok())
        .unwrap_or(50)
        .min(100);
    let total = visible.len();
    let end = start_at.saturating_add(max_results).min(total);
    let values: Vec<Value> = visible
        .get(start_at.min(total)..end)
        .unwrap_or(&[])
        .iter()
        .map(|&index| site.dataset.project_search_json(index))
        .collect();
    let is_last = end >= total;
    let base = format!(
        "{}/rest/api/{}/project/search",
        site.info.base_url,
        version.number()
    );
    let mut body = json!({
        "self": format!("{base}?startAt={start_at}&maxResults={max_results}"),
        "maxResults": max_results,
        "startAt": start_at,
        "total": total,
        "isLast": is_last,
        "values": values,
    });
    if !is_last {
        body["nextPage"] = json!(format!("{base}?startAt={end}&maxResults={max_results}"));
    }
    Ok(HttpResponse::Ok().json(body))
}
