//! Issue 9, "rows silently lost": Jira's `issue/bulkfetch` may answer some requested issues under
//! `issueErrors` ("a retriable error or payload constraint"). With the emulator's knob doing
//! that, every feed must still equal the data set row for row (the app asks again, with the
//! client's backoff, counted as retries), and issues that never come back must make the feed
//! fail visibly (an error status or a broken-off transfer), never a short 200.
//!
//! The app's retry waits go through a recording [`Pause`], so the tests check the sequence of
//! waits the policy asks for without spending them.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use jira_bi_connector::jira::client::Pause;
use jira_emulator::{DatasetConfig, EmulatorConfig, FaultConfig};

use crate::support::feed::{
    ALICE, ALPHA, CUSTOM_FIELDS, Reader, assert_row_matches, create_data_source, iso, read_body,
    reader,
};
use crate::support::{TestApp, spawn_app_with_pause};

const JQL: &str = "project in (ALPHA, BETA, OPS, DATA)";
const BULKFETCH: &str = "POST /rest/api/3/issue/bulkfetch";

/// The default retry policy's first two backoffs at the jitter midpoint.
const FIRST_WAIT: Duration = Duration::from_secs(5);
const SECOND_WAIT: Duration = Duration::from_secs(10);

async fn app_with_recorded_waits(issues: usize) -> (TestApp, Pause) {
    let pause = Pause::recording();
    let app = spawn_app_with_pause(
        EmulatorConfig {
            site_ports: vec![0, 0],
            dataset: DatasetConfig { issues, seed: 42 },
            faults: FaultConfig {
                retry_after_secs: 0,
                ..FaultConfig::default()
            },
            ..EmulatorConfig::default()
        },
        pause.clone(),
    )
    .await;
    (app, pause)
}

async fn alice_with_source(app: &TestApp) -> (Reader, i64) {
    let alice = reader(app, ALPHA, ALICE).await;
    let id = create_data_source(app, &alice.session, "All issues", JQL, CUSTOM_FIELDS).await;
    (alice, id)
}

/// 5% of the issues are answered as issue errors twice each, then returned.
fn transient_issue_errors() -> FaultConfig {
    FaultConfig {
        retry_after_secs: 0,
        issue_errors_percent: 5,
        issue_errors_times: Some(2),
        ..FaultConfig::default()
    }
}

/// Every issue is answered as an issue error, every time.
fn permanent_issue_errors() -> FaultConfig {
    FaultConfig {
        retry_after_secs: 0,
        issue_errors_percent: 100,
        issue_errors_times: None,
        ..FaultConfig::default()
    }
}

/// Fresh faults (each chosen issue fails its two times again) and fresh counters for one feed.
fn arm(app: &TestApp) {
    app.emulator.set_faults(transient_issue_errors());
    app.emulator.reset_stats();
}

