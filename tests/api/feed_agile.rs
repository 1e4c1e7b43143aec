//! Sprints, versions and links through the feeds, against the emulator's ground truth:
//! `Sprints` from the agile API (with the issue field as the fallback for a sprint it does not
//! show), `Versions` of the issues' projects across version pages, and `IssueLinks` only to
//! issues the owner may see — even when Jira lists links it should have left out.

use std::collections::BTreeSet;

use jira_emulator::testing::{SiteData, site_data};
use jira_emulator::{DatasetConfig, FaultConfig};
use serde_json::Value;

use crate::support::TestApp;
use crate::support::feed::{
    ALICE, ALPHA, BOB, Reader, create_data_source_with_tables, feed_app, reader,
};

const ISSUES: usize = 400;
/// Bob cannot see OPS, so his data source leaves it out (Jira refuses a query naming it).
const ALICES_JQL: &str = "project in (ALPHA, BETA, OPS, DATA)";
const BOBS_JQL: &str = "project in (ALPHA, BETA, DATA)";

fn jql_of(user: usize) -> &'static str {
    if user == BOB { BOBS_JQL } else { ALICES_JQL }
}

async fn with_tables(app: &TestApp, user: usize, tables: &[&str]) -> (Reader, i64) {
    let owner = reader(app, ALPHA, user).await;
    let id =
        create_data_source_with_tables(app, &owner.session, "Agile", jql_of(user), &[], tables)
            .await;
    (owner, id)
}

/// The ground truth of site ALPHA as `feed_app` generates it.
fn truth(app: &TestApp) -> SiteData {
    site_data(
        ALPHA,
        &app.emulator.sites()[ALPHA].base_url,
        &DatasetConfig {
            issues: ISSUES,
            seed: 42,
        },
    )
}

