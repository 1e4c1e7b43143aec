//! The tables of a data source besides `Issues`: their columns and how their rows come from
//! Jira. Every table has the same-named key columns (`IssueId`, `SprintId`, `VersionId`…), so a
//! BI tool relates them on load. [`rows`] turns Jira's JSON into rows (pure, tested beside it).

pub mod dimension;
pub mod query;
pub mod read;
pub mod rows;

use std::sync::Arc;

use time::OffsetDateTime;

use self::dimension::{Dimension, DimensionTable};
use self::query::Shape;
use self::read::{ExtraRows, Source};
use super::columns::{ColumnSet, EdmType};
use super::error::FeedError;
use super::export::{ExportPlan, IssueRows, JqlVariant, Materialized, Resume, TableRows, Tuning};
use super::filter::Predicate;
use super::query::{FeedOptions, Prepared};
use crate::datasources::domain::ExtraTable;
use crate::datasources::store::DataSource;
use crate::jira::client::{JiraCredentials, JiraField, JiraSite};

/// One column of an extra table; the column lists are fixed, so they are constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableColumn {
    pub name: &'static str,
    pub edm_type: EdmType,
    pub nullable: bool,
    /// Part of the table's entity key.
    pub key: bool,
}

impl TableColumn {
    /// A key column (never null).
    pub const fn key(name: &'static str, edm_type: EdmType) -> Self {
        Self {
            name,
            edm_type,
            nullable: false,
            key: true,
        }
    }

    /// A column that is never null but not part of the key.
    pub const fn required(name: &'static str, edm_type: EdmType) -> Self {
        Self {
            name,
            edm_type,
            nullable: false,
            key: false,
        }
    }

    /// A column that may be null.
    pub const fn optional(name: &'static str, edm_type: EdmType) -> Self {
        Self {
            name,
            edm_type,
            nullable: true,
            key: false,
        }
    }
}

/// A table of a data source as users and connectors see it: its name (the OData entity set, and
/// the last segment of its CSV and JSON URLs) and one line saying what a row is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableInfo {
    pub name: String,
    pub description: &'static str,
    /// Which choice of the data source it comes from (`None`: `Issues`, always there).
    pub choice: Option<ExtraTable>,
}

/// The one table every data source has.
pub const ISSUES: &str = "Issues";
/// What a row of [`ISSUES`] is, for the form and the data source page.
pub const ISSUES_DESCRIPTION: &str = "One row per issue, with the data source's fields.";

/// The tables `data_source` exports, `Issues` first, then the chosen ones in
/// [`ExtraTable::ALL`] order; `FieldValues` stands for one table per multi-value column named
/// in `value_tables` (`Issue<Column>Values`).
pub fn list(data_source: &DataSource, value_tables: &[String]) -> Vec<TableInfo> {
    let mut tables = vec![TableInfo {
        name: ISSUES.to_owned(),
        description: ISSUES_DESCRIPTION,
        choice: None,
    }];
    for &table in data_source.tables.as_slice() {
        if table == ExtraTable::FieldValues {
            tables.extend(value_tables.iter().map(|name| TableInfo {
                name: name.clone(),
                description: table.description(),
                choice: Some(table),
            }));
        } else {
            tables.push(TableInfo {
                name: table.as_str().to_owned(),
                description: table.description(),
                choice: Some(table),
            });
        }
    }
    tables
}

/// Absolute feed URLs of one table; `base_url` without a trailing slash. `Issues` keeps the
/// URLs it had before tables existed (`/csv`, `/json`); the others add their name.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TableUrls {
    pub odata: String,
    pub csv: String,
    pub json: String,
}

impl TableUrls {
    pub fn new(base_url: &str, data_source_id: i64, table: &str) -> Self {
        let root = format!("{}/feed/{data_source_id}", base_url.trim_end_matches('/'));
        if table == ISSUES {
            Self {
                odata: format!("{root}/odata/{ISSUES}"),
                csv: format!("{root}/csv"),
                json: format!("{root}/json"),
            }
        } else {
            Self {
                odata: format!("{root}/odata/{table}"),
                csv: format!("{root}/csv/{table}"),
                json: format!("{root}/json/{table}"),
            }
        }
    }
}

