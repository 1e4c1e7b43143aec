//! Invariants of the generated change histories and worklogs: chains that end in the issue's
//! current values, times inside the issue's life, the last change on `updated`, unique ids.

use std::collections::HashSet;

use super::catalogue::{STATUS_RENAME, TO_DO};
use super::tests::alpha_dataset;
use super::*;

#[test]
fn every_field_chain_starts_where_the_issue_began_and_ends_in_its_current_value() {
    let dataset = alpha_dataset(2000);
    for index in 0..dataset.len() {
        let core = dataset.core(index);
        let issue = dataset.issue(index).expect("issue");
        let history = dataset.history(&core);
        let mut last: std::collections::HashMap<&str, Option<String>> = Default::default();
        for change in &history {
            for item in &change.items {
                let (before, after) = match item.field_id {
                    "status" | "assignee" | "priority" => (&item.from, &item.to),
                    _ => (&item.from_string, &item.to_string),
                };
                if let Some(previous) = last.get(item.field_id) {
                    assert_eq!(previous, before, "{index}: {} chain", item.field_id);
                } else if item.field_id == "status" {
                    let to_do = STATUSES[usize::from(TO_DO)].id.to_string();
                    assert_eq!(
                        before.as_deref(),
                        Some(to_do.as_str()),
                        "{index} starts in To Do"
                    );
                }
                last.insert(item.field_id, after.clone());
            }
        }
        let fields = &issue["fields"];
        let status = fields["status"]["id"].as_str().map(str::to_owned);
        match last.get("status") {
            Some(to) => assert_eq!(to, &status, "{index} ends in its status"),
            None => assert_eq!(core.status, TO_DO, "{index} never moved"),
        }
        if let Some(to) = last.get("assignee") {
            assert_eq!(to.as_deref(), fields["assignee"]["accountId"].as_str());
        }
        if let Some(to) = last.get("priority") {
            assert_eq!(to.as_deref(), fields["priority"]["id"].as_str());
        }
        if let Some(to) = last.get("labels") {
            let labels: Vec<&str> = fields["labels"]
                .as_array()
                .expect("labels")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            assert_eq!(to.clone().unwrap_or_default(), labels.join(" "));
        }
        if let Some(to) = last.get("summary") {
            assert_eq!(to.as_deref(), fields["summary"].as_str());
        }
        if let Some(key) = last.get("issuekey") {
            assert_eq!(key.as_deref(), issue["key"].as_str());
        }
    }
}

#[test]
fn changes_fall_inside_the_issues_life_and_the_last_one_on_updated() {
    let dataset = alpha_dataset(2000);
    for index in 0..dataset.len() {
        let core = dataset.core(index);
        let history = dataset.history(&core);
        assert_eq!(history.is_empty(), core.updated == core.created, "{index}");
        assert!(history.windows(2).all(|pair| pair[0].at <= pair[1].at));
        assert!(history.iter().all(|change| change.at >= core.created));
        if let Some(last) = history.last() {
            assert_eq!(
                last.at, core.updated,
                "{index}: the last change is `updated`"
            );
        }
        let status_times: Vec<i64> = history
            .iter()
            .filter(|change| change.items.iter().any(|item| item.field_id == "status"))
            .map(|change| change.at)
            .collect();
        match core.category() {
            1 => assert_eq!(
                status_times.first(),
                Some(&dataset.status_category_changed(&core))
            ),
            2 => assert_eq!(status_times.last().copied(), core.resolved),
            _ => {}
        }
        for worklog in dataset.worklogs(&core) {
            assert!(worklog.started >= core.created && worklog.started <= worklog.created);
            assert!(worklog.created <= worklog.updated && worklog.updated <= core.updated);
        }
    }
}

#[test]
fn ids_are_unique_and_change_ids_increase_with_time() {
    let dataset = alpha_dataset(3000);
    let mut changes: Vec<(i64, u64)> = Vec::new();
    let mut worklog_ids = HashSet::new();
    for index in 0..dataset.len() {
        let core = dataset.core(index);
        changes.extend(dataset.history(&core).iter().map(|c| (c.at, c.id)));
        for worklog in dataset.worklogs(&core) {
            assert!(worklog_ids.insert(worklog.id), "worklog id {}", worklog.id);
        }
    }
    let ids: HashSet<u64> = changes.iter().map(|(_, id)| *id).collect();
    assert_eq!(ids.len(), changes.len());
    changes.sort_unstable();
    assert!(changes.windows(2).all(|pair| pair[0].1 < pair[1].1));
    assert!(changes.iter().all(|(_, id)| *id < i64::MAX as u64));
}

