//! `IssueChanges`: the full change history, one row per changed item of every change (Jira's
//! `Changelog` with its `ChangeDetails` items, from `POST /rest/api/3/changelog/bulkfetch`).
//! Rows run oldest first (by `created`, then change id numerically), items in Jira's order;
//! `Item` is the item's 1-based position in its change. A change without an id, or without a
//! readable `created` (it has no place in time), is dropped; a change listed twice counts once.

use serde_json::Value;
use time::OffsetDateTime;

use super::{ISSUE_ID, ISSUE_KEY, cell, compare_ids, id_of, instant, issue_ident, text};
use crate::feed::columns::{CellValue, EdmType};
use crate::feed::export::Row;
use crate::feed::tables::column::TableColumn;

pub const COLUMNS: &[TableColumn] = &[
    ISSUE_ID,
    ISSUE_KEY,
    TableColumn::key("ChangeId", EdmType::String),
    TableColumn::key("Item", EdmType::Int64),
    TableColumn::required("Changed", EdmType::DateTimeOffset),
    TableColumn::optional("AuthorAccountId", EdmType::String),
    TableColumn::optional("Author", EdmType::String),
    TableColumn::optional("Field", EdmType::String),
    TableColumn::optional("FieldId", EdmType::String),
    TableColumn::optional("From", EdmType::String),
    TableColumn::optional("FromText", EdmType::String),
    TableColumn::optional("To", EdmType::String),
    TableColumn::optional("ToText", EdmType::String),
];

/// One change history with its id and time, ready to be ordered.
pub(crate) struct Dated<'a> {
    pub id: String,
    pub at: OffsetDateTime,
    pub history: &'a Value,
}

/// The histories that have an id and a time, each id once (the first wins), oldest first, ties
/// broken by id numerically. Shared with `status_periods`, which must read them in this order.
pub(crate) fn ordered(histories: &[Value]) -> Vec<Dated<'_>> {
    let mut seen = std::collections::HashSet::new();
    let mut dated: Vec<Dated<'_>> = histories
        .iter()
        .filter_map(|history| {
            let id = id_of(history.get("id"))?;
            let at = instant(history.get("created"))?;
            Some(Dated { id, at, history })
        })
        .filter(|dated| seen.insert(dated.id.clone()))
        .collect();
    dated.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| compare_ids(&a.id, &b.id)));
    dated
}

