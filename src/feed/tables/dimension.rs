//! `Sprints` and `Versions`: the distinct things a data source's issues refer to. They are read
//! in two steps — the references, walking the issues with the export engine (so the same
//! permissions, paging and retries apply), then each sprint from the agile API and each project's
//! versions — and held whole, which their number (sprints and versions, not issues) allows, up
//! to [`MAX_ROWS`]. Held whole, they can be ordered by any column.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt, stream};
use serde_json::Value;
use tokio::sync::mpsc;

use super::read::{ExtraRows, Source};
use super::rows::{sprints, versions};
use crate::feed::columns::CellValue;
use crate::feed::export::{
    BoxFuture, ExportError, ExportEvent, ExportPlan, Materialized, Row, run,
};
use crate::jira::client::{JiraClient, JiraCredentials, JiraError, JiraSite};

/// More distinct sprints or versions than this is not a report any BI tool can use; the export
/// fails visibly rather than holding an unbounded list.
pub const MAX_ROWS: usize = 100_000;
/// Sprints or projects read at the same time in the second step.
const DETAIL_CONCURRENCY: usize = 8;

#[derive(Debug, Clone)]
pub enum Dimension {
    /// By the site's sprint field (`None`: the site has no Jira Software, so no sprints).
    Sprints {
        field: Option<String>,
    },
    Versions,
}

/// A dimension table with its order: `(column, descending)`, then the key.
#[derive(Debug)]
pub struct DimensionTable {
    pub dimension: Dimension,
    pub order_by: Vec<(usize, bool)>,
}

impl Materialized for DimensionTable {
    fn rows<'a>(
        &'a self,
        jira: &'a JiraClient,
        plan: &'a ExportPlan,
    ) -> BoxFuture<'a, Result<Vec<Row>, ExportError>> {
        Box::pin(async move {
            let mut rows = match &self.dimension {
                Dimension::Sprints { field: None } => Vec::new(),
                Dimension::Sprints { field: Some(field) } => {
                    let refs = references(
                        jira,
                        plan,
                        Source::SprintRefs {
                            field: field.clone(),
                        },
                    )
                    .await?;
                    sprint_rows(jira, &plan.site, &plan.creds, refs).await?
                }
                Dimension::Versions => {
                    let refs = references(jira, plan, Source::ProjectRefs).await?;
                    version_rows(jira, &plan.site, &plan.creds, refs).await?
                }
            };
            if rows.len() > MAX_ROWS {
                return Err(too_many());
            }
            rows.sort_by(|a, b| {
                self.order_by
                    .iter()
                    .map(|&(column, descending)| {
                        let order = compare(&a[column], &b[column]);
                        if descending { order.reverse() } else { order }
                    })
                    .find(|order| order.is_ne())
                    .unwrap_or_else(|| compare(&a[0], &b[0]))
            });
            Ok(rows)
        })
    }
}

fn too_many() -> ExportError {
    ExportError::Internal(format!(
        "more than {MAX_ROWS} distinct rows; narrow the data source's issues"
    ))
}

/// The first column of every reference row, each once, with the rest of its first row.
async fn references(
    jira: &JiraClient,
    plan: &ExportPlan,
    source: Source,
) -> Result<BTreeMap<String, Row>, ExportError> {
    let mut walk = plan.clone();
    walk.rows = Arc::new(ExtraRows::new(source, vec![0, 1]));
    walk.materialized = None;
    walk.filter = None;
    walk.start = None;
    walk.skip = 0;
    walk.limit = None;
    let (tx, mut rx) = mpsc::channel(walk.tuning.out_buffer.max(1));
    let reader = jira.clone();
    let task = tokio::spawn(async move { run(&reader, walk, tx).await });
    let mut refs: BTreeMap<String, Row> = BTreeMap::new();
    let mut failure = None;
    while let Some(event) = rx.recv().await {
        match event {
            ExportEvent::Rows(rows) => {
                for row in rows {
                    let Some(key) = row.first().map(CellValue::to_text) else {
                        continue;
                    };
                    refs.entry(key).or_insert(row);
                }
                if refs.len() > MAX_ROWS {
                    failure = Some(too_many());
                    break;
                }
            }
            ExportEvent::End(_) => break,
            ExportEvent::Failed(err) => {
                failure = Some(err);
                break;
            }
        }
    }
    drop(rx);
    let _ = task.await;
    match failure {
        Some(err) => Err(err),
        None => Ok(refs),
    }
}

