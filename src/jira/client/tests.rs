//! The endpoints against a scripted Jira: what each sends and how each reads Jira's answer,
//! including paging and the re-requests of `issueErrors`.

use std::time::Duration;

use actix_web::HttpResponse;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::mock::{MockJira, Recorded, client, creds, myself_json, ok_json};
use super::*;

// ---- the happy path and what goes on the wire ----

#[actix_web::test]
async fn myself_sends_preemptive_basic_auth_and_reads_the_account() {
    let jira = MockJira::start(|_, _| ok_json(myself_json())).await;

    let account = client(0).myself(&jira.site(), &creds()).await.unwrap();

    assert_eq!(account.account_id, "5b10a2844c20165700ede21g");
    assert_eq!(account.display_name, "Mia Krystof");
    assert_eq!(account.email_address.as_deref(), Some("mia@example.com"));
    let requests = jira.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/rest/api/3/myself");
    let expected = format!(
        "Basic {}",
        STANDARD.encode("ana@example.com:ATATT-test-token")
    );
    assert_eq!(request.authorization.as_deref(), Some(expected.as_str()));
    assert_eq!(
        request.user_agent.as_deref(),
        Some(concat!("jira-bi-connector/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(request.accept.as_deref(), Some("application/json"));
    jira.stop().await;
}

#[actix_web::test]
async fn hidden_email_address_is_none_whether_absent_null_or_empty() {
    let jira = MockJira::start(|n, _| match n {
        0 => ok_json(json!({"accountId": "a1", "displayName": "A"})),
        1 => ok_json(json!({"accountId": "a1", "displayName": "A", "emailAddress": null})),
        _ => ok_json(json!({"accountId": "a1", "displayName": "A", "emailAddress": ""})),
    })
    .await;
    let client = client(0);
    for _ in 0..3 {
        let account = client.myself(&jira.site(), &creds()).await.unwrap();
        assert_eq!(account.email_address, None);
    }
    jira.stop().await;
}

#[actix_web::test]
async fn site_context_path_is_kept_in_front_of_the_api_path() {
    let jira = MockJira::start(|_, _| ok_json(myself_json())).await;
    let site = JiraSite::parse(&format!("{}/jira/", jira.base)).unwrap();

    client(0).myself(&site, &creds()).await.unwrap();

    assert_eq!(jira.requests()[0].path, "/jira/rest/api/3/myself");
    jira.stop().await;
}
// ---- the individual endpoints ----

#[actix_web::test]
async fn search_jql_sends_only_keys_the_bean_allows_and_reads_pages() {
    let jira = MockJira::start(|n, _| match n {
        0 => ok_json(json!({
            "issues": [{"expand": "", "id": "10002", "key": "ED-1",
                        "self": "https://x/rest/api/3/issue/10002",
                        "fields": {"summary": "First", "status": {"name": "Done"}}}],
            "nextPageToken": "CAEaAggD",
            "isLast": false
        })),
        _ => ok_json(json!({
            "issues": [{"id": "10003", "key": "ED-2", "fields": {"summary": "Second"}}],
            "nextPageToken": null,
            "isLast": true
        })),
    })
    .await;
    let client = client(0);
    let mut request = SearchRequest {
        jql: "project = ED ORDER BY key".to_owned(),
        next_page_token: None,
        max_results: 100,
        fields: vec!["summary".to_owned(), "status".to_owned()],
    };

    let first = client
        .search_jql(&jira.site(), &creds(), &request)
        .await
        .unwrap();
    request.next_page_token = first.next_page_token.clone();
    let second = client
        .search_jql(&jira.site(), &creds(), &request)
        .await
        .unwrap();

    assert_eq!(first.issues.len(), 1);
    assert_eq!(first.issues[0]["key"], "ED-1");
    assert_eq!(first.next_page_token.as_deref(), Some("CAEaAggD"));
    assert!(!first.is_last);
    assert_eq!(second.issues[0]["key"], "ED-2");
    assert_eq!(second.next_page_token, None);
    assert!(second.is_last);
    let requests = jira.requests();
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/rest/api/3/search/jql");
    assert_eq!(
        requests[0].content_type.as_deref(),
        Some("application/json")
    );
    assert_eq!(
        requests[0].json(),
        json!({"jql": "project = ED ORDER BY key", "maxResults": 100,
               "fields": ["summary", "status"]})
    );
    assert_eq!(
        requests[1].json(),
        json!({"jql": "project = ED ORDER BY key", "nextPageToken": "CAEaAggD",
               "maxResults": 100, "fields": ["summary", "status"]})
    );
    jira.stop().await;
}

#[actix_web::test]
async fn search_without_a_next_token_is_the_last_page_even_if_jira_says_otherwise() {
    let jira = MockJira::start(|_, _| {
        ok_json(json!({"issues": [], "isLast": false, "nextPageToken": ""}))
    })
    .await;
    let request = SearchRequest {
        jql: "project = ED".to_owned(),
        next_page_token: None,
        max_results: 10,
        fields: vec![],
    };

    let page = client(0)
        .search_jql(&jira.site(), &creds(), &request)
        .await
        .unwrap();

    assert!(page.is_last);
    assert_eq!(page.next_page_token, None);
    assert_eq!(
        jira.requests()[0].json(),
        json!({"jql": "project = ED", "maxResults": 10})
    );
    jira.stop().await;
}

#[actix_web::test]
async fn approximate_count_posts_the_jql() {
    let jira = MockJira::start(|_, _| ok_json(json!({"count": 4711}))).await;

    let count = client(0)
        .approximate_count(&jira.site(), &creds(), "project = EX")
        .await
        .unwrap();

    assert_eq!(count, 4711);
    let request = &jira.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/rest/api/3/search/approximate-count");
    jira.stop().await;
}

#[actix_web::test]
async fn bulk_fetch_sends_at_most_100_ids_per_call() {
    let jira = MockJira::start(|_, request| {
        let ids = request.json()["issueIdsOrKeys"].as_array().unwrap().clone();
        let issues: Vec<_> = ids
            .iter()
            .map(
                |id| json!({"id": id, "key": format!("EX-{}", id.as_str().unwrap()), "fields": {}}),
            )
            .collect();
        ok_json(json!({"expand": "", "issues": issues, "issueErrors": []}))
    })
    .await;
    let ids: Vec<String> = (1..=150).map(|n| n.to_string()).collect();
    let fields = vec!["summary".to_owned()];
    let client = client(0);

    let issues = client
        .bulk_fetch(&jira.site(), &creds(), &ids, &fields)
        .await
        .unwrap();
    let none = client
        .bulk_fetch(&jira.site(), &creds(), &[], &fields)
        .await
        .unwrap();

    assert_eq!(issues.len(), 150);
    assert_eq!(issues[149]["key"], "EX-150");
    assert!(none.is_empty());
    let requests = jira.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, "/rest/api/3/issue/bulkfetch");
    let sizes: Vec<usize> = requests
        .iter()
        .map(|r| r.json()["issueIdsOrKeys"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, vec![100, 50]);
    assert_eq!(requests[0].json()["fields"], json!(["summary"]));
    jira.stop().await;
}

/// A bulkfetch answer for the requested ids: those in `errors` listed under `issueErrors`, those
/// in `absent` neither returned nor listed (deleted or hidden), the rest returned.
fn bulk_answer(request: &Recorded, errors: &[&str], absent: &[&str]) -> HttpResponse {
    let requested: Vec<String> = request.json()["issueIdsOrKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    let issues: Vec<_> = requested
        .iter()
        .filter(|id| !errors.contains(&id.as_str()) && !absent.contains(&id.as_str()))
        .map(|id| json!({"id": id, "key": format!("EX-{id}"), "fields": {}}))
        .collect();
    let issue_errors: Vec<_> = requested
        .iter()
        .filter(|id| errors.contains(&id.as_str()))
        .map(|id| json!({"id": id, "errorMessage": "Retry later."}))
        .collect();
    ok_json(json!({"issues": issues, "issueErrors": issue_errors}))
}

fn requested_ids(request: &Recorded) -> Vec<String> {
    request.json()["issueIdsOrKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn issue_errors_are_requested_again_with_backoff_until_every_issue_is_returned() {
    let jira = MockJira::start(|n, request| match n {
        0 => bulk_answer(request, &["7", "9"], &["5"]),
        1 => bulk_answer(request, &["9"], &[]),
        _ => bulk_answer(request, &[], &[]),
    })
    .await;
    let ids: Vec<String> = (1..=10).map(|n| n.to_string()).collect();
    let pause = Pause::recording();
    let client = client(4).with_pause(pause.clone());

    let issues = client
        .bulk_fetch(&jira.site(), &creds(), &ids, &[])
        .await
        .unwrap();

    let mut got: Vec<&str> = issues.iter().map(|i| i["id"].as_str().unwrap()).collect();
    got.sort_by_key(|id| id.parse::<u32>().unwrap());
    // Issue 5 was neither returned nor listed: deleted or hidden, so it stays out.
    assert_eq!(got, ["1", "2", "3", "4", "6", "7", "8", "9", "10"]);
    let requests = jira.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requested_ids(&requests[1]), ["7", "9"]);
    assert_eq!(requested_ids(&requests[2]), ["9"]);
    // The policy's backoff (1 ms doubling), at the jitter midpoint the recorder uses.
    assert_eq!(
        pause.waits(),
        [Duration::from_millis(1), Duration::from_millis(2)]
    );
    assert_eq!(
        client.stats(),
        CallStats {
            requests: 3,
            retries: 2
        }
    );
    jira.stop().await;
}

#[actix_web::test]
async fn issues_jira_never_returns_fail_the_call_after_the_last_retry() {
    let jira = MockJira::start(|_, request| bulk_answer(request, &["3"], &[])).await;
    let ids: Vec<String> = (1..=4).map(|n| n.to_string()).collect();
    let pause = Pause::recording();
    let client = client(4).with_pause(pause.clone());

    let err = client
        .bulk_fetch(&jira.site(), &creds(), &ids, &[])
        .await
        .unwrap_err();

    assert_eq!(err, JiraError::IssuesUnavailable { count: 1 });
    assert_eq!(jira.requests().len(), 5);
    let millis = |ms: &[u64]| {
        ms.iter()
            .map(|&m| Duration::from_millis(m))
            .collect::<Vec<_>>()
    };
    assert_eq!(pause.waits(), millis(&[1, 2, 4, 8]));
    assert_eq!(client.stats().retries, 4);
    jira.stop().await;
}

#[actix_web::test]
async fn an_issue_error_without_an_id_is_an_invalid_response_not_a_short_answer() {
    let jira = MockJira::start(|_, _| {
        ok_json(json!({"issues": [{"id": "1", "key": "EX-1", "fields": {}}],
                       "issueErrors": [{"errorMessage": "Retry later."}]}))
    })
    .await;
    let ids = vec!["1".to_owned(), "2".to_owned()];

    let err = client(4)
        .bulk_fetch(&jira.site(), &creds(), &ids, &[])
        .await
        .unwrap_err();

    assert!(matches!(err, JiraError::InvalidResponse(_)), "{err:?}");
    assert_eq!(jira.requests().len(), 1);
    jira.stop().await;
}

#[actix_web::test]
async fn issue_errors_of_every_chunk_are_retried_within_that_chunk() {
    let jira = MockJira::start(|n, request| match n {
        0 => bulk_answer(request, &["100"], &[]),
        2 => bulk_answer(request, &["101", "150"], &[]),
        _ => bulk_answer(request, &[], &[]),
    })
    .await;
    let ids: Vec<String> = (1..=150).map(|n| n.to_string()).collect();
    let pause = Pause::recording();
    let client = client(4).with_pause(pause.clone());

    let issues = client
        .bulk_fetch(&jira.site(), &creds(), &ids, &[])
        .await
        .unwrap();

    assert_eq!(issues.len(), 150);
    let sizes: Vec<usize> = jira
        .requests()
        .iter()
        .map(|r| requested_ids(r).len())
        .collect();
    assert_eq!(sizes, [100, 1, 50, 2]);
    // Each chunk starts its backoff afresh.
    assert_eq!(
        pause.waits(),
        [Duration::from_millis(1), Duration::from_millis(1)]
    );
    jira.stop().await;
}

#[actix_web::test]
async fn fields_are_read_with_their_schema() {
    let jira = MockJira::start(|_, _| {
        ok_json(json!([
            {"id": "summary", "key": "summary", "name": "Summary", "custom": false,
             "orderable": true, "navigable": true, "searchable": true,
             "clauseNames": ["summary"], "schema": {"type": "string", "system": "summary"}},
            {"id": "customfield_10020", "key": "customfield_10020", "name": "Sprint",
             "custom": true, "clauseNames": ["cf[10020]", "Sprint"],
             "schema": {"type": "array", "items": "json",
                        "custom": "com.pyxis.greenhopper.jira:gh-sprint", "customId": 10020},
             "scope": {"type": "PROJECT"}},
            {"id": "issuekey", "name": "Key"}
        ]))
    })
    .await;

    let fields = client(0).fields(&jira.site(), &creds()).await.unwrap();

    assert_eq!(fields.len(), 3);
    assert_eq!(
        fields[0].schema.as_ref().unwrap().system.as_deref(),
        Some("summary")
    );
    let sprint = &fields[1];
    assert!(sprint.custom);
    assert_eq!(
        sprint.schema,
        Some(FieldSchema {
            field_type: "array".to_owned(),
            items: Some("json".to_owned()),
            custom: Some("com.pyxis.greenhopper.jira:gh-sprint".to_owned()),
            system: None,
            custom_id: Some(10020),
        })
    );
    assert!(!fields[2].custom);
    assert_eq!(fields[2].schema, None);
    assert_eq!(jira.requests()[0].path, "/rest/api/3/field");
    jira.stop().await;
}

#[actix_web::test]
async fn projects_follow_start_at_until_is_last() {
    let jira = MockJira::start(|n, _| match n {
        0 => ok_json(json!({
            "self": "x", "nextPage": "x?startAt=2", "maxResults": 2, "startAt": 0,
            "total": 3, "isLast": false,
            "values": [{"id": "10000", "key": "AA", "name": "Alpha", "projectTypeKey": "software"},
                       {"id": "10001", "key": "BB", "name": "Beta"}]
        })),
        _ => ok_json(json!({
            "maxResults": 2, "startAt": 2, "total": 3, "isLast": true,
            "values": [{"id": "10002", "key": "CC", "name": "Gamma"}]
        })),
    })
    .await;

    let projects = client(0).projects(&jira.site(), &creds()).await.unwrap();

    let keys: Vec<&str> = projects.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, vec!["AA", "BB", "CC"]);
    assert_eq!(projects[0].name, "Alpha");
    let requests = jira.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, "/rest/api/3/project/search");
    assert!(requests[0].query.contains("startAt=0"));
    assert!(requests[0].query.contains("maxResults=100"));
    assert!(requests[1].query.contains("startAt=2"));
    jira.stop().await;
}

#[actix_web::test]
async fn no_visible_projects_is_an_empty_list() {
    let jira = MockJira::start(|_, _| {
        HttpResponse::NotFound().json(json!({"errorMessages": ["No projects found"], "errors": {}}))
    })
    .await;

    let projects = client(0).projects(&jira.site(), &creds()).await.unwrap();

    assert!(projects.is_empty());
    jira.stop().await;
}

#[actix_web::test]
async fn fresh_stats_count_separately_but_share_the_client() {
    let jira = MockJira::start(|_, _| ok_json(myself_json())).await;
    let shared = client(0);
    let export = shared.with_fresh_stats();

    shared.myself(&jira.site(), &creds()).await.unwrap();
    export.myself(&jira.site(), &creds()).await.unwrap();
    export.myself(&jira.site(), &creds()).await.unwrap();

    assert_eq!(shared.stats().requests, 1);
    assert_eq!(export.stats().requests, 2);
    jira.stop().await;
}

#[actix_web::test]
async fn a_callers_own_wait_goes_through_the_same_pause_as_the_retries() {
    let jira = MockJira::start(|n, _| match n {
        0 => HttpResponse::ServiceUnavailable().finish(),
        _ => ok_json(myself_json()),
    })
    .await;
    let pause = Pause::recording();
    let client = client(1).with_pause(pause.clone());

    client.myself(&jira.site(), &creds()).await.unwrap();
    client.wait(Duration::from_secs(2)).await;

    assert_eq!(
        pause.waits(),
        [Duration::from_millis(1), Duration::from_secs(2)]
    );
    jira.stop().await;
}
