//! `IssueSprints` (every sprint an issue has been in: the sprint field holds them all, closed
//! ones included) and `Sprints` (one row per sprint). A sprint row accepts both shapes Jira has:
//! the agile API's `GET /rest/agile/1.0/sprint/{id}` (`originBoardId`) and the sprint field's
//! object on an issue (`boardId`). The field's pre-2020 `…Sprint@1a2b[id=1,name=X,…]` text is
//! still read, for old payloads and caches, into the same object.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{ISSUE_ID, ISSUE_KEY, field, instant_cell, integer, issue_ident, text};
use crate::feed::columns::{CellValue, EdmType, SPRINT_SCHEMAS};
use crate::feed::export::Row;
use crate::feed::tables::column::TableColumn;
use crate::jira::client::JiraField;

pub const SPRINT_ID: TableColumn = TableColumn::key("SprintId", EdmType::Int64);

pub const ISSUE_SPRINT_COLUMNS: &[TableColumn] = &[
    ISSUE_ID,
    ISSUE_KEY,
    SPRINT_ID,
    TableColumn::optional("Sprint", EdmType::String),
];

pub const SPRINT_COLUMNS: &[TableColumn] = &[
    SPRINT_ID,
    TableColumn::optional("Name", EdmType::String),
    TableColumn::optional("State", EdmType::String),
    TableColumn::optional("StartDate", EdmType::DateTimeOffset),
    TableColumn::optional("EndDate", EdmType::DateTimeOffset),
    TableColumn::optional("CompleteDate", EdmType::DateTimeOffset),
    TableColumn::optional("Goal", EdmType::String),
    TableColumn::optional("BoardId", EdmType::Int64),
];

/// The site's sprint field, recognised by its type (`gh-sprint`), not its localised name.
pub fn sprint_field_id(fields: &[JiraField]) -> Option<String> {
    fields
        .iter()
        .find(|field| {
            field
                .schema
                .as_ref()
                .and_then(|schema| schema.custom.as_deref())
                .is_some_and(|custom| SPRINT_SCHEMAS.contains(&custom))
        })
        .map(|field| field.id.clone())
}

/// The sprints in the issue's sprint field: each id once, with the field's object (legacy text
/// turned into an object); entries without a numeric id are skipped.
pub fn issue_sprints(issue: &Value, field_id: &str) -> Vec<(i64, Value)> {
    let entries: &[Value] = match field(issue, field_id) {
        Some(Value::Array(entries)) => entries,
        Some(single @ Value::Object(_)) => std::slice::from_ref(single),
        _ => &[],
    };
    let mut seen = HashSet::new();
    entries
        .iter()
        .filter_map(|entry| match entry {
            Value::Object(_) => Some(entry.clone()),
            Value::String(legacy) => parse_legacy(legacy),
            _ => None,
        })
        .filter_map(|sprint| Some((integer(sprint.get("id"))?, sprint)))
        .filter(|(id, _)| seen.insert(*id))
        .collect()
}

/// `IssueSprints` rows of one issue.
pub fn issue_sprint_rows(issue: &Value, field_id: &str) -> Vec<Row> {
    let Some((issue_id, issue_key)) = issue_ident(issue) else {
        return Vec::new();
    };
    issue_sprints(issue, field_id)
        .into_iter()
        .map(|(id, sprint)| {
            vec![
                CellValue::String(issue_id.clone()),
                CellValue::String(issue_key.clone()),
                CellValue::Int64(id),
                text(sprint.get("name")),
            ]
        })
        .collect()
}

/// A `Sprints` row from an agile sprint or a sprint field object; `None` without an id.
pub fn sprint_row(sprint: &Value) -> Option<Row> {
    let id = integer(sprint.get("id"))?;
    let board = integer(sprint.get("originBoardId")).or_else(|| integer(sprint.get("boardId")));
    Some(vec![
        CellValue::Int64(id),
        text(sprint.get("name")),
        text(sprint.get("state")),
        instant_cell(sprint.get("startDate")),
        instant_cell(sprint.get("endDate")),
        instant_cell(sprint.get("completeDate")),
        text(sprint.get("goal")),
        board.map_or(CellValue::Null, CellValue::Int64),
    ])
}

