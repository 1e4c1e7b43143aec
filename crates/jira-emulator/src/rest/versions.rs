//! A project's versions: `GET /rest/api/{2,3}/project/{projectIdOrKey}/version` (a
//! `PageBeanVersion`, with the spec's `orderBy`, `query` and `status`) and `…/versions` (every
//! version, unpaged). A project the caller cannot browse does not exist for them (404). `expand`
//! is accepted and ignored (the emulator has no `operations`, `issuesstatus`, `driver`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::{RestError, api_version, hidden_projects, list_param, page_params, single_param};
use crate::auth::JiraUser;
use crate::dataset::{PROJECTS, ProjectDef, Version};
use crate::qsh;
use crate::state::SiteCtx;

/// The largest page (the spec gives only the default, 50).
const MAX_PAGE: usize = 100;

/// The project `id_or_key` names (id, or key as the spec says: case-sensitive), if visible.
fn visible_project(
    ctx: &SiteCtx,
    user: JiraUser,
    id_or_key: &str,
) -> Result<(u8, &'static ProjectDef), RestError> {
    let hidden = hidden_projects(ctx, user);
    let by_id = id_or_key.parse::<u64>().is_ok();
    PROJECTS
        .iter()
        .enumerate()
        .find(|(_, project)| {
            if by_id {
                project.id.to_string() == id_or_key
            } else {
                project.key == id_or_key
            }
        })
        .filter(|(_, project)| !hidden.iter().any(|key| key == project.key))
        .map(|(index, project)| (index as u8, project))
        .ok_or_else(|| {
            let what = if by_id { "id" } else { "key" };
            RestError::not_found(format!(
                "No project could be found with {what} '{id_or_key}'."
            ))
        })
}

/// `GET /rest/api/{2,3}/project/{projectIdOrKey}/version`.
pub(crate) async fn paged(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    path: web::Path<(String, String)>,
    request: HttpRequest,
) -> Result<HttpResponse, RestError> {
    let (version, id_or_key) = path.into_inner();
    let api = api_version(&version)?.number();
    let (project, _) = visible_project(&ctx, user, &id_or_key)?;
    let params = qsh::parse_query(request.query_string());
    let (start_at, max_results) = page_params(&params, 50, MAX_PAGE)?;
    let statuses = list_param(&params, "status");
    if let Some(bad) = statuses
        .iter()
        .find(|status| !["released", "unreleased", "archived"].contains(&status.as_str()))
    {
        return Err(RestError::bad_request(format!(
            "The status '{bad}' is not valid. Valid statuses are: released, unreleased, archived."
        )));
    }
    let query = single_param(&params, "query").map(str::to_lowercase);
    let mut versions: Vec<Version> = Version::of_project(project)
        .filter(|version| {
            statuses.is_empty() || statuses.iter().any(|status| status == status_of(version))
        })
        .filter(|version| {
            query.as_ref().is_none_or(|query| {
                version.name().to_lowercase().contains(query)
                    || version.description().to_lowercase().contains(query)
            })
        })
        .collect();
    order(&mut versions, single_param(&params, "orderBy"))?;
    let total = versions.len();
    let end = start_at.saturating_add(max_results).min(total);
    let base_url = &ctx.site().info.base_url;
    let values: Vec<Value> = versions
        .get(start_at.min(end)..end)
        .unwrap_or_default()
        .iter()
        .map(|version| version.json(base_url, api))
        .collect();
    // The page links repeat the caller's filters, as Jira's do.
    let mut kept: Vec<String> = params
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "startAt" | "maxResults"))
        .map(|(name, value)| format!("{name}={}", url_encode(value)))
        .collect();
    kept.sort();
    let extra: String = kept.iter().map(|pair| format!("&{pair}")).collect();
    let page_url = |start: usize| {
        format!(
            "{base_url}/rest/api/{api}/project/{id_or_key}/version?maxResults={max_results}&startAt={start}{extra}"
        )
    };
    let mut body = json!({
        "self": page_url(start_at),
        "maxResults": max_results,
        "startAt": start_at,
        "total": total,
        "isLast": end >= total,
        "values": values,
    });
    if end < total {
        body["nextPage"] = json!(page_url(end));
    }
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /rest/api/{2,3}/project/{projectIdOrKey}/versions`: every version, in sequence order.
pub(crate) async fn all(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, RestError> {
    let (version, id_or_key) = path.into_inner();
    let api = api_version(&version)?.number();
    let (project, _) = visible_project(&ctx, user, &id_or_key)?;
    let base_url = &ctx.site().info.base_url;
    let versions: Vec<Value> = Version::of_project(project)
        .map(|version| version.json(base_url, api))
        .collect();
    Ok(HttpResponse::Ok().json(versions))
}

/// Which `status` filter value a version answers to: archived ones only to `archived`.
fn status_of(version: &Version) -> &'static str {
    if version.archived() {
        "archived"
    } else if version.released() {
        "released"
    } else {
        "unreleased"
    }
}

/// Applies `orderBy` (the spec's values, `+` or none ascending, `-` descending); the default
/// is the project's sequence. Versions without the sort date come last either way.
fn order(versions: &mut [Version], order_by: Option<&str>) -> Result<(), RestError> {
    let raw = order_by.unwrap_or("sequence");
    let (descending, field) = match raw.strip_prefix('-') {
        Some(field) => (true, field),
        None => (false, raw.strip_prefix('+').unwrap_or(raw)),
    };
    match field {
        "sequence" => versions.sort_by_key(|version| version.sequence),
        "name" => versions.sort_by_key(|version| version.name().to_lowercase()),
        "description" => versions.sort_by_key(|version| version.description().to_lowercase()),
        "releaseDate" => {
            versions
                .sort_by_key(|version| (version.release_day().is_none(), version.release_day()));
        }
        "startDate" => {
            versions.sort_by_key(|version| (version.start_day().is_none(), version.start_day()));
        }
        _ => {
            return Err(RestError::bad_request(format!(
                "The orderBy value '{raw}' is not valid."
            )));
        }
    }
    if descending {
        match field {
            "releaseDate" | "startDate" => {
                let dated = versions
                    .iter()
                    .position(|version| {
                        if field == "releaseDate" {
                            version.release_day().is_none()
                        } else {
                            version.start_day().is_none()
                        }
                    })
                    .unwrap_or(versions.len());
                versions[..dated].reverse();
            }
            _ => versions.reverse(),
        }
    }
    Ok(())
}

fn url_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
