//! Bridge tables for multi-value fields, so a BI tool filters and counts by value instead of
//! parsing the joined text of `Issues`: `IssueLabels`, `IssueComponents`, and one
//! `Issue<Column>Values` table per selected multi-value custom field (option, user, group,
//! version pickers and string lists such as custom labels). Each value appears once per issue;
//! `ValueId` is the value's stable identity (option id, accountId, group id, or the group's name
//! where Jira gives no id, version id, or the text itself for strings) and `Value` its text.

use std::collections::HashSet;

use serde_json::Value;

use super::{ISSUE_ID, ISSUE_KEY, field, id_of, issue_ident, string, text};
use crate::feed::columns::{CellValue, EdmType, SPRINT_SCHEMAS};
use crate::feed::export::Row;
use crate::feed::tables::column::TableColumn;
use crate::jira::client::JiraField;

pub const LABEL_COLUMNS: &[TableColumn] = &[
    ISSUE_ID,
    ISSUE_KEY,
    TableColumn::key("Label", EdmType::String),
];

pub const COMPONENT_COLUMNS: &[TableColumn] = &[
    ISSUE_ID,
    ISSUE_KEY,
    TableColumn::key("ComponentId", EdmType::String),
    TableColumn::optional("Component", EdmType::String),
];

pub const VALUE_COLUMNS: &[TableColumn] = &[
    ISSUE_ID,
    ISSUE_KEY,
    TableColumn::key("ValueId", EdmType::String),
    TableColumn::optional("Value", EdmType::String),
];

/// OData identifiers are at most 128 characters.
const MAX_NAME_LEN: usize = 128;

/// A custom field whose value is a list of options, users, groups, versions or strings (and not
/// the sprint field, which has its own tables).
pub fn is_multi_value(field: &JiraField) -> bool {
    let Some(schema) = field.schema.as_ref() else {
        return false;
    };
    field.custom
        && schema.field_type == "array"
        && matches!(
            schema.items.as_deref(),
            Some("option" | "user" | "group" | "version" | "string")
        )
        && !schema
            .custom
            .as_deref()
            .is_some_and(|custom| SPRINT_SCHEMAS.contains(&custom))
}

/// The table of a multi-value field given its `Issues` column name: `Team` → `IssueTeamValues`
/// (the column name is cut so the table name stays a valid identifier).
pub fn value_table_name(column: &str) -> String {
    let room = MAX_NAME_LEN - "Issue".len() - "Values".len();
    let column: String = column.chars().take(room).collect();
    format!("Issue{column}Values")
}

/// `(id, text)` pairs as rows of one issue, each id once.
fn bridge_rows(issue: &Value, pairs: impl Iterator<Item = (String, CellValue)>) -> Vec<Row> {
    let Some((issue_id, issue_key)) = issue_ident(issue) else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    pairs
        .filter(|(id, _)| seen.insert(id.clone()))
        .map(|(id, value)| {
            vec![
                CellValue::String(issue_id.clone()),
                CellValue::String(issue_key.clone()),
                CellValue::String(id),
                value,
            ]
        })
        .collect()
}

fn array<'a>(issue: &'a Value, name: &str) -> &'a [Value] {
    field(issue, name)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// `IssueLabels`: one row per label (labels are their own identity).
pub fn label_rows(issue: &Value) -> Vec<Row> {
    let Some((issue_id, issue_key)) = issue_ident(issue) else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    array(issue, "labels")
        .iter()
        .filter_map(|label| string(Some(label)))
        .filter(|label| seen.insert(label.clone()))
        .map(|label| {
            vec![
                CellValue::String(issue_id.clone()),
                CellValue::String(issue_key.clone()),
                CellValue::String(label),
            ]
        })
        .collect()
}

/// `IssueComponents`: one row per component, by id.
pub fn component_rows(issue: &Value) -> Vec<Row> {
    let components = array(issue, "components")
        .iter()
        .filter_map(|component| Some((id_of(component.get("id"))?, text(component.get("name")))));
    bridge_rows(issue, components)
}

/// `Issue<Column>Values`: one row per value of the custom field `field_id`.
pub fn value_rows(issue: &Value, field_id: &str) -> Vec<Row> {
    bridge_rows(issue, array(issue, field_id).iter().filter_map(value_pair))
}

