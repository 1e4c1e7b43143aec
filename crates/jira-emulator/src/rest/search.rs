//! Enhanced JQL search (`/search/jql`, token paging), `approximate-count`, and the removed
//! `/search` endpoint that answers 410 Gone like Jira Cloud does since 2025.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::qsh;

use super::{RestError, api_version, list_param, parse_body, single_param};
use crate::auth::JiraUser;
use crate::dataset::ApiVersion;
use crate::fields::{DefaultFields, FIELDS, FieldSelection};
use crate::jql::Query;
use crate::jql_eval::{Viewer, compile};
use crate::search::PageToken;
use crate::state::SiteCtx;

/// Largest page when only ids/keys are requested, and when real fields are.
const MAX_IDS_PAGE: i64 = 5000;
const MAX_FIELDS_PAGE: i64 = 100;

/// `SearchAndReconcileRequestBean` (unknown keys are refused).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SearchBody {
    #[serde(default)]
    jql: Option<String>,
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    max_results: Option<i64>,
    #[serde(default)]
    fields: Option<Vec<String>>,
    #[serde(default)]
    expand: Option<String>,
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "accepted like Jira does, but the emulator ignores it"
    )]
    properties: Option<Vec<String>>,
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "accepted like Jira does, but the emulator ignores it"
    )]
    fields_by_keys: Option<bool>,
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "accepted like Jira does, but the emulator ignores it"
    )]
    reconcile_issues: Option<Vec<i64>>,
}

#[derive(Debug)]
struct SearchRequest {
    jql: String,
    next_page_token: Option<String>,
    max_results: Option<i64>,
    fields: Vec<String>,
    expand: Vec<String>,
}

pub(crate) async fn search_post(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    version: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, RestError> {
    let version = api_version(&version)?;
    let body: SearchBody = parse_body(&body)?;
    let request = SearchRequest {
        jql: body.jql.unwrap_or_default(),
        next_page_token: body.next_page_token.filter(|token| !token.is_empty()),
        max_results: body.max_results,
        fields: body.fields.unwrap_or_default(),
        expand: split_expand(body.expand.as_deref().unwrap_or_default()),
    };
    run(ctx, user, request, version).await
}

pub(crate) async fn search_get(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    version: web::Path<String>,
    http: HttpRequest,
) -> Result<HttpResponse, RestError> {
    let version = api_version(&version)?;
    let params = qsh::parse_query(http.query_string());
    let max_results = match single_param(&params, "maxResults") {
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| {
            RestError::bad_request(format!("The value '{raw}' is not valid for maxResults."))
        })?),
        None => None,
    };
    let request = SearchRequest {
        jql: single_param(&params, "jql").unwrap_or_default().to_owned(),
        next_page_token: single_param(&params, "nextPageToken")
            .filter(|token| !token.is_empty())
            .map(str::to_owned),
        max_results,
        fields: list_param(&params, "fields"),
        expand: list_param(&params, "expand"),
    };
    run(ctx, user, request, version).await
}

async fn run(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    request: SearchRequest,
    version: ApiVersion,
) -> Result<HttpResponse, RestError> {
    let ctx = ctx.into_inner();
    let body = web::block(move || search_page(&ctx, user, &request, version))
        .await
        .map_err(|_| RestError::internal())??;
    Ok(HttpResponse::Ok().json(body))
}

