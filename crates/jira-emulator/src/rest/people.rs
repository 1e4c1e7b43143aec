//! Users, groups and global permissions, as the platform spec describes them:
//! `POST permissions/check` (getBulkPermissions), `GET user/groups` (getUserGroups),
//! `GET groups/picker` (findGroups), `GET user/picker` (findUsersForPicker), `GET user` (getUser),
//! `GET user/bulk` (bulkGetUsers).
//! All accept the app's own JWT as well as Basic auth. Only the site's login users have groups and
//! permissions; the other people in issues are found by the user endpoints too.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{RestError, api_version, parse_body, single_param};
use crate::app_jwt::Caller;
use crate::groups::{ADMINISTER, GLOBAL_PERMISSIONS, is_admin};
use crate::qsh;
use crate::state::{SiteCtx, SiteRuntime};

/// The most results a picker returns.
const PICKER_CAP: usize = 1000;

/// `BulkPermissionsRequestBean` (additionalProperties: false).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PermissionsCheck {
    account_id: Option<String>,
    #[serde(default)]
    global_permissions: Vec<String>,
    #[serde(default)]
    project_permissions: Vec<Value>,
}

fn login_user(site: &SiteRuntime, account_id: &str) -> Option<usize> {
    site.info
        .users
        .iter()
        .position(|u| u.account_id == account_id)
}

fn forbidden_not_admin() -> HttpResponse {
    HttpResponse::Forbidden().json(json!({
        "errorMessages": ["Only Jira administrators can perform this operation."],
        "errors": {}
    }))
}

/// `POST /rest/api/{v}/permissions/check`. A Connect app may check any user; a person may check
/// someone else only with ADMINISTER. `projectPermissions` are answered empty (the emulator
/// models only global permissions; a request naming none is valid).
pub(crate) async fn permissions_check(
    ctx: web::Data<SiteCtx>,
    caller: Caller,
    version: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, RestError> {
    api_version(&version)?;
    let request: PermissionsCheck = parse_body(&body)?;
    let site = ctx.site();
    let groups = site.groups().clone();
    let subject = match (&request.account_id, caller) {
        (Some(id), _) => login_user(site, id)
            .ok_or_else(|| RestError::bad_request(format!("Invalid accountId: {id}")))?,
        (None, Caller::User(user)) => user,
        // The app's own user holds no global permission the emulator models.
        (None, Caller::App) => {
            return Ok(
                HttpResponse::Ok().json(json!({"globalPermissions": [], "projectPermissions": []}))
            );
        }
    };
    if let Caller::User(user) = caller
        && user != subject
        && !is_admin(&groups, user)
    {
        return Ok(forbidden_not_admin());
    }
    if let Some(unknown) = request
        .global_permissions
        .iter()
        .find(|key| !GLOBAL_PERMISSIONS.contains(&key.as_str()))
    {
        return Ok(HttpResponse::BadRequest().json(json!({
            "errorMessages": [],
            "errors": {unknown.clone(): "Unrecognized permission"}
        })));
    }
    if request
        .project_permissions
        .iter()
        .any(|p| p.get("permissions").and_then(Value::as_array).is_none())
    {
        return Err(RestError::bad_request(
            "Project permissions must name at least one permission.",
        ));
    }
    let granted: Vec<&str> = request
        .global_permissions
        .iter()
        .filter(|key| key.as_str() == ADMINISTER && is_admin(&groups, subject))
        .map(String::as_str)
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "globalPermissions": granted,
        "projectPermissions": [],
    })))
}

fn group_json(base_url: &str, id: &str, name: &str) -> Value {
    json!({"groupId": id, "name": name, "self": format!("{base_url}/rest/api/3/group?groupId={id}")})
}

/// `GET /rest/api/{v}/user/groups?accountId=`: an array of `GroupName`.
pub(crate) async fn user_groups(
    ctx: web::Data<SiteCtx>,
    _caller: Caller,
    version: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, RestError> {
    api_version(&version)?;
    let params = qsh::parse_query(request.query_string());
    let account = single_param(&params, "accountId")
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            RestError::bad_request("The accountId query parameter needs to be provided.")
        })?;
    let site = ctx.site();
    let user = login_user(site, account).ok_or_else(|| {
        RestError::not_found(format!("User with accountId '{account}' was not found."))
    })?;
    let body: Vec<Value> = site
        .groups()
        .iter()
        .filter(|g| g.members.contains(&user))
        .map(|g| group_json(&site.info.base_url, &g.id, &g.name))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

fn max_results(params: &[(String, String)], default: usize) -> usize {
    single_param(params, "maxResults")
        .and_then(|raw| raw.trim().parse::<usize>().ok())
        .unwrap_or(default)
        .min(PICKER_CAP)
}