/// Each referred sprint from `GET /rest/agile/1.0/sprint/{id}`; one the agile API does not show
/// (404: its board is not visible to the owner) is described by the issue field's own object.
async fn sprint_rows(
    jira: &JiraClient,
    site: &JiraSite,
    creds: &JiraCredentials,
    refs: BTreeMap<String, Row>,
) -> Result<Vec<Row>, ExportError> {
    let mut reads = Vec::with_capacity(refs.len());
    for row in refs.into_values() {
        reads.push(sprint_row(jira, site, creds, row));
    }
    let rows: Vec<Option<Row>> = stream::iter(reads)
        .buffer_unordered(DETAIL_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(rows.into_iter().flatten().collect())
}

async fn sprint_row(
    jira: &JiraClient,
    site: &JiraSite,
    creds: &JiraCredentials,
    reference: Row,
) -> Result<Option<Row>, JiraError> {
    let (Some(CellValue::Int64(id)), Some(CellValue::String(object))) =
        (reference.first(), reference.get(1))
    else {
        return Ok(None);
    };
    let from_field: Value = serde_json::from_str(object).unwrap_or(Value::Null);
    let sprint = jira.sprint(site, creds, *id).await?.unwrap_or(from_field);
    Ok(sprints::sprint_row(&sprint))
}

/// The versions of every project the issues are in.
async fn version_rows(
    jira: &JiraClient,
    site: &JiraSite,
    creds: &JiraCredentials,
    refs: BTreeMap<String, Row>,
) -> Result<Vec<Row>, ExportError> {
    let mut reads = Vec::with_capacity(refs.len());
    for project in refs.into_keys() {
        reads.push(project_versions(jira, site, creds, project));
    }
    let pages: Vec<Vec<Row>> = stream::iter(reads)
        .buffer_unordered(DETAIL_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(pages.into_iter().flatten().collect())
}

async fn project_versions(
    jira: &JiraClient,
    site: &JiraSite,
    creds: &JiraCredentials,
    project: String,
) -> Result<Vec<Row>, JiraError> {
    let versions = jira
        .project_versions(site, creds, &project)
        .await?
        .unwrap_or_default();
    Ok(versions.iter().filter_map(versions::version_row).collect())
}

/// OData's order: null first, then by value; ids written as digits compare as numbers.
fn compare(a: &CellValue, b: &CellValue) -> Ordering {
    match (a, b) {
        (CellValue::Null, CellValue::Null) => Ordering::Equal,
        (CellValue::Null, _) => Ordering::Less,
        (_, CellValue::Null) => Ordering::Greater,
        (CellValue::String(x), CellValue::String(y)) => {
            match (x.parse::<u64>(), y.parse::<u64>()) {
                (Ok(x), Ok(y)) => x.cmp(&y),
                _ => x.cmp(y),
            }
        }
        (CellValue::Int64(x), CellValue::Int64(y)) => x.cmp(y),
        (CellValue::Double(x), CellValue::Double(y)) => x.total_cmp(y),
        (CellValue::DateTimeOffset(x), CellValue::DateTimeOffset(y)) => x.cmp(y),
        (CellValue::Date(x), CellValue::Date(y)) => x.cmp(y),
        (CellValue::Boolean(x), CellValue::Boolean(y)) => x.cmp(y),
        (x, y) => x.to_text().cmp(&y.to_text()),
    }
}
