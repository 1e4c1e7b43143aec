//! Which tables a data source has, what they are called and where their feeds are: the one
//! catalogue the feeds, `$metadata`, the data source page and the API all read.

use super::column::TableColumn;
use super::query::Shape;
use super::rows;
use crate::datasources::domain::ExtraTable;
use crate::datasources::store::DataSource;
use crate::feed::columns::ColumnSet;
use crate::jira::client::JiraField;

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

pub fn shape_of(kind: &TableKind) -> Shape {
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