/// The identity and text of one value of a multi-value field.
fn value_pair(value: &Value) -> Option<(String, CellValue)> {
    let get = |key: &str| value.get(key);
    match value {
        Value::String(text) if !text.is_empty() => {
            Some((text.clone(), CellValue::String(text.clone())))
        }
        Value::Number(number) => Some((number.to_string(), CellValue::String(number.to_string()))),
        Value::Object(map) if map.contains_key("accountId") => {
            Some((id_of(get("accountId"))?, text(get("displayName"))))
        }
        Value::Object(map) if map.contains_key("value") => {
            Some((id_of(get("id"))?, text(get("value"))))
        }
        Value::Object(map) if map.contains_key("groupId") => {
            Some((id_of(get("groupId"))?, text(get("name"))))
        }
        Value::Object(map) if map.contains_key("id") => {
            Some((id_of(get("id"))?, text(get("name"))))
        }
        // A group from before group ids: its name is its identity.
        Value::Object(_) => {
            let name = string(get("name"))?;
            Some((name.clone(), CellValue::String(name)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::tables::rows::test_support::{assert_rows_fit, s};
    use serde_json::json;

    fn jira_field(custom: bool, kind: &str, items: Option<&str>, type_id: &str) -> JiraField {
        serde_json::from_value(json!({
            "id": "customfield_10050", "name": "Team", "custom": custom,
            "schema": {"type": kind, "items": items, "custom": type_id, "customId": 10050}
        }))
        .expect("a field")
    }

    #[test]
    fn multi_value_fields_are_custom_arrays_of_pickable_things_but_not_sprints() {
        let picker = "com.atlassian.jira.plugin.system.customfieldtypes:multiselect";
        for items in ["option", "user", "group", "version", "string"] {
            assert!(
                is_multi_value(&jira_field(true, "array", Some(items), picker)),
                "{items}"
            );
        }
        assert!(!is_multi_value(&jira_field(
            true,
            "array",
            Some("json"),
            picker
        )));
        assert!(!is_multi_value(&jira_field(true, "option", None, picker)));
        assert!(!is_multi_value(&jira_field(
            false,
            "array",
            Some("string"),
            picker
        )));
        let sprint = "com.pyxis.greenhopper.jira:gh-sprint";
        assert!(!is_multi_value(&jira_field(
            true,
            "array",
            Some("string"),
            sprint
        )));
        let no_schema: JiraField =
            serde_json::from_value(json!({"id": "x", "custom": true})).expect("a field");
        assert!(!is_multi_value(&no_schema));
    }

    #[test]
    fn value_tables_are_named_after_their_column() {
        assert_eq!(value_table_name("Team"), "IssueTeamValues");
        assert_eq!(
            value_table_name("Team_customfield_10035"),
            "IssueTeam_customfield_10035Values"
        );
        let long = "A".repeat(200);
        assert_eq!(value_table_name(&long).len(), 128);
    }

    #[test]
    fn labels_and_components_are_one_row_per_value() {
        let issue = json!({"id": "10002", "key": "ED-2", "fields": {
            "labels": ["backend", "urgent", "backend", "", 7],
            "components": [
                {"id": "10000", "name": "Component 1", "self": "https://your-domain.atlassian.net/rest/api/3/component/10000"},
                {"id": "10001", "name": "Component 2"},
                {"name": "no id"},
                {"id": "10000", "name": "Component 1"}
            ]
        }});

        let labels = label_rows(&issue);
        assert_rows_fit(LABEL_COLUMNS, &labels);
        assert_eq!(
            labels,
            [
                vec![s("10002"), s("ED-2"), s("backend")],
                vec![s("10002"), s("ED-2"), s("urgent")]
            ]
        );
        let components = component_rows(&issue);
        assert_rows_fit(COMPONENT_COLUMNS, &components);
        assert_eq!(
            components,
            [
                vec![s("10002"), s("ED-2"), s("10000"), s("Component 1")],
                vec![s("10002"), s("ED-2"), s("10001"), s("Component 2")]
            ]
        );
    }

    #[test]
    fn each_kind_of_value_has_its_own_identity() {
        let issue = json!({"id": "10002", "key": "ED-2", "fields": {
            "customfield_1": [{"self": "https://x/rest/api/3/customFieldOption/10100", "value": "Red", "id": "10100"},
                              {"value": "Blue", "id": "10101"}, {"value": "no id"}],
            "customfield_2": [{"accountId": "5b10a2844c20165700ede21g", "displayName": "Mia Krystof",
                               "active": true}],
            "customfield_3": [{"name": "jira-developers", "groupId": "276f955c-63d7-42c8-9520-92d01dca0625"},
                              {"name": "legacy-group"}],
            "customfield_4": [{"id": "10000", "name": "New Version 1", "released": true}],
            "customfield_5": ["a, b", "c", "c"],
            "customfield_6": null,
            "customfield_7": "not a list"
        }});

        let ids = |field: &str| -> Vec<(CellValue, CellValue)> {
            let rows = value_rows(&issue, field);
            assert_rows_fit(VALUE_COLUMNS, &rows);
            rows.into_iter()
                .map(|row| (row[2].clone(), row[3].clone()))
                .collect()
        };
        assert_eq!(
            ids("customfield_1"),
            [(s("10100"), s("Red")), (s("10101"), s("Blue"))]
        );
        assert_eq!(
            ids("customfield_2"),
            [(s("5b10a2844c20165700ede21g"), s("Mia Krystof"))]
        );
        assert_eq!(
            ids("customfield_3"),
            [
                (
                    s("276f955c-63d7-42c8-9520-92d01dca0625"),
                    s("jira-developers")
                ),
                (s("legacy-group"), s("legacy-group"))
            ]
        );
        assert_eq!(ids("customfield_4"), [(s("10000"), s("New Version 1"))]);
        assert_eq!(
            ids("customfield_5"),
            [(s("a, b"), s("a, b")), (s("c"), s("c"))]
        );
        assert!(ids("customfield_6").is_empty());
        assert!(ids("customfield_7").is_empty());
        assert!(ids("customfield_404").is_empty());
    }
}
