//! Worklogs: `GET /rest/api/3/issue/{issueIdOrKey}/worklog` (`startAt`/`maxResults` paging,
//! default and largest page 5000, `startedAfter` on or after, `startedBefore` before, in ms),
//! `GET /worklog/updated` and `POST /worklog/list` (1000 per call).
//!
//! Worklogs restricted to a group or role the caller is not in are not returned, and not
//! counted: `total` is the number of worklogs the caller may see (the spec calls it "the number
//! of results on the page", but Jira, and so the emulator, counts every matching worklog, which
//! is how a client knows more follow). Non-numeric `startAt`/`maxResults` are a 404, as the spec
//! says.
//!
//! `worklog/updated` lists worklogs updated after `since` (exclusive), oldest first, never
//! splitting one millisecond across pages (so `since = until` of the previous page loses
//! nothing), and leaves out the last minute before the request. It scans the whole data set, so
//! it is meant for small ones.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{RestError, api_version, parse_body, single_param, visible_issue};
use crate::auth::JiraUser;
use crate::dataset::Worklog;
use crate::qsh;
use crate::state::SiteCtx;

const MAX_PAGE: i64 = 5000;
const MAX_LIST: usize = 1000;

pub(crate) async fn issue_worklogs(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    path: web::Path<(String, String)>,
    http: HttpRequest,
) -> Result<HttpResponse, RestError> {
    let (version, issue) = path.into_inner();
    let api = api_version(&version)?.number();
    let params = qsh::parse_query(http.query_string());
    let number = |name: &str| -> Result<Option<i64>, RestError> {
        single_param(&params, name)
            .map(|raw| {
                raw.parse::<i64>().map_err(|_| {
                    RestError::not_found(format!("The value '{raw}' is not valid for {name}."))
                })
            })
            .transpose()
    };
    let start_at = number("startAt")?.unwrap_or(0).max(0) as usize;
    let max_results = number("maxResults")?.unwrap_or(MAX_PAGE).clamp(0, MAX_PAGE) as usize;
    let after = number("startedAfter")?;
    let before = number("startedBefore")?;
    let site = ctx.site();
    let index = visible_issue(site, user.user, &issue).ok_or_else(|| {
        RestError::not_found("Issue does not exist or you do not have permission to see it.")
    })?;
    let core = site.dataset.core(index);
    let worklogs: Vec<Worklog> = site
        .dataset
        .worklogs(&core)
        .into_iter()
        .filter(|worklog| {
            worklog.visible_to(user.user)
                && after.is_none_or(|after| worklog.started >= after)
                && before.is_none_or(|before| worklog.started < before)
        })
        .collect();
    let size = match ctx.shared.faults.current().worklog_page_cap {
        Some(cap) => max_results.min(cap as usize),
        None => max_results,
    };
    let start = start_at.min(worklogs.len());
    let end = start.saturating_add(size).min(worklogs.len());
    Ok(HttpResponse::Ok().json(json!({
        "startAt": start_at,
        "maxResults": max_results,
        "total": worklogs.len(),
        "worklogs": worklogs[start..end]
            .iter()
            .map(|worklog| site.dataset.worklog_json(&core, worklog, api))
            .collect::<Vec<_>>(),
    })))
}

pub(crate) async fn updated(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    version: web::Path<String>,
    http: HttpRequest,
) -> Result<HttpResponse, RestError> {
    let api = api_version(&version)?.number();
    let params = qsh::parse_query(http.query_string());
    let since = match single_param(&params, "since") {
        Some(raw) => raw.parse::<i64>().map_err(|_| {
            RestError::bad_request(format!("The value '{raw}' is not valid for since."))
        })?,
        None => 0,
    };
    let ctx = ctx.into_inner();
    let page = web::block(move || {
        let site = ctx.site();
        let cutoff = ctx.shared.clock.now_unix_ms() - 60_000;
        let mut changed: Vec<(i64, u64)> = Vec::new();
        for index in 0..site.dataset.len() {
            let core = site.dataset.core(index);
            let Some(id) = site.dataset.issue_id(index) else {
                continue;
            };
            if visible_issue(site, user.user, &id).is_none() {
                continue;
            }
            changed.extend(
                site.dataset
                    .worklogs(&core)
                    .iter()
                    .filter(|w| w.visible_to(user.user) && w.updated > since && w.updated < cutoff)
                    .map(|w| (w.updated, w.id)),
            );
        }
        changed.sort_unstable();
        let mut end = changed.len().min(MAX_LIST);
        if end < changed.len() {
            // Never split one millisecond: back off to its start, or take it whole.
            let boundary = changed[end].0;
            let first = changed[..end].partition_point(|(at, _)| *at < boundary);
            end = if first > 0 {
                first
            } else {
                changed.partition_point(|(at, _)| *at <= boundary)
            };
        }
        let last_page = end >= changed.len();
        let base = format!("{}/rest/api/{api}/worklog/updated", site.info.base_url);
        let mut page = Map::new();
        page.insert(
            "values".into(),
            Value::Array(
                changed[..end]
                    .iter()
                    .map(|(at, id)| json!({"worklogId": id, "updatedTime": at, "properties": []}))
                    .collect(),
            ),
        );
        page.insert("since".into(), json!(since));
        let until = changed[..end].last().map_or(since, |(at, _)| *at);
        page.insert("until".into(), json!(until));
        page.insert("self".into(), json!(format!("{base}?since={since}")));
        if !last_page {
            page.insert("nextPage".into(), json!(format!("{base}?since={until}")));
        }
        page.insert("lastPage".into(), json!(last_page));
        Value::Object(page)
    })
    .await
    .map_err(|_| RestError::internal())?;
    Ok(HttpResponse::Ok().json(page))
}

/// `WorklogIdsRequestBean`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdsBody {
    ids: Vec<i64>,
}

pub(crate) async fn list(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    version: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, RestError> {
    let api = api_version(&version)?.number();
    let body: IdsBody = parse_body(&body)?;
    if body.ids.is_empty() || body.ids.len() > MAX_LIST {
        return Err(RestError::bad_request(format!(
            "Between 1 and {MAX_LIST} worklog IDs must be given."
        )));
    }
    let site = ctx.site();
    let mut ids: Vec<u64> = body
        .ids
        .iter()
        .filter_map(|&id| u64::try_from(id).ok()?.checked_sub(10_000))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut found = Vec::new();
    let mut current: Option<(usize, Vec<Worklog>)> = None;
    for raw in ids {
        let index = (raw / 4096) as usize;
        let Some(id) = site.dataset.issue_id(index) else {
            continue;
        };
        if visible_issue(site, user.user, &id).is_none() {
            continue;
        }
        let core = site.dataset.core(index);
        if current.as_ref().is_none_or(|(at, _)| *at != index) {
            current = Some((index, site.dataset.worklogs(&core)));
        }
        let Some((_, worklogs)) = &current else {
            continue;
        };
        if let Some(worklog) = worklogs.get((raw % 4096) as usize)
            && worklog.visible_to(user.user)
        {
            found.push(site.dataset.worklog_json(&core, worklog, api));
        }
    }
    Ok(HttpResponse::Ok().json(found))
}