#[test]
fn some_issues_have_long_histories_many_worklogs_moves_and_the_renamed_status() {
    let dataset = alpha_dataset(2000);
    let mut over_100 = 0;
    let mut over_300 = 0;
    let mut many_worklogs = 0;
    let mut hundreds_of_worklogs = 0;
    let mut moved = 0;
    let mut moved_with_status = 0;
    let (renamed, old_name, renamed_at) = STATUS_RENAME;
    let new_name = STATUSES[usize::from(renamed)].name;
    let (mut old_seen, mut new_seen) = (false, false);
    for index in 0..dataset.len() {
        let core = dataset.core(index);
        let history = dataset.history(&core);
        over_100 += usize::from(history.len() > 100);
        over_300 += usize::from(history.len() >= 300);
        let worklogs = dataset.worklogs(&core);
        many_worklogs += usize::from(worklogs.len() > 20);
        hundreds_of_worklogs += usize::from(worklogs.len() >= 200);
        let total: i64 = worklogs.iter().map(|worklog| worklog.seconds).sum();
        let issue = dataset.issue(index).expect("issue");
        assert_eq!(issue["fields"]["timespent"].as_i64().unwrap_or(0), total);
        for change in &history {
            let fields: Vec<&str> = change.items.iter().map(|item| item.field_id).collect();
            if fields.contains(&"project") {
                moved += 1;
                assert!(fields.contains(&"issuekey"));
                moved_with_status += usize::from(fields.contains(&"status"));
            }
            for item in change.items.iter().filter(|item| item.field_id == "status") {
                for text in [&item.from_string, &item.to_string] {
                    old_seen |= change.at < renamed_at && text.as_deref() == Some(old_name);
                    new_seen |= change.at >= renamed_at && text.as_deref() == Some(new_name);
                    assert!(!(change.at >= renamed_at && text.as_deref() == Some(old_name)));
                }
            }
        }
    }
    assert!(
        (20..=120).contains(&over_100),
        "{over_100} of 2000 over 100"
    );
    assert!(over_300 >= 5, "{over_300} with several hundred");
    assert!(many_worklogs >= 40, "{many_worklogs} with over 20 worklogs");
    assert!(hundreds_of_worklogs >= 5);
    assert!(
        moved >= 20 && moved_with_status >= 1,
        "{moved} / {moved_with_status}"
    );
    assert!(old_seen && new_seen);
}

#[test]
fn jql_worklog_date_finds_issues_with_a_visible_worklog_started_in_the_range() {
    use crate::directory;
    use crate::jql_eval::Viewer;
    let dataset = alpha_dataset(600);
    let site = directory::site(0, "http://127.0.0.1:9001");
    let from = parse_date("2024-06-01").expect("date") * 86_400_000;
    let to = parse_date("2024-09-01").expect("date") * 86_400_000 + 12 * 3_600_000;
    for (user, viewer) in site.users.iter().map(Viewer::from).enumerate().take(2) {
        let found = dataset
            .search(
                "worklogDate >= 2024-06-01 AND worklogDate < \"2024-09-01 12:00\" ORDER BY key",
                &viewer,
                0,
            )
            .expect("search");
        let mut expected: Vec<usize> = (0..dataset.len())
            .filter(|&index| {
                let core = dataset.core(index);
                !viewer
                    .hidden_projects
                    .iter()
                    .any(|key| Some(key.as_str()) == dataset.project_key(index))
                    && dataset
                        .worklogs(&core)
                        .iter()
                        .any(|w| w.visible_to(user) && w.started >= from && w.started < to)
            })
            .collect();
        let mut sorted = found.clone();
        sorted.sort_unstable();
        expected.sort_unstable();
        assert!(!expected.is_empty());
        assert_eq!(sorted, expected, "user {user}");
    }
    assert!(
        dataset
            .search("worklogDate = 2024-06-01", &Viewer::from(&site.users[0]), 0)
            .is_err()
    );
}