/// `com.atlassian.greenhopper.service.sprint.Sprint@1a2b[id=1,rapidViewId=5,state=CLOSED,
/// name=Sprint 1,…]` as the object Jira sends today. A comma ends a value only when the next
/// `key=` follows, since names and goals may contain commas; `<null>` is null.
fn parse_legacy(text: &str) -> Option<Value> {
    let body = text.get(text.find('[')? + 1..text.rfind(']')?)?;
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for part in body.split(',') {
        match part.split_once('=') {
            Some((key, value))
                if !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                pairs.push((key, value.to_owned()));
            }
            _ => {
                let (_, value) = pairs.last_mut()?;
                value.push(',');
                value.push_str(part);
            }
        }
    }
    let mut sprint = Map::new();
    for (key, value) in pairs {
        if value == "<null>" || value.is_empty() {
            continue;
        }
        let (name, value) = match key {
            "id" => ("id", Value::from(value.parse::<i64>().ok()?)),
            "rapidViewId" => ("boardId", Value::from(value.parse::<i64>().ok()?)),
            "state" => ("state", Value::String(value.to_lowercase())),
            "name" | "goal" | "startDate" | "endDate" | "completeDate" => {
                (key, Value::String(value))
            }
            _ => continue,
        };
        sprint.insert(name.to_owned(), value);
    }
    Some(Value::Object(sprint))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::tables::rows::test_support::{assert_rows_fit, s};
    use serde_json::json;
    use time::macros::datetime;

    fn jira_field(id: &str, custom: &str) -> JiraField {
        serde_json::from_value(json!({
            "id": id, "name": "Sprint", "custom": true,
            "schema": {"type": "array", "items": "json", "custom": custom, "customId": 10020}
        }))
        .expect("a field")
    }

    /// The sprint field's objects, as `jira-agile-api.md` §2 gives them.
    fn issue() -> Value {
        json!({"id": "10002", "key": "ED-2", "fields": {"customfield_10020": [
            {"id": 1, "name": "Sprint 1", "state": "closed", "boardId": 5, "goal": "Sprint Goal",
             "startDate": "2015-04-11T15:22:00.000+10:00", "endDate": "2015-04-20T01:22:00.000+10:00",
             "completeDate": "2015-04-20T11:04:00.000+10:00"},
            {"id": 2, "name": "Sprint 2", "state": "active", "boardId": 5},
            {"id": 1, "name": "Sprint 1", "state": "closed", "boardId": 5},
            {"name": "no id"}
        ]}})
    }

    #[test]
    fn the_sprint_field_is_found_by_its_type() {
        let fields = [
            jira_field(
                "customfield_10001",
                "com.atlassian.jira.plugin.system.customfieldtypes:labels",
            ),
            jira_field("customfield_10020", "com.pyxis.greenhopper.jira:gh-sprint"),
        ];
        assert_eq!(
            sprint_field_id(&fields).as_deref(),
            Some("customfield_10020")
        );
        assert_eq!(sprint_field_id(&fields[..1]), None);
    }

    #[test]
    fn every_sprint_of_the_field_is_a_row_once() {
        let rows = issue_sprint_rows(&issue(), "customfield_10020");

        assert_rows_fit(ISSUE_SPRINT_COLUMNS, &rows);
        assert_eq!(
            rows,
            [
                vec![s("10002"), s("ED-2"), CellValue::Int64(1), s("Sprint 1")],
                vec![s("10002"), s("ED-2"), CellValue::Int64(2), s("Sprint 2")],
            ]
        );
        assert!(issue_sprint_rows(&issue(), "customfield_99999").is_empty());
        assert!(issue_sprint_rows(&json!({"id": "1"}), "customfield_10020").is_empty());
    }

    #[test]
    fn a_sprint_row_reads_the_agile_object_and_the_fields_object_alike() {
        // The spec's `GET /board/{boardId}/sprint` example values.
        let agile = json!({"id": 37, "self": "https://your-domain.atlassian.net/rest/agile/1.0/sprint/23",
            "state": "closed", "name": "sprint 1", "startDate": "2015-04-11T15:22:00.000+10:00",
            "endDate": "2015-04-20T01:22:00.000+10:00", "completeDate": "2015-04-20T11:04:00.000+10:00",
            "originBoardId": 5, "goal": "sprint 1 goal"});
        let row = sprint_row(&agile).expect("a row");
        assert_eq!(
            row,
            vec![
                CellValue::Int64(37),
                s("sprint 1"),
                s("closed"),
                CellValue::DateTimeOffset(datetime!(2015-04-11 05:22 UTC)),
                CellValue::DateTimeOffset(datetime!(2015-04-19 15:22 UTC)),
                CellValue::DateTimeOffset(datetime!(2015-04-20 01:04 UTC)),
                s("sprint 1 goal"),
                CellValue::Int64(5),
            ]
        );

        let (_, from_field) = issue_sprints(&issue(), "customfield_10020").remove(0);
        let row = sprint_row(&from_field).expect("a row");
        assert_eq!(row[7], CellValue::Int64(5));
        assert_eq!(row[6], s("Sprint Goal"));

        let future =
            json!({"id": 72, "state": "future", "name": "sprint 2", "goal": "sprint 2 goal"});
        let rows: Vec<Row> = [agile, future, json!({"name": "x"})]
            .iter()
            .filter_map(sprint_row)
            .collect();
        assert_rows_fit(SPRINT_COLUMNS, &rows);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1][3], CellValue::Null);
        assert_eq!(rows[1][7], CellValue::Null);
    }

    #[test]
    fn the_legacy_text_form_is_read_into_the_same_object() {
        let legacy = "com.atlassian.greenhopper.service.sprint.Sprint@14b1c359[id=3,rapidViewId=7,\
            state=CLOSED,name=Sprint 3, the big one,goal=<null>,startDate=2016-03-07T23:13:09.000Z,\
            endDate=2016-03-21T23:13:00.000Z,completeDate=<null>,sequence=3]";
        let issue =
            json!({"id": "1", "key": "A-1", "fields": {"customfield_10020": [legacy, "junk"]}});

        let sprints = issue_sprints(&issue, "customfield_10020");

        assert_eq!(sprints.len(), 1);
        let (id, sprint) = &sprints[0];
        assert_eq!(*id, 3);
        assert_eq!(
            sprint,
            &json!({"id": 3, "boardId": 7, "state": "closed", "name": "Sprint 3, the big one",
                    "startDate": "2016-03-07T23:13:09.000Z", "endDate": "2016-03-21T23:13:00.000Z"})
        );
        assert_eq!(sprint_row(sprint).expect("a row")[7], CellValue::Int64(7));
        assert_eq!(parse_legacy("Sprint@1[,=]"), None);
        assert_eq!(parse_legacy("no brackets"), None);
    }
}
