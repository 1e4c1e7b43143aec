//! JQL meaning against the data set: matches, ordering, permissions and Jira's error messages.

use super::*;
use crate::dataset::tests::alpha_dataset;
use crate::directory;

fn alice() -> Viewer {
    Viewer::from(&directory::site(0, "http://x").users[0])
}

fn bob() -> Viewer {
    Viewer::from(&directory::site(0, "http://x").users[1])
}

const NOW: i64 = 1_767_225_600_000; // 2026-01-01

type Check = Box<dyn Fn(&IssueCore) -> bool>;

fn brute_force(
    dataset: &Dataset,
    predicate: impl Fn(&IssueCore) -> bool,
) -> std::collections::BTreeSet<usize> {
    (0..dataset.len())
        .filter(|&index| predicate(&dataset.core(index)))
        .collect()
}

fn found(dataset: &Dataset, jql: &str, viewer: &Viewer) -> std::collections::BTreeSet<usize> {
    dataset
        .search(jql, viewer, NOW)
        .unwrap_or_else(|error| panic!("{jql}: {error}"))
        .into_iter()
        .collect()
}

#[test]
fn clauses_select_what_a_brute_force_scan_selects() {
    let dataset = alpha_dataset(600);
    let alice_index = 0;
    let cases: Vec<(&str, Check)> = vec![
        ("project = ALPHA", Box::new(|c| c.project == 0)),
        (
            "project in (alpha, \"Beta Mobile\", 10003)",
            Box::new(|c| c.project != 2),
        ),
        ("project != OPS", Box::new(|c| c.project != 2)),
        ("status = \"In Progress\"", Box::new(|c| c.status == 1)),
        ("statusCategory = Done", Box::new(|c| c.category() == 2)),
        (
            "statusCategory in (new, 4)",
            Box::new(|c| c.category() != 2),
        ),
        (
            "issuetype = Bug OR type = Epic",
            Box::new(|c| c.issue_type == 3 || c.issue_type == 0),
        ),
        ("priority is EMPTY", Box::new(|c| c.priority.is_none())),
        (
            "priority in (Highest, High)",
            Box::new(|c| matches!(c.priority, Some(0 | 1))),
        ),
        (
            "resolution = Unresolved",
            Box::new(|c| c.resolution.is_none()),
        ),
        (
            "resolution is not EMPTY",
            Box::new(|c| c.resolution.is_some()),
        ),
        (
            "assignee = currentUser()",
            Box::new(move |c| c.assignee == Some(alice_index)),
        ),
        (
            "assignee != currentUser()",
            Box::new(move |c| c.assignee.is_some_and(|a| a != alice_index)),
        ),
        ("assignee is EMPTY", Box::new(|c| c.assignee.is_none())),
        (
            "reporter = \"bob@alpha.example.com\"",
            Box::new(|c| c.reporter == 1),
        ),
        ("labels = backend", Box::new(|c| c.labels & 1 != 0)),
        (
            "labels in (backend, frontend, nothing-like-this)",
            Box::new(|c| c.labels & 3 != 0),
        ),
        (
            "labels not in (backend)",
            Box::new(|c| c.labels != 0 && c.labels & 1 == 0),
        ),
        ("labels is EMPTY", Box::new(|c| c.labels == 0)),
        (
            "created >= \"2025-01-01\"",
            Box::new(|c| c.created >= 1_735_689_600_000),
        ),
        (
            "created < \"2024-06-01 12:30\"",
            Box::new(|c| c.created < 1_717_245_000_000),
        ),
        (
            "updated > -30d",
            Box::new(|c| c.updated > NOW - 30 * DAY_MS),
        ),
        (
            "resolved <= \"2024/12/31\"",
            Box::new(|c| c.resolved.is_some_and(|r| r <= 1_735_603_200_000)),
        ),
        ("duedate = EMPTY", Box::new(|c| c.due.is_none())),
        (
            "due >= \"2025-02-01\"",
            Box::new(|c| c.due.is_some_and(|d| d >= 20_120)),
        ),
        (
            "key > ALPHA-100",
            Box::new(|c| c.project == 0 && c.number > 100),
        ),
        ("id <= 10010", Box::new(|c| c.index <= 10)),
        (
            "key in (ALPHA-1, BETA-1, 10005)",
            Box::new(|c| [0, 1, 5].contains(&c.index)),
        ),
        (
            "NOT project = ALPHA AND (status = Done OR status = \"To Do\")",
            Box::new(|c| c.project != 0 && (c.status == 3 || c.status == 0)),
        ),
    ];
    for (jql, predicate) in cases {
        let expected = brute_force(&dataset, predicate);
        assert!(!expected.is_empty(), "{jql} should match something");
        assert_eq!(found(&dataset, jql, &alice()), expected, "{jql}");
    }
}

