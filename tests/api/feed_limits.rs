//! Bounded work behind the feeds: concurrent exports are limited per user and in total (over a
//! limit: 429 with Retry-After and a readable message in the feed's format, and the slot is free
//! again once a response has been read), the default per-user limit lets a BI tool refresh
//! several tables at once, and a Jira answer over the size cap fails with a clear message.
//!
//! Exports are held open with the emulator's `stall_requests` knob: every Jira call waits until
//! the test lifts it, so "N exports are running" is a fact, not a race.

use reqwest::StatusCode;
use serde_json::Value;
use tokio::task::JoinHandle;

use jira_emulator::{DatasetConfig, EmulatorConfig, FaultConfig};

use crate::support::feed::{ALICE, ALPHA, BOB, Reader, create_data_source, feed_app, reader};
use crate::support::{TestApp, spawn_app_with_settings};

const JQL: &str = "project in (ALPHA, BETA, OPS, DATA)";

fn emulator_config(issues: usize) -> EmulatorConfig {
    EmulatorConfig {
        site_ports: vec![0, 0],
        dataset: DatasetConfig { issues, seed: 42 },
        faults: FaultConfig {
            retry_after_secs: 0,
            ..FaultConfig::default()
        },
        ..EmulatorConfig::default()
    }
}

fn stall_jira(app: &TestApp) {
    app.emulator.set_faults(FaultConfig {
        stall_requests: true,
        ..FaultConfig::default()
    });
    app.emulator.reset_stats();
}

fn release_jira(app: &TestApp) {
    app.emulator.set_faults(FaultConfig {
        retry_after_secs: 0,
        ..FaultConfig::default()
    });
}

/// Status, content type and body.
type Answer = (StatusCode, String, String);

