//! The Jira Software agile API (`/rest/agile/1.0`): boards, a board's sprints, a sprint and its
//! issues. Shapes follow `jira-software-openapi.json` and, where it has no schema (sprints), the
//! documented example: lists page by `startAt`/`maxResults` with `isLast`, capped at 50 per page
//! (JSWCLOUD-18382), and a board's sprint list carries no `total` (JRACLOUD-90676). A board of a
//! project the caller cannot browse, and its sprints, do not exist for that caller (404).

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

use super::{RestError, hidden_projects, list_param, page_params, single_param};
use crate::auth::JiraUser;
use crate::dataset::{ApiVersion, BOARDS, BoardDef, Sprint, SprintState, hide_links};
use crate::fields::{DefaultFields, FieldSelection};
use crate::jql::Query;
use crate::jql_eval::{Viewer, compile};
use crate::qsh;
use crate::state::SiteCtx;

/// Page size cap of the board and sprint lists.
const MAX_LIST_PAGE: usize = 50;
/// Page size cap of the sprint issue list (Jira Cloud's search cap for issues with fields).
const MAX_ISSUE_PAGE: usize = 100;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/agile/1.0/board", web::get().to(boards))
        .route("/agile/1.0/board/{board}", web::get().to(board))
        .route(
            "/agile/1.0/board/{board}/sprint",
            web::get().to(board_sprints),
        )
        .route("/agile/1.0/sprint/{sprint}", web::get().to(sprint))
        .route(
            "/agile/1.0/sprint/{sprint}/issue",
            web::get().to(sprint_issues),
        );
}

fn board_not_found() -> RestError {
    RestError::not_found("Board does not exist or you do not have permission to see it.")
}

fn sprint_not_found() -> RestError {
    RestError::not_found("Sprint does not exist or you do not have permission to see it.")
}

/// The board `raw` names, if the caller may see it.
fn visible_board(raw: &str, hidden: &[String]) -> Result<&'static BoardDef, RestError> {
    let id: u64 = raw.parse().map_err(|_| board_not_found())?;
    BOARDS
        .iter()
        .find(|board| board.id == id && board_visible(board, hidden))
        .ok_or_else(board_not_found)
}

fn board_visible(board: &BoardDef, hidden: &[String]) -> bool {
    let key = board.project_def().key;
    !hidden
        .iter()
        .any(|project| project.eq_ignore_ascii_case(key))
}

/// The sprint `raw` names, if it exists, is not "deleted" by a fault, and the caller may see it.
fn visible_sprint(ctx: &SiteCtx, raw: &str, hidden: &[String]) -> Result<Sprint, RestError> {
    find_sprint(raw, hidden, &ctx.shared.faults.current().missing_sprints)
        .ok_or_else(sprint_not_found)
}

fn find_sprint(raw: &str, hidden: &[String], deleted: &[u64]) -> Option<Sprint> {
    let id: u64 = raw.parse().ok()?;
    Sprint::by_id(id).filter(|sprint| !deleted.contains(&id) && board_visible(sprint.board, hidden))
}

/// The `Board` bean.
fn board_json(board: &BoardDef, base_url: &str) -> Value {
    let project = board.project_def();
    let display = format!("{} ({})", project.name, project.key);
    json!({
        "id": board.id,
        "self": format!("{base_url}/rest/agile/1.0/board/{}", board.id),
        "name": board.name,
        "type": board.board_type,
        "location": {
            "projectId": project.id,
            "displayName": display,
            "projectName": project.name,
            "projectKey": project.key,
            "projectTypeKey": project.project_type,
            "avatarURI": format!("{base_url}/secure/projectavatar?size=small&pid={}", project.id),
            "name": display,
        },
        "isPrivate": false,
    })
}

