//! The tables of a data source besides `Issues`: their columns and how their rows come from
//! Jira. Every table has the same-named key columns (`IssueId`, `SprintId`, `VersionId`…), so a
//! BI tool relates them on load. [`rows`] turns Jira's JSON into rows (pure, tested beside it).

pub mod rows;

use super::columns::EdmType;
use crate::datasources::domain::ExtraTable;
use crate::datasources::store::DataSource;

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
