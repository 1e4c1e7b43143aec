//! `IssueLinks`: the issue's links (`fields.issuelinks`, Jira's `IssueLink`), one row per link
//! as seen from this issue. A link appears on both of its issues under one id, so the key is
//! `(IssueId, LinkId)`; `Direction` is `outward` when this issue is the link's subject ("ED-1
//! blocks ED-2": `outwardIssue` is ED-2) and `inward` otherwise, with `Relation` the type's
//! phrase for that side. The caller decides which linked issues the owner may see: Jira's own
//! filtering is not trusted, so a link to an issue not `visible` has no row.

use std::collections::HashSet;

use serde_json::Value;

use super::{ISSUE_ID, ISSUE_KEY, field, id_of, issue_ident, text};
use crate::feed::columns::{CellValue, EdmType};
use crate::feed::export::Row;
use crate::feed::tables::column::TableColumn;

pub const COLUMNS: &[TableColumn] = &[
    ISSUE_ID,
    ISSUE_KEY,
    TableColumn::key("LinkId", EdmType::String),
    TableColumn::optional("LinkType", EdmType::String),
    TableColumn::required("Direction", EdmType::String),
    TableColumn::optional("Relation", EdmType::String),
    TableColumn::required("LinkedIssueId", EdmType::String),
    TableColumn::optional("LinkedIssueKey", EdmType::String),
];

/// One link of the issue, read from its side.
struct Link<'a> {
    id: String,
    link_type: Option<&'a Value>,
    outward: bool,
    other_id: String,
    other: &'a Value,
}

fn links(issue: &Value) -> Vec<Link<'_>> {
    let all = field(issue, "issuelinks")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut seen = HashSet::new();
    all.iter()
        .filter_map(|link| {
            let id = id_of(link.get("id"))?;
            let (outward, other) = match (link.get("outwardIssue"), link.get("inwardIssue")) {
                (Some(other), _) if other.is_object() => (true, other),
                (_, Some(other)) if other.is_object() => (false, other),
                _ => return None,
            };
            let other_id = id_of(other.get("id"))?;
            Some(Link {
                id,
                link_type: link.get("type"),
                outward,
                other_id,
                other,
            })
        })
        .filter(|link| seen.insert(link.id.clone()))
        .collect()
}

/// The ids of the issues this issue links to, each once, so the caller can check which the
/// owner may see.
pub fn linked_issue_ids(issue: &Value) -> Vec<String> {
    let mut seen = HashSet::new();
    links(issue)
        .into_iter()
        .map(|link| link.other_id)
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

/// The `IssueLinks` rows of one issue: links whose other issue is `visible` (by id).
pub fn rows(issue: &Value, visible: impl Fn(&str) -> bool) -> Vec<Row> {
    let Some((issue_id, issue_key)) = issue_ident(issue) else {
        return Vec::new();
    };
    links(issue)
        .into_iter()
        .filter(|link| visible(&link.other_id))
        .map(|link| {
            // The type's phrases are keyed by the side's name (`outward: "blocks"`).
            let direction = if link.outward { "outward" } else { "inward" };
            vec![
                CellValue::String(issue_id.clone()),
                CellValue::String(issue_key.clone()),
                CellValue::String(link.id),
                text(link.link_type.and_then(|t| t.get("name"))),
                CellValue::String(direction.to_owned()),
                text(link.link_type.and_then(|t| t.get(direction))),
                CellValue::String(link.other_id),
                text(link.other.get("key")),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::tables::rows::test_support::{assert_rows_fit, s};
    use serde_json::json;

    fn blocks() -> Value {
        json!({"id": "1000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks",
               "self": "https://your-domain.atlassian.net/rest/api/3/issueLinkType/1000"})
    }

    /// Shapes from the spec's `IssueLink` / `LinkedIssue` examples.
    fn issue() -> Value {
        json!({"id": "10001", "key": "ED-1", "fields": {"issuelinks": [
            {"id": "10100", "type": blocks(),
             "outwardIssue": {"id": "10004", "key": "PR-2",
                              "fields": {"status": {"name": "Open"}}}},
            {"id": "10101", "type": blocks(),
             "inwardIssue": {"id": "10005", "key": "PR-3"}},
            {"id": "10102", "type": {"name": "Relates", "inward": "relates to", "outward": "relates to"},
             "outwardIssue": {"id": "20000", "key": "SECRET-1"}},
            {"id": "10103", "type": blocks(), "outwardIssue": {"id": "10004", "key": "PR-2"}},
            {"id": "10100", "type": blocks(), "outwardIssue": {"id": "10004", "key": "PR-2"}},
            {"type": blocks(), "outwardIssue": {"id": "10006"}},
            {"id": "10104", "type": blocks()},
            {"id": "10105", "type": blocks(), "inwardIssue": {"key": "NO-ID"}}
        ]}})
    }

    #[test]
    fn each_link_is_a_row_from_this_issues_side() {
        let rows = rows(&issue(), |_| true);

        assert_rows_fit(COLUMNS, &rows);
        assert_eq!(rows.len(), 4);
        assert_eq!(
            rows[0],
            vec![
                s("10001"),
                s("ED-1"),
                s("10100"),
                s("Blocks"),
                s("outward"),
                s("blocks"),
                s("10004"),
                s("PR-2"),
            ]
        );
        assert_eq!(
            rows[1],
            vec![
                s("10001"),
                s("ED-1"),
                s("10101"),
                s("Blocks"),
                s("inward"),
                s("is blocked by"),
                s("10005"),
                s("PR-3"),
            ]
        );
    }

    #[test]
    fn links_to_issues_the_owner_cannot_see_have_no_row() {
        let visible = ["10004", "10005"];
        let rows = rows(&issue(), |id| visible.contains(&id));

        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|row| row[6] != s("20000")));
    }

    #[test]
    fn linked_issue_ids_list_each_linked_issue_once() {
        assert_eq!(linked_issue_ids(&issue()), ["10004", "10005", "20000"]);
        assert!(linked_issue_ids(&json!({"fields": {"issuelinks": {}}})).is_empty());
    }

    #[test]
    fn an_issue_without_links_or_identity_has_no_rows() {
        assert!(rows(&json!({"id": "1", "key": "A-1", "fields": {}}), |_| true).is_empty());
        assert!(
            rows(
                &json!({"fields": {"issuelinks": issue()["fields"]["issuelinks"]}}),
                |_| true
            )
            .is_empty()
        );
    }
}
