//! `POST /rest/api/3/issue/bulkfetch`: up to 100 issues by id or key, ascending by id, with
//! `issueErrors` for the ones the caller cannot see.

use std::collections::BTreeSet;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::search::{names, schemas};
use super::{RestError, api_version, parse_body};
use crate::emulator::auth::JiraUser;
use crate::emulator::fields::{DefaultFields, FieldSelection};
use crate::emulator::state::SiteCtx;

const MAX_IDS: usize = 100;

/// `BulkFetchIssueRequestBean` (unknown keys are refused).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct BulkFetchBody {
    issue_ids_or_keys: Vec<String>,
    #[serde(default)]
    fields: Option<Vec<String>>,
    #[serde(default)]
    expand: Option<Vec<String>>,
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
    properties: Option<Vec<String>>,
}

pub(crate) async fn bulkfetch(
    ctx: web::Data<SiteCtx>,
    user: JiraUser,
    version: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, RestError> {
    let version = api_version(&version)?;
    let body: BulkFetchBody = parse_body(&body)?;
    if body.issue_ids_or_keys.is_empty() || body.issue_ids_or_keys.len() > MAX_IDS {
        return Err(RestError::bad_request(format!(
            "The number of issue IDs or keys must be between 1 and {MAX_IDS}."
        )));
    }
    let site = ctx.site();
    let hidden = site
        .info
        .users
        .get(user.user)
        .map(|user| user.hidden_projects.clone())
        .unwrap_or_default();
    let mut found = BTreeSet::new();
    let mut errors: Vec<Value> = Vec::new();
    let mut reported = BTreeSet::new();
    for requested in &body.issue_ids_or_keys {
        let visible = site.dataset.index_of(requested.trim()).filter(|&index| {
            let project = site.dataset.project_key(index);
            !hidden.iter().any(|key| Some(key.as_str()) == project)
        });
        match visible {
            Some(index) => {
                found.insert(index);
            }
            None => {
                if reported.insert(requested.clone()) {
                    errors.push(json!({
                        "id": requested,
                        "errorMessage": "Issue does not exist or you do not have permission to see it.",
                    }));
                }
            }
        }
    }
    let selection = FieldSelection::parse(
        body.fields.as_deref().unwrap_or_default(),
        DefaultFields::Navigable,
    );
    let expand = body.expand.unwrap_or_default();
    let with_names = expand.iter().any(|item| item == "names");
    let with_schema = expand.iter().any(|item| item == "schema");
    let issues: Vec<Value> = found
        .iter()
        .map(|&index| {
            let mut issue = site
                .dataset
                .render(&site.dataset.core(index), &selection, version);
            if let Value::Object(map) = &mut issue {
                if with_names {
                    map.insert("names".into(), names(&selection));
                }
                if with_schema {
                    map.insert("schema".into(), schemas(&selection));
                }
            }
            issue
        })
        .collect();
    ctx.shared.stats.issues_returned(issues.len());
    Ok(HttpResponse::Ok().json(json!({ "issues": issues, "issueErrors": errors })))
}