/// One page of results (runs on a blocking thread: the first page scans the data set).
fn search_page(
    ctx: &SiteCtx,
    user: JiraUser,
    request: &SearchRequest,
    version: ApiVersion,
) -> Result<Value, RestError> {
    let site = ctx.site();
    let viewer = site
        .info
        .users
        .get(user.user)
        .map(Viewer::from)
        .ok_or_else(RestError::internal)?;
    let selection = FieldSelection::parse(&request.fields, DefaultFields::IdOnly);
    let cap = if selection.ids_and_keys_only() {
        MAX_IDS_PAGE
    } else {
        MAX_FIELDS_PAGE
    };
    let page_size = request.max_results.unwrap_or(50).clamp(1, cap) as usize;
    let (snapshot, results, offset) = match &request.next_page_token {
        Some(token) => {
            let invalid =
                || RestError::bad_request("The provided next page token is invalid or expired.");
            let token = PageToken::decode(token).ok_or_else(invalid)?;
            let jql = Some(request.jql.as_str()).filter(|jql| !jql.trim().is_empty());
            let results = site
                .searches()
                .find(token.snapshot, &viewer.account_id, jql)
                .ok_or_else(invalid)?;
            (token.snapshot, results, token.offset)
        }
        None => {
            let now_ms = ctx.shared.clock.now_unix_ms();
            let query = Query::parse_bounded(&request.jql)?;
            let compiled = compile(&query, &site.dataset, &viewer, now_ms)?;
            let results: Arc<Vec<u32>> = Arc::new(
                compiled
                    .run(&site.dataset)
                    .into_iter()
                    .filter_map(|index| u32::try_from(index).ok())
                    .collect(),
            );
            let snapshot =
                site.searches()
                    .insert(&viewer.account_id, &request.jql, Arc::clone(&results));
            (snapshot, results, 0)
        }
    };
    let start = offset.min(results.len());
    let end = start.saturating_add(page_size).min(results.len());
    let issues: Vec<Value> = results[start..end]
        .iter()
        .map(|&index| {
            let core = site.dataset.core(index as usize);
            let mut issue = site.dataset.render(&core, &selection, version);
            site.dataset
                .restrict_worklog_field(&mut issue, &core, user.user, version.number());
            issue
        })
        .collect();
    ctx.shared.stats.issues_returned(issues.len());
    let mut body = Map::new();
    body.insert("issues".into(), Value::Array(issues));
    if end < results.len() {
        body.insert(
            "nextPageToken".into(),
            json!(
                PageToken {
                    snapshot,
                    offset: end
                }
                .encode()
            ),
        );
    }
    body.insert("isLast".into(), json!(end >= results.len()));
    if request.expand.iter().any(|item| item == "names") {
        body.insert("names".into(), names(&selection));
    }
    if request.expand.iter().any(|item| item == "schema") {
        body.insert("schema".into(), schemas(&selection));
    }
    Ok(Value::Object(body))
}

/// `expand=names`: field id → display name, for the returned fields.
pub(crate) fn names(selection: &FieldSelection) -> Value {
    Value::Object(
        selection
            .field_indices()
            .iter()
            .filter(|&&index| FIELDS[index].id != "issuekey")
            .map(|&index| (FIELDS[index].id.to_owned(), json!(FIELDS[index].name)))
            .collect(),
    )
}

/// `expand=schema`: field id → `JsonTypeBean`, for the returned fields that have one.
pub(crate) fn schemas(selection: &FieldSelection) -> Value {
    Value::Object(
        selection
            .field_indices()
            .iter()
            .filter_map(|&index| Some((FIELDS[index].id.to_owned(), FIELDS[index].schema_json()?)))
            .collect(),
    )
}

