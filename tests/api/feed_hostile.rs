//! Hostile `$filter`s (thousands of parentheses, `not`s, a flat chain of thousands of terms, a
//! pushdown longer than the JQL cap) sent to the running server on every feed: each is a 400
//! naming the limit in the format's own error, and the process is still there afterwards,
//! answering `/healthz` and serving a normal filtered feed.

use serde_json::Value;

use crate::support::feed::{ALICE, ALPHA, create_data_source, feed_app, reader};

const JQL: &str = "project in (ALPHA, BETA, OPS, DATA)";

/// `+` for spaces, as forms send them, so a long filter stays a short URL.
fn query_value(text: &str) -> String {
    text.replace('%', "%25")
        .replace('&', "%26")
        .replace('+', "%2B")
        .replace(' ', "+")
}

/// Each filter and a word its refusal must contain.
fn hostile_filters() -> Vec<(String, &'static str)> {
    vec![
        ("(".repeat(5_000), "32 deep"),
        (
            format!("{}Key eq 'A'{}", "(".repeat(5_000), ")".repeat(5_000)),
            "8192",
        ),
        (format!("{}Key eq 'A'", "not ".repeat(1_500)), "32 deep"),
        ("contains(".repeat(800), "32 deep"),
        // As long as this client sends a URL (64 KiB); the parser's unit tests go further.
        (vec!["Key eq 'A'"; 3_000].join(" or "), "8192"),
        (vec!["A"; 5_000].join(" or "), "8192"),
        (vec!["A"; 1_500].join(" or "), "1000"),
    ]
}

#[tokio::test]
async fn hostile_filters_are_refused_naming_the_limit_and_the_server_keeps_serving() {
    // Arrange
    let app = feed_app(30).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let id = create_data_source(&app, &alice.session, "All issues", JQL, &[]).await;

    for (filter, limit) in hostile_filters() {
        let value = query_value(&filter);
        for (path, format) in [
            (format!("/feed/{id}/odata/Issues"), "odata"),
            (format!("/feed/{id}/odata/Issues/$count"), "odata"),
            (format!("/feed/{id}/csv"), "csv"),
            (format!("/feed/{id}/json"), "json"),
        ] {
            // Act
            let response = alice
                .get(&app, &format!("{path}?$filter={value}"))
                .send()
                .await
                .unwrap();

            // Assert
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert_eq!(status, 400, "{path} {limit}: {text}");
            let message = match format {
                "csv" => text.trim().to_owned(),
                _ => {
                    let body: Value = serde_json::from_str(&text).unwrap();
                    assert_eq!(body["error"]["code"], "BadRequest", "{text}");
                    body["error"]["message"].as_str().unwrap().to_owned()
                }
            };
            assert!(
                message.starts_with("Invalid $filter:") && message.contains(limit),
                "{path}: {message}"
            );
        }
    }

    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let truth = alice.truth(&app, "project = ALPHA ORDER BY key ASC");
    let two: Vec<&str> = truth
        .iter()
        .take(2)
        .map(|issue| issue["key"].as_str().unwrap())
        .collect();
    let response = alice
        .get(
            &app,
            &format!(
                "/feed/{id}/odata/Issues?$select=Key&$filter={}",
                query_value(&format!("Key eq '{}' or Key eq '{}'", two[0], two[1]))
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let mut keys: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["Key"].as_str().unwrap())
        .collect();
    keys.sort_unstable();
    let mut expected = two.clone();
    expected.sort_unstable();
    assert_eq!(keys, expected);
}

#[tokio::test]
async fn a_key_list_too_long_to_push_into_jql_is_still_answered_exactly() {
    // Arrange: 300 keys are within the $filter limits but past the JQL cap.
    let app = feed_app(30).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let id = create_data_source(&app, &alice.session, "All issues", JQL, &[]).await;
    let filter = (1..=300)
        .map(|n| format!("Key eq 'ALPHA-{n}'"))
        .collect::<Vec<_>>()
        .join(" or ");

    // Act
    let response = alice
        .get(
            &app,
            &format!(
                "/feed/{id}/json?$select=Key&$filter={}",
                query_value(&filter)
            ),
        )
        .send()
        .await
        .unwrap();

    // Assert
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let keys: Vec<&str> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["Key"].as_str().unwrap())
        .collect();
    let truth: Vec<String> = alice
        .truth(&app, "project = ALPHA ORDER BY key ASC")
        .iter()
        .map(|issue| issue["key"].as_str().unwrap().to_owned())
        .collect();
    assert!(!truth.is_empty());
    let mut keys = keys.into_iter().map(str::to_owned).collect::<Vec<_>>();
    keys.sort_unstable();
    let mut truth = truth;
    truth.sort_unstable();
    assert_eq!(
        keys, truth,
        "every ALPHA issue (all keys are in the list) and no other"
    );
}
