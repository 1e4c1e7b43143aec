//! Jira's JSON (issues, change histories, worklogs, sprints, versions) turned into the rows of
//! the extra tables. Pure functions, so every rule is unit-tested without Jira.
//!
//! Shared rules: cells follow their table's `COLUMNS` order; ids are Jira's strings (a number
//! where Jira sends one is written as its digits), except `SprintId` (`Int64`, as the agile API
//! has it). Every per-issue table starts with `IssueId` (part of its key: the same sprint,
//! label or link appears on many issues) and `IssueKey` (the issue's current key). Malformed or
//! missing JSON never panics: a row without its id is dropped, a missing optional value is null.

pub mod bridges;
pub mod changes;
pub mod links;
pub mod sprints;
pub mod status_periods;
pub mod versions;
pub mod worklogs;

use std::cmp::Ordering;

use serde_json::Value;
use time::OffsetDateTime;

use crate::feed::columns::{CellValue, EdmType, parse_date, parse_jira_datetime};
use crate::feed::tables::column::TableColumn;

/// The two columns every per-issue table starts with.
pub const ISSUE_ID: TableColumn = TableColumn::key("IssueId", EdmType::String);
pub const ISSUE_KEY: TableColumn = TableColumn::required("IssueKey", EdmType::String);

/// The issue's id and current key, or `None` (no rows) when either is missing.
pub fn issue_ident(issue: &Value) -> Option<(String, String)> {
    let id = id_of(issue.get("id"))?;
    let key = issue.get("key").and_then(Value::as_str)?.to_owned();
    Some((id, key))
}

/// `issue.fields.<field>`, when present and not null.
fn field<'a>(issue: &'a Value, name: &str) -> Option<&'a Value> {
    issue
        .get("fields")
        .and_then(|fields| fields.get(name))
        .filter(|value| !value.is_null())
}

/// An id as Jira writes it: a non-empty string, or a number written as its digits.
fn id_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(id) if !id.trim().is_empty() => Some(id.clone()),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

/// A string value as a cell (null when missing, not a string, or empty).
fn text(value: Option<&Value>) -> CellValue {
    match value.and_then(Value::as_str) {
        Some(text) if !text.is_empty() => CellValue::String(text.to_owned()),
        _ => CellValue::Null,
    }
}