pub(crate) fn split_expand(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `JQLCountRequestBean`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CountBody {
    #[serde(default)]
    jql: Option<String>,
}

pub(crate) async fn approximate_count(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    version: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, RestError> {
    api_version(&version)?;
    let body: CountBody = parse_body(&body)?;
    let ctx = ctx.into_inner();
    let count = web::block(move || -> Result<usize, RestError> {
        let site = ctx.site();
        let viewer = site
            .info
            .users
            .get(user.user)
            .map(Viewer::from)
            .ok_or_else(RestError::internal)?;
        let now_ms = ctx.shared.clock.now_unix_ms();
        let query = Query::parse_bounded(body.jql.as_deref().unwrap_or_default())?;
        Ok(compile(&query, &site.dataset, &viewer, now_ms)?.count(&site.dataset))
    })
    .await
    .map_err(|_| RestError::internal())??;
    Ok(HttpResponse::Ok().json(json!({ "count": count })))
}

/// The pre-2025 search endpoints, which Jira Cloud now answers with 410 Gone.
pub(crate) async fn removed(_user: JiraUser) -> HttpResponse {
    HttpResponse::Gone().json(json!({
        "errorMessages": ["The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"],
        "errors": {}
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::clock::Clock;
    use crate::config::{DatasetConfig, FaultConfig};
    use crate::dataset::Dataset;
    use crate::directory;
    use crate::faults::FaultState;
    use crate::state::{Shared, SiteRuntime};
    use crate::stats::StatsCounters;

    fn site_ctx(issues: usize) -> SiteCtx {
        let info = directory::site(0, "http://127.0.0.1:9001");
        let people = directory::people(0, &info);
        let dataset = Dataset::new(
            &DatasetConfig { issues, seed: 3 },
            0,
            &info.base_url,
            people,
        );
        SiteCtx {
            shared: Arc::new(Shared {
                sites: vec![SiteRuntime::new(info, dataset)],
                faults: FaultState::new(FaultConfig::default()),
                stats: StatsCounters::default(),
                app_url: std::sync::RwLock::new("http://127.0.0.1:8080".to_owned()),
                clock: Clock::system(),
                http: reqwest::Client::new(),
            }),
            index: 0,
        }
    }

    fn request(
        jql: &str,
        max_results: i64,
        fields: &[&str],
        token: Option<String>,
    ) -> SearchRequest {
        SearchRequest {
            jql: jql.to_owned(),
            next_page_token: token,
            max_results: Some(max_results),
            fields: fields.iter().map(|field| (*field).to_owned()).collect(),
            expand: Vec::new(),
        }
    }

    #[test]
    fn following_tokens_visits_every_match_once() {
        let ctx = site_ctx(700);
        let user = JiraUser { user: 0 };
        let jql = "project != DATA ORDER BY updated DESC";
        let mut token = None;
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = search_page(
                &ctx,
                user,
                &request(jql, 33, &["key"], token.clone()),
                ApiVersion::V3,
            )
            .expect("a page");
            pages += 1;
            let issues = page["issues"].as_array().expect("issues");
            assert!(issues.len() <= 33);
            seen.extend(
                issues
                    .iter()
                    .map(|issue| issue["key"].as_str().expect("key").to_owned()),
            );
            token = page["nextPageToken"].as_str().map(str::to_owned);
            if token.is_none() {
                assert_eq!(page["isLast"], json!(true));
                break;
            }
        }
        let dataset = &ctx.site().dataset;
        let expected = (0..dataset.len())
            .filter(|&index| dataset.project_key(index) != Some("DATA"))
            .count();
        assert_eq!(seen.len(), expected);
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), expected);
        assert_eq!(pages, expected.div_ceil(33));
    }

    #[test]
    fn tokens_belong_to_their_user_and_page_sizes_are_capped() {
        let ctx = site_ctx(300);
        let alice = JiraUser { user: 0 };
        let bob = JiraUser { user: 1 };
        let first = search_page(
            &ctx,
            alice,
            &request("project = ALPHA", 10, &[], None),
            ApiVersion::V3,
        )
        .expect("a page");
        let token = first["nextPageToken"].as_str().map(str::to_owned);
        assert!(token.is_some());
        assert!(
            search_page(
                &ctx,
                bob,
                &request("project = ALPHA", 10, &[], token),
                ApiVersion::V3
            )
            .is_err()
        );
        assert!(
            search_page(
                &ctx,
                alice,
                &request("", 10, &[], Some("garbage".to_owned())),
                ApiVersion::V3
            )
            .is_err()
        );

        let big = search_page(
            &ctx,
            alice,
            &request("project in (ALPHA, BETA)", 1000, &["summary"], None),
            ApiVersion::V3,
        )
        .expect("a page");
        assert_eq!(big["issues"].as_array().map(Vec::len), Some(100));
    }
}
