//! `Versions` (project versions from `GET /rest/api/3/project/{id}/versions`) and the bridges
//! `IssueFixVersions` / `IssueAffectedVersions` (the issue's `fixVersions` and `versions`).
//! Dates are calendar dates: the spec types them `yyyy-MM-dd`, while its own example sends
//! epoch milliseconds; both are read (see `rows::date_cell`).

use std::collections::HashSet;

use serde_json::Value;

use super::{ISSUE_ID, ISSUE_KEY, boolean, date_cell, field, id_of, issue_ident, text};
use crate::feed::columns::{CellValue, EdmType};
use crate::feed::export::Row;
use crate::feed::tables::column::TableColumn;

pub const VERSION_ID: TableColumn = TableColumn::key("VersionId", EdmType::String);

pub const VERSION_COLUMNS: &[TableColumn] = &[
    VERSION_ID,
    TableColumn::optional("ProjectId", EdmType::String),
    TableColumn::optional("Name", EdmType::String),
    TableColumn::optional("Description", EdmType::String),
    TableColumn::optional("Released", EdmType::Boolean),
    TableColumn::optional("Archived", EdmType::Boolean),
    TableColumn::optional("StartDate", EdmType::Date),
    TableColumn::optional("ReleaseDate", EdmType::Date),
    TableColumn::optional("Overdue", EdmType::Boolean),
];

/// The columns of both `IssueFixVersions` and `IssueAffectedVersions`.
pub const ISSUE_VERSION_COLUMNS: &[TableColumn] = &[
    ISSUE_ID,
    ISSUE_KEY,
    VERSION_ID,
    TableColumn::optional("Version", EdmType::String),
];

/// The issue field of `IssueFixVersions`.
pub const FIX_VERSIONS: &str = "fixVersions";
/// The issue field of `IssueAffectedVersions`.
pub const AFFECTED_VERSIONS: &str = "versions";

/// A `Versions` row; `None` without an id.
pub fn version_row(version: &Value) -> Option<Row> {
    let id = id_of(version.get("id"))?;
    Some(vec![
        CellValue::String(id),
        id_of(version.get("projectId")).map_or(CellValue::Null, CellValue::String),
        text(version.get("name")),
        text(version.get("description")),
        boolean(version.get("released")),
        boolean(version.get("archived")),
        date_cell(version.get("startDate")),
        date_cell(version.get("releaseDate")),
        boolean(version.get("overdue")),
    ])
}

/// The issue's versions in `field` ([`FIX_VERSIONS`] or [`AFFECTED_VERSIONS`]), each id once.
pub fn issue_version_rows(issue: &Value, field_name: &str) -> Vec<Row> {
    let Some((issue_id, issue_key)) = issue_ident(issue) else {
        return Vec::new();
    };
    let versions = field(issue, field_name)
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut seen = HashSet::new();
    versions
        .iter()
        .filter_map(|version| Some((id_of(version.get("id"))?, version)))
        .filter(|(id, _)| seen.insert(id.clone()))
        .map(|(id, version)| {
            vec![
                CellValue::String(issue_id.clone()),
                CellValue::String(issue_key.clone()),
                CellValue::String(id),
                text(version.get("name")),
            ]
        })
        .collect()
}

/// The id of the issue's project (whose versions the `Versions` table lists).
pub fn project_id(issue: &Value) -> Option<String> {
    id_of(field(issue, "project").and_then(|project| project.get("id")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::tables::rows::test_support::{assert_rows_fit, s};
    use serde_json::json;
    use time::macros::date;

    /// The spec's `GET /project/{id}/versions` example.
    fn versions() -> Vec<Value> {
        vec![
            json!({"archived": false, "description": "An excellent version", "id": "10000",
                   "name": "New Version 1", "overdue": true, "projectId": 10000,
                   "releaseDate": 1_278_385_482_288_i64, "releaseDateSet": true, "released": true,
                   "self": "https://your-domain.atlassian.net/rest/api/3/version/10000",
                   "startDateSet": false, "userReleaseDate": "6/Jul/2010"}),
            json!({"archived": false, "description": "Minor Bugfix version", "id": "10010",
                   "issuesStatusForFixVersion": {"done": 100, "inProgress": 20, "toDo": 10, "unmapped": 0},
                   "name": "Next Version", "overdue": false, "projectId": 10000,
                   "releaseDateSet": false, "released": false, "startDate": "2024-05-01",
                   "self": "https://your-domain.atlassian.net/rest/api/3/version/10010",
                   "startDateSet": false}),
        ]
    }

    #[test]
    fn a_version_is_a_row_with_its_dates_and_flags() {
        let rows: Vec<Row> = versions().iter().filter_map(version_row).collect();

        assert_rows_fit(VERSION_COLUMNS, &rows);
        assert_eq!(
            rows[0],
            vec![
                s("10000"),
                s("10000"),
                s("New Version 1"),
                s("An excellent version"),
                CellValue::Boolean(true),
                CellValue::Boolean(false),
                CellValue::Null,
                CellValue::Date(date!(2010 - 07 - 06)),
                CellValue::Boolean(true),
            ]
        );
        assert_eq!(rows[1][6], CellValue::Date(date!(2024 - 05 - 01)));
        assert_eq!(rows[1][7], CellValue::Null);
        assert_eq!(version_row(&json!({"name": "no id"})), None);
    }

    #[test]
    fn fix_and_affected_versions_are_bridges_of_the_issue() {
        let issue = json!({"id": "10002", "key": "ED-2", "fields": {
            "project": {"id": "10000", "key": "ED", "name": "Editorial"},
            "fixVersions": [
                {"id": "10000", "name": "New Version 1", "released": true},
                {"id": "10010", "name": "Next Version"},
                {"id": "10000", "name": "New Version 1"},
                {"name": "no id"}
            ],
            "versions": [{"id": "10010", "name": "Next Version"}]
        }});

        let fixed = issue_version_rows(&issue, FIX_VERSIONS);
        assert_rows_fit(ISSUE_VERSION_COLUMNS, &fixed);
        assert_eq!(
            fixed,
            [
                vec![s("10002"), s("ED-2"), s("10000"), s("New Version 1")],
                vec![s("10002"), s("ED-2"), s("10010"), s("Next Version")],
            ]
        );
        let affected = issue_version_rows(&issue, AFFECTED_VERSIONS);
        assert_eq!(
            affected,
            [vec![s("10002"), s("ED-2"), s("10010"), s("Next Version")]]
        );
        assert_eq!(project_id(&issue).as_deref(), Some("10000"));
    }

    #[test]
    fn missing_version_fields_give_no_rows() {
        let issue =
            json!({"id": "1", "key": "A-1", "fields": {"fixVersions": null, "versions": "x"}});
        assert!(issue_version_rows(&issue, FIX_VERSIONS).is_empty());
        assert!(issue_version_rows(&issue, AFFECTED_VERSIONS).is_empty());
        assert_eq!(project_id(&issue), None);
    }
}
