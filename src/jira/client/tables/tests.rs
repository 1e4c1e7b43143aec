//! The table endpoints against a scripted Jira: paging to the end, and every way a page can
//! make the answer short turned into an error.

use serde_json::json;

use super::super::mock::{MockJira, client, creds, ok_json};
use crate::jira::client::JiraError;

fn ids(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

#[actix_web::test]
async fn changelogs_follow_the_page_token_and_group_histories_by_issue() {
    let jira = MockJira::start(|n, _| match n {
        0 => ok_json(json!({
            "issueChangeLogs": [
                {"issueId": "10001", "changeHistories": [{"id": "1"}]},
                {"issueId": "10002", "changeHistories": [{"id": "2"}]}
            ],
            "nextPageToken": "p2"
        })),
        _ => ok_json(json!({
            "issueChangeLogs": [{"issueId": "10001", "changeHistories": [{"id": "3"}]}]
        })),
    })
    .await;
    let got = client(0)
        .changelogs(
            &jira.site(),
            &creds(),
            &ids(&["10001", "10002"]),
            &ids(&["status"]),
        )
        .await
        .unwrap();
    assert_eq!(got["10001"], vec![json!({"id": "1"}), json!({"id": "3"})]);
    assert_eq!(got["10002"], vec![json!({"id": "2"})]);
    let requests = jira.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, "/rest/api/3/changelog/bulkfetch");
    assert_eq!(
        requests[0].json(),
        json!({"issueIdsOrKeys": ["10001", "10002"], "fieldIds": ["status"], "maxResults": 1000})
    );
    assert_eq!(requests[1].json()["nextPageToken"], "p2");
    jira.stop().await;
}

#[actix_web::test]
async fn changelogs_send_at_most_a_thousand_issues_per_call() {
    let jira = MockJira::start(|_, _| ok_json(json!({"issueChangeLogs": []}))).await;
    let many: Vec<String> = (0..2_500).map(|i| (10_000 + i).to_string()).collect();
    client(0)
        .changelogs(&jira.site(), &creds(), &many, &[])
        .await
        .unwrap();
    let sizes: Vec<usize> = jira
        .requests()
        .iter()
        .map(|r| r.json()["issueIdsOrKeys"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [1000, 1000, 500]);
    jira.stop().await;
}

#[actix_web::test]
async fn a_changelog_page_token_that_repeats_or_an_issue_not_asked_for_is_an_error() {
    let jira =
        MockJira::start(|_, _| ok_json(json!({"issueChangeLogs": [], "nextPageToken": "same"})))
            .await;
    let err = client(0)
        .changelogs(&jira.site(), &creds(), &ids(&["1"]), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, JiraError::InvalidResponse(_)), "{err:?}");
    jira.stop().await;

    let jira = MockJira::start(|_, _| {
        ok_json(json!({"issueChangeLogs": [{"issueId": "99", "changeHistories": []}]}))
    })
    .await;
    let err = client(0)
        .changelogs(&jira.site(), &creds(), &ids(&["1"]), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, JiraError::InvalidResponse(_)), "{err:?}");
    jira.stop().await;
}

#[actix_web::test]
async fn worklogs_are_paged_from_where_the_last_page_ended_until_the_total() {
    let jira = MockJira::start(|n, _| match n {
        // A page shorter than asked for although more follow: continue from where it ended.
        0 => ok_json(json!({"startAt": 0, "maxResults": 5000, "total": 3,
                            "worklogs": [{"id": "1"}, {"id": "2"}]})),
        _ => ok_json(json!({"startAt": 2, "maxResults": 5000, "total": 3,
                            "worklogs": [{"id": "3"}]})),
    })
    .await;
    let got = client(0)
        .issue_worklogs(&jira.site(), &creds(), "10001")
        .await
        .unwrap();
    assert_eq!(got.len(), 3);
    let requests = jira.requests();
    assert_eq!(requests[0].path, "/rest/api/3/issue/10001/worklog");
    assert_eq!(requests[0].query, "startAt=0&maxResults=5000");
    assert_eq!(requests[1].query, "startAt=2&maxResults=5000");
    jira.stop().await;
}

#[actix_web::test]
async fn an_empty_worklog_page_before_the_total_is_an_error_not_a_short_list() {
    let jira = MockJira::start(|n, _| match n {
        0 => ok_json(json!({"startAt": 0, "total": 5, "worklogs": [{"id": "1"}]})),
        _ => ok_json(json!({"startAt": 1, "total": 5, "worklogs": []})),
    })
    .await;
    let err = client(0)
        .issue_worklogs(&jira.site(), &creds(), "10001")
        .await
        .unwrap_err();
    assert!(matches!(err, JiraError::InvalidResponse(_)), "{err:?}");
    jira.stop().await;
}

#[actix_web::test]
async fn ids_that_are_not_numbers_never_reach_a_path() {
    let jira = MockJira::start(|_, _| ok_json(json!({}))).await;
    for bad in ["", "../myself", "1/2", "10001?x=1", "１２"] {
        let err = client(0)
            .issue_worklogs(&jira.site(), &creds(), bad)
            .await
            .unwrap_err();
        assert!(
            matches!(err, JiraError::InvalidResponse(_)),
            "{bad}: {err:?}"
        );
    }
    assert!(jira.requests().is_empty());
    jira.stop().await;
}

#[actix_web::test]
async fn a_sprint_or_project_jira_does_not_show_is_none() {
    let jira = MockJira::start(|_, _| actix_web::HttpResponse::NotFound().finish()).await;
    let client = client(0);
    assert_eq!(
        client.sprint(&jira.site(), &creds(), 37).await.unwrap(),
        None
    );
    assert_eq!(
        client
            .project_versions(&jira.site(), &creds(), "10000")
            .await
            .unwrap(),
        None
    );
    let paths: Vec<String> = jira.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/rest/agile/1.0/sprint/37",
            "/rest/api/3/project/10000/version"
        ]
    );
    jira.stop().await;
}

#[actix_web::test]
async fn versions_are_paged_until_is_last() {
    let jira = MockJira::start(|n, _| match n {
        0 => ok_json(json!({"startAt": 0, "maxResults": 50, "total": 51, "isLast": false,
                            "values": (0..50).map(|i| json!({"id": i.to_string()})).collect::<Vec<_>>()})),
        _ => ok_json(json!({"startAt": 50, "maxResults": 50, "total": 51, "isLast": true,
                            "values": [{"id": "50"}]})),
    })
    .await;
    let got = client(0)
        .project_versions(&jira.site(), &creds(), "10000")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.len(), 51);
    assert_eq!(jira.requests()[1].query, "startAt=50&maxResults=50");
    jira.stop().await;
}