/// `GET /rest/agile/1.0/board`: the boards the caller can see, filtered by `type`, `name`
/// (contains, any case) and `projectKeyOrId`, ordered by id or by `orderBy=name`.
async fn boards(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    request: HttpRequest,
) -> Result<HttpResponse, RestError> {
    let params = qsh::parse_query(request.query_string());
    let (start_at, max_results) = page_params(&params, 50, MAX_LIST_PAGE)?;
    let hidden = hidden_projects(&ctx, user);
    let types = list_param(&params, "type");
    if let Some(bad) = types
        .iter()
        .find(|kind| !["scrum", "kanban", "simple"].contains(&kind.as_str()))
    {
        return Err(RestError::bad_request(format!(
            "The board type '{bad}' is not valid."
        )));
    }
    let name = single_param(&params, "name").map(str::to_lowercase);
    let project = single_param(&params, "projectKeyOrId");
    let mut matching: Vec<&BoardDef> = BOARDS
        .iter()
        .filter(|board| board_visible(board, &hidden))
        .filter(|board| types.is_empty() || types.iter().any(|kind| kind == board.board_type))
        .filter(|board| {
            name.as_ref()
                .is_none_or(|name| board.name.to_lowercase().contains(name))
        })
        .filter(|board| {
            project.is_none_or(|project| {
                let def = board.project_def();
                def.key.eq_ignore_ascii_case(project) || def.id.to_string() == project
            })
        })
        .collect();
    match single_param(&params, "orderBy") {
        Some("name" | "+name") => matching.sort_by_key(|board| board.name),
        Some("-name") => matching.sort_by_key(|board| std::cmp::Reverse(board.name)),
        _ => {}
    }
    let total = matching.len();
    let end = start_at.saturating_add(max_results).min(total);
    let values: Vec<Value> = matching
        .get(start_at.min(total)..end)
        .unwrap_or_default()
        .iter()
        .map(|board| board_json(board, &ctx.site().info.base_url))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "maxResults": max_results,
        "startAt": start_at,
        "total": total,
        "isLast": end >= total,
        "values": values,
    })))
}

/// `GET /rest/agile/1.0/board/{boardId}`.
async fn board(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    path: web::Path<String>,
) -> Result<HttpResponse, RestError> {
    let board = visible_board(&path, &hidden_projects(&ctx, user))?;
    Ok(HttpResponse::Ok().json(board_json(board, &ctx.site().info.base_url)))
}

/// `GET /rest/agile/1.0/board/{boardId}/sprint`: closed, then active, then future, each in
/// backlog order; `state` filters (comma-separated). No `total`, as Jira Cloud answers.
async fn board_sprints(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    path: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, RestError> {
    let board = visible_board(&path, &hidden_projects(&ctx, user))?;
    if !board.is_scrum() {
        return Err(RestError::bad_request("The board does not support sprints"));
    }
    let params = qsh::parse_query(request.query_string());
    let (start_at, max_results) = page_params(&params, 50, MAX_LIST_PAGE)?;
    let mut states = Vec::new();
    for raw in list_param(&params, "state") {
        let state = SprintState::parse(&raw).ok_or_else(|| {
            RestError::bad_request(format!(
                "The sprint state '{raw}' is not valid. Valid states are: future, active, closed."
            ))
        })?;
        states.push(state);
    }
    let base_url = &ctx.site().info.base_url;
    let matching: Vec<Sprint> = board
        .sprints()
        .filter(|sprint| states.is_empty() || states.contains(&sprint.state()))
        .collect();
    let end = start_at.saturating_add(max_results).min(matching.len());
    let values: Vec<Value> = matching
        .get(start_at.min(end)..end)
        .unwrap_or_default()
        .iter()
        .map(|sprint| sprint.agile_json(base_url))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "maxResults": max_results,
        "startAt": start_at,
        "isLast": end >= matching.len(),
        "values": values,
    })))
}

/// `GET /rest/agile/1.0/sprint/{sprintId}`.
async fn sprint(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    path: web::Path<String>,
) -> Result<HttpResponse, RestError> {
    let sprint = visible_sprint(&ctx, &path, &hidden_projects(&ctx, user))?;
    Ok(HttpResponse::Ok().json(sprint.agile_json(&ctx.site().info.base_url)))
}

