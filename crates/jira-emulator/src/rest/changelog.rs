//! Change histories: `POST /rest/api/3/changelog/bulkfetch` (many issues per call, token paging)
//! and `GET /rest/api/3/issue/{issueIdOrKey}/changelog` (one issue, `startAt` paging).
//!
//! Bulk fetch, as the spec describes it: 1–1000 issues, up to 10 `fieldIds`, `maxResults` 1–10000
//! (default 1000), anything else a 400. The page is the next `maxResults` histories of all the
//! requested issues "sorted by changelog date and issue IDs, starting from the oldest changelog
//! and smallest issue ID"; each issue on the page gets one `IssueChangeLog` (in the order of its
//! first history on the page), so an issue with more histories than `maxResults` continues on
//! the next page. With `fieldIds`, histories keep only those items and histories left empty are
//! dropped. Unknown issues and issues the caller may not browse contribute nothing.
//!
//! `nextPageToken` is stateless: the offset plus a MAC (SHA-256 under a per-process key) over the
//! offset, the caller and the request's issues and fields, so a token forged, altered, or sent
//! with a different request is a 400.

use std::sync::OnceLock;

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{RestError, api_version, parse_body, single_param, visible_issue};
use crate::auth::JiraUser;
use crate::crypto::{constant_time_eq, hex, random_token, sha256};
use crate::dataset::Change;
use crate::qsh;
use crate::state::SiteCtx;

const MAX_ISSUES: usize = 1000;
const MAX_FIELD_IDS: usize = 10;
const DEFAULT_RESULTS: i64 = 1000;
const MAX_RESULTS: i64 = 10_000;
/// `GET /issue/{id}/changelog`: default and largest page.
const ISSUE_PAGE: i64 = 100;

/// `BulkChangelogRequestBean` (unknown keys are refused).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct BulkChangelogBody {
    issue_ids_or_keys: Vec<String>,
    #[serde(default)]
    field_ids: Option<Vec<String>>,
    #[serde(default)]
    max_results: Option<i64>,
    #[serde(default)]
    next_page_token: Option<String>,
}

pub(crate) async fn bulkfetch(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    version: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, RestError> {
    let version = api_version(&version)?;
    let body: BulkChangelogBody = parse_body(&body)?;
    let ctx = ctx.into_inner();
    let page = web::block(move || bulk_page(&ctx, user, &body, version.number()))
        .await
        .map_err(|_| RestError::internal())??;
    Ok(HttpResponse::Ok().json(page))
}

fn bulk_page(
    ctx: &SiteCtx,
    user: JiraUser,
    body: &BulkChangelogBody,
    api: u8,
) -> Result<Value, RestError> {
    if body.issue_ids_or_keys.is_empty() || body.issue_ids_or_keys.len() > MAX_ISSUES {
        return Err(RestError::bad_request(format!(
            "The number of issue IDs or keys must be between 1 and {MAX_ISSUES}."
        )));
    }
    let field_ids = body.field_ids.clone().unwrap_or_default();
    let mut unique = field_ids.clone();
    unique.sort();
    unique.dedup();
    if field_ids.len() > MAX_FIELD_IDS || unique.len() != field_ids.len() {
        return Err(RestError::bad_request(format!(
            "Up to {MAX_FIELD_IDS} distinct field IDs can be given."
        )));
    }
    let max_results = body.max_results.unwrap_or(DEFAULT_RESULTS);
    if !(1..=MAX_RESULTS).contains(&max_results) {
        return Err(RestError::bad_request(format!(
            "maxResults must be between 1 and {MAX_RESULTS}."
        )));
    }
    let site = ctx.site();
    let mut issues: Vec<usize> = body
        .issue_ids_or_keys
        .iter()
        .filter_map(|requested| visible_issue(site, user.user, requested))
        .collect();
    issues.sort_unstable();
    issues.dedup();
    let account = site
        .info
        .users
        .get(user.user)
        .map(|user| user.account_id.as_str())
        .unwrap_or_default();
    let fingerprint = fingerprint(account, &issues, &unique);
    let offset = match body.next_page_token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => decode_token(token, &fingerprint).ok_or_else(|| {
            RestError::bad_request("The provided next page token is invalid or expired.")
        })?,
        None => 0,
    };

    let mut histories: Vec<(usize, Change)> = Vec::new();
    for &index in &issues {
        let core = site.dataset.core(index);
        histories.extend(
            site.dataset
                .history(&core)
                .into_iter()
                .filter(|change| {
                    field_ids.is_empty()
                        || change
                            .items
                            .iter()
                            .any(|item| field_ids.iter().any(|id| id == item.field_id))
                })
                .map(|change| (index, change)),
        );
    }
    histories.sort_by_key(|(index, change)| (change.at, *index, change.id));

    let faults = ctx.shared.faults.current();
    let size = match faults.changelog_page_cap {
        Some(cap) => (max_results as usize).min(cap.max(1) as usize),
        None => max_results as usize,
    };
    let start = offset.min(histories.len());
    let end = start.saturating_add(size).min(histories.len());
    let mut groups: Vec<(usize, Vec<Value>)> = Vec::new();
    for (index, change) in &histories[start..end] {
        let json = site.dataset.change_json(change, api, &field_ids);
        match groups.iter_mut().find(|(issue, _)| issue == index) {
            Some((_, changes)) => changes.push(json),
            None => groups.push((*index, vec![json])),
        }
    }
    let mut page = Map::new();
    page.insert(
        "issueChangeLogs".into(),
        Value::Array(
            groups
                .into_iter()
                .map(|(index, changes)| {
                    json!({"issueId": site.dataset.issue_id(index), "changeHistories": changes})
                })
                .collect(),
        ),
    );
    if end < histories.len() {
        page.insert(
            "nextPageToken".into(),
            json!(encode_token(end, &fingerprint)),
        );
    }
    Ok(Value::Object(page))
}