/// The items of a history (empty when missing or malformed).
pub(crate) fn items(history: &Value) -> &[Value] {
    history
        .get("items")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The rows of one issue's change histories (`changeHistories` of its `IssueChangeLog`).
pub fn rows(issue: &Value, histories: &[Value]) -> Vec<Row> {
    let Some((issue_id, issue_key)) = issue_ident(issue) else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for Dated { id, at, history } in ordered(histories) {
        let author = history.get("author");
        for (position, item) in (1_i64..).zip(items(history)) {
            rows.push(vec![
                CellValue::String(issue_id.clone()),
                CellValue::String(issue_key.clone()),
                CellValue::String(id.clone()),
                CellValue::Int64(position),
                CellValue::DateTimeOffset(at),
                text(author.and_then(|a| a.get("accountId"))),
                text(author.and_then(|a| a.get("displayName"))),
                text(item.get("field")),
                text(item.get("fieldId")),
                cell(id_of(item.get("from"))),
                text(item.get("fromString")),
                cell(id_of(item.get("to"))),
                text(item.get("toString")),
            ]);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::tables::rows::test_support::{assert_rows_fit, cell, s};
    use serde_json::json;
    use time::macros::datetime;

    fn issue() -> Value {
        json!({"id": "10100", "key": "ED-7", "fields": {}})
    }

    fn author() -> Value {
        json!({
            "accountId": "5b10a2844c20165700ede21g",
            "active": true,
            "displayName": "Mia Krystof",
            "emailAddress": "mia@example.com",
            "timeZone": "Australia/Sydney"
        })
    }

    /// Shapes from the spec's `changelog/bulkfetch` and `Changelog` examples.
    fn histories() -> Vec<Value> {
        vec![
            json!({
                "author": author(),
                "created": "2024-03-02T10:00:00.000+0000",
                "id": "10010",
                "items": [
                    {"field": "status", "fieldId": "status", "fieldtype": "jira",
                     "from": "10000", "fromString": "To Do", "to": "3", "toString": "In Progress"},
                    {"field": "assignee", "fieldId": "assignee", "fieldtype": "jira",
                     "from": null, "fromString": null,
                     "to": "5b10a2844c20165700ede21g", "toString": "Mia Krystof"}
                ]
            }),
            json!({
                "author": author(),
                "created": "2024-03-01T09:00:00.000+0000",
                "id": "10002",
                "items": [{"field": "summary", "fieldId": "summary", "fieldtype": "jira",
                           "fromString": "old summary", "toString": "new summary"}]
            }),
        ]
    }

    #[test]
    fn every_item_of_every_change_is_a_row_oldest_change_first() {
        let rows = rows(&issue(), &histories());

        assert_rows_fit(COLUMNS, &rows);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            vec![
                s("10100"),
                s("ED-7"),
                s("10002"),
                CellValue::Int64(1),
                CellValue::DateTimeOffset(datetime!(2024-03-01 09:00 UTC)),
                s("5b10a2844c20165700ede21g"),
                s("Mia Krystof"),
                s("summary"),
                s("summary"),
                CellValue::Null,
                s("old summary"),
                CellValue::Null,
                s("new summary"),
            ]
        );
        assert_eq!(cell(COLUMNS, &rows[1], "ChangeId"), &s("10010"));
        assert_eq!(cell(COLUMNS, &rows[1], "Item"), &CellValue::Int64(1));
        assert_eq!(cell(COLUMNS, &rows[1], "From"), &s("10000"));
        assert_eq!(cell(COLUMNS, &rows[1], "ToText"), &s("In Progress"));
        assert_eq!(cell(COLUMNS, &rows[2], "Item"), &CellValue::Int64(2));
        assert_eq!(cell(COLUMNS, &rows[2], "FromText"), &CellValue::Null);
        assert_eq!(
            cell(COLUMNS, &rows[2], "To"),
            &s("5b10a2844c20165700ede21g")
        );
    }

    #[test]
    fn changes_at_the_same_instant_are_ordered_by_id_as_a_number() {
        let at = "2024-03-02T10:00:00.000+0000";
        let change = |id: &str| json!({"id": id, "created": at, "items": [{"field": "x"}]});
        let rows = rows(&issue(), &[change("100"), change("99"), change("1000")]);

        let ids: Vec<&CellValue> = rows.iter().map(|r| cell(COLUMNS, r, "ChangeId")).collect();
        assert_eq!(ids, [&s("99"), &s("100"), &s("1000")]);
    }

    #[test]
    fn the_spec_examples_epoch_seconds_are_read_as_instants() {
        let history = json!({"id": "10001", "created": 1_492_070_429, "items": [{"field": "x"}]});
        let rows = rows(&issue(), &[history]);

        assert_eq!(
            cell(COLUMNS, &rows[0], "Changed"),
            &CellValue::DateTimeOffset(datetime!(2017-04-13 08:00:29 UTC))
        );
    }

    #[test]
    fn an_anonymous_change_has_no_author_and_a_repeated_change_counts_once() {
        let history = json!({"id": "7", "created": "2024-01-01T00:00:00Z",
                             "items": [{"field": "Rank", "fieldtype": "custom"}]});
        let rows = rows(&issue(), &[history.clone(), history]);

        assert_rows_fit(COLUMNS, &rows);
        assert_eq!(rows.len(), 1);
        assert_eq!(cell(COLUMNS, &rows[0], "Author"), &CellValue::Null);
        assert_eq!(cell(COLUMNS, &rows[0], "FieldId"), &CellValue::Null);
        assert_eq!(cell(COLUMNS, &rows[0], "Field"), &s("Rank"));
    }

    #[test]
    fn malformed_changes_are_dropped_and_never_panic() {
        let broken = [
            json!({"created": "2024-01-01T00:00:00Z", "items": [{"field": "x"}]}),
            json!({"id": "1", "items": [{"field": "x"}]}),
            json!({"id": "2", "created": "not a date", "items": [{"field": "x"}]}),
            json!({"id": "3", "created": "2024-01-01T00:00:00Z", "items": "nope"}),
            json!({"id": "4", "created": "2024-01-01T00:00:00Z"}),
            json!("a string"),
            json!(null),
        ];
        assert!(rows(&issue(), &broken).is_empty());
        assert!(rows(&json!({"key": "ED-7"}), &histories()).is_empty());
    }

    #[test]
    fn over_a_hundred_changes_are_all_kept() {
        let many: Vec<Value> = (1..=250)
            .map(|n| {
                json!({"id": n.to_string(), "created": 1_700_000_000 + n,
                       "items": [{"field": "summary", "toString": format!("v{n}")}]})
            })
            .rev()
            .collect();
        let rows = rows(&issue(), &many);

        assert_rows_fit(COLUMNS, &rows);
        assert_eq!(rows.len(), 250);
        assert_eq!(cell(COLUMNS, &rows[0], "ChangeId"), &s("1"));
        assert_eq!(cell(COLUMNS, &rows[249], "ToText"), &s("v250"));
    }
}
