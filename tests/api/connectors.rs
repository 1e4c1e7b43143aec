//! The Looker Studio connector and the Google Sheets add-on, run for real: their `.gs` files,
//! unmodified, in Node under the shim of Apps Script in `tests/connectors/` (UrlFetchApp makes
//! real HTTP requests to this app, which reads the Jira emulator), driven as Looker Studio and a
//! Sheets user drive them. Also the `/api/datasources` endpoints they list data sources with.

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;

use jira_emulator::FaultConfig;
use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::feed::{
    ALICE, ALPHA, BETA, BOB, CUSTOM_FIELDS, Reader, create_data_source, feed_app, reader,
    same_value,
};

mod tables;

const JQL: &str = "project in (ALPHA, BETA, OPS, DATA)";
const LOOKER: &str = "connectors/looker-studio";
const SHEETS: &str = "connectors/google-sheets";

/// The Node interpreter (`TEST_NODE`, else `node` on the PATH).
fn node() -> String {
    std::env::var("TEST_NODE").unwrap_or_else(|_| "node".to_owned())
}

/// Runs `calls` ([{"fn", "args"}]) of the Apps Script project `project` in one shim process,
/// starting from `user_properties`, and returns what the runner reports.
async fn run_apps_script(project: &str, user_properties: Value, calls: Value) -> Value {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let scenario = json!({
        "project": root.join(project),
        "userProperties": user_properties,
        "calls": calls,
    });
    let runner = root.join("tests/connectors/run.js");
    let output = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(node())
            .arg(runner)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(mut input) = child.stdin.take() {
            input.write_all(scenario.to_string().as_bytes())?;
        }
        child.wait_with_output()
    })
    .await
    .unwrap()
    .expect("node runs (install Node.js, or set TEST_NODE)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the shim failed: {stderr}");
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("the shim printed no JSON ({e}): {stderr}"))
}

fn call(function: &str, args: Value) -> Value {
    json!({"fn": function, "args": args})
}

/// The value call `index` returned; panics with what it threw instead.
fn returned(run: &Value, index: usize) -> &Value {
    let result = &run["results"][index];
    assert!(
        result.get("ok").is_some(),
        "call {index} did not return: {result}"
    );
    &result["ok"]
}

/// The user error call `index` threw: its text.
fn user_error(run: &Value, index: usize) -> String {
    let thrown = &run["results"][index]["thrown"];
    assert_eq!(
        thrown["userError"], true,
        "call {index} must throw a user error: {}",
        run["results"][index]
    );
    thrown["text"].as_str().unwrap().to_owned()
}

/// Looker Studio's PATH_USER_PASS credentials request.
fn credentials(path: &str, username: &str, password: &str) -> Value {
    json!({"pathUserPass": {"path": path, "username": username, "password": password}})
}

/// The user properties a successful Looker Studio sign-in leaves.
fn signed_in_to_looker(app: &TestApp, reader: &Reader) -> Value {
    json!({
        "bi.baseUrl": app.address,
        "bi.username": reader.email,
        "bi.token": reader.access_token,
    })
}

fn config_params(id: i64, date_column: Option<&str>) -> Value {
    let mut params = json!({"dataSource": id.to_string(), "table": "Issues"});
    if let Some(column) = date_column {
        params["dateColumn"] = json!(column);
    }
    params
}

