//! The tables read from issue history and worklogs — `IssueChanges`, `StatusPeriods`,
//! `TimeInStatus`, `Worklogs` — against the emulator's ground truth: full histories (also of
//! issues with hundreds of changes), every worklog (also beyond the 20 an issue payload carries),
//! as each owner may see them, read in bulk rather than issue by issue.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::support::TestApp;
use crate::support::feed::{
    ALICE, ALPHA, BOB, Reader, create_data_source_with_tables, feed_app, reader,
};

const JQL: &str = "project in (ALPHA, BETA, OPS, DATA)";
const BOBS_JQL: &str = "project in (ALPHA, BETA, DATA)";

/// A data source of `user` over every project they can see (Bob cannot see OPS: Jira refuses
/// a query naming it).
async fn with_tables(app: &TestApp, user: usize, tables: &[&str]) -> (Reader, i64) {
    let owner = reader(app, ALPHA, user).await;
    let jql = if user == BOB { BOBS_JQL } else { JQL };
    let id = create_data_source_with_tables(app, &owner.session, "History", jql, &[], tables).await;
    (owner, id)
}

/// The issues `owner`'s data source covers, in export order.
fn truth_of(app: &TestApp, owner: &Reader) -> Vec<Value> {
    let jql = if owner.user == BOB { BOBS_JQL } else { JQL };
    owner.truth(app, &format!("{jql} ORDER BY key ASC"))
}

