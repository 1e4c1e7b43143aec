//! The Jira Cloud REST endpoints the app calls, with Jira's shapes (the OpenAPI schemas are
//! strict: no extra keys) and Jira's error bodies (`ErrorCollection`).

mod agile;
mod changelog;
mod issues;
mod links;
mod meta;
mod people;
mod search;
mod statuses;
mod versions;
mod worklogs;

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};
use serde::de::DeserializeOwned;

use super::auth::JiraUser;
use super::dataset::ApiVersion;
use super::jql::JqlError;
use super::state::{SiteCtx, SiteRuntime};

/// Registers the REST routes; mounted under `/rest`.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/{version}/myself", web::get().to(meta::myself))
        .route("/api/{version}/field", web::get().to(meta::fields))
        .route(
            "/api/{version}/project/search",
            web::get().to(meta::project_search),
        )
        .route(
            "/api/{version}/search/jql",
            web::get().to(search::search_get),
        )
        .route(
            "/api/{version}/search/jql",
            web::post().to(search::search_post),
        )
        .route(
            "/api/{version}/search/approximate-count",
            web::post().to(search::approximate_count),
        )
        .route("/api/{version}/search", web::route().to(search::removed))
        .route(
            "/api/{version}/issue/bulkfetch",
            web::post().to(issues::bulkfetch),
        )
        .route(
            "/api/{version}/changelog/bulkfetch",
            web::post().to(changelog::bulkfetch),
        )
        .route(
            "/api/{version}/issue/{issue}/changelog",
            web::get().to(changelog::issue_changelog),
        )
        .route(
            "/api/{version}/issue/{issue}/worklog",
            web::get().to(worklogs::issue_worklogs),
        )
        .route(
            "/api/{version}/worklog/updated",
            web::get().to(worklogs::updated),
        )
        .route(
            "/api/{version}/worklog/list",
            web::post().to(worklogs::list),
        )
        .route("/api/{version}/status", web::get().to(statuses::statuses))
        .route(
            "/api/{version}/project/{project}/version",
            web::get().to(versions::paged),
        )
        .route(
            "/api/{version}/project/{project}/versions",
            web::get().to(versions::all),
        )
        .route(
            "/api/{version}/issueLinkType",
            web::get().to(links::link_types),
        )
        .route(
            "/api/{version}/permissions/check",
            web::post().to(people::permissions_check),
        )
        .route(
            "/api/{version}/user/groups",
            web::get().to(people::user_groups),
        )
        .route(
            "/api/{version}/groups/picker",
            web::get().to(people::groups_picker),
        )
        .route(
            "/api/{version}/user/picker",
            web::get().to(people::user_picker),
        )
        .route("/api/{version}/user/bulk", web::get().to(people::user_bulk))
        .route("/api/{version}/user", web::get().to(people::user))
        .configure(agile::configure)
        .default_service(web::to(dead_link));
}

/// A Jira `ErrorCollection` answer.
#[derive(Debug)]
pub(crate) struct RestError {
    status: StatusCode,
    messages: Vec<String>,
}

impl RestError {
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            messages: vec![message.into()],
        }
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            messages: vec![message.into()],
        }
    }

    pub(crate) fn internal() -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            messages: vec!["Internal server error.".to_owned()],
        }
    }
}

impl fmt::Display for RestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.messages.join("; "))
    }
}

impl ResponseError for RestError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(serde_json::json!({
            "errorMessages": self.messages,
            "errors": {}
        }))
    }
}

impl From<JqlError> for RestError {
    fn from(error: JqlError) -> Self {
        RestError::bad_request(error.to_string())
    }
}

/// `2` or `3` from the path; anything else is a dead link.
pub(crate) fn api_version(segment: &str) -> Result<ApiVersion, RestError> {
    match segment {
        "2" => Ok(ApiVersion::V2),
        "3" | "latest" => Ok(ApiVersion::V3),
        _ => Err(RestError::not_found("Not found")),
    }
}

/// Parses a JSON body strictly (unknown keys are refused, like Jira's beans).
pub(crate) fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, RestError> {
    serde_json::from_slice(body).map_err(|error| {
        RestError::bad_request(format!(
            "Invalid request payload. Refer to the REST API documentation and try again. ({error})"
        ))
    })
}

/// Splits repeated and comma-separated query values: `fields=a,b&fields=c` → `[a, b, c]`.
pub(crate) fn list_param(params: &[(String, String)], name: &str) -> Vec<String> {
    params
        .iter()
        .filter(|(key, _)| key == name)
        .flat_map(|(_, value)| value.split(','))
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
        .collect()
}

pub(crate) fn single_param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The index of the issue `id_or_key` names, if it exists and `user` may browse its project.
pub(crate) fn visible_issue(site: &SiteRuntime, user: usize, id_or_key: &str) -> Option<usize> {
    let hidden = &site.info.users.get(user)?.hidden_projects;
    site.dataset.index_of(id_or_key.trim()).filter(|&index| {
        let project = site.dataset.project_key(index);
        !hidden.iter().any(|key| Some(key.as_str()) == project)
    })
}

/// Keys of the projects `user` cannot browse.
pub(crate) fn hidden_projects(ctx: &SiteCtx, user: JiraUser) -> Vec<String> {
    ctx.site()
        .info
        .users
        .get(user.user)
        .map(|user| user.hidden_projects.clone())
        .unwrap_or_default()
}

/// `startAt` and `maxResults` of an offset-paged list: `maxResults` defaults to `default` (also
/// when zero or negative) and is capped at `cap`, silently, as Jira does.
pub(crate) fn page_params(
    params: &[(String, String)],
    default: usize,
    cap: usize,
) -> Result<(usize, usize), RestError> {
    let number = |name: &str| -> Result<Option<i64>, RestError> {
        single_param(params, name)
            .map(|raw| {
                raw.trim().parse::<i64>().map_err(|_| {
                    RestError::bad_request(format!("The value '{raw}' is not valid for {name}."))
                })
            })
            .transpose()
    };
    let start_at = number("startAt")?.unwrap_or(0).max(0) as usize;
    let max_results = match number("maxResults")? {
        Some(value) if value > 0 => (value as usize).min(cap),
        _ => default.min(cap),
    };
    Ok((start_at, max_results))
}

/// Jira's HTML 404 for REST paths it does not know.
async fn dead_link() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/html;charset=UTF-8")
        .body("<!DOCTYPE html><html><head><title>Oops, you&#39;ve found a dead link. - Jira</title></head><body><h1>Oops, you&#39;ve found a dead link.</h1></body></html>")
}