#[test]
fn hidden_projects_do_not_exist_for_the_viewer() {
    let dataset = alpha_dataset(300);
    let all = found(&dataset, "created > \"2020-01-01\"", &bob());
    assert!(
        all.iter()
            .all(|&index| dataset.project_key(index) != Some("OPS"))
    );
    assert_eq!(
        dataset.search("project = OPS", &bob(), NOW),
        Err(JqlError::Invalid(
            "The value 'OPS' does not exist for the field 'project'.".to_owned()
        ))
    );
    let ops_key = (0..300)
        .find(|&index| dataset.project_key(index) == Some("OPS"))
        .and_then(|index| dataset.issue_key(index))
        .expect("an OPS issue");
    assert!(
        dataset
            .search(&format!("key = {ops_key}"), &bob(), NOW)
            .is_err()
    );
    assert!(
        dataset
            .search(&format!("key = {ops_key}"), &alice(), NOW)
            .is_ok()
    );
}

#[test]
fn order_by_sorts_and_defaults_to_newest_first() {
    let dataset = alpha_dataset(200);
    let by_key = dataset
        .search("project in (ALPHA, BETA) ORDER BY key ASC", &alice(), NOW)
        .expect("runs");
    let keys: Vec<String> = by_key
        .iter()
        .filter_map(|&index| dataset.issue_key(index))
        .collect();
    assert_eq!(keys.first().map(String::as_str), Some("ALPHA-1"));
    assert!(
        keys.iter().position(|key| key == "ALPHA-80") < keys.iter().position(|key| key == "BETA-1")
    );
    let default = dataset
        .search("project = ALPHA", &alice(), NOW)
        .expect("runs");
    let created: Vec<i64> = default
        .iter()
        .map(|&index| dataset.core(index).created)
        .collect();
    assert!(created.windows(2).all(|pair| pair[0] >= pair[1]));
    let by_updated = dataset
        .search(
            "project = ALPHA order by updated desc, id asc",
            &alice(),
            NOW,
        )
        .expect("runs");
    let updated: Vec<i64> = by_updated
        .iter()
        .map(|&index| dataset.core(index).updated)
        .collect();
    assert!(updated.windows(2).all(|pair| pair[0] >= pair[1]));
}

#[test]
fn semantic_errors_use_jiras_messages() {
    let dataset = alpha_dataset(50);
    for (jql, message) in [
        (
            "nosuchfield = 1",
            "Field 'nosuchfield' does not exist or you do not have permission to view it.",
        ),
        (
            "status = Bogus",
            "The value 'Bogus' does not exist for the field 'status'.",
        ),
        (
            "assignee = nobody@example.com",
            "The value 'nobody@example.com' does not exist for the field 'assignee'.",
        ),
        (
            "project > ALPHA",
            "The operator '>' is not supported by the 'project' field.",
        ),
        (
            "created > yesterday",
            "Date value 'yesterday' for field 'created' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.",
        ),
        (
            "assignee = membersOf(x)",
            "Unable to find JQL function 'membersOf()'.",
        ),
        (
            "key = ALPHA-99999",
            "An issue with key 'ALPHA-99999' does not exist for field 'key'.",
        ),
        (
            "project = ALPHA order by summary",
            "Not able to sort using field 'summary'.",
        ),
    ] {
        assert_eq!(
            dataset.search(jql, &alice(), NOW).map(|_| ()),
            Err(JqlError::Invalid(message.to_owned())),
            "{jql}"
        );
    }
    assert_eq!(
        dataset.search("order by key", &alice(), NOW),
        Err(JqlError::Unbounded)
    );
}