/// Sets compared by size and first difference (the sets have thousands of entries).
fn assert_same<T: Ord + std::fmt::Debug>(got: &BTreeSet<T>, want: &BTreeSet<T>, what: &str) {
    let missing: Vec<&T> = want.difference(got).take(3).collect();
    let extra: Vec<&T> = got.difference(want).take(3).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: {} rows, {} expected; missing {missing:?}, unexpected {extra:?}",
        got.len(),
        want.len()
    );
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Requests the emulator counted whose label starts with `method_path` and ends with `suffix`.
fn requests_like(app: &TestApp, prefix: &str, suffix: &str) -> u64 {
    app.emulator
        .stats()
        .requests
        .iter()
        .filter(|(label, _)| label.starts_with(prefix) && label.ends_with(suffix))
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test]
async fn issue_changes_are_every_item_of_every_history_read_in_bulk() {
    let app = feed_app(700).await;
    let (alice, id) = with_tables(&app, ALICE, &["IssueChanges"]).await;
    let dataset = app.emulator.dataset(ALPHA).unwrap();
    let long = dataset.issues_with_over_100_changes();
    assert!(
        long.iter()
            .any(|&i| dataset.change_histories(i).len() > 300)
    );
    app.emulator.reset_stats();
    let rows = alice
        .json_rows(&app, &format!("/feed/{id}/json/IssueChanges?limit=10000"))
        .await;

    let mut expected: BTreeSet<(String, String, i64)> = BTreeSet::new();
    let mut issues = 0;
    for issue in truth_of(&app, &alice) {
        issues += 1;
        let issue_id = issue["id"].as_str().unwrap().to_owned();
        let index = dataset.index_of(&issue_id).unwrap();
        for history in dataset.change_histories(index) {
            for (item, _) in history["items"].as_array().unwrap().iter().enumerate() {
                // Items are numbered from 1 within their change.
                expected.insert((issue_id.clone(), text(&history["id"]), item as i64 + 1));
            }
        }
    }
    let got: BTreeSet<(String, String, i64)> = rows
        .iter()
        .map(|row| {
            (
                text(&row["IssueId"]),
                text(&row["ChangeId"]),
                row["Item"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got.len(), rows.len(), "no row twice");
    assert_same(&got, &expected, "IssueChanges");
    // The issues with the longest histories are complete (their key is in the data source).
    let visible: BTreeSet<String> = rows.iter().map(|row| text(&row["IssueId"])).collect();
    for &index in &long {
        let issue_id = dataset.issue_id(index).unwrap();
        if visible.contains(&issue_id) {
            let items: usize = dataset
                .change_histories(index)
                .iter()
                .map(|h| h["items"].as_array().unwrap().len())
                .sum();
            let exported = rows
                .iter()
                .filter(|r| r["IssueId"] == issue_id.as_str())
                .count();
            assert_eq!(exported, items, "issue {issue_id}");
        }
    }
    // In bulk: a few changelog calls for hundreds of issues, never the per-issue endpoint.
    let fetched_all = requests_like(&app, "POST /rest/api/3/issue/bulkfetch", "");
    let bulk = requests_like(&app, "POST /rest/api/3/changelog/bulkfetch", "");
    assert!(
        bulk >= 1 && bulk < issues / 10,
        "{bulk} bulk calls for {issues} issues"
    );
    assert_eq!(
        requests_like(&app, "GET /rest/api/3/issue/", "/changelog"),
        0
    );

    // An incremental refresh: a lower bound on Changed is exact and reads fewer issues.
    let since = "2025-06-01T00:00:00Z";
    app.emulator.reset_stats();
    let recent = alice
        .json_rows(
            &app,
            &format!("/feed/{id}/json/IssueChanges?limit=10000&$filter=Changed ge {since}"),
        )
        .await;
    let want: Vec<&Value> = rows
        .iter()
        .filter(|row| row["Changed"].as_str().unwrap() >= since)
        .collect();
    assert!(!want.is_empty() && want.len() < rows.len());
    assert_eq!(recent.iter().collect::<Vec<_>>(), want);
    let fetched = requests_like(&app, "POST /rest/api/3/issue/bulkfetch", "");
    assert!(
        fetched < fetched_all,
        "updated >= … reached Jira: {fetched} of {fetched_all}"
    );
}

#[tokio::test]
async fn worklogs_are_complete_beyond_what_an_issue_carries_and_only_as_the_owner_may_see() {
    let app = feed_app(600).await;
    let dataset = app.emulator.dataset(ALPHA).unwrap();
    assert!(!dataset.issues_with_over_20_worklogs().is_empty());
    for (user, ordinal) in [(ALICE, "alice"), (BOB, "bob")] {
        let (owner, id) = with_tables(&app, user, &["Worklogs"]).await;
        app.emulator.reset_stats();
        let rows = owner
            .json_rows(&app, &format!("/feed/{id}/json/Worklogs?limit=10000"))
            .await;
        let mut expected: BTreeSet<(String, String)> = BTreeSet::new();
        let mut paged_issues = 0;
        for issue in truth_of(&app, &owner) {
            let issue_id = issue["id"].as_str().unwrap().to_owned();
            let index = dataset.index_of(&issue_id).unwrap();
            let worklogs = dataset.worklog_list(index, Some(user));
            if worklogs.len() > 20 {
                paged_issues += 1;
            }
            for worklog in worklogs {
                expected.insert((issue_id.clone(), text(&worklog["id"])));
            }
        }
        let got: BTreeSet<(String, String)> = rows
            .iter()
            .map(|row| (text(&row["IssueId"]), text(&row["WorklogId"])))
            .collect();
        assert_eq!(got.len(), rows.len(), "{ordinal}: no worklog twice");
        assert_same(&got, &expected, ordinal);
        assert!(
            paged_issues > 0,
            "{ordinal} has issues with more than 20 worklogs"
        );
        // Pages of one issue's worklogs only where the issue payload was not complete.
        let per_issue = requests_like(&app, "GET /rest/api/3/issue/", "/worklog");
        assert_eq!(per_issue, paged_issues, "{ordinal}");
        let seconds: i64 = rows
            .iter()
            .map(|row| row["TimeSpentSeconds"].as_i64().unwrap())
            .sum();
        assert!(seconds > 0);
    }
    // Restricted worklogs: Alice is in the group that may see them, Bob is not.
    let restricted_hidden_from_bob = (0..dataset.len()).any(|index| {
        dataset.worklog_list(index, Some(BOB)).len() < dataset.worklog_list(index, None).len()
    });
    assert!(restricted_hidden_from_bob);
}

#[tokio::test]
async fn status_periods_tile_each_issues_life_and_time_in_status_sums_them() {
    let app = feed_app(400).await;
    let (alice, id) = with_tables(&app, ALICE, &["StatusPeriods", "TimeInStatus"]).await;
    let periods = alice
        .json_rows(&app, &format!("/feed/{id}/json/StatusPeriods?limit=10000"))
        .await;
    let times = alice
        .json_rows(&app, &format!("/feed/{id}/json/TimeInStatus?limit=10000"))
        .await;
    let renamed = jira_emulator::testing::renamed_status();
    let truth = truth_of(&app, &alice);
    let mut by_issue: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for row in &periods {
        by_issue.entry(text(&row["IssueId"])).or_default().push(row);
        assert_ne!(
            row["Status"], renamed.old_name,
            "the current name, not the historical one"
        );
    }
    assert_eq!(
        by_issue.len(),
        truth.len(),
        "every issue has at least one stay"
    );
    let mut renamed_before = 0;
    for issue in &truth {
        let stays = &by_issue[issue["id"].as_str().unwrap()];
        let key = issue["key"].as_str().unwrap();
        let created = jira_emulator_instant(issue["fields"]["created"].as_str().unwrap());
        assert_eq!(
            jira_emulator_instant(stays[0]["Entered"].as_str().unwrap()),
            created
        );
        for pair in stays.windows(2) {
            assert_eq!(
                pair[0]["Left"], pair[1]["Entered"],
                "{key}: no gap, no overlap"
            );
        }
        let last = stays.last().unwrap();
        assert!(last["Left"].is_null(), "{key}: the last stay is current");
        assert_eq!(last["StatusId"], issue["fields"]["status"]["id"], "{key}");
        for stay in stays {
            assert_eq!(stay["IssueKey"], key, "the current key, also before a move");
            if let Some(left) = stay["Left"].as_str() {
                let seconds = jira_emulator_instant(left)
                    - jira_emulator_instant(stay["Entered"].as_str().unwrap());
                assert_eq!(stay["Seconds"].as_i64().unwrap(), seconds, "{key}");
            }
            if stay["StatusId"] == renamed.id.as_str()
                && jira_emulator_instant(stay["Entered"].as_str().unwrap()) * 1000
                    < renamed.renamed_at_ms
            {
                assert_eq!(stay["Status"], renamed.new_name);
                renamed_before += 1;
            }
        }
    }
    assert!(renamed_before > 0, "stays written under the old name exist");
    // TimeInStatus: per issue and status, the sum of its stays and their number.
    let mut sums: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for row in &periods {
        let Some(status) = row["StatusId"].as_str() else {
            continue;
        };
        let entry = sums
            .entry((text(&row["IssueId"]), status.to_owned()))
            .or_default();
        entry.0 += row["Seconds"].as_i64().unwrap();
        entry.1 += 1;
    }
    assert_eq!(times.len(), sums.len());
    for row in &times {
        let key = (text(&row["IssueId"]), text(&row["StatusId"]));
        let (seconds, visits) = sums[&key];
        assert_eq!(row["Visits"].as_i64().unwrap(), visits, "{key:?}");
        // The current stay is measured up to each request's own "now".
        let current = row["Current"].as_bool().unwrap();
        let got = row["Seconds"].as_i64().unwrap();
        if current {
            assert!(got >= seconds, "{key:?}");
        } else {
            assert_eq!(got, seconds, "{key:?}");
        }
    }
}

/// Unix seconds of an ISO-8601 instant as the feeds and Jira write them.
fn jira_emulator_instant(text: &str) -> i64 {
    let normalised = if text.len() > 5 && (text.ends_with("+0000") || text.ends_with("-0000")) {
        format!("{}Z", &text[..text.len() - 5])
    } else {
        text.to_owned()
    };
    time::OffsetDateTime::parse(&normalised, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|err| panic!("{text}: {err}"))
        .unix_timestamp()
}