/// Every row of a JSON feed URL, following `next`; and the columns of its first page.
async fn feed_rows(reader: &Reader, app: &TestApp, url: &str) -> (Vec<Value>, Vec<Value>) {
    let mut rows = Vec::new();
    let mut columns = None;
    let mut next = Some(url.to_owned());
    while let Some(url) = next {
        let response = reader.get(app, &url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let page: Value = response.json().await.unwrap();
        columns.get_or_insert_with(|| page["columns"].as_array().unwrap().clone());
        rows.extend(page["rows"].as_array().unwrap().iter().cloned());
        next = page["next"].as_str().map(str::to_owned);
    }
    (rows, columns.unwrap_or_default())
}

/// The columns of a JSON feed (from its first page of one row).
async fn feed_columns(reader: &Reader, app: &TestApp, id: i64) -> Vec<Value> {
    let response = reader
        .get(app, &format!("/feed/{id}/json?limit=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    page["columns"].as_array().unwrap().clone()
}

/// `2024-01-05T10:15:30.123Z` as Looker's YEAR_MONTH_DAY_SECOND: `20240105101530`.
fn looker_instant(iso: &str) -> String {
    iso[..19].replace(['-', 'T', ':'], "")
}

#[tokio::test]
async fn the_datasources_api_lists_only_the_callers_own_data_sources_with_tables_and_feeds() {
    let app = feed_app(30).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let bob = reader(&app, ALPHA, BOB).await;
    let carol = reader(&app, BETA, 0).await;
    let first = create_data_source(&app, &alice.session, "Sprint report", JQL, &[]).await;
    let second = create_data_source(&app, &alice.session, "All fields", JQL, CUSTOM_FIELDS).await;
    let bobs = create_data_source(&app, &bob.session, "Bob's", "project = ALPHA", &[]).await;
    let carols = create_data_source(&app, &carol.session, "Carol's", "project = BETA", &[]).await;

    let response = alice.get(&app, "/api/datasources").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    let listed: Vec<(i64, &str)> = body["dataSources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ds| (ds["id"].as_i64().unwrap(), ds["name"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [(second, "All fields"), (first, "Sprint report")]);

    let all_fields = &body["dataSources"][0];
    assert_eq!(
        all_fields["url"],
        format!("{}/api/datasources/{second}", app.address)
    );
    let table = &all_fields["tables"][0];
    assert_eq!(all_fields["tables"].as_array().unwrap().len(), 1);
    assert_eq!(table["name"], "Issues");
    let base = format!("{}/feed/{second}", app.address);
    assert_eq!(
        table["feeds"],
        json!({"odata": format!("{base}/odata/Issues"), "csv": format!("{base}/csv"), "json": format!("{base}/json")})
    );
    // The columns are the feed's, in its order, with its types.
    let feed_columns = feed_columns(&alice, &app, second).await;
    let described: Vec<(&str, &str)> = table["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["type"].as_str().unwrap()))
        .collect();
    let expected: Vec<(&str, &str)> = feed_columns
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["type"].as_str().unwrap()))
        .collect();
    assert_eq!(described, expected);
    let keys: Vec<&str> = table["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["key"] == true)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["Id", "Key"]);
    let updated = table["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Updated")
        .unwrap();
    assert_eq!(updated["edmType"], "Edm.DateTimeOffset");

    // One data source: the same description as in the list.
    let one: Value = alice
        .get(&app, &format!("/api/datasources/{second}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(&one, all_fields);

    // Bob and Carol see only their own.
    let bob_list: Value = bob
        .get(&app, "/api/datasources")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<i64> = bob_list["dataSources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ds| ds["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [bobs]);
    let carol_list: Value = carol
        .get(&app, "/api/datasources")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(carol_list["dataSources"][0]["id"], carols);
    assert_eq!(carol_list["dataSources"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_datasources_api_answers_401_without_a_token_and_404_for_anothers_or_a_malformed_id() {
    let app = feed_app(30).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let bob = reader(&app, ALPHA, BOB).await;
    let bobs = create_data_source(&app, &bob.session, "Bob's", "project = ALPHA", &[]).await;

    for path in [
        "/api/datasources".to_owned(),
        format!("/api/datasources/{bobs}"),
    ] {
        let response = app.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 401, "{path}");
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Basic ")
        );
        let response = app
            .client
            .get(app.url(&path))
            .basic_auth(&alice.email, Some("jbc_not-a-real-token"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{path}");
    }
    for id in [bobs.to_string(), "+1".into(), "0".into(), "x".into()] {
        let response = alice
            .get(&app, &format!("/api/datasources/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{id}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "NotFound");
    }
    // Bearer works as on the feeds.
    let response = app
        .client
        .get(app.url("/api/datasources"))
        .bearer_auth(&alice.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"dataSources": []}));
}

#[tokio::test]
async fn looker_studio_signs_in_with_url_email_and_access_token_and_refuses_wrong_ones() {
    let app = feed_app(30).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let email = alice.email.as_str();
    let token = alice.access_token.as_str();
    let calls = json!([
        call("getAuthType", json!([])),
        // A wrong token, a URL without the app, a URL that is not one, no token at all.
        call(
            "setCredentials",
            json!([credentials(&app.address, email, "jbc_wrong")])
        ),
        call(
            "setCredentials",
            json!([credentials(
                &format!("{}/nothing-here", app.address),
                email,
                token
            )])
        ),
        call(
            "setCredentials",
            json!([credentials("not a url", email, token)])
        ),
        call(
            "setCredentials",
            json!([credentials(&app.address, email, "")])
        ),
        call("isAuthValid", json!([])),
        // The right ones, pasted with a trailing slash.
        call(
            "setCredentials",
            json!([credentials(&format!("{}/", app.address), email, token)])
        ),
        call("isAuthValid", json!([])),
        call("resetAuth", json!([])),
        call("isAuthValid", json!([])),
    ]);
    let run = run_apps_script(LOOKER, json!({}), calls).await;

    assert_eq!(
        returned(&run, 0),
        &json!({"type": "PATH_USER_PASS", "helpUrl": "https://github.com/"})
    );
    for index in 1..=4 {
        assert_eq!(
            returned(&run, index),
            &json!({"errorCode": "INVALID_CREDENTIALS"}),
            "call {index}"
        );
    }
    assert_eq!(returned(&run, 5), false);
    assert_eq!(returned(&run, 6), &json!({"errorCode": "NONE"}));
    assert_eq!(returned(&run, 7), true);
    assert_eq!(returned(&run, 9), false);
    assert_eq!(run["userProperties"], json!({}), "reset forgets everything");
    // Each check went to /feed/whoami with credentials; nothing else was read.
    let fetched: Vec<&str> = run["fetches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["url"].as_str().unwrap())
        .collect();
    assert!(
        fetched.iter().all(|url| url.ends_with("/feed/whoami")),
        "{fetched:?}"
    );
    assert!(
        run["fetches"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["authorization"] == "present")
    );

    // A sign-in that worked stays valid for the next execution, with the stored credentials.
    let run = run_apps_script(
        LOOKER,
        signed_in_to_looker(&app, &alice),
        json!([call("isAuthValid", json!([]))]),
    )
    .await;
    assert_eq!(returned(&run, 0), true);
    // A revoked (here: unknown) token no longer is.
    let mut stale = signed_in_to_looker(&app, &alice);
    stale["bi.token"] = json!(format!("{}x", &token[..token.len() - 1]));
    let run = run_apps_script(LOOKER, stale, json!([call("isAuthValid", json!([]))])).await;
    assert_eq!(returned(&run, 0), false);
}

#[tokio::test]
async fn looker_studio_config_offers_only_the_users_data_sources_then_tables_and_date_columns() {
    let app = feed_app(30).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let bob = reader(&app, ALPHA, BOB).await;
    let first = create_data_source(&app, &alice.session, "Sprint report", JQL, &[]).await;
    let second = create_data_source(&app, &alice.session, "All fields", JQL, CUSTOM_FIELDS).await;
    create_data_source(&app, &bob.session, "Bob's", "project = ALPHA", &[]).await;

    let calls = json!([
        call("getConfig", json!([{"languageCode": "en"}])),
        call(
            "getConfig",
            json!([{"configParams": {"dataSource": second.to_string()}}])
        ),
        call(
            "getConfig",
            json!([{"configParams": config_params(second, None)}])
        ),
        call(
            "getConfig",
            json!([{"configParams": config_params(second, Some("TargetDate"))}])
        ),
    ]);
    let run = run_apps_script(LOOKER, signed_in_to_looker(&app, &alice), calls).await;

    let entry = |index: usize, id: &str| -> Value {
        returned(&run, index)["configParams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let options = |entry: &Value| -> Vec<(String, String)> {
        entry["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["label"].as_str().unwrap().to_owned(),
                    o["value"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    // Step 1: Alice's data sources (by name), nothing of Bob's.
    assert_eq!(returned(&run, 0)["isSteppedConfig"], true);
    assert_eq!(
        options(&entry(0, "dataSource")),
        [
            ("All fields".to_owned(), second.to_string()),
            ("Sprint report".to_owned(), first.to_string())
        ]
    );
    assert_eq!(entry(0, "table"), Value::Null);
    // Step 2: its tables.
    assert_eq!(returned(&run, 1)["isSteppedConfig"], true);
    assert_eq!(
        options(&entry(1, "table")),
        [("Issues".to_owned(), "Issues".to_owned())]
    );
    // Step 3: its date columns (timestamps and dates, custom ones too), none chosen yet.
    assert_eq!(returned(&run, 2)["isSteppedConfig"], false);
    assert_eq!(returned(&run, 2)["dateRangeRequired"], false);
    let dates: Vec<String> = options(&entry(2, "dateColumn"))
        .into_iter()
        .map(|(_, value)| value)
        .collect();
    assert_eq!(
        dates,
        [
            "-",
            "Created",
            "Updated",
            "Resolved",
            "DueDate",
            "TargetDate"
        ]
    );
    // With a date column, Looker Studio sends the report's date range.
    assert_eq!(returned(&run, 3)["dateRangeRequired"], true);

    // A user without data sources is told where to make one.
    let carol = reader(&app, BETA, 0).await;
    let run = run_apps_script(
        LOOKER,
        signed_in_to_looker(&app, &carol),
        json!([call("getConfig", json!([{}]))]),
    )
    .await;
    assert!(user_error(&run, 0).contains("create one"));
}

#[tokio::test]
async fn looker_studio_schema_is_the_feeds_columns_with_looker_types() {
    let app = feed_app(30).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let id = create_data_source(&app, &alice.session, "All fields", JQL, CUSTOM_FIELDS).await;
    let feed_columns = feed_columns(&alice, &app, id).await;

    let run = run_apps_script(
        LOOKER,
        signed_in_to_looker(&app, &alice),
        json!([call(
            "getSchema",
            json!([{"configParams": config_params(id, None)}])
        )]),
    )
    .await;
    let schema = returned(&run, 0)["schema"].as_array().unwrap().clone();
    let names: Vec<&str> = schema.iter().map(|f| f["name"].as_str().unwrap()).collect();
    let expected: Vec<&str> = feed_columns
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, expected);
    for (field, column) in schema.iter().zip(&feed_columns) {
        let (data_type, concept, semantic) = match column["type"].as_str().unwrap() {
            "DateTimeOffset" => ("STRING", "DIMENSION", "YEAR_MONTH_DAY_SECOND"),
            "Date" => ("STRING", "DIMENSION", "YEAR_MONTH_DAY"),
            "Double" | "Int64" => ("NUMBER", "METRIC", "NUMBER"),
            "Boolean" => ("BOOLEAN", "DIMENSION", "BOOLEAN"),
            _ => ("STRING", "DIMENSION", "TEXT"),
        };
        assert_eq!(field["dataType"], data_type, "{field}");
        assert_eq!(field["semantics"]["conceptType"], concept, "{field}");
        assert_eq!(field["semantics"]["semanticType"], semantic, "{field}");
        if concept == "METRIC" {
            assert_eq!(field["defaultAggregationType"], "SUM", "{field}");
        }
    }
    let types: HashSet<&str> = feed_columns
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    for kind in ["String", "DateTimeOffset", "Date", "Double", "Int64"] {
        assert!(
            types.contains(kind),
            "the data source covers {kind}: {types:?}"
        );
    }
}

#[tokio::test]
async fn looker_studio_data_for_a_date_range_is_exactly_the_feeds_rows_for_that_range() {
    let app = feed_app(1_200).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let id = create_data_source(&app, &alice.session, "All fields", JQL, CUSTOM_FIELDS).await;
    // A range holding most issues (more than one page), but not all.
    let truth = alice.truth(&app, JQL);
    let mut days: Vec<String> = truth
        .iter()
        .map(|issue| issue["fields"]["updated"].as_str().unwrap()[..10].to_owned())
        .collect();
    days.sort();
    let (start, end) = (
        days[days.len() / 20].clone(),
        days[days.len() * 19 / 20].clone(),
    );
    let in_range: BTreeSet<String> = truth
        .iter()
        .filter(|issue| {
            let day = &issue["fields"]["updated"].as_str().unwrap()[..10];
            day >= start.as_str() && day <= end.as_str()
        })
        .map(|issue| issue["key"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        in_range.len() > 1_000 && in_range.len() < truth.len(),
        "{}",
        in_range.len()
    );

    let fields =
        json!([{"name": "Key"}, {"name": "Updated"}, {"name": "StoryPoints"}, {"name": "DueDate"}]);
    let request = json!({
        "configParams": config_params(id, Some("Updated")),
        "dateRange": {"startDate": start, "endDate": end},
        "fields": fields,
        "scriptParams": {"lastRefresh": "1758425096065"},
    });
    let run = run_apps_script(
        LOOKER,
        signed_in_to_looker(&app, &alice),
        json!([call("getData", json!([request]))]),
    )
    .await;
    let data = returned(&run, 0);

    // The schema of the requested fields only, in the request's order.
    let names: Vec<&str> = data["schema"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Key", "Updated", "StoryPoints", "DueDate"]);
    assert_eq!(data["filtersApplied"], false);
    // Exactly the issues updated in the range.
    let rows = data["rows"].as_array().unwrap();
    let keys: BTreeSet<String> = rows
        .iter()
        .map(|row| row["values"][0].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys.len(), rows.len(), "no row twice");
    assert_eq!(keys, in_range);
    // And exactly the feed's rows for that range, converted to Looker's formats.
    let filter = format!("Updated ge {start} and Updated le {end}T23:59:59.999Z");
    let (feed, _) = feed_rows(
        &alice,
        &app,
        &format!("/feed/{id}/json?$select=Key,Updated,StoryPoints,DueDate&$filter={filter}"),
    )
    .await;
    assert_eq!(feed.len(), rows.len());
    for (row, expected) in rows.iter().zip(&feed) {
        let values = row["values"].as_array().unwrap();
        assert_eq!(values.len(), 4);
        assert_eq!(values[0], expected["Key"]);
        assert_eq!(
            values[1],
            json!(looker_instant(expected["Updated"].as_str().unwrap()))
        );
        assert!(same_value(&values[2], &expected["StoryPoints"]), "{row}");
        assert_eq!(
            values[3],
            expected["DueDate"]
                .as_str()
                .map_or(Value::Null, |d| json!(d.replace('-', "")))
        );
    }
    // Only the requested fields were asked for, with the range pushed to the app, page by page.
    let pages: Vec<&str> = run["fetches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["url"].as_str().unwrap())
        .filter(|url| url.contains("/json?"))
        .collect();
    assert!(pages.len() >= 2, "followed the cursor: {pages:?}");
    let end_after = time::Date::parse(
        &end,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap()
    .next_day()
    .unwrap();
    for page in &pages {
        let url = url::Url::parse(page).unwrap();
        let query: std::collections::HashMap<String, String> =
            url.query_pairs().into_owned().collect();
        assert_eq!(
            query["$select"], "Key,Updated,StoryPoints,DueDate",
            "{page}"
        );
        assert_eq!(
            query["$filter"],
            format!("Updated ge {start} and Updated lt {end_after}"),
            "{page}"
        );
    }
}

#[tokio::test]
async fn looker_studio_turns_app_and_jira_errors_into_user_errors_never_a_short_table() {
    let app = feed_app(1_200).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let id = create_data_source(&app, &alice.session, "All issues", JQL, &[]).await;
    let request = |id: i64| json!({"configParams": config_params(id, None), "fields": [{"name": "Key"}, {"name": "Summary"}]});
    let signed_in = signed_in_to_looker(&app, &alice);

    // Someone else's (or a deleted) data source, and a field the data source does not have.
    let bob = reader(&app, ALPHA, BOB).await;
    let bobs = create_data_source(&app, &bob.session, "Bob's", "project = ALPHA", &[]).await;
    let mut unknown_field = request(id);
    unknown_field["fields"] = json!([{"name": "Key"}, {"name": "Nope"}]);
    let run = run_apps_script(
        LOOKER,
        signed_in.clone(),
        json!([
            call("getData", json!([request(bobs)])),
            call(
                "getSchema",
                json!([{"configParams": config_params(bobs, None)}])
            ),
            call("getData", json!([unknown_field])),
        ]),
    )
    .await;
    assert!(user_error(&run, 0).contains("No such data source"));
    assert!(user_error(&run, 1).contains("No such data source"));
    assert!(user_error(&run, 2).contains("Nope"));

    // Jira fails while the rows are read (more than a page of them): an error, never the rows
    // that came before it. Which answer fails depends on the app's read-ahead, so every fifth
    // Jira call fails: the request fails before its first byte or breaks off midway.
    feed_columns(&alice, &app, id).await;
    app.emulator.set_faults(FaultConfig {
        error_5xx_every: Some(5),
        error_status: 500,
        ..FaultConfig::default()
    });
    let run = run_apps_script(
        LOOKER,
        signed_in.clone(),
        json!([call("getData", json!([request(id)]))]),
    )
    .await;
    app.emulator.set_faults(FaultConfig::default());
    let text = user_error(&run, 0);
    assert!(
        text.contains("HTTP 500") || text.contains("broke off"),
        "{text}"
    );

    // The user revokes their Jira API token: the app's message says what to do.
    let html = app
        .get_page("/app/tokens/jira/revoke", &alice.session)
        .await
        .text()
        .await
        .unwrap();
    let mut form = Vec::new();
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
    let run = run_apps_script(
        LOOKER,
        signed_in.clone(),
        json!([
            call("getData", json!([request(id)])),
            call("getConfig", json!([{}])),
        ]),
    )
    .await;
    for index in 0..2 {
        let text = user_error(&run, index);
        assert!(text.contains("Jira API Token"), "{text}");
        let debug = run["results"][index]["thrown"]["debugText"]
            .as_str()
            .unwrap();
        assert!(debug.contains("JiraApiTokenMissing"), "{debug}");
    }

    // An access token the app no longer accepts.
    let mut stale = signed_in.clone();
    stale["bi.token"] = json!("jbc_no-longer-valid");
    let run = run_apps_script(
        LOOKER,
        stale,
        json!([call("getData", json!([request(id)]))]),
    )
    .await;
    assert!(user_error(&run, 0).contains("access token"));
    // Not signed in at all.
    let run = run_apps_script(
        LOOKER,
        json!({}),
        json!([call("getData", json!([request(id)]))]),
    )
    .await;
    assert!(user_error(&run, 0).contains("Sign in"));
}

/// What a feed value must be in the sheet: dates as dates, numbers as numbers, null as empty.
fn sheet_cell(kind: &str, value: &Value) -> Value {
    match (kind, value) {
        (_, Value::Null) => json!(""),
        ("DateTimeOffset", Value::String(iso)) => {
            let at =
                time::OffsetDateTime::parse(iso, &time::format_description::well_known::Rfc3339)
                    .unwrap();
            let millis = at.millisecond();
            json!({"$date": format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{millis:03}Z",
                at.year(), u8::from(at.month()), at.day(), at.hour(), at.minute(), at.second()
            )})
        }
        ("Date", Value::String(day)) => json!({"$date": format!("{day}T00:00:00.000Z")}),
        _ => value.clone(),
    }
}

#[tokio::test]
async fn the_sheets_add_on_imports_a_data_source_into_typed_cells_and_refreshes_it() {
    let app = feed_app(1_200).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let id = create_data_source(&app, &alice.session, "All fields", JQL, CUSTOM_FIELDS).await;
    let (feed, columns) = feed_rows(&alice, &app, &format!("/feed/{id}/json")).await;
    assert_eq!(feed.len(), alice.truth(&app, JQL).len());

    let connection =
        json!({"baseUrl": app.address, "email": alice.email, "token": alice.access_token});
    let mut wrong = connection.clone();
    wrong["token"] = json!("jbc_wrong");
    let run = run_apps_script(
        SHEETS,
        json!({}),
        json!([
            call("onOpen", json!([{}])),
            call("saveConnection", json!([wrong])),
            call("refreshActiveSheet", json!([])),
            call("saveConnection", json!([connection])),
            call("getConnection", json!([])),
            call("showImportDialog", json!([])),
            call("importDataSource", json!([id, "Issues"])),
            call("refreshActiveSheet", json!([])),
            call("enableDailyRefresh", json!([])),
            call("enableDailyRefresh", json!([])),
        ]),
    )
    .await;

    // The menu.
    let menu = &run["menus"][0];
    assert_eq!(menu["name"], "BI Connector");
    assert_eq!(menu["items"][0]["caption"], "Import data source…");
    let captions: Vec<&str> = menu["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["caption"].as_str())
        .collect();
    assert!(captions.contains(&"Refresh this sheet"), "{captions:?}");
    // A wrong token is refused with the app's reason; an unlinked sheet is explained in a dialog.
    let refused = run["results"][1]["thrown"]["message"].as_str().unwrap();
    assert!(refused.contains("access token"), "{refused}");
    assert!(
        run["alerts"][0]["prompt"]
            .as_str()
            .unwrap()
            .contains("not imported")
    );
    // The right connection lists Alice's data source and is stored, the token never shown back.
    assert_eq!(
        returned(&run, 3),
        &json!([{"id": id, "name": "All fields", "tables": ["Issues"]}])
    );
    assert_eq!(
        returned(&run, 4),
        &json!({"baseUrl": app.address, "email": alice.email, "hasToken": true})
    );
    assert_eq!(run["userProperties"]["bi.token"], alice.access_token);
    assert_eq!(run["dialogs"][0]["file"], "Dialog");
    assert_eq!(
        returned(&run, 6),
        &json!({"sheet": "All fields", "rows": feed.len()})
    );

    // The sheet: a header, then every row of the feed as typed cells.
    let sheet = run["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "All fields")
        .expect("an imported sheet");
    let values = sheet["values"].as_array().unwrap();
    let header: Vec<&Value> = columns.iter().map(|c| &c["name"]).collect();
    assert_eq!(
        values[0].as_array().unwrap().iter().collect::<Vec<_>>(),
        header
    );
    assert_eq!(sheet["frozenRows"], 1);
    assert_eq!(values.len(), feed.len() + 1);
    for (cells, row) in values[1..].iter().zip(&feed) {
        let cells = cells.as_array().unwrap();
        assert_eq!(cells.len(), columns.len());
        for (cell, column) in cells.iter().zip(&columns) {
            let name = column["name"].as_str().unwrap();
            let want = sheet_cell(column["type"].as_str().unwrap(), &row[name]);
            let same = match (cell.as_f64(), want.as_f64()) {
                (Some(a), Some(b)) => a == b,
                _ => cell == &want,
            };
            assert!(same, "{} {name}: {cell} != {want}", row["Key"]);
        }
    }
    let formats = sheet["numberFormats"].as_array().unwrap();
    let format_of = |name: &str| {
        let index = columns.iter().position(|c| c["name"] == name).unwrap();
        formats[1][index].as_str().unwrap().to_owned()
    };
    assert_eq!(format_of("Summary"), "@", "text stays text");
    assert_eq!(format_of("Updated"), "yyyy-mm-dd hh:mm:ss");
    assert_eq!(format_of("DueDate"), "yyyy-mm-dd");
    // Written in chunks (twice: import, then refresh), every row once per import.
    let chunks: Vec<&Value> = run["writes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["sheet"] == "All fields" && w["row"].as_u64().is_some_and(|r| r > 1))
        .collect();
    let written: u64 = chunks.iter().map(|w| w["numRows"].as_u64().unwrap()).sum();
    assert_eq!(written, 2 * feed.len() as u64);
    assert!(chunks.len() >= 4, "{} chunks", chunks.len());
    assert!(chunks.iter().all(|w| w["numRows"].as_u64().unwrap() <= 500));
    assert_eq!(
        run["toasts"][0]["title"].as_str().unwrap(),
        "Refreshed All fields"
    );
    // One daily trigger, however often it is turned on.
    let triggers = run["triggers"].as_array().unwrap();
    assert_eq!(triggers.len(), 1, "{triggers:?}");
    assert_eq!(triggers[0]["spec"]["handler"], "refreshAllFromTrigger");
    assert_eq!(triggers[0]["spec"]["everyDays"], 1);
}

#[tokio::test]
async fn the_sheets_add_on_shows_app_errors_in_a_dialog_and_keeps_the_sheet_as_it_was() {
    let app = feed_app(30).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let id = create_data_source(&app, &alice.session, "All issues", JQL, &[]).await;
    let connected = json!({
        "bi.baseUrl": app.address,
        "bi.email": alice.email,
        "bi.token": alice.access_token,
    });
    // Warm the field catalogue and count the Jira calls of one whole import.
    let (rows, _) = feed_rows(&alice, &app, &format!("/feed/{id}/json")).await;
    app.emulator.reset_stats();
    let (again, _) = feed_rows(&alice, &app, &format!("/feed/{id}/json")).await;
    assert_eq!(again.len(), rows.len());
    let per_import = app.emulator.stats().rest_requests;
    // The import gets through; the refresh after it finds Jira failing.
    app.emulator.set_faults(FaultConfig {
        error_5xx_every: Some(u32::try_from(per_import + 1).unwrap()),
        error_status: 500,
        ..FaultConfig::default()
    });
    let run = run_apps_script(
        SHEETS,
        connected,
        json!([
            call("importDataSource", json!([id, "Issues"])),
            call("refreshActiveSheet", json!([])),
        ]),
    )
    .await;
    app.emulator.set_faults(FaultConfig::default());

    assert_eq!(returned(&run, 0)["rows"], rows.len());
    let alert = run["alerts"][0]["prompt"].as_str().unwrap();
    assert!(alert.contains("HTTP 500"), "{alert}");
    assert_eq!(run["alerts"].as_array().unwrap().len(), 1);
    // The failed refresh wrote nothing: the sheet still holds the import.
    let clears = run["writes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["clear"] == true)
        .count();
    assert_eq!(clears, 1, "only the import cleared the sheet");
    let sheet = run["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "All issues")
        .unwrap();
    assert_eq!(sheet["values"].as_array().unwrap().len(), rows.len() + 1);
}

#[tokio::test]
async fn the_data_source_page_tells_how_to_connect_looker_studio_and_google_sheets() {
    let app = feed_app(30).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let id = create_data_source(&app, &alice.session, "Sprint report", JQL, &[]).await;
    let html = app
        .get_page(&format!("/app/datasources/{id}"), &alice.session)
        .await
        .text()
        .await
        .unwrap();
    for connector in [LOOKER, SHEETS] {
        assert!(
            html.contains(&format!("<code>{connector}</code>")),
            "{connector}"
        );
    }
    // What to enter: the app's base URL, exactly as the connectors want it.
    assert!(
        html.contains(&format!(
            r#"Path = <span class="mono">{}</span>"#,
            app.address
        )),
        "Looker Studio's path"
    );
    assert!(
        html.contains(&format!(
            r#"BI Connector URL = <span class="mono">{}</span>"#,
            app.address
        )),
        "the Sheets add-on's URL"
    );
    assert!(html.contains("Import data source…"));
}