/// Sends a feed request in the background.
fn in_background(request: reqwest::RequestBuilder) -> JoinHandle<Answer> {
    tokio::spawn(async move {
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let content_type = header(&response, "content-type").unwrap_or_default();
        (status, content_type, response.text().await.expect("a body"))
    })
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Waits until each of `requests` has either reached the stalled emulator or been answered
/// (refused): an admitted export makes exactly one Jira call (its first) before Jira is released.
async fn wait_until_admitted_or_answered(app: &TestApp, requests: &[JoinHandle<Answer>]) {
    loop {
        let answered = requests.iter().filter(|r| r.is_finished()).count() as u64;
        if app.emulator.stats().rest_requests + answered >= requests.len() as u64 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// A refusal: 429, a `Retry-After`, and the error in the feed's format.
async fn assert_refused(response: reqwest::Response, code: &str, format: &str) -> String {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after = header(&response, "retry-after").expect("Retry-After is sent");
    assert!(
        retry_after.parse::<u32>().is_ok_and(|s| s > 0),
        "{retry_after}"
    );
    let content_type = header(&response, "content-type").unwrap_or_default();
    let odata_version = header(&response, "odata-version");
    let body = response.text().await.unwrap();
    match format {
        "text" => {
            assert!(content_type.starts_with("text/plain"), "{content_type}");
            body
        }
        _ => {
            assert!(
                content_type.starts_with("application/json"),
                "{content_type}"
            );
            assert_eq!(odata_version.is_some(), format == "odata");
            let error: Value = serde_json::from_str(&body).expect("a JSON error");
            assert_eq!(error["error"]["code"], code, "{body}");
            error["error"]["message"].as_str().unwrap().to_owned()
        }
    }
}

async fn with_source(app: &TestApp, user: usize, jql: &str) -> (Reader, i64) {
    let reader = reader(app, ALPHA, user).await;
    let id = create_data_source(app, &reader.session, "All issues", jql, &[]).await;
    (reader, id)
}

#[tokio::test]
async fn exports_over_the_per_user_or_total_limit_get_429_until_running_ones_finish() {
    let app = spawn_app_with_settings(
        emulator_config(300),
        &[("EXPORTS_PER_USER", "2"), ("EXPORTS_TOTAL", "3")],
    )
    .await;
    let (alice, alice_source) = with_source(&app, ALICE, JQL).await;
    // Bob cannot browse OPS.
    let (bob, bob_source) = with_source(&app, BOB, "project in (ALPHA, BETA, DATA)").await;
    stall_jira(&app);
    let held = [
        in_background(alice.get(&app, &format!("/feed/{alice_source}/odata/Issues"))),
        in_background(alice.get(&app, &format!("/feed/{alice_source}/csv"))),
        in_background(bob.get(&app, &format!("/feed/{bob_source}/json"))),
    ];
    wait_until_admitted_or_answered(&app, &held).await;

    // Alice has her 2; Bob has 1 of his 2, but all 3 slots are taken.
    let send = |reader: &Reader, path: String| reader.get(&app, &path).send();
    let alice_count = send(&alice, format!("/feed/{alice_source}/odata/Issues/$count"))
        .await
        .unwrap();
    let per_user = assert_refused(alice_count, "TooManyExports", "odata").await;
    let alice_json = send(&alice, format!("/feed/{alice_source}/json"))
        .await
        .unwrap();
    assert_refused(alice_json, "TooManyExports", "json").await;
    let bob_csv = send(&bob, format!("/feed/{bob_source}/csv")).await.unwrap();
    let total = assert_refused(bob_csv, "ServerBusy", "text").await;
    let bob_entity_set = send(&bob, format!("/feed/{bob_source}/odata/Issues"))
        .await
        .unwrap();
    assert_refused(bob_entity_set, "ServerBusy", "odata").await;
    let calls_while_full = app.emulator.stats().rest_requests;

    release_jira(&app);
    let mut finished = Vec::new();
    for export in held {
        finished.push(export.await.expect("the held export finishes"));
    }
    let alice_count = send(&alice, format!("/feed/{alice_source}/odata/Issues/$count"))
        .await
        .unwrap();
    let alice_count_status = alice_count.status();
    let count: usize = alice_count.text().await.unwrap().parse().unwrap_or(0);
    let bob_csv = send(&bob, format!("/feed/{bob_source}/csv")).await.unwrap();

    assert!(per_user.contains("at most 2"), "{per_user}");
    assert!(total.contains("Try again"), "{total}");
    assert_eq!(calls_while_full, 3, "refused requests never reach Jira");
    for (status, content_type, body) in &finished {
        assert_eq!(*status, StatusCode::OK, "{content_type}: {body}");
    }
    let entity_set: Value = serde_json::from_str(&finished[0].2).expect("complete OData JSON");
    let rows = entity_set["value"].as_array().unwrap().len();
    assert!(rows > 0);
    let last_key = entity_set["value"][rows - 1]["Key"].as_str().unwrap();
    assert!(
        finished[1].2.contains(last_key),
        "the CSV export is complete"
    );
    assert_eq!(alice_count_status, StatusCode::OK);
    assert_eq!(count, rows);
    assert_eq!(bob_csv.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_bi_tool_refreshing_eight_tables_of_one_user_at_once_is_served_with_the_defaults() {
    let app = feed_app(100).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let mut sources = Vec::new();
    for name in ["Open bugs", "Ops", "Data", "Everything"] {
        sources.push(create_data_source(&app, &alice.session, name, JQL, &[]).await);
    }
    stall_jira(&app);
    // What a model refresh sends at once: every table, and a $count for each.
    let mut refresh = Vec::new();
    for id in &sources {
        refresh.push(in_background(
            alice.get(&app, &format!("/feed/{id}/odata/Issues")),
        ));
        refresh.push(in_background(
            alice.get(&app, &format!("/feed/{id}/odata/Issues/$count")),
        ));
    }
    wait_until_admitted_or_answered(&app, &refresh).await;

    release_jira(&app);

    for request in refresh {
        let (status, content_type, body) = request.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{content_type}: {body}");
    }
}

#[tokio::test]
async fn a_jira_answer_over_the_size_cap_fails_with_a_clear_message_in_each_format() {
    let app = feed_app(100).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let id = create_data_source(&app, &alice.session, "All issues", JQL, &[]).await;
    app.emulator.set_faults(FaultConfig {
        oversized_body_every: Some(1),
        ..FaultConfig::default()
    });

    let odata = alice
        .get(&app, &format!("/feed/{id}/odata/Issues"))
        .send()
        .await
        .unwrap();
    let odata_status = odata.status();
    let odata_body: Value = odata.json().await.expect("an OData error");
    let csv = alice
        .get(&app, &format!("/feed/{id}/csv"))
        .send()
        .await
        .unwrap();
    let csv_status = csv.status();
    let csv_body = csv.text().await.unwrap();

    assert_eq!(odata_status, StatusCode::BAD_GATEWAY);
    assert_eq!(odata_body["error"]["code"], "JiraResponseTooLarge");
    let message = odata_body["error"]["message"].as_str().unwrap();
    assert!(message.contains("MiB"), "{message}");
    assert_eq!(csv_status, StatusCode::BAD_GATEWAY);
    assert!(csv_body.contains("more data in one answer"), "{csv_body}");
    assert!(app.emulator.stats().oversized_bodies >= 2);
}