/// An optional string (`None` when missing, not a string, or empty).
fn string(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

fn cell(value: Option<String>) -> CellValue {
    value.map_or(CellValue::Null, CellValue::String)
}

fn boolean(value: Option<&Value>) -> CellValue {
    value
        .and_then(Value::as_bool)
        .map_or(CellValue::Null, CellValue::Boolean)
}

fn integer(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// An instant as Jira writes it: `2023-06-24T19:24:50.000+0000` (or an ISO form), or a number.
/// The specs' own examples send numbers (the bulk changelog's `created: 1492070429` in seconds,
/// a version's `releaseDate: 1278385482288` in milliseconds), so numbers are read as epoch
/// seconds, or milliseconds when too large to be seconds (past the year 5138).
fn instant(value: Option<&Value>) -> Option<OffsetDateTime> {
    match value? {
        Value::String(text) => parse_jira_datetime(text),
        Value::Number(number) => {
            let number = number.as_i64()?;
            if number.abs() >= 100_000_000_000 {
                OffsetDateTime::from_unix_timestamp_nanos(i128::from(number) * 1_000_000).ok()
            } else {
                OffsetDateTime::from_unix_timestamp(number).ok()
            }
        }
        _ => None,
    }
}

fn instant_cell(value: Option<&Value>) -> CellValue {
    instant(value).map_or(CellValue::Null, CellValue::DateTimeOffset)
}

/// A calendar date: `yyyy-MM-dd` (a longer ISO instant keeps its date part), or a number read
/// as an instant (see [`instant`]) whose UTC date is taken.
fn date_cell(value: Option<&Value>) -> CellValue {
    let date = match value {
        Some(Value::String(text)) => parse_date(text.get(..10).unwrap_or(text)),
        other => instant(other).map(OffsetDateTime::date),
    };
    date.map_or(CellValue::Null, CellValue::Date)
}

/// Orders Jira ids numerically when both are numbers, otherwise as text (numbers first).
fn compare_ids(left: &str, right: &str) -> Ordering {
    match (left.parse::<u64>(), right.parse::<u64>()) {
        (Ok(l), Ok(r)) => l.cmp(&r),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => left.cmp(right),
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Checks every table's rows against its declared columns.
    use super::*;
    use std::collections::HashSet;

    /// Every row has one cell per column, of the column's type, non-null where the column is
    /// required, and the key columns are unique across the rows.
    pub fn assert_rows_fit(columns: &[TableColumn], rows: &[Vec<CellValue>]) {
        let mut keys = HashSet::new();
        for row in rows {
            assert_eq!(row.len(), columns.len(), "row {row:?}");
            for (column, cell) in columns.iter().zip(row) {
                if cell.is_null() {
                    assert!(column.nullable, "{} is null in {row:?}", column.name);
                    continue;
                }
                let fits = matches!(
                    (column.edm_type, cell),
                    (EdmType::String, CellValue::String(_))
                        | (EdmType::DateTimeOffset, CellValue::DateTimeOffset(_))
                        | (EdmType::Date, CellValue::Date(_))
                        | (EdmType::Double, CellValue::Double(_))
                        | (EdmType::Int64, CellValue::Int64(_))
                        | (EdmType::Boolean, CellValue::Boolean(_))
                );
                assert!(fits, "{} holds {cell:?}", column.name);
            }
            let key: Vec<String> = columns
                .iter()
                .zip(row)
                .filter(|(column, _)| column.key)
                .map(|(_, cell)| cell.to_text())
                .collect();
            assert!(keys.insert(key.clone()), "duplicate key {key:?}");
        }
    }

    /// The cell of column `name` in `row`.
    pub fn cell<'a>(columns: &[TableColumn], row: &'a [CellValue], name: &str) -> &'a CellValue {
        let at = columns
            .iter()
            .position(|column| column.name == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        &row[at]
    }

    pub fn s(text: &str) -> CellValue {
        CellValue::String(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::{date, datetime};

    #[test]
    fn instants_are_read_from_jira_text_and_from_the_specs_epoch_numbers() {
        assert_eq!(
            instant(Some(&json!("2021-01-17T12:34:00.000+0000"))),
            Some(datetime!(2021-01-17 12:34 UTC))
        );
        assert_eq!(
            instant(Some(&json!(1_492_070_429))),
            Some(datetime!(2017-04-13 08:00:29 UTC))
        );
        assert_eq!(
            instant(Some(&json!(1_278_385_482_288_i64))),
            Some(datetime!(2010-07-06 03:04:42.288 UTC))
        );
        assert_eq!(instant(Some(&json!("yesterday"))), None);
        assert_eq!(instant(Some(&json!(true))), None);
        assert_eq!(instant(None), None);
    }

    #[test]
    fn dates_take_the_date_part_and_epoch_numbers_their_utc_date() {
        assert_eq!(
            date_cell(Some(&json!("2010-07-06"))),
            CellValue::Date(date!(2010 - 07 - 06))
        );
        assert_eq!(
            date_cell(Some(&json!("2010-07-06T10:00:00.000+0000"))),
            CellValue::Date(date!(2010 - 07 - 06))
        );
        assert_eq!(
            date_cell(Some(&json!(1_278_385_482_288_i64))),
            CellValue::Date(date!(2010 - 07 - 06))
        );
        assert_eq!(date_cell(Some(&json!("6/Jul/2010"))), CellValue::Null);
    }

    #[test]
    fn ids_are_strings_or_numbers_and_compare_numerically() {
        assert_eq!(id_of(Some(&json!("10001"))), Some("10001".to_owned()));
        assert_eq!(id_of(Some(&json!(10001))), Some("10001".to_owned()));
        assert_eq!(id_of(Some(&json!(""))), None);
        assert_eq!(id_of(Some(&json!({}))), None);
        assert_eq!(compare_ids("9", "10"), Ordering::Less);
        assert_eq!(compare_ids("10", "abc"), Ordering::Less);
        assert_eq!(compare_ids("b", "a"), Ordering::Greater);
    }

    #[test]
    fn an_issue_without_id_or_key_has_no_identity() {
        assert_eq!(
            issue_ident(&json!({"id": "10002", "key": "ED-1"})),
            Some(("10002".to_owned(), "ED-1".to_owned()))
        );
        assert_eq!(issue_ident(&json!({"key": "ED-1"})), None);
        assert_eq!(issue_ident(&json!({"id": "10002"})), None);
        assert_eq!(issue_ident(&json!([])), None);
    }
}