/// Indices of the owner's issues.
fn indices(app: &TestApp, owner: &Reader) -> Vec<usize> {
    let dataset = app.emulator.dataset(ALPHA).unwrap();
    owner
        .truth(app, &format!("{} ORDER BY key ASC", jql_of(owner.user)))
        .iter()
        .map(|issue| dataset.index_of(issue["id"].as_str().unwrap()).unwrap())
        .collect()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn sprints_are_every_sprint_of_the_issues_from_the_agile_api() {
    let app = feed_app(ISSUES).await;
    let (alice, id) = with_tables(&app, ALICE, &["Sprints", "IssueSprints"]).await;
    let site = truth(&app);
    let mut pairs: BTreeSet<(String, i64)> = BTreeSet::new();
    let mut sprint_ids: BTreeSet<i64> = BTreeSet::new();
    let dataset = app.emulator.dataset(ALPHA).unwrap();
    for index in indices(&app, &alice) {
        let issue_id = dataset.issue_id(index).unwrap();
        for sprint in site.issue_sprints(index) {
            let sprint_id = sprint["id"].as_i64().unwrap();
            pairs.insert((issue_id.clone(), sprint_id));
            sprint_ids.insert(sprint_id);
        }
    }
    assert!(
        pairs.len() > sprint_ids.len(),
        "issues carried over several sprints"
    );
    let bridge = alice
        .json_rows(&app, &format!("/feed/{id}/json/IssueSprints?limit=10000"))
        .await;
    let got: BTreeSet<(String, i64)> = bridge
        .iter()
        .map(|row| (text(&row["IssueId"]), row["SprintId"].as_i64().unwrap()))
        .collect();
    assert_eq!(got.len(), bridge.len());
    assert_eq!(got, pairs);

    let sprints = alice
        .json_rows(&app, &format!("/feed/{id}/json/Sprints"))
        .await;
    let ids: Vec<i64> = sprints
        .iter()
        .map(|r| r["SprintId"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        sprint_ids.iter().copied().collect::<Vec<_>>(),
        "each once, by id"
    );
    for row in &sprints {
        let want = site.sprint(row["SprintId"].as_u64().unwrap()).unwrap();
        assert_eq!(row["Name"], want["name"]);
        assert_eq!(row["State"], want["state"]);
        assert_eq!(row["BoardId"], want["originBoardId"], "{row}");
        assert_eq!(row["StartDate"].is_null(), want.get("startDate").is_none());
    }
    // Read whole, a dimension orders by any column.
    let by_name = alice
        .json_rows(
            &app,
            &format!("/feed/{id}/json/Sprints?$orderby=Name desc&$top=5"),
        )
        .await;
    let mut names: Vec<String> = sprints.iter().map(|r| text(&r["Name"])).collect();
    names.sort();
    names.reverse();
    let got: Vec<String> = by_name.iter().map(|r| text(&r["Name"])).collect();
    assert_eq!(got, names[..5]);

    // A sprint the agile API no longer shows is described by the issue field's own object.
    let gone = *sprint_ids.iter().next().unwrap();
    app.emulator.set_faults(FaultConfig {
        retry_after_secs: 0,
        missing_sprints: vec![gone as u64],
        ..FaultConfig::default()
    });
    let again = alice
        .json_rows(&app, &format!("/feed/{id}/json/Sprints"))
        .await;
    let row = again
        .iter()
        .find(|r| r["SprintId"] == gone)
        .expect("still listed");
    assert_eq!(row["Name"], site.sprint(gone as u64).unwrap()["name"]);
    assert_eq!(again.len(), sprints.len());
}

#[tokio::test]
async fn versions_are_every_version_of_the_issues_projects_across_pages() {
    let app = feed_app(ISSUES).await;
    let tables = ["Versions", "IssueFixVersions", "IssueAffectedVersions"];
    let (alice, id) = with_tables(&app, ALICE, &tables).await;
    let site = truth(&app);
    let alpha = site.project_versions("ALPHA");
    assert!(alpha.len() > 50, "more than one page of versions");
    let mut want: BTreeSet<String> = BTreeSet::new();
    for key in ["ALPHA", "BETA", "OPS", "DATA"] {
        want.extend(site.project_versions(key).iter().map(|v| text(&v["id"])));
    }
    app.emulator.reset_stats();
    let versions = alice
        .json_rows(&app, &format!("/feed/{id}/json/Versions"))
        .await;
    let got: BTreeSet<String> = versions.iter().map(|r| text(&r["VersionId"])).collect();
    assert_eq!(got.len(), versions.len());
    assert_eq!(got, want);
    let released = versions.iter().filter(|r| r["Released"] == true).count();
    assert!(released > 0 && released < versions.len());
    assert!(versions.iter().any(|r| r["Archived"] == true));
    let pages = app
        .emulator
        .stats()
        .requests
        .iter()
        .filter(|(label, _)| label.starts_with("GET /rest/api/3/project/"))
        .map(|(_, n)| *n)
        .sum::<u64>();
    assert!(
        pages >= 5,
        "ALPHA's versions took two pages: {pages} version calls"
    );

    let dataset = app.emulator.dataset(ALPHA).unwrap();
    for (table, of) in [
        (
            "IssueFixVersions",
            SiteData::issue_fix_versions as fn(&SiteData, usize) -> Vec<Value>,
        ),
        ("IssueAffectedVersions", SiteData::issue_affected_versions),
    ] {
        let mut want: BTreeSet<(String, String)> = BTreeSet::new();
        for index in indices(&app, &alice) {
            let issue_id = dataset.issue_id(index).unwrap();
            want.extend(
                of(&site, index)
                    .iter()
                    .map(|v| (issue_id.clone(), text(&v["id"]))),
            );
        }
        let rows = alice
            .json_rows(&app, &format!("/feed/{id}/json/{table}?limit=10000"))
            .await;
        let got: BTreeSet<(String, String)> = rows
            .iter()
            .map(|r| (text(&r["IssueId"]), text(&r["VersionId"])))
            .collect();
        assert!(!want.is_empty(), "{table}");
        assert_eq!(got, want, "{table}");
    }
}

#[tokio::test]
async fn links_lead_only_to_issues_the_owner_may_see_even_when_jira_lists_others() {
    let app = feed_app(ISSUES).await;
    let site = truth(&app);
    let dataset = app.emulator.dataset(ALPHA).unwrap();
    for user in [ALICE, BOB] {
        let (owner, id) = with_tables(&app, user, &["IssueLinks"]).await;
        let mut want: BTreeSet<(String, String, String)> = BTreeSet::new();
        for index in indices(&app, &owner) {
            let issue_id = dataset.issue_id(index).unwrap();
            for link in site.issue_links(index, Some(user)) {
                want.insert((
                    issue_id.clone(),
                    link.id.to_string(),
                    dataset.issue_id(link.other).unwrap(),
                ));
            }
        }
        assert!(!want.is_empty());
        for leak in [false, true] {
            app.emulator.set_faults(FaultConfig {
                retry_after_secs: 0,
                leak_hidden_links: leak,
                ..FaultConfig::default()
            });
            let rows = owner
                .json_rows(&app, &format!("/feed/{id}/json/IssueLinks?limit=10000"))
                .await;
            let got: BTreeSet<(String, String, String)> = rows
                .iter()
                .map(|r| {
                    (
                        text(&r["IssueId"]),
                        text(&r["LinkId"]),
                        text(&r["LinkedIssueId"]),
                    )
                })
                .collect();
            assert_eq!(got.len(), rows.len());
            assert_eq!(got, want, "user {user}, leaking: {leak}");
            if user == BOB {
                assert!(
                    rows.iter()
                        .all(|r| !text(&r["LinkedIssueKey"]).starts_with("OPS-")),
                    "Bob cannot see OPS"
                );
            }
        }
    }
    // The leak knob really leaks: Bob's issues do link to OPS issues he cannot see.
    let hidden_links = (0..ISSUES)
        .filter(|&index| !dataset.issue_key(index).unwrap().starts_with("OPS-"))
        .any(|index| {
            site.issue_links(index, None).len() > site.issue_links(index, Some(BOB)).len()
        });
    assert!(hidden_links);
}