/// Which table a request reads, resolved against the data source and the site's fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableKind {
    Issues,
    Extra(ExtraTable),
    /// The bridge table of one multi-value custom field.
    Values {
        field_id: String,
    },
}

/// The multi-value custom fields among the data source's columns: `(table name, field id)`.
pub fn value_tables(columns: &ColumnSet, site_fields: &[JiraField]) -> Vec<(String, String)> {
    columns
        .columns()
        .iter()
        .filter_map(|column| {
            let id = column.field_id()?;
            let field = site_fields.iter().find(|field| field.id == id)?;
            rows::bridges::is_multi_value(field).then(|| {
                (
                    rows::bridges::value_table_name(column.name()),
                    id.to_owned(),
                )
            })
        })
        .collect()
}

/// The table named `name` of `data_source`, if it exports one by that name.
pub fn resolve(
    data_source: &DataSource,
    columns: &ColumnSet,
    site_fields: &[JiraField],
    name: &str,
) -> Option<TableKind> {
    if name == ISSUES {
        return Some(TableKind::Issues);
    }
    if let Some(table) = ExtraTable::parse(name).filter(|t| *t != ExtraTable::FieldValues) {
        return data_source
            .tables
            .contains(table)
            .then_some(TableKind::Extra(table));
    }
    if !data_source.tables.contains(ExtraTable::FieldValues) {
        return None;
    }
    value_tables(columns, site_fields)
        .into_iter()
        .find(|(table, _)| table == name)
        .map(|(_, field_id)| TableKind::Values { field_id })
}

/// The columns of an extra table (`Issues` has the data source's own, see `ColumnSet`).
pub fn columns_of(kind: &TableKind) -> &'static [TableColumn] {
    use rows::{bridges, changes, links, sprints, status_periods, versions, worklogs};
    match kind {
        TableKind::Issues => &[],
        TableKind::Values { .. } => bridges::VALUE_COLUMNS,
        TableKind::Extra(table) => match table {
            ExtraTable::IssueChanges => changes::COLUMNS,
            ExtraTable::StatusPeriods => status_periods::PERIOD_COLUMNS,
            ExtraTable::TimeInStatus => status_periods::TIME_COLUMNS,
            ExtraTable::Worklogs => worklogs::COLUMNS,
            ExtraTable::Sprints => sprints::SPRINT_COLUMNS,
            ExtraTable::IssueSprints => sprints::ISSUE_SPRINT_COLUMNS,
            ExtraTable::Versions => versions::VERSION_COLUMNS,
            ExtraTable::IssueFixVersions | ExtraTable::IssueAffectedVersions => {
                versions::ISSUE_VERSION_COLUMNS
            }
            ExtraTable::IssueLinks => links::COLUMNS,
            ExtraTable::IssueLabels => bridges::LABEL_COLUMNS,
            ExtraTable::IssueComponents => bridges::COMPONENT_COLUMNS,
            ExtraTable::FieldValues => bridges::VALUE_COLUMNS,
        },
    }
}

fn shape_of(kind: &TableKind) -> Shape {
    match kind {
        TableKind::Extra(ExtraTable::Sprints | ExtraTable::Versions) => Shape::Dimension,
        TableKind::Extra(ExtraTable::IssueChanges) => Shape::PerIssue {
            bounded_by_updated: &["Changed"],
        },
        TableKind::Extra(ExtraTable::StatusPeriods) => Shape::PerIssue {
            bounded_by_updated: &["Entered", "Left"],
        },
        TableKind::Extra(ExtraTable::Worklogs) => Shape::PerIssue {
            bounded_by_updated: &["Created", "Updated"],
        },
        _ => Shape::PerIssue {
            bounded_by_updated: &[],
        },
    }
}

/// A request against any table, ready to become export plans.
#[derive(Clone)]
pub struct PreparedFeed {
    /// The shown columns: name and type.
    pub columns: Vec<(String, EdmType)>,
    pub rows: Arc<dyn TableRows>,
    pub materialized: Option<Arc<dyn Materialized>>,
    pub filter: Option<Arc<Predicate>>,
    pub variants: Vec<JqlVariant>,
}

