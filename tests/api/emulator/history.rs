//! Change histories and worklogs over HTTP: bulk changelog paging and limits, per-issue worklog
//! paging, permissions, and the fault knobs of those endpoints, against the data set's truth.

use std::collections::HashMap;

use jira_emulator::{FaultConfig, UserInfo, testing};
use serde_json::{Value, json};

use super::{get, post, start_emulator};

/// Follows `nextPageToken` to the end; returns every page.
async fn changelog_pages(base_url: &str, user: &UserInfo, request: Value) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = request.clone();
        if let Some(token) = &token {
            body["nextPageToken"] = json!(token);
        }
        let response = post(base_url, "/rest/api/3/changelog/bulkfetch", user, &body)
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 200);
        let page: Value = response.json().await.expect("JSON");
        token = page["nextPageToken"].as_str().map(str::to_owned);
        pages.push(page);
        if token.is_none() {
            return pages;
        }
        assert!(pages.len() < 10_000, "paging does not end");
    }
}

/// `(issueId, history)` in page order.
fn histories(pages: &[Value]) -> Vec<(String, Value)> {
    pages
        .iter()
        .flat_map(|page| {
            page["issueChangeLogs"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .flat_map(|log| {
            let id = log["issueId"].as_str().unwrap_or_default().to_owned();
            log["changeHistories"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |history| (id.clone(), history))
        })
        .collect()
}

#[tokio::test]
async fn bulk_changelog_pages_walk_to_the_end_returning_every_history_once_oldest_first() {
    let emulator = start_emulator(400).await;
    let site = &emulator.sites()[0];
    let dataset = emulator.dataset(0).expect("site 0");
    let long = dataset.issues_with_over_100_changes();
    assert!(
        long.iter()
            .any(|&index| dataset.change_histories(index).len() >= 300)
    );
    let indices: Vec<usize> = (0..120)
        .chain(long.iter().copied().filter(|&index| index >= 120))
        .collect();
    let ids: Vec<String> = indices
        .iter()
        .filter_map(|&i| dataset.issue_id(i))
        .collect();
    // Keys work as well as ids.
    let mut requested: Vec<String> = ids[..60].to_vec();
    requested.extend(indices[60..].iter().filter_map(|&i| dataset.issue_key(i)));

    let pages = changelog_pages(
        &site.base_url,
        &site.users[0],
        json!({"issueIdsOrKeys": requested, "maxResults": 37}),
    )
    .await;

    let got = histories(&pages);
    let mut expected = Vec::new();
    for &index in &indices {
        let id = dataset.issue_id(index).expect("id");
        expected.extend(
            dataset
                .change_histories(index)
                .into_iter()
                .map(|h| (id.clone(), h)),
        );
    }
    assert_eq!(got.len(), expected.len());
    assert!(
        pages
            .iter()
            .all(|page| histories(std::slice::from_ref(page)).len() <= 37)
    );
    assert_eq!(pages.len(), expected.len().div_ceil(37));
    let order = |(id, history): &(String, Value)| {
        (
            history["created"].as_str().unwrap_or_default().to_owned(),
            id.parse::<u64>().unwrap_or_default(),
            history["id"]
                .as_str()
                .unwrap_or_default()
                .parse::<u64>()
                .unwrap_or_default(),
        )
    };
    let mut sorted = expected.clone();
    sorted.sort_by_key(order);
    // Pages follow (date, issue id); within a page histories are grouped by issue.
    let per_page: Vec<Vec<(String, Value)>> = pages
        .iter()
        .map(|page| histories(std::slice::from_ref(page)))
        .collect();
    let mut start = 0;
    for page in &per_page {
        let mut want: Vec<_> = sorted[start..start + page.len()].to_vec();
        let mut have = page.clone();
        want.sort_by_key(order);
        have.sort_by_key(order);
        assert_eq!(have, want);
        start += page.len();
    }
    // An issue with more histories than a page continues on the next one.
    let spans = per_page
        .iter()
        .filter(|page| page.iter().any(|(id, _)| *id == ids[ids.len() - 1]))
        .count();
    assert!(spans >= 2);
}

#[tokio::test]
async fn bulk_changelog_limits_answer_400_and_field_ids_filter_items() {
    let emulator = start_emulator(1200).await;
    let site = &emulator.sites()[0];
    let alice = &site.users[0];
    let dataset = emulator.dataset(0).expect("site 0");
    let ids = |count: usize| -> Vec<String> {
        (0..count)
            .filter_map(|index| dataset.issue_id(index))
            .collect()
    };
    let status = |body: Value| async move {
        post(
            &site.base_url,
            "/rest/api/3/changelog/bulkfetch",
            alice,
            &body,
        )
        .send()
        .await
        .expect("answers")
        .status()
    };
    assert_eq!(
        status(json!({"issueIdsOrKeys": ids(1000), "maxResults": 10000})).await,
        200
    );
    assert_eq!(status(json!({"issueIdsOrKeys": ids(1001)})).await, 400);
    assert_eq!(status(json!({"issueIdsOrKeys": []})).await, 400);
    assert_eq!(
        status(json!({"issueIdsOrKeys": ids(3), "maxResults": 10001})).await,
        400
    );
    assert_eq!(
        status(json!({"issueIdsOrKeys": ids(3), "maxResults": 0})).await,
        400
    );
    let eleven: Vec<String> = (0..11).map(|n| format!("customfield_{n}")).collect();
    assert_eq!(
        status(json!({"issueIdsOrKeys": ids(3), "fieldIds": eleven})).await,
        400
    );
    assert_eq!(
        status(json!({"issueIdsOrKeys": ids(3), "unknown": 1})).await,
        400
    );
    assert_eq!(
        status(json!({"issueIdsOrKeys": ids(3), "nextPageToken": "forged"})).await,
        400
    );

    let pages = changelog_pages(
        &site.base_url,
        alice,
        json!({"issueIdsOrKeys": ids(300), "fieldIds": ["status"], "maxResults": 100}),
    )
    .await;
    let got = histories(&pages);
    let expected: usize = (0..300)
        .map(|index| {
            dataset
                .change_histories(index)
                .iter()
                .filter(|history| {
                    history["items"]
                        .as_array()
                        .is_some_and(|items| items.iter().any(|item| item["fieldId"] == "status"))
                })
                .count()
        })
        .sum();
    assert_eq!(got.len(), expected);
    assert!(got.iter().all(|(_, history)| {
        history["items"]
            .as_array()
            .is_some_and(|items| items.iter().all(|item| item["fieldId"] == "status"))
    }));
}

#[tokio::test]
async fn hidden_and_unknown_issues_contribute_nothing_and_tokens_are_bound_to_their_request() {
    let emulator = start_emulator(300).await;
    let site = &emulator.sites()[0];
    let (alice, bob) = (&site.users[0], &site.users[1]);
    let dataset = emulator.dataset(0).expect("site 0");
    let ops: Vec<String> = (0..300)
        .filter(|&index| dataset.project_key(index) == Some("OPS"))
        .filter_map(|index| dataset.issue_key(index))
        .collect();
    let mut mixed = ops.clone();
    mixed.extend([
        "ALPHA-1".to_owned(),
        "NOPE-1".to_owned(),
        "99999999".to_owned(),
    ]);

    let bobs =
        histories(&changelog_pages(&site.base_url, bob, json!({"issueIdsOrKeys": mixed})).await);
    let alices =
        histories(&changelog_pages(&site.base_url, alice, json!({"issueIdsOrKeys": mixed})).await);

    let alpha_1 = dataset.issue_id(0).expect("id");
    assert!(bobs.iter().all(|(id, _)| *id == alpha_1));
    assert_eq!(bobs.len(), dataset.change_histories(0).len());
    assert!(alices.len() > bobs.len());
    let bobs_ops = post(
        &site.base_url,
        "/rest/api/3/changelog/bulkfetch",
        bob,
        &json!({"issueIdsOrKeys": ops}),
    )
    .send()
    .await
    .expect("answers");
    assert_eq!(bobs_ops.status(), 200);
    let body: Value = bobs_ops.json().await.expect("JSON");
    assert_eq!(body, json!({"issueChangeLogs": []}));

    // A token works only for the caller and the issues it was issued for.
    let first: Value = post(
        &site.base_url,
        "/rest/api/3/changelog/bulkfetch",
        alice,
        &json!({"issueIdsOrKeys": mixed, "maxResults": 5}),
    )
    .send()
    .await
    .expect("answers")
    .json()
    .await
    .expect("JSON");
    let token = first["nextPageToken"].as_str().expect("a token");
    for (user, issues) in [(bob, &mixed), (alice, &ops)] {
        let response = post(
            &site.base_url,
            "/rest/api/3/changelog/bulkfetch",
            user,
            &json!({"issueIdsOrKeys": issues, "maxResults": 5, "nextPageToken": token}),
        )
        .send()
        .await
        .expect("answers");
        assert_eq!(response.status(), 400);
    }
    let hidden_issue = get(
        &site.base_url,
        &format!("/rest/api/3/issue/{}/worklog", ops[0]),
        bob,
    )
    .send()
    .await
    .expect("answers");
    assert_eq!(hidden_issue.status(), 404);
}

/// Every worklog of `issue` as `user`, `page` at a time.
async fn worklog_pages(base_url: &str, user: &UserInfo, issue: &str, page: usize) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let response = get(
            base_url,
            &format!(
                "/rest/api/3/issue/{issue}/worklog?startAt={}&maxResults={page}",
                all.len()
            ),
            user,
        )
        .send()
        .await
        .expect("answers");
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("JSON");
        let worklogs = body["worklogs"].as_array().cloned().unwrap_or_default();
        let total = body["total"].as_u64().unwrap_or_default() as usize;
        let done = worklogs.is_empty() || all.len() + worklogs.len() >= total;
        all.extend(worklogs);
        if done {
            return all;
        }
    }
}

#[tokio::test]
async fn worklog_pages_and_the_worklog_field_match_the_truth_each_user_may_see() {
    let emulator = start_emulator(300).await;
    let site = &emulator.sites()[0];
    let (alice, bob) = (&site.users[0], &site.users[1]);
    let dataset = emulator.dataset(0).expect("site 0");
    let busy = dataset.issues_with_over_20_worklogs();
    let index = *busy
        .iter()
        .find(|&&index| dataset.worklog_list(index, None).len() >= 200)
        .expect("an issue with hundreds of worklogs");
    let key = dataset.issue_key(index).expect("key");

    let alices = worklog_pages(&site.base_url, alice, &key, 70).await;
    let bobs = worklog_pages(&site.base_url, bob, &key, 5000).await;

    assert_eq!(alices, dataset.worklog_list(index, None));
    assert_eq!(bobs, dataset.worklog_list(index, Some(1)));
    assert!(bobs.len() < alices.len(), "some worklogs are restricted");
    assert!(
        bobs.iter()
            .all(|worklog| worklog.get("visibility").is_none())
    );
    let seconds: i64 = alices
        .iter()
        .filter_map(|w| w["timeSpentSeconds"].as_i64())
        .sum();

    let bulk: Value = post(
        &site.base_url,
        "/rest/api/3/issue/bulkfetch",
        bob,
        &json!({"issueIdsOrKeys": [key], "fields": ["worklog", "timespent"]}),
    )
    .send()
    .await
    .expect("answers")
    .json()
    .await
    .expect("JSON");
    let fields = &bulk["issues"][0]["fields"];
    assert_eq!(fields["timespent"], json!(seconds));
    assert_eq!(fields["worklog"]["total"], json!(bobs.len()));
    assert_eq!(fields["worklog"]["maxResults"], json!(20));
    assert_eq!(fields["worklog"]["worklogs"], json!(bobs[..20]));

    // startedAfter is "on or after", startedBefore "before", both in ms.
    let started = |worklog: &Value| worklog["started"].as_str().unwrap_or_default().to_owned();
    let middle = &alices[alices.len() / 2];
    let after = parse_ms(&started(middle));
    let later: Value = get(
        &site.base_url,
        &format!(
            "/rest/api/3/issue/{key}/worklog?startedAfter={after}&startedBefore={}",
            after + 86_400_000
        ),
        alice,
    )
    .send()
    .await
    .expect("answers")
    .json()
    .await
    .expect("JSON");
    let want: Vec<&Value> = alices
        .iter()
        .filter(|w| (after..after + 86_400_000).contains(&parse_ms(&started(w))))
        .collect();
    assert!(!want.is_empty());
    assert_eq!(
        later["worklogs"]
            .as_array()
            .map(|w| w.iter().collect::<Vec<_>>()),
        Some(want)
    );
    let bad = get(
        &site.base_url,
        &format!("/rest/api/3/issue/{key}/worklog?startAt=x"),
        alice,
    )
    .send()
    .await
    .expect("answers");
    assert_eq!(bad.status(), 404);
}

/// `2024-03-05T10:15:30.000+0000` → Unix ms (UTC only, as the emulator writes it).
fn parse_ms(text: &str) -> i64 {
    let number = |range: std::ops::Range<usize>| text[range].parse::<i64>().expect("digits");
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    days * 86_400_000
        + number(11..13) * 3_600_000
        + number(14..16) * 60_000
        + number(17..19) * 1000
        + number(20..23)
}

#[tokio::test]
async fn short_pages_and_aimed_rate_limits_still_let_a_client_read_everything() {
    let emulator = start_emulator(200).await;
    let site = &emulator.sites()[0];
    let alice = &site.users[0];
    let dataset = emulator.dataset(0).expect("site 0");
    let ids: Vec<String> = (0..200)
        .filter_map(|index| dataset.issue_id(index))
        .collect();
    let expected: usize = (0..200)
        .map(|index| dataset.change_histories(index).len())
        .sum();
    emulator.set_faults(FaultConfig {
        changelog_page_cap: Some(7),
        worklog_page_cap: Some(3),
        ..FaultConfig::default()
    });

    let pages = changelog_pages(
        &site.base_url,
        alice,
        json!({"issueIdsOrKeys": ids, "maxResults": 1000}),
    )
    .await;
    let busy = dataset.issues_with_over_20_worklogs()[0];
    let key = dataset.issue_key(busy).expect("key");
    let first: Value = get(
        &site.base_url,
        &format!("/rest/api/3/issue/{key}/worklog"),
        alice,
    )
    .send()
    .await
    .expect("answers")
    .json()
    .await
    .expect("JSON");
    let worklogs = worklog_pages(&site.base_url, alice, &key, 50).await;

    assert_eq!(histories(&pages).len(), expected);
    assert_eq!(pages.len(), expected.div_ceil(7));
    assert_eq!(first["worklogs"].as_array().map(Vec::len), Some(3));
    assert!(first["total"].as_u64() > Some(20));
    assert_eq!(worklogs, dataset.worklog_list(busy, None));

    emulator.set_faults(FaultConfig {
        rate_limit_every: Some(1),
        retry_after_secs: 3,
        fault_path_contains: Some("changelog/bulkfetch".into()),
        ..FaultConfig::default()
    });
    let limited = post(
        &site.base_url,
        "/rest/api/3/changelog/bulkfetch",
        alice,
        &json!({"issueIdsOrKeys": ["ALPHA-1"]}),
    )
    .send()
    .await
    .expect("answers");
    let other = get(&site.base_url, "/rest/api/3/status", alice)
        .send()
        .await
        .expect("answers");
    assert_eq!(limited.status(), 429);
    assert_eq!(
        limited
            .headers()
            .get("Retry-After")
            .and_then(|v| v.to_str().ok()),
        Some("3")
    );
    assert_eq!(other.status(), 200);
}

#[tokio::test]
async fn statuses_use_todays_names_while_older_histories_keep_the_renamed_status_old_name() {
    let emulator = start_emulator(300).await;
    let site = &emulator.sites()[0];
    let dataset = emulator.dataset(0).expect("site 0");
    let renamed = testing::renamed_status();

    let statuses: Value = get(&site.base_url, "/rest/api/3/status", &site.users[0])
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");

    let names: HashMap<&str, &str> = statuses
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|status| Some((status["id"].as_str()?, status["name"].as_str()?)))
        .collect();
    assert_eq!(names.get(renamed.id.as_str()), Some(&renamed.new_name));
    assert!(!names.values().any(|name| *name == renamed.old_name));
    let old_texts = (0..300)
        .flat_map(|index| dataset.change_histories(index))
        .flat_map(|history| history["items"].as_array().cloned().unwrap_or_default())
        .filter(|item| item["fieldId"] == "status")
        .filter(|item| {
            item["fromString"] == renamed.old_name || item["toString"] == renamed.old_name
        })
        .count();
    assert!(old_texts > 0);
    assert!(statuses.as_array().expect("a list").iter().all(|status| {
        status["statusCategory"]["key"].is_string()
            && status["statusCategory"]["colorName"].is_string()
    }));
}
