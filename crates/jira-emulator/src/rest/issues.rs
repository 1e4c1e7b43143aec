//! `POST /rest/api/3/issue/bulkfetch`: up to 100 issues by id or key, ascending by id.
//!
//! As the spec says of `BulkIssueResults.issueErrors`, issues that do not exist or that the
//! caller may not see are simply left out; `issueErrors` lists only issues Jira could not return
//! *this time* (a retriable error or payload constraint), which the emulator produces on demand
//! through [`FaultConfig::issue_errors_percent`](crate::FaultConfig).

use std::collections::BTreeSet;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::search::{names, schemas};
use super::{RestError, api_version, parse_body};
use crate::auth::JiraUser;
use crate::fields::{DefaultFields, FieldSelection};
use crate::state::SiteCtx;

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
    let faults = ctx.shared.faults.current();
    let mut found = BTreeSet::new();
    let mut failed = BTreeSet::new();
    for requested in &body.issue_ids_or_keys {
        let visible = site.dataset.index_of(requested.trim()).filter(|&index| {
            let project = site.dataset.project_key(index);
            !hidden.iter().any(|key| Some(key.as_str()) == project)
        });
        // Absent or invisible issues are neither returned nor listed as errors.
        let Some(index) = visible else { continue };
        if found.contains(&index) || failed.contains(&index) {
            continue;
        }
        if ctx.shared.faults.issue_error(&faults, ctx.index, index) {
            failed.insert(index);
        } else {
            found.insert(index);
        }
    }
    // Jira names the issue by its id, whichever way it was requested.
    let errors: Vec<Value> = failed
        .iter()
        .map(|&index| {
            json!({
                "id": site.dataset.issue_id(index),
                "errorMessage": "The issue could not be retrieved right now. Try again later \
                                 (injected by the Jira emulator).",
            })
        })
        .collect();
    ctx.shared.stats.issue_errors(errors.len());
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
            let core = site.dataset.core(index);
            let mut issue = site.dataset.render(&core, &selection, version);
            site.dataset
                .restrict_worklog_field(&mut issue, &core, user.user, version.number());
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
