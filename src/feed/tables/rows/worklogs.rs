//! `Worklogs`: one row per worklog (Jira's `Worklog`, from the issue's `worklog` field, the bulk
//! `/worklog/list` or `GET /issue/{id}/worklog`). The issue payload carries only the first
//! worklogs, so [`embedded`] says whether they are all there. Rows are deduplicated by id (the
//! same worklog may come from two sources) and ordered by `started`, then id numerically; a
//! worklog that names another issue in `issueId` is not this issue's and has no row.

use std::collections::HashSet;

use serde_json::Value;

use super::{
    ISSUE_ID, ISSUE_KEY, compare_ids, field, id_of, instant, instant_cell, integer, issue_ident,
    text,
};
use crate::feed::columns::{CellValue, EdmType, adf_to_text};
use crate::feed::export::Row;
use crate::feed::tables::column::TableColumn;

pub const COLUMNS: &[TableColumn] = &[
    ISSUE_ID,
    ISSUE_KEY,
    TableColumn::key("WorklogId", EdmType::String),
    TableColumn::optional("AuthorAccountId", EdmType::String),
    TableColumn::optional("Author", EdmType::String),
    TableColumn::optional("Started", EdmType::DateTimeOffset),
    TableColumn::optional("TimeSpentSeconds", EdmType::Int64),
    TableColumn::optional("Created", EdmType::DateTimeOffset),
    TableColumn::optional("Updated", EdmType::DateTimeOffset),
    TableColumn::optional("Comment", EdmType::String),
];

/// The worklogs an issue payload carries (`fields.worklog`, a `PageOfWorklogs`).
#[derive(Clone, Debug, PartialEq)]
pub struct Embedded {
    pub worklogs: Vec<Value>,
    /// True when the page starts at 0 and holds all `total` worklogs; otherwise (or when the
    /// field is missing) they must be fetched.
    pub complete: bool,
}