/// `GET /rest/api/{v}/groups/picker?query=`: `FoundGroups`, names containing the query
/// (case-insensitive), at most `maxResults` (default 20).
pub(crate) async fn groups_picker(
    ctx: web::Data<SiteCtx>,
    _caller: Caller,
    version: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, RestError> {
    api_version(&version)?;
    let params = qsh::parse_query(request.query_string());
    let query = single_param(&params, "query").unwrap_or("").to_lowercase();
    let limit = max_results(&params, 20);
    let site = ctx.site();
    let matching: Vec<Value> = site
        .groups()
        .iter()
        .filter(|g| g.name.to_lowercase().contains(&query))
        .map(|g| json!({"name": g.name, "html": g.name, "groupId": g.id, "labels": []}))
        .collect();
    let total = matching.len();
    let shown: Vec<Value> = matching.into_iter().take(limit).collect();
    Ok(HttpResponse::Ok().json(json!({
        "header": format!("Showing {} of {total} matching groups", shown.len()),
        "total": total,
        "groups": shown,
    })))
}

/// The site's people (login users and the others in issues) as `(accountId, name, email)`.
fn people(site: &SiteRuntime) -> Vec<(String, String, Option<String>)> {
    let mut all: Vec<(String, String, Option<String>)> = site
        .info
        .users
        .iter()
        .map(|u| {
            (
                u.account_id.clone(),
                u.display_name.clone(),
                Some(u.email.clone()),
            )
        })
        .collect();
    for person in site.dataset.people() {
        if !all.iter().any(|(id, _, _)| *id == person.account_id) {
            all.push((
                person.account_id.clone(),
                person.display_name.clone(),
                person.email.clone(),
            ));
        }
    }
    all
}

/// `GET /rest/api/{v}/user/picker?query=`: `FoundUsers`, display names or emails containing the
/// query (case-insensitive).
pub(crate) async fn user_picker(
    ctx: web::Data<SiteCtx>,
    _caller: Caller,
    version: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, RestError> {
    api_version(&version)?;
    let params = qsh::parse_query(request.query_string());
    let query = single_param(&params, "query")
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| RestError::bad_request("The query parameter is required."))?
        .to_lowercase();
    let limit = max_results(&params, 50);
    let site = ctx.site();
    let matching: Vec<Value> = people(site)
        .into_iter()
        .filter(|(_, name, email)| {
            name.to_lowercase().contains(&query)
                || email
                    .as_ref()
                    .is_some_and(|e| e.to_lowercase().contains(&query))
        })
        .map(|(id, name, _)| {
            json!({"accountId": id, "accountType": "atlassian", "displayName": name,
                   "html": name, "avatarUrl": format!("{}/avatar/{id}", site.info.base_url)})
        })
        .collect();
    let total = matching.len();
    let shown: Vec<Value> = matching.into_iter().take(limit).collect();
    Ok(HttpResponse::Ok().json(json!({
        "users": shown,
        "total": total,
        "header": format!("Showing {} of {total} matching users", shown.len()),
    })))
}

/// `GET /rest/api/{v}/user?accountId=`: the `User`, or 404.
pub(crate) async fn user(
    ctx: web::Data<SiteCtx>,
    _caller: Caller,
    version: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, RestError> {
    api_version(&version)?;
    let params = qsh::parse_query(request.query_string());
    let account = single_param(&params, "accountId")
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            RestError::bad_request("The accountId query parameter needs to be provided.")
        })?;
    let site = ctx.site();
    let (id, name, _) = people(site)
        .into_iter()
        .find(|(id, _, _)| id == account)
        .ok_or_else(|| {
            RestError::not_found(format!("User with accountId '{account}' was not found."))
        })?;
    Ok(HttpResponse::Ok().json(json!({
        "self": format!("{}/rest/api/3/user?accountId={id}", site.info.base_url),
        "accountId": id,
        "accountType": "atlassian",
        "displayName": name,
        "active": true,
        "timeZone": "UTC",
    })))
}

/// The most users one `user/bulk` page holds, whatever `maxResults` asks (the spec gives no
/// maximum; a client must page by `isLast`).
const BULK_PAGE_CAP: usize = 100;

/// `GET /rest/api/{v}/user/bulk?accountId=…&accountId=…`: a `PageBeanUser` of the named people
/// who exist, in the order asked (unknown ids are left out), `maxResults` (default 10) from
/// `startAt`. No `accountId` is a 400.
pub(crate) async fn user_bulk(
    ctx: web::Data<SiteCtx>,
    _caller: Caller,
    version: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, RestError> {
    api_version(&version)?;
    let params = qsh::parse_query(request.query_string());
    let wanted: Vec<&str> = params
        .iter()
        .filter(|(key, value)| key == "accountId" && !value.is_empty())
        .map(|(_, value)| value.as_str())
        .collect();
    if wanted.is_empty() {
        return Err(RestError::bad_request(
            "The accountId query parameter needs to be provided.",
        ));
    }
    let number = |name: &str, default: usize| {
        single_param(&params, name).map_or(Ok(default), |raw| {
            raw.trim()
                .parse::<usize>()
                .map_err(|_| RestError::bad_request(format!("Invalid {name}: {raw}")))
        })
    };
    let start_at = number("startAt", 0)?;
    let max_results = number("maxResults", 10)?.clamp(1, BULK_PAGE_CAP);
    let site = ctx.site();
    let everyone = people(site);
    let mut found: Vec<&(String, String, Option<String>)> = Vec::new();
    for id in wanted {
        if let Some(person) = everyone.iter().find(|(known, _, _)| known == id)
            && !found.iter().any(|(seen, _, _)| seen == id)
        {
            found.push(person);
        }
    }
    let total = found.len();
    let values: Vec<Value> = found
        .iter()
        .skip(start_at)
        .take(max_results)
        .map(|(id, name, _)| {
            json!({
                "self": format!("{}/rest/api/3/user?accountId={id}", site.info.base_url),
                "accountId": id,
                "accountType": "atlassian",
                "displayName": name,
                "active": true,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "startAt": start_at,
        "maxResults": max_results,
        "total": total,
        "isLast": start_at + values.len() >= total,
        "values": values,
    })))
}
