//! How each extra table reads one batch of issues from Jira: `issue/bulkfetch` for the fields it
//! needs, then what the table needs besides, in bulk wherever Jira has a bulk way —
//! `changelog/bulkfetch` for the whole batch (never one call per issue), an issue's own worklog
//! pages only for issues whose payload does not carry all their worklogs, and one more
//! `bulkfetch` of the linked issues to learn which of them the owner may see.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt, stream};
use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::OnceCell;

use super::rows::status_periods::{self, StatusCatalogue};
use super::rows::{bridges, changes, links, sprints, versions, worklogs};
use crate::feed::columns::CellValue;
use crate::feed::export::{BoxFuture, Row, TableRows, issues_by_id};
use crate::jira::client::{JiraClient, JiraCredentials, JiraError, JiraSite};

/// Issues of one batch whose worklogs are paged at the same time.
const WORKLOG_CONCURRENCY: usize = 4;

/// What a table reads per issue.
#[derive(Debug)]
pub enum Source {
    Changes,
    /// `StatusPeriods` (`time: false`) or `TimeInStatus`, as of `now`.
    Periods {
        now: OffsetDateTime,
        time: bool,
    },
    Worklogs,
    IssueSprints {
        field: String,
    },
    /// `fixVersions` or `versions`.
    IssueVersions {
        field: &'static str,
    },
    Links,
    Labels,
    Components,
    Values {
        field: String,
    },
    /// For the `Sprints` table: `[SprintId, the issue field's sprint object as JSON text]`.
    SprintRefs {
        field: String,
    },
    /// For the `Versions` table: `[ProjectId]`.
    ProjectRefs,
}

impl Source {
    /// The issue fields `bulkfetch` must return.
    fn fields(&self) -> Vec<String> {
        let names: Vec<&str> = match self {
            Self::Changes => vec!["created"],
            Self::Periods { .. } => vec!["created", "status"],
            Self::Worklogs => vec!["worklog"],
            Self::IssueSprints { field } | Self::Values { field } | Self::SprintRefs { field } => {
                vec![field.as_str()]
            }
            Self::IssueVersions { field } => vec![field],
            Self::Links => vec!["issuelinks"],
            Self::Labels => vec!["labels"],
            Self::Components => vec!["components"],
            Self::ProjectRefs => vec!["project"],
        };
        names.into_iter().map(str::to_owned).collect()
    }
}

/// An extra table's rows, batch by batch.
#[derive(Debug)]
pub struct ExtraRows {
    source: Source,
    fields: Vec<String>,
    /// Positions of the output columns in a computed row.
    output: Vec<usize>,
    /// `GET /status`, read once per export (time in status only).
    statuses: OnceCell<Arc<StatusCatalogue>>,
}

impl ExtraRows {
    pub fn new(source: Source, output: Vec<usize>) -> Self {
        Self {
            fields: source.fields(),
            source,
            output,
            statuses: OnceCell::new(),
        }
    }

    async fn catalogue(
        &self,
        jira: &JiraClient,
        site: &JiraSite,
        creds: &JiraCredentials,
    ) -> Result<Arc<StatusCatalogue>, JiraError> {
        self.statuses
            .get_or_try_init(|| async {
                let statuses = jira.statuses(site, creds).await?;
                Ok(Arc::new(StatusCatalogue::from_statuses(&statuses)))
            })
            .await
            .cloned()
    }

