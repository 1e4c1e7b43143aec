use std::collections::BTreeSet;

use super::*;
use crate::feed::columns::ColumnSet;
use crate::jira::client::JiraField;
use jira_emulator::testing::{field_catalogue, site_data};
use jira_emulator::{DatasetConfig, Viewer};

fn pushed(filter: &str, level: PushLevel) -> Pushdown {
    push_down(&Expr::parse(filter).expect("a filter"), level)
}

#[test]
fn date_bounds_are_widened_to_a_superset_at_minute_precision() {
    assert_eq!(
        pushed("Updated ge 2024-03-05T10:15:30Z", PushLevel::Full),
        Pushdown {
            jql: Some(r#"updated >= "2024-03-04 20:15""#.into()),
            exact: false
        }
    );
    assert_eq!(
        pushed("Updated lt 2024-03-05T10:15:30Z", PushLevel::Full)
            .jql
            .as_deref(),
        Some(r#"updated <= "2024-03-06 00:16""#)
    );
    assert_eq!(
        pushed("Created le 2024-03-05", PushLevel::DatesOnly)
            .jql
            .as_deref(),
        Some(r#"created <= "2024-03-05 14:00""#)
    );
    assert_eq!(
        pushed("Resolved eq 2024-03-05T10:15:00+01:00", PushLevel::Full)
            .jql
            .as_deref(),
        Some(r#"resolved >= "2024-03-04 19:15" AND resolved <= "2024-03-05 23:15""#)
    );
    assert_eq!(pushed("Updated ne 2024-03-05", PushLevel::Full).jql, None);
    assert_eq!(
        pushed("Resolved eq null", PushLevel::Full),
        Pushdown {
            jql: Some("resolved IS EMPTY".into()),
            exact: true
        }
    );
    assert_eq!(pushed("Created eq null", PushLevel::Full).jql, None);
}

#[test]
fn names_are_pushed_only_at_full_level_and_quoted() {
    assert_eq!(
        pushed("Status eq 'In \"Review\"'", PushLevel::Full)
            .jql
            .as_deref(),
        Some(r#"status = "In \"Review\"""#)
    );
    assert_eq!(pushed("Status eq 'Done'", PushLevel::DatesOnly).jql, None);
    assert_eq!(
        pushed("AssigneeAccountId ne 'abc'", PushLevel::Full),
        Pushdown {
            jql: Some(r#"assignee != "abc" OR assignee IS EMPTY"#.into()),
            exact: true
        }
    );
    assert_eq!(
        pushed("ProjectKey ne 'OPS'", PushLevel::Full)
            .jql
            .as_deref(),
        Some(r#"project != "OPS""#)
    );
    assert_eq!(
        pushed("Priority eq null", PushLevel::Full).jql.as_deref(),
        Some("priority IS EMPTY")
    );
    // Display names are not pushed: Jira Cloud matches users by account id.
    assert_eq!(
        pushed("Assignee eq 'Alice Anderson'", PushLevel::Full).jql,
        None
    );
    assert_eq!(pushed("Summary eq 'x'", PushLevel::Full).jql, None);
    assert_eq!(pushed("Status gt 'A'", PushLevel::Full).jql, None);
}

#[test]
fn and_keeps_what_it_can_and_or_needs_both_sides() {
    assert_eq!(
        pushed(
            "Updated ge 2024-01-01T00:00:00Z and contains(Summary,'x')",
            PushLevel::Full
        ),
        Pushdown {
            jql: Some(r#"updated >= "2023-12-31 10:00""#.into()),
            exact: false
        }
    );
    assert_eq!(
        pushed("Status eq 'A' or contains(Summary,'x')", PushLevel::Full).jql,
        None
    );
    assert_eq!(
        pushed(
            "AssigneeAccountId eq 'a' or AssigneeAccountId eq null",
            PushLevel::Full
        ),
        Pushdown {
            jql: Some(r#"(assignee = "a") OR (assignee IS EMPTY)"#.into()),
            exact: true
        }
    );
    assert_eq!(pushed("not (Status eq 'A')", PushLevel::Full).jql, None);
}

#[test]
fn order_by_is_split_outside_quotes_only() {
    assert_eq!(
        split_order_by("project = X ORDER BY key DESC"),
        ("project = X", Some("key DESC"))
    );
    assert_eq!(
        split_order_by("summary ~ \"order by me\" order  by created"),
        ("summary ~ \"order by me\"", Some("created"))
    );
    assert_eq!(split_order_by("reorder = by"), ("reorder = by", None));
    assert_eq!(split_order_by("ORDER BY key"), ("", Some("key")));
    assert_eq!(
        split_order_by("summary ~ 'it\\'s order by' "),
        ("summary ~ 'it\\'s order by'", None)
    );
}

#[test]
fn compose_wraps_the_source_and_picks_the_order() {
    assert_eq!(
        compose(
            "project = X OR project = Y",
            Some("updated >= \"2024-01-01 00:00\""),
            &[]
        ),
        "(project = X OR project = Y) AND (updated >= \"2024-01-01 00:00\") ORDER BY key ASC"
    );
    assert_eq!(
        compose("project = X ORDER BY created DESC", None, &[]),
        "project = X ORDER BY created DESC"
    );
    assert_eq!(
        compose(
            "project = X ORDER BY created DESC",
            None,
            &[(SortColumn::Updated, true), (SortColumn::Key, false)]
        ),
        "project = X ORDER BY updated DESC, key ASC"
    );
}

#[test]
fn quoting_escapes_what_jql_needs() {
    assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    assert_eq!(quote("line\nbreak\ttab"), r#""line\nbreak\ttab""#);
}

/// Against the emulator's JQL engine: what the composed JQL matches always contains every issue
/// the exact filter accepts.
#[test]
fn pushed_jql_is_a_superset_of_the_exact_filter_on_the_emulator() {
    let site = site_data(
        0,
        "http://127.0.0.1:9001",
        &DatasetConfig {
            issues: 600,
            seed: 7,
        },
    );
    let (info, data) = (&site.info, &site.dataset);
    let viewer = Viewer::from(&info.users[0]);
    let fields: Vec<JiraField> = serde_json::from_value(field_catalogue()).expect("fields");
    let columns = ColumnSet::build(&fields, &[]);
    let alice = &info.users[0].account_id;
    let filters = [
        "Updated ge 2024-06-01T12:34:56Z".to_owned(),
        "Updated gt 2024-06-01T12:34:56.789Z and Updated lt 2024-09-01T00:00:01Z".to_owned(),
        "Created eq 2024-03-01T00:00:00Z or Resolved le 2024-04-01".to_owned(),
        "Resolved eq null and ProjectKey eq 'ALPHA'".to_owned(),
        "Resolved ne null and Status ne 'Done'".to_owned(),
        "StatusCategory eq 'In Progress' and IssueType eq 'Bug'".to_owned(),
        format!("AssigneeAccountId eq '{alice}' or Priority eq null"),
        format!("AssigneeAccountId ne '{alice}'"),
        "Key eq 'ALPHA-3' or Key eq 'BETA-2'".to_owned(),
    ];
    for filter in &filters {
        let expr = Expr::parse(filter).expect("parses");
        let predicate = expr.compile(&columns).expect("compiles");
        let exact: BTreeSet<usize> = (0..data.len())
            .filter(|&i| predicate.matches(&columns.row(&data.issue(i).expect("issue"))))
            .collect();
        assert!(!exact.is_empty(), "{filter} selects something");
        for level in [PushLevel::Full, PushLevel::DatesOnly] {
            let push = push_down(&expr, level);
            let jql = compose(
                "project in (ALPHA, BETA, OPS, DATA)",
                push.jql.as_deref(),
                &[],
            );
            let found: BTreeSet<usize> = data
                .search(&jql, &viewer, 0)
                .unwrap_or_else(|e| panic!("{jql}: {e}"))
                .into_iter()
                .collect();
            assert!(exact.is_subset(&found), "{filter} → {jql}");
            if push.exact {
                assert_eq!(exact, found, "{filter} → {jql} claims to be exact");
            }
        }
    }
}

fn key_chain(keys: usize) -> String {
    (0..keys)
        .map(|i| format!("Key eq 'OPS-{i}'"))
        .collect::<Vec<_>>()
        .join(" or ")
}

#[test]
fn a_chain_of_a_hundred_keys_is_pushed_as_one_flat_or() {
    let push = pushed(&key_chain(100), PushLevel::Full);
    let jql = push.jql.expect("pushed");
    assert!(
        jql.starts_with(r#"(key = "OPS-0") OR (key = "OPS-1") OR "#),
        "{jql}"
    );
    assert_eq!(jql.matches(" OR ").count(), 99);
    assert!(!jql.contains("(("), "no nesting: {jql}");
    assert!(jql.chars().count() <= MAX_PUSHED_JQL_CHARS);
}

#[test]
fn a_pushdown_longer_than_the_cap_falls_back_to_the_date_bounds_then_to_nothing() {
    let long = key_chain(300);
    let full = push_down(&Expr::parse(&long).expect("parses"), PushLevel::Full);
    assert!(
        push(&Expr::parse(&long).expect("parses"), PushLevel::Full)
            .jql
            .is_some_and(|jql| jql.chars().count() > MAX_PUSHED_JQL_CHARS),
        "the uncapped pushdown is over the cap"
    );
    assert_eq!(full, Pushdown::none());

    let bounded = format!("Updated ge 2024-03-05T10:15:30Z and ({long})");
    assert_eq!(
        pushed(&bounded, PushLevel::Full),
        Pushdown {
            jql: Some(r#"updated >= "2024-03-04 20:15""#.into()),
            exact: false
        }
    );
}