pub fn embedded(issue: &Value) -> Embedded {
    let page = field(issue, "worklog");
    let worklogs: Vec<Value> = page
        .and_then(|page| page.get("worklogs"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let total = page.and_then(|page| integer(page.get("total")));
    let start = page
        .and_then(|page| page.get("startAt"))
        .map_or(Some(0), |at| integer(Some(at)));
    let complete = match (total, start) {
        (Some(total), Some(0)) => i64::try_from(worklogs.len()).is_ok_and(|n| n >= total),
        _ => false,
    };
    Embedded { worklogs, complete }
}

/// The rows of one issue's worklogs.
pub fn rows(issue: &Value, worklogs: &[Value]) -> Vec<Row> {
    let Some((issue_id, issue_key)) = issue_ident(issue) else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    let mut kept: Vec<(String, &Value)> = worklogs
        .iter()
        .filter(|worklog| id_of(worklog.get("issueId")).is_none_or(|id| id == issue_id))
        .filter_map(|worklog| Some((id_of(worklog.get("id"))?, worklog)))
        .filter(|(id, _)| seen.insert(id.clone()))
        .collect();
    // Undated worklogs (never seen from Jira) go last.
    kept.sort_by(|(a_id, a), (b_id, b)| {
        let (a_at, b_at) = (instant(a.get("started")), instant(b.get("started")));
        a_at.is_none()
            .cmp(&b_at.is_none())
            .then(a_at.cmp(&b_at))
            .then_with(|| compare_ids(a_id, b_id))
    });
    kept.into_iter()
        .map(|(id, worklog)| {
            let author = worklog.get("author");
            vec![
                CellValue::String(issue_id.clone()),
                CellValue::String(issue_key.clone()),
                CellValue::String(id),
                text(author.and_then(|a| a.get("accountId"))),
                text(author.and_then(|a| a.get("displayName"))),
                instant_cell(worklog.get("started")),
                integer(worklog.get("timeSpentSeconds")).map_or(CellValue::Null, CellValue::Int64),
                instant_cell(worklog.get("created")),
                instant_cell(worklog.get("updated")),
                comment(worklog.get("comment")),
            ]
        })
        .collect()
}

/// ADF (v3) or plain text (v2) as plain text; null when empty.
fn comment(value: Option<&Value>) -> CellValue {
    let text = match value {
        Some(Value::String(text)) => text.clone(),
        Some(document @ Value::Object(_)) => adf_to_text(document),
        _ => String::new(),
    };
    if text.trim().is_empty() {
        CellValue::Null
    } else {
        CellValue::String(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::tables::rows::test_support::{assert_rows_fit, cell, s};
    use serde_json::json;
    use time::macros::datetime;

    /// The spec's `GET /issue/{id}/worklog` example worklog.
    fn worklog(id: &str, started: &str) -> Value {
        json!({
            "author": {"accountId": "5b10a2844c20165700ede21g", "active": false,
                       "displayName": "Mia Krystof"},
            "comment": {"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "I did some work here."}]},
                {"type": "paragraph", "content": [
                    {"type": "text", "text": "Paired with "},
                    {"type": "mention", "attrs": {"id": "123", "text": "@Ana"}}
                ]}
            ]},
            "created": "2021-01-18T23:45:00.000+0000",
            "id": id,
            "issueId": "10002",
            "self": format!("https://your-domain.atlassian.net/rest/api/3/issue/10010/worklog/{id}"),
            "started": started,
            "timeSpent": "3h 20m",
            "timeSpentSeconds": 12000,
            "updateAuthor": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Mia Krystof"},
            "updated": "2021-01-18T23:45:00.000+0000",
            "visibility": {"type": "group", "value": "jira-developers"}
        })
    }

    fn without(mut value: Value, key: &str) -> Value {
        if let Some(map) = value.as_object_mut() {
            map.remove(key);
        }
        value
    }

    fn issue(worklog: Value) -> Value {
        json!({"id": "10002", "key": "ED-2", "fields": {"worklog": worklog}})
    }

    #[test]
    fn a_worklog_is_a_row_with_its_comment_as_plain_text() {
        let issue = issue(json!(null));
        let rows = rows(&issue, &[worklog("100028", "2021-01-17T12:34:00.000+0000")]);

        assert_rows_fit(COLUMNS, &rows);
        assert_eq!(
            rows,
            [vec![
                s("10002"),
                s("ED-2"),
                s("100028"),
                s("5b10a2844c20165700ede21g"),
                s("Mia Krystof"),
                CellValue::DateTimeOffset(datetime!(2021-01-17 12:34 UTC)),
                CellValue::Int64(12000),
                CellValue::DateTimeOffset(datetime!(2021-01-18 23:45 UTC)),
                CellValue::DateTimeOffset(datetime!(2021-01-18 23:45 UTC)),
                s("I did some work here.\nPaired with @Ana"),
            ]]
        );
    }

    #[test]
    fn worklogs_are_deduplicated_and_ordered_by_start_then_id() {
        let issue = issue(json!(null));
        let logs = [
            worklog("300", "2021-01-17T12:00:00.000+0000"),
            worklog("20", "2021-01-17T12:00:00.000+0000"),
            worklog("5", "2021-01-18T08:00:00.000+0000"),
            worklog("20", "2021-01-17T12:00:00.000+0000"),
            worklog("1", "2021-01-16T08:00:00.000+0000"),
        ];
        let rows = rows(&issue, &logs);

        assert_rows_fit(COLUMNS, &rows);
        let ids: Vec<&CellValue> = rows.iter().map(|r| cell(COLUMNS, r, "WorklogId")).collect();
        assert_eq!(ids, [&s("1"), &s("20"), &s("300"), &s("5")]);
    }

    #[test]
    fn a_worklog_of_another_issue_or_without_id_has_no_row() {
        let issue = issue(json!(null));
        let mut other = worklog("7", "2021-01-17T12:00:00.000+0000");
        other["issueId"] = json!("99999");
        let no_id = without(worklog("8", "2021-01-17T12:00:00.000+0000"), "id");
        let no_issue = without(worklog("9", "2021-01-17T12:00:00.000+0000"), "issueId");

        let rows = rows(&issue, &[other, no_id, no_issue, json!("junk")]);

        assert_eq!(rows.len(), 1);
        assert_eq!(cell(COLUMNS, &rows[0], "WorklogId"), &s("9"));
    }

    #[test]
    fn missing_optional_parts_are_null_and_plain_text_comments_are_kept() {
        let issue = issue(json!(null));
        let bare = json!({"id": "1", "comment": "v2 text"});
        let empty = json!({"id": "2", "comment": {"type": "doc", "version": 1, "content": []}});
        let rows = rows(&issue, &[bare, empty]);

        assert_rows_fit(COLUMNS, &rows);
        assert_eq!(cell(COLUMNS, &rows[0], "Comment"), &s("v2 text"));
        assert_eq!(cell(COLUMNS, &rows[0], "Author"), &CellValue::Null);
        assert_eq!(cell(COLUMNS, &rows[0], "Started"), &CellValue::Null);
        assert_eq!(cell(COLUMNS, &rows[1], "Comment"), &CellValue::Null);
    }

    #[test]
    fn the_embedded_page_is_complete_only_when_it_holds_every_worklog() {
        let page = |total: i64, count: usize| {
            let worklogs: Vec<Value> = (0..count)
                .map(|n| worklog(&n.to_string(), "2021-01-17T12:00:00.000+0000"))
                .collect();
            json!({"startAt": 0, "maxResults": 20, "total": total, "worklogs": worklogs})
        };

        let all = embedded(&issue(page(2, 2)));
        assert!(all.complete);
        assert_eq!(all.worklogs.len(), 2);

        let partial = embedded(&issue(page(250, 20)));
        assert!(!partial.complete);
        assert_eq!(partial.worklogs.len(), 20);

        assert!(embedded(&issue(page(0, 0))).complete);
        let mut later = page(2, 2);
        later["startAt"] = json!(5);
        assert!(!embedded(&issue(later)).complete);
        let no_total = without(page(2, 2), "total");
        assert!(!embedded(&issue(no_total)).complete);
        let missing = embedded(&json!({"id": "1", "key": "A-1", "fields": {}}));
        assert_eq!(
            missing,
            Embedded {
                worklogs: Vec::new(),
                complete: false
            }
        );
    }

    #[test]
    fn hundreds_of_worklogs_are_all_kept() {
        let issue = issue(json!(null));
        let logs: Vec<Value> = (0..600)
            .map(|n| {
                let mut log = worklog(&n.to_string(), "2021-01-17T12:00:00.000+0000");
                log["started"] = json!(1_600_000_000 + (600 - n));
                log
            })
            .collect();
        let rows = rows(&issue, &logs);

        assert_rows_fit(COLUMNS, &rows);
        assert_eq!(rows.len(), 600);
        assert_eq!(cell(COLUMNS, &rows[0], "WorklogId"), &s("599"));
    }
}
