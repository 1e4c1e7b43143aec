//! The export engine through the feeds when Jira misbehaves: 429 storms and transient 5xx still
//! give complete, correct exports; a permanent failure after the response started aborts the
//! transfer (never a short 200 that looks complete); one before the first byte is a proper error;
//! and a user without a usable Jira API token is told what to do, in each feed's format.

use std::collections::HashSet;

use serde_json::Value;

use jira_emulator::FaultConfig;

use crate::support::TestApp;
use crate::support::app_process::spawn_app_process;
use crate::support::feed::{
    ALICE, ALPHA, CUSTOM_FIELDS, Reader, assert_row_matches, create_data_source, feed_app,
    feed_emulator, read_body, reader,
};

const JQL: &str = "project in (ALPHA, BETA, OPS, DATA)";

async fn alice_with_source(app: &TestApp) -> (Reader, i64) {
    let alice = reader(app, ALPHA, ALICE).await;
    let id = create_data_source(app, &alice.session, "All issues", JQL, CUSTOM_FIELDS).await;
    (alice, id)
}

/// One page with every row (the default page is larger than these data sets).
async fn export(reader: &Reader, app: &TestApp, id: i64) -> Vec<Value> {
    let response = reader
        .get(app, &format!("/feed/{id}/odata/Issues"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("@odata.nextLink").is_none());
    body["value"].as_array().unwrap().clone()
}

#[tokio::test]
async fn rate_limit_storms_and_transient_5xx_still_give_complete_correct_exports() {
    let app = feed_app(1_200).await;
    let (alice, id) = alice_with_source(&app).await;
    let truth = alice.truth(&app, &format!("{JQL} ORDER BY key ASC"));
    for faults in [
        FaultConfig {
            rate_limit_every: Some(2),
            retry_after_secs: 0,
            ..FaultConfig::default()
        },
        FaultConfig {
            error_5xx_every: Some(3),
            error_status: 503,
            retry_after_secs: 0,
            ..FaultConfig::default()
        },
    ] {
        app.emulator.set_faults(faults.clone());
        app.emulator.reset_stats();
        let rows = export(&alice, &app, id).await;
        assert_eq!(rows.len(), truth.len(), "{faults:?}");
        for (row, issue) in rows.iter().zip(&truth) {
            assert_row_matches(row, issue);
        }
        let stats = app.emulator.stats();
        assert!(
            stats.rate_limited + stats.server_errors > 0,
            "faults were injected: {stats:?}"
        );
    }
}

#[tokio::test]
async fn a_permanent_failure_mid_stream_aborts_the_response_instead_of_ending_it_short() {
    let app = feed_app(20_000).await;
    let (alice, id) = alice_with_source(&app).await;
    for path in [
        format!("/feed/{id}/odata/Issues?$select=Key,Summary"),
        format!("/feed/{id}/csv?$select=Key,Summary"),
    ] {
        app.emulator.set_faults(FaultConfig {
            latency_ms: 20,
            ..FaultConfig::default()
        });
        let mut response = alice.get(&app, &path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let first = response.chunk().await.unwrap().expect("a first chunk");
        assert!(!first.is_empty());
        // Jira now fails every call, for good (500 is not retried).
        app.emulator.set_faults(FaultConfig {
            error_5xx_every: Some(1),
            error_status: 500,
            ..FaultConfig::default()
        });
        let rest = read_body(response).await;
        assert!(
            rest.is_err(),
            "{path}: the transfer must break off, but it ended normally after {} more bytes",
            rest.map_or(0, |b| b.len())
        );
    }
    // The truncated OData body is not valid JSON either way; a complete one would be.
    app.emulator.set_faults(FaultConfig::default());
}

#[tokio::test]
async fn a_failure_before_the_first_byte_is_a_proper_error_in_each_format() {
    let app = feed_app(100).await;
    let (alice, id) = alice_with_source(&app).await;
    // Warm the field catalogue so the failure hits the export itself.
    let response = alice
        .get(&app, &format!("/feed/{id}/odata/$metadata"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    app.emulator.set_faults(FaultConfig {
        error_5xx_every: Some(1),
        error_status: 500,
        ..FaultConfig::default()
    });
    let response = alice
        .get(&app, &format!("/feed/{id}/odata/Issues"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(
        response.headers().get_all("OData-Version").iter().count(),
        1
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "JiraUnavailable");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("HTTP 500")
    );

    let response = alice
        .get(&app, &format!("/feed/{id}/csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let response = alice
        .get(&app, &format!("/feed/{id}/json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "JiraUnavailable");
}

#[tokio::test]
async fn without_a_usable_jira_api_token_every_feed_says_what_to_do() {
    let app = feed_app(30).await;
    let (alice, id) = alice_with_source(&app).await;
    // The user revokes their Jira API token on its tab.
    let html = app
        .get_page("/app/tokens/jira/revoke", &alice.session)
        .await
        .text()
        .await
        .unwrap();
    let mut form: Vec<(&str, String)> = Vec::new();
    if html.contains(r#"name="form_id""#) {
        form.push((
            "form_id",
            crate::support::feed::input_value(&html, "form_id"),
        ));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = app
        .post_form("/app/tokens/jira/revoke", &alice.session, &form)
        .await;
    assert!(response.status().is_redirection() || response.status().is_success());

    for path in [
        format!("/feed/{id}/odata"),
        format!("/feed/{id}/odata/$metadata"),
        format!("/feed/{id}/odata/Issues"),
    ] {
        let response = alice.get(&app, &path).send().await.unwrap();
        assert_eq!(response.status(), 403, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "JiraApiTokenMissing", "{path}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Jira API Token")
        );
    }
    let response = alice
        .get(&app, &format!("/feed/{id}/csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("save one"));
    let response = alice
        .get(&app, &format!("/feed/{id}/json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "JiraApiTokenMissing");
}

#[tokio::test]
async fn a_jira_token_jira_rejects_during_an_export_is_marked_invalid() {
    let app = feed_app(30).await;
    let (alice, id) = alice_with_source(&app).await;
    let url = format!("/feed/{id}/odata/Issues?$top=1");
    assert_eq!(alice.get(&app, &url).send().await.unwrap().status(), 200);
    // The token expires (or is revoked) at Atlassian: Jira now answers 401 to it.
    #[derive(diesel::QueryableByName)]
    struct Owner {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        tenant_id: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        account_id: String,
    }
    use diesel::RunQueryDsl;
    let owner: Owner = diesel::sql_query("SELECT tenant_id, account_id FROM jira_api_tokens")
        .get_result(&mut app.db())
        .unwrap();
    let sealer = jira_bi_connector::crypto::MasterKey::load_or_create(app.data_dir.path())
        .unwrap()
        .sealer(jira_bi_connector::state::JIRA_TOKEN_PURPOSE);
    let sealed = sealer
        .seal(
            "expired-token",
            &format!("{}:{}", owner.tenant_id, owner.account_id),
        )
        .unwrap();
    diesel::sql_query("UPDATE jira_api_tokens SET token_sealed = ?")
        .bind::<diesel::sql_types::Text, _>(sealed)
        .execute(&mut app.db())
        .unwrap();

    let response = alice.get(&app, &url).send().await.unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "JiraApiTokenRejected");
    // The token is marked rejected (by the export task, right after it ends), so the Jira API
    // Token tab shows it and later requests do not call Jira with it again.
    #[derive(diesel::QueryableByName)]
    struct Rejected {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
        rejected_at: Option<i64>,
    }
    let mut marked = false;
    for _ in 0..100 {
        let row: Rejected = diesel::sql_query("SELECT rejected_at FROM jira_api_tokens")
            .get_result(&mut app.db())
            .unwrap();
        if row.rejected_at.is_some() {
            marked = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(marked, "the saved token is marked rejected");
    app.emulator.reset_stats();
    let response = alice.get(&app, &url).send().await.unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "JiraApiTokenRejected");
    assert_eq!(app.emulator.stats().rest_requests, 0);
}

#[tokio::test]
async fn the_export_is_logged_and_reads_jira_in_parallel_batches() {
    let (app, process) = spawn_app_process(feed_emulator(2_000)).await;
    let (alice, id) = alice_with_source(&app).await;
    app.emulator.reset_stats();
    let rows = export(&alice, &app, id).await;
    assert_eq!(rows.len(), 2_000);
    let keys: HashSet<&str> = rows.iter().map(|r| r["Key"].as_str().unwrap()).collect();
    assert_eq!(keys.len(), 2_000);
    let stats = app.emulator.stats();
    // One id page (up to 5,000 ids) plus 20 bulk fetches of 100, some at the same time.
    assert_eq!(stats.requests.get("POST /rest/api/3/search/jql"), Some(&1));
    assert_eq!(
        stats.requests.get("POST /rest/api/3/issue/bulkfetch"),
        Some(&20)
    );
    assert!(stats.max_concurrent_rest > 1);
    // The engine starts at 8 and may grow to its ceiling while Jira answers without throttling.
    let ceiling = jira_bi_connector::feed::export::MAX_CONCURRENCY as u64;
    assert!(stats.max_concurrent_rest <= ceiling);
    let logged = process.log_line("export finished").await;
    for field in [
        format!(
            "tenant.client_key=\"{}\"",
            app.emulator.sites()[ALPHA].client_key
        ),
        format!("datasource.id={id}"),
        "feed.format=\"odata\"".to_owned(),
        "export.outcome=\"complete\"".to_owned(),
        "export.rows=2000".to_owned(),
        "jira.requests=21".to_owned(),
        "jira.retries=0".to_owned(),
    ] {
        assert!(logged.contains(&field), "{field} in {logged}");
    }
    assert!(!logged.contains(&alice.access_token), "{logged}");
}