pub(crate) async fn issue_changelog(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    path: web::Path<(String, String)>,
    http: HttpRequest,
) -> Result<HttpResponse, RestError> {
    let (version, issue) = path.into_inner();
    let api = api_version(&version)?.number();
    let params = qsh::parse_query(http.query_string());
    let number = |name: &str, default: i64| -> Result<i64, RestError> {
        single_param(&params, name).map_or(Ok(default), |raw| {
            raw.parse().map_err(|_| {
                RestError::bad_request(format!("The value '{raw}' is not valid for {name}."))
            })
        })
    };
    let start_at = number("startAt", 0)?.max(0) as usize;
    let max_results = number("maxResults", ISSUE_PAGE)?.clamp(1, ISSUE_PAGE) as usize;
    let site = ctx.site();
    let index = visible_issue(site, user.user, &issue).ok_or_else(|| {
        RestError::not_found("Issue does not exist or you do not have permission to see it.")
    })?;
    let core = site.dataset.core(index);
    let history = site.dataset.history(&core);
    let start = start_at.min(history.len());
    let end = start.saturating_add(max_results).min(history.len());
    let base = format!(
        "{}/rest/api/{api}/issue/{issue}/changelog",
        site.info.base_url
    );
    let mut page = Map::new();
    page.insert(
        "self".into(),
        json!(format!(
            "{base}?maxResults={max_results}&startAt={start_at}"
        )),
    );
    if end < history.len() {
        page.insert(
            "nextPage".into(),
            json!(format!("{base}?maxResults={max_results}&startAt={end}")),
        );
    }
    page.insert("maxResults".into(), json!(max_results));
    page.insert("startAt".into(), json!(start_at));
    page.insert("total".into(), json!(history.len()));
    page.insert("isLast".into(), json!(end >= history.len()));
    page.insert(
        "values".into(),
        Value::Array(
            history[start..end]
                .iter()
                .map(|change| site.dataset.change_json(change, api, &[]))
                .collect(),
        ),
    );
    Ok(HttpResponse::Ok().json(Value::Object(page)))
}

/// What a token is bound to: the caller, the issues they may see among those asked for, and
/// the field filter.
fn fingerprint(account: &str, issues: &[usize], field_ids: &[String]) -> String {
    let issues: Vec<String> = issues.iter().map(usize::to_string).collect();
    format!("{account}|{}|{}", issues.join(","), field_ids.join(","))
}

fn token_key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    // A fixed fallback only if the OS has no randomness; the token is still bound to its request.
    KEY.get_or_init(|| random_token::<32>().unwrap_or_else(|_| "changelog-token-key".to_owned()))
}

fn mac(offset: usize, fingerprint: &str) -> String {
    let digest = sha256(format!("{}|{offset}|{fingerprint}", token_key()).as_bytes());
    hex(&digest[..16])
}

fn encode_token(offset: usize, fingerprint: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("cl1:{offset}:{}", mac(offset, fingerprint)))
}

fn decode_token(token: &str, fingerprint: &str) -> Option<usize> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(token.trim()).ok()?).ok()?;
    let mut parts = raw.split(':');
    if parts.next()? != "cl1" {
        return None;
    }
    let offset: usize = parts.next()?.parse().ok()?;
    let tag = parts.next()?;
    (parts.next().is_none()
        && constant_time_eq(tag.as_bytes(), mac(offset, fingerprint).as_bytes()))
    .then_some(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_their_offset_and_request() {
        let token = encode_token(1000, "alice|1,2|");
        assert_eq!(decode_token(&token, "alice|1,2|"), Some(1000));
        assert_eq!(decode_token(&token, "bob|1,2|"), None);
        assert_eq!(decode_token(&token, "alice|1,2,3|"), None);
        let forged = URL_SAFE_NO_PAD.encode(format!("cl1:2000:{}", mac(1000, "alice|1,2|")));
        assert_eq!(decode_token(&forged, "alice|1,2|"), None);
        assert_eq!(decode_token("garbage", "alice|1,2|"), None);
    }
}