/// `GET /rest/agile/1.0/sprint/{sprintId}/issue`: the sprint's issues in rank order, in the
/// `SearchResults` shape (`startAt`, `maxResults`, `total`, no `isLast`). `jql` narrows them
/// (its `ORDER BY` is not applied: the emulator keeps rank order); `fields` as in search.
async fn sprint_issues(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    path: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, RestError> {
    let hidden = hidden_projects(&ctx, user);
    let sprint = visible_sprint(&ctx, &path, &hidden)?;
    let params = qsh::parse_query(request.query_string());
    let (start_at, max_results) = page_params(&params, 50, MAX_ISSUE_PAGE)?;
    let fields = list_param(&params, "fields");
    let expand = list_param(&params, "expand");
    let jql = single_param(&params, "jql")
        .filter(|jql| !jql.trim().is_empty())
        .map(str::to_owned);
    let ctx = ctx.into_inner();
    let body = web::block(move || -> Result<Value, RestError> {
        let site = ctx.site();
        let viewer = site
            .info
            .users
            .get(user.user)
            .map(Viewer::from)
            .ok_or_else(RestError::internal)?;
        let filter = match &jql {
            Some(jql) => Some(compile(
                &Query::parse(jql)?,
                &site.dataset,
                &viewer,
                ctx.shared.clock.now_unix_ms(),
            )?),
            None => None,
        };
        let indices: Vec<usize> = site
            .dataset
            .sprint_issue_indices(sprint)
            .into_iter()
            .filter(|&index| {
                filter
                    .as_ref()
                    .is_none_or(|filter| filter.matches(&site.dataset.core(index)))
            })
            .collect();
        let selection = FieldSelection::parse(&fields, DefaultFields::Navigable);
        let leak = ctx.shared.faults.current().leak_hidden_links;
        let end = start_at.saturating_add(max_results).min(indices.len());
        let issues: Vec<Value> = indices
            .get(start_at.min(end)..end)
            .unwrap_or_default()
            .iter()
            .map(|&index| {
                let mut issue =
                    site.dataset
                        .render(&site.dataset.core(index), &selection, ApiVersion::V3);
                if !leak {
                    hide_links(&mut issue, &hidden);
                }
                issue
            })
            .collect();
        ctx.shared.stats.issues_returned(issues.len());
        let mut body = Map::new();
        body.insert("expand".into(), json!("schema,names"));
        body.insert("startAt".into(), json!(start_at));
        body.insert("maxResults".into(), json!(max_results));
        body.insert("total".into(), json!(indices.len()));
        body.insert("issues".into(), Value::Array(issues));
        if expand.iter().any(|item| item == "names") {
            body.insert("names".into(), super::search::names(&selection));
        }
        if expand.iter().any(|item| item == "schema") {
            body.insert("schema".into(), super::search::schemas(&selection));
        }
        Ok(Value::Object(body))
    })
    .await
    .map_err(|_| RestError::internal())??;
    Ok(HttpResponse::Ok().json(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sprints_and_boards_of_hidden_projects_do_not_exist_for_the_caller() {
        let nobody: [String; 0] = [];
        let no_alpha = ["ALPHA".to_owned()];
        assert!(find_sprint("101", &nobody, &[]).is_some());
        assert!(find_sprint("101", &no_alpha, &[]).is_none());
        assert!(find_sprint("501", &no_alpha, &[]).is_none());
        assert!(find_sprint("201", &no_alpha, &[]).is_some());
        assert!(find_sprint("101", &nobody, &[101]).is_none());
        assert!(find_sprint("x", &nobody, &[]).is_none());
        assert!(find_sprint("999", &nobody, &[]).is_none());
        assert!(visible_board("1", &no_alpha).is_err());
        assert!(visible_board("2", &no_alpha).is_ok());
        assert!(visible_board("-1", &nobody).is_err());
    }
}