impl PreparedFeed {
    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|(name, _)| name.as_str()).collect()
    }

    /// The `Issues` request as the engine runs it.
    pub fn issues(prepared: &Prepared) -> Self {
        Self {
            columns: prepared
                .output
                .columns()
                .iter()
                .map(|c| (c.name().to_owned(), c.edm_type()))
                .collect(),
            rows: Arc::new(IssueRows::new(
                Arc::clone(&prepared.computed),
                prepared.output.len(),
            )),
            materialized: None,
            filter: prepared.filter.clone(),
            variants: prepared.variants.clone(),
        }
    }

    /// An extra table's request; `now` is when time in status is measured to, `site_fields`
    /// name the sprint field.
    pub fn extra(
        source_jql: &str,
        kind: &TableKind,
        site_fields: &[JiraField],
        options: &FeedOptions,
        now: OffsetDateTime,
    ) -> Result<Self, FeedError> {
        let columns = columns_of(kind);
        let shape = shape_of(kind);
        let prepared = query::prepare(source_jql, columns, shape, options)?;
        let sprint_field = rows::sprints::sprint_field_id(site_fields);
        let source = match kind {
            TableKind::Values { field_id } => Source::Values {
                field: field_id.clone(),
            },
            TableKind::Issues | TableKind::Extra(ExtraTable::FieldValues) => {
                return Err(FeedError::internal("not an extra table"));
            }
            TableKind::Extra(table) => match table {
                ExtraTable::IssueChanges => Source::Changes,
                ExtraTable::StatusPeriods => Source::Periods { now, time: false },
                ExtraTable::TimeInStatus => Source::Periods { now, time: true },
                ExtraTable::Worklogs => Source::Worklogs,
                // Read by the dimension table; the source here only cuts rows to the output.
                ExtraTable::Sprints | ExtraTable::Versions => Source::ProjectRefs,
                ExtraTable::IssueSprints => match &sprint_field {
                    Some(field) => Source::IssueSprints {
                        field: field.clone(),
                    },
                    // No Jira Software on the site: no sprints, so no rows.
                    None => Source::Labels,
                },
                ExtraTable::IssueFixVersions => Source::IssueVersions {
                    field: rows::versions::FIX_VERSIONS,
                },
                ExtraTable::IssueAffectedVersions => Source::IssueVersions {
                    field: rows::versions::AFFECTED_VERSIONS,
                },
                ExtraTable::IssueLinks => Source::Links,
                ExtraTable::IssueLabels => Source::Labels,
                ExtraTable::IssueComponents => Source::Components,
                ExtraTable::FieldValues => unreachable_table(),
            },
        };
        let no_sprints =
            sprint_field.is_none() && matches!(kind, TableKind::Extra(ExtraTable::IssueSprints));
        let materialized: Option<Arc<dyn Materialized>> = match kind {
            TableKind::Extra(ExtraTable::Sprints) => Some(Arc::new(DimensionTable {
                dimension: Dimension::Sprints {
                    field: sprint_field.clone(),
                },
                order_by: prepared.order_by.clone(),
            })),
            TableKind::Extra(ExtraTable::Versions) => Some(Arc::new(DimensionTable {
                dimension: Dimension::Versions,
                order_by: prepared.order_by.clone(),
            })),
            _ if no_sprints => Some(Arc::new(DimensionTable {
                dimension: Dimension::Sprints { field: None },
                order_by: Vec::new(),
            })),
            _ => None,
        };
        Ok(Self {
            columns: prepared
                .output
                .iter()
                .map(|&i| (columns[i].name.to_owned(), columns[i].edm_type))
                .collect(),
            rows: Arc::new(ExtraRows::new(source, prepared.output.clone())),
            materialized,
            filter: prepared.filter,
            variants: prepared.variants,
        })
    }

    pub fn plan(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
        start: Option<Resume>,
        skip: u64,
        limit: Option<u64>,
        tuning: Tuning,
    ) -> ExportPlan {
        ExportPlan {
            site: site.clone(),
            creds: creds.clone(),
            variants: self.variants.clone(),
            rows: Arc::clone(&self.rows),
            materialized: self.materialized.clone(),
            filter: self.filter.clone(),
            start,
            skip,
            limit,
            tuning,
        }
    }
}

fn unreachable_table() -> Source {
    // `FieldValues` is resolved to `TableKind::Values` before preparing; as a source it reads
    // nothing.
    Source::Labels
}