async fn get_ok(reader: &Reader, app: &TestApp, url: &str) -> reqwest::Response {
    let response = reader.get(app, url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response
}

#[tokio::test]
async fn with_some_issues_answered_as_issue_errors_every_feed_equals_the_data_set_row_for_row() {
    let (app, pause) = app_with_recorded_waits(1_200).await;
    let (alice, id) = alice_with_source(&app).await;
    let truth = alice.truth(&app, &format!("{JQL} ORDER BY key ASC"));
    assert_eq!(truth.len(), 1_200);
    let truth_keys: Vec<&str> = truth.iter().map(|i| i["key"].as_str().unwrap()).collect();

    // OData, one page: 12 batches of 100, each asked again once per wait.
    arm(&app);
    let body: Value = get_ok(&alice, &app, &format!("/feed/{id}/odata/Issues"))
        .await
        .json()
        .await
        .unwrap();
    let rows = body["value"].as_array().unwrap();
    assert!(body.get("@odata.nextLink").is_none());
    assert_eq!(rows.len(), truth.len());
    for (row, issue) in rows.iter().zip(&truth) {
        assert_row_matches(row, issue);
    }
    let stats = app.emulator.stats();
    assert!(stats.issue_errors > 0, "the knob answered issue errors");
    let waits = pause.waits();
    assert!(!waits.is_empty());
    // Each affected batch waited the policy's backoff, then its doubling: once per failure.
    let firsts = waits.iter().filter(|w| **w == FIRST_WAIT).count();
    let seconds = waits.iter().filter(|w| **w == SECOND_WAIT).count();
    assert_eq!(firsts + seconds, waits.len(), "{waits:?}");
    assert_eq!(firsts, seconds, "{waits:?}");
    assert_eq!(
        stats.requests.get(BULKFETCH).copied(),
        Some(12 + waits.len() as u64)
    );

    // OData through next links.
    arm(&app);
    let mut paged: Vec<Value> = Vec::new();
    let mut next = Some(format!("/feed/{id}/odata/Issues"));
    while let Some(url) = next {
        let page: Value = alice
            .get(&app, &url)
            .header("Prefer", "odata.maxpagesize=500")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        paged.extend(page["value"].as_array().unwrap().iter().cloned());
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
        assert!(paged.len() <= truth.len());
    }
    assert_eq!(paged.len(), truth.len());
    for (row, issue) in paged.iter().zip(&truth) {
        assert_row_matches(row, issue);
    }
    assert!(app.emulator.stats().issue_errors > 0);

    // CSV.
    arm(&app);
    let csv = get_ok(&alice, &app, &format!("/feed/{id}/csv?$select=Key"))
        .await
        .text()
        .await
        .unwrap();
    let csv_keys: Vec<&str> = csv
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(|line| line.trim_end_matches('\r'))
        .filter(|line| !line.is_empty())
        .collect();
    assert_eq!(csv_keys, truth_keys);
    assert!(app.emulator.stats().issue_errors > 0);

    // JSON, in pages.
    arm(&app);
    let mut json_rows: Vec<Value> = Vec::new();
    let mut next = Some(format!("{}/feed/{id}/json?limit=400", app.address));
    while let Some(url) = next {
        let page: Value = get_ok(&alice, &app, &url).await.json().await.unwrap();
        json_rows.extend(page["rows"].as_array().unwrap().iter().cloned());
        next = page["next"].as_str().map(str::to_owned);
        assert!(json_rows.len() <= truth.len());
    }
    assert_eq!(json_rows.len(), truth.len());
    for (row, issue) in json_rows.iter().zip(&truth) {
        assert_row_matches(row, issue);
    }
    assert!(app.emulator.stats().issue_errors > 0);

    // $count, plain and filtered.
    arm(&app);
    let count = get_ok(&alice, &app, &format!("/feed/{id}/odata/Issues/$count"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(count, "1200");
    let open_bugs = truth
        .iter()
        .filter(|i| {
            i["fields"]["issuetype"]["name"] == "Bug" && i["fields"]["resolutiondate"].is_null()
        })
        .count();
    let count = get_ok(
        &alice,
        &app,
        &format!("/feed/{id}/odata/Issues/$count?$filter=IssueType eq 'Bug' and Resolved eq null"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(count, open_bugs.to_string());

    // An incremental refresh: `Updated ge …`.
    arm(&app);
    let mut updated: Vec<String> = truth
        .iter()
        .map(|i| iso(&i["fields"]["updated"]).as_str().unwrap().to_owned())
        .collect();
    updated.sort();
    let from = updated[700].clone();
    let at = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
    };
    let expected: BTreeSet<String> = truth
        .iter()
        .filter(|i| at(iso(&i["fields"]["updated"]).as_str().unwrap()) >= at(&from))
        .map(|i| i["key"].as_str().unwrap().to_owned())
        .collect();
    assert!(expected.len() >= 400);
    let body: Value = get_ok(
        &alice,
        &app,
        &format!("/feed/{id}/odata/Issues?$filter=Updated ge {from}&$select=Key"),
    )
    .await
    .json()
    .await
    .unwrap();
    let refreshed: Vec<String> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(refreshed.len(), expected.len(), "each issue once");
    assert_eq!(refreshed.into_iter().collect::<BTreeSet<_>>(), expected);
    assert!(app.emulator.stats().issue_errors > 0);
}

#[tokio::test]
async fn issues_jira_never_returns_make_each_feed_fail_visibly_instead_of_answering_short() {
    let (app, pause) = app_with_recorded_waits(300).await;
    let (alice, id) = alice_with_source(&app).await;
    // Warm the field catalogue so the failure hits the export itself.
    get_ok(&alice, &app, &format!("/feed/{id}/odata/$metadata")).await;
    app.emulator.set_faults(permanent_issue_errors());

    let response = alice
        .get(&app, &format!("/feed/{id}/odata/Issues"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "JiraIssuesUnavailable");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("incomplete")
    );
    // The batch that failed was asked five times, after the policy's four backoffs; batches
    // fetched at the same time interleave theirs, so count each step.
    let waits = pause.waits();
    let steps: Vec<usize> = [5, 10, 20, 30]
        .iter()
        .map(|&s| {
            waits
                .iter()
                .filter(|w| **w == Duration::from_secs(s))
                .count()
        })
        .collect();
    assert_eq!(steps.iter().sum::<usize>(), waits.len(), "{waits:?}");
    assert!(steps[3] >= 1, "a batch used every retry: {waits:?}");
    assert!(steps.windows(2).all(|pair| pair[0] >= pair[1]), "{waits:?}");

    let response = alice
        .get(&app, &format!("/feed/{id}/csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let response = alice
        .get(&app, &format!("/feed/{id}/json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "JiraIssuesUnavailable");

    // Counting ids needs no bulkfetch, so it stays exact.
    let count = get_ok(&alice, &app, &format!("/feed/{id}/odata/Issues/$count"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(count, "300");
    app.emulator.set_faults(FaultConfig::default());
}

#[tokio::test]
async fn issues_that_stop_coming_back_mid_stream_abort_the_transfer() {
    let (app, _pause) = app_with_recorded_waits(20_000).await;
    let (alice, id) = alice_with_source(&app).await;
    for path in [
        format!("/feed/{id}/odata/Issues?$select=Key,Summary"),
        format!("/feed/{id}/csv?$select=Key,Summary"),
    ] {
        app.emulator.set_faults(FaultConfig {
            latency_ms: 20,
            ..FaultConfig::default()
        });
        let mut response = get_ok(&alice, &app, &path).await;
        let first = response.chunk().await.unwrap().expect("a first chunk");
        assert!(!first.is_empty());
        app.emulator.set_faults(permanent_issue_errors());
        let rest = read_body(response).await;
        assert!(
            rest.is_err(),
            "{path}: the transfer must break off, but it ended normally after {} more bytes",
            rest.map_or(0, |b| b.len())
        );
    }
    app.emulator.set_faults(FaultConfig::default());
}