    async fn read_batch(
        &self,
        jira: &JiraClient,
        site: &JiraSite,
        creds: &JiraCredentials,
        ids: &[String],
    ) -> Result<Vec<Vec<Row>>, JiraError> {
        let mut issues = issues_by_id(jira.bulk_fetch(site, creds, ids, &self.fields).await?);
        // Only issues Jira returned now: deleted or hidden ones contribute no row.
        let present: Vec<String> = ids
            .iter()
            .filter(|id| issues.contains_key(*id))
            .cloned()
            .collect();
        let mut per_issue: HashMap<String, Vec<Row>> = HashMap::with_capacity(present.len());
        match &self.source {
            Source::Changes | Source::Periods { .. } => {
                let only_status = matches!(self.source, Source::Periods { .. });
                let field_ids: Vec<String> = if only_status {
                    vec!["status".to_owned()]
                } else {
                    Vec::new()
                };
                let catalogue = if only_status {
                    Some(self.catalogue(jira, site, creds).await?)
                } else {
                    None
                };
                let mut histories = jira.changelogs(site, creds, &present, &field_ids).await?;
                for id in &present {
                    let issue = &issues[id];
                    let history = histories.remove(id).unwrap_or_default();
                    let rows = match (&self.source, &catalogue) {
                        (Source::Periods { now, time }, Some(catalogue)) => {
                            let periods = status_periods::periods(issue, &history, catalogue, *now);
                            if *time {
                                status_periods::time_rows(&periods)
                            } else {
                                status_periods::period_rows(&periods)
                            }
                        }
                        _ => changes::rows(issue, &history),
                    };
                    per_issue.insert(id.clone(), rows);
                }
            }
            Source::Worklogs => {
                let mut reads = Vec::with_capacity(present.len());
                for id in &present {
                    reads.push(worklog_rows(jira, site, creds, id, &issues[id]));
                }
                let fetched: Vec<(String, Vec<Row>)> = stream::iter(reads)
                    .buffered(WORKLOG_CONCURRENCY)
                    .try_collect()
                    .await?;
                per_issue.extend(fetched);
            }
            Source::Links => {
                let asked: HashSet<&str> = present.iter().map(String::as_str).collect();
                let mut others: Vec<String> = Vec::new();
                for id in &present {
                    for other in links::linked_issue_ids(&issues[id]) {
                        if !asked.contains(other.as_str()) && !others.contains(&other) {
                            others.push(other);
                        }
                    }
                }
                let mut visible: HashSet<String> = present.iter().cloned().collect();
                if !others.is_empty() {
                    let id_only = ["id".to_owned()];
                    let seen = jira.bulk_fetch(site, creds, &others, &id_only).await?;
                    visible.extend(issues_by_id(seen).into_keys());
                }
                for id in &present {
                    let rows = links::rows(&issues[id], |other| visible.contains(other));
                    per_issue.insert(id.clone(), rows);
                }
            }
            other => {
                for id in &present {
                    let issue = &issues[id];
                    let rows = match other {
                        Source::IssueSprints { field } => sprints::issue_sprint_rows(issue, field),
                        Source::IssueVersions { field } => {
                            versions::issue_version_rows(issue, field)
                        }
                        Source::Labels => bridges::label_rows(issue),
                        Source::Components => bridges::component_rows(issue),
                        Source::Values { field } => bridges::value_rows(issue, field),
                        Source::SprintRefs { field } => sprints::issue_sprints(issue, field)
                            .into_iter()
                            .map(|(sprint, object)| {
                                vec![
                                    CellValue::Int64(sprint),
                                    CellValue::String(object.to_string()),
                                ]
                            })
                            .collect(),
                        Source::ProjectRefs => versions::project_id(issue)
                            .map(|project| vec![vec![CellValue::String(project)]])
                            .unwrap_or_default(),
                        Source::Changes
                        | Source::Periods { .. }
                        | Source::Worklogs
                        | Source::Links => Vec::new(),
                    };
                    per_issue.insert(id.clone(), rows);
                }
            }
        }
        issues.clear();
        Ok(ids
            .iter()
            .map(|id| per_issue.remove(id).unwrap_or_default())
            .collect())
    }
}

/// One issue's worklog rows: from its payload when that holds all of them, else from its pages.
async fn worklog_rows(
    jira: &JiraClient,
    site: &JiraSite,
    creds: &JiraCredentials,
    id: &str,
    issue: &Value,
) -> Result<(String, Vec<Row>), JiraError> {
    let embedded = worklogs::embedded(issue);
    let all = if embedded.complete {
        embedded.worklogs
    } else {
        jira.issue_worklogs(site, creds, id).await?
    };
    Ok((id.to_owned(), worklogs::rows(issue, &all)))
}

impl TableRows for ExtraRows {
    fn read<'a>(
        &'a self,
        jira: &'a JiraClient,
        site: &'a JiraSite,
        creds: &'a JiraCredentials,
        ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Vec<Row>>, JiraError>> {
        Box::pin(self.read_batch(jira, site, creds, ids))
    }

    fn output(&self, row: Row) -> Row {
        if self.output.len() == row.len() && self.output.iter().enumerate().all(|(i, &j)| i == j) {
            return row;
        }
        self.output
            .iter()
            .map(|&i| row.get(i).cloned().unwrap_or(CellValue::Null))
            .collect()
    }
}
