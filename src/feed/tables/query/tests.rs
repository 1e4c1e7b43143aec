use super::*;
use crate::feed::columns::CellValue;
use crate::feed::error::Format;
use crate::feed::query::{Params, parse_options};

const COLUMNS: &[TableColumn] = &[
    TableColumn::key("IssueId", EdmType::String),
    TableColumn::required("IssueKey", EdmType::String),
    TableColumn::key("ChangeId", EdmType::String),
    TableColumn::required("Changed", EdmType::DateTimeOffset),
    TableColumn::optional("Field", EdmType::String),
];

const PER_ISSUE: Shape = Shape::PerIssue {
    bounded_by_updated: &["Changed"],
};

fn options(query: &str) -> FeedOptions {
    parse_options(&Params::parse(query), Format::OData).expect("valid options")
}

fn jql(query: &str) -> Vec<String> {
    prepare("project = A", COLUMNS, PER_ISSUE, &options(query))
        .expect("prepared")
        .variants
        .into_iter()
        .map(|v| {
            assert!(!v.exact, "never exact: an issue has many rows");
            v.jql
        })
        .collect()
}

#[test]
fn select_picks_the_table_columns_and_unknown_names_are_400() {
    let prepared = prepare("x", COLUMNS, PER_ISSUE, &options("$select=Field,IssueKey")).unwrap();
    assert_eq!(prepared.output, [4, 1]);
    assert_eq!(prepared.names(COLUMNS), ["Field", "IssueKey"]);
    let all = prepare("x", COLUMNS, PER_ISSUE, &options("")).unwrap();
    assert_eq!(all.output, [0, 1, 2, 3, 4]);
    let err = prepare("x", COLUMNS, PER_ISSUE, &options("$select=Key")).unwrap_err();
    assert_eq!(err.status.as_u16(), 400);
    let err = prepare("x", COLUMNS, PER_ISSUE, &options("$filter=Summary eq 'a'")).unwrap_err();
    assert_eq!(err.status.as_u16(), 400);
}

#[test]
fn per_issue_tables_order_by_issue_key_only() {
    let prepared = prepare(
        "project = A",
        COLUMNS,
        PER_ISSUE,
        &options("$orderby=IssueKey desc"),
    )
    .unwrap();
    assert_eq!(prepared.variants[0].jql, "project = A ORDER BY key DESC");
    let err = prepare("x", COLUMNS, PER_ISSUE, &options("$orderby=Changed")).unwrap_err();
    assert_eq!(err.status.as_u16(), 501);
    let err = prepare("x", COLUMNS, PER_ISSUE, &options("$orderby=Nope")).unwrap_err();
    assert_eq!(err.status.as_u16(), 400);
    let dimension = prepare(
        "x",
        COLUMNS,
        Shape::Dimension,
        &options("$orderby=Changed desc"),
    );
    assert_eq!(dimension.unwrap().order_by, [(3, true)]);
}

#[test]
fn lower_bounds_on_bounded_times_reach_jira_as_updated() {
    let got = jql("$filter=Changed ge 2024-05-01T10:00:00Z and Field eq 'status'");
    assert_eq!(
        got,
        ["(project = A) AND (updated >= \"2024-04-30 20:00\") ORDER BY key ASC"]
    );
}

#[test]
fn keys_reach_jira_and_what_says_nothing_about_issues_does_not() {
    let got = jql("$filter=IssueKey eq 'A-1'");
    assert_eq!(got[0], "(project = A) AND (key = \"A-1\") ORDER BY key ASC");
    assert_eq!(
        got[1], "project = A ORDER BY key ASC",
        "the dates-only fallback"
    );
    // An upper bound, a row column, or an `or` with one of them: nothing to push.
    for query in [
        "$filter=Changed le 2024-05-01",
        "$filter=Field eq 'status'",
        "$filter=IssueKey eq 'A-1' or Field eq 'status'",
        "$filter=not (Changed ge 2024-05-01)",
    ] {
        assert_eq!(jql(query), ["project = A ORDER BY key ASC"], "{query}");
    }
}

#[test]
fn the_filter_is_exact_on_rows() {
    let prepared = prepare(
        "x",
        COLUMNS,
        PER_ISSUE,
        &options("$filter=Field eq 'status'"),
    )
    .unwrap();
    let filter = prepared.filter.unwrap();
    let row = |field: &str| {
        vec![
            CellValue::String("1".into()),
            CellValue::String("A-1".into()),
            CellValue::String("9".into()),
            CellValue::Null,
            CellValue::String(field.into()),
        ]
    };
    assert!(filter.matches(&row("status")));
    assert!(!filter.matches(&row("Status")));
}
