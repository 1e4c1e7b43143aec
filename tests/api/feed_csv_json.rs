//! The CSV and JSON feeds: CSV round-trips through Python's csv module (quotes, commas, line
//! breaks, Unicode, formula guard, optional BOM, file name), JSON pages follow `next` to the end,
//! and both take the OData query options.

use std::collections::HashSet;

use serde_json::Value;

use crate::support::TestApp;
use crate::support::feed::{
    ALICE, ALPHA, CUSTOM_FIELDS, Reader, assert_row_matches, create_data_source, expected_row,
    feed_app, reader, run_python,
};

const JQL: &str = "project in (ALPHA, BETA, OPS, DATA)";

async fn alice_with_source(app: &TestApp, name: &str) -> (Reader, i64) {
    let alice = reader(app, ALPHA, ALICE).await;
    let id = create_data_source(app, &alice.session, name, JQL, CUSTOM_FIELDS).await;
    (alice, id)
}

/// What CSV makes of a JSON value: text as is (formula-like text prefixed with '), numbers in
/// their JSON form with a fraction for doubles, empty for null.
fn csv_text(name: &str, value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) if text.starts_with(['=', '+', '-', '@', '\t', '\r']) => {
            format!("'{text}")
        }
        Value::String(text) => text.clone(),
        Value::Number(n) if name == "StoryPoints" => {
            let x = n.as_f64().unwrap();
            if x.fract() == 0.0 {
                format!("{x:.1}")
            } else {
                x.to_string()
            }
        }
        other => other.to_string(),
    }
}

#[tokio::test]
async fn csv_round_trips_through_pythons_csv_module() {
    let app = feed_app(800).await;
    let (alice, id) = alice_with_source(&app, "Sprint \"report\" / Q1").await;
    let response = alice
        .get(&app, &format!("/feed/{id}/csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"Sprint _report_ _ Q1.csv\""),
        "{disposition}"
    );
    let body = response.bytes().await.unwrap().to_vec();
    assert!(!body.starts_with(b"\xEF\xBB\xBF"), "no BOM unless asked");
    assert!(body.ends_with(b"\r\n"));
    let (ok, out, err) = run_python("parse_csv.py", Vec::new(), body).await;
    assert!(ok, "{err}");
    let parsed: Value = serde_json::from_str(&out).unwrap();
    let records = parsed["records"].as_array().unwrap();
    let header: Vec<&str> = records[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(&header[..3], ["Id", "Key", "Summary"]);
    let truth = alice.truth(&app, &format!("{JQL} ORDER BY key ASC"));
    assert_eq!(records.len(), truth.len() + 1);
    let mut guarded = 0;
    for (record, issue) in records[1..].iter().zip(&truth) {
        let cells = record.as_array().unwrap();
        assert_eq!(cells.len(), header.len());
        let expected = expected_row(issue);
        for (name, cell) in header.iter().zip(cells) {
            let want = csv_text(name, &expected[*name]);
            assert_eq!(cell.as_str().unwrap(), want, "{} {name}", issue["key"]);
            if want.starts_with('\'') {
                guarded += 1;
            }
        }
    }
    assert!(guarded > 0, "the data set has formula-like summaries");

    // With the BOM Excel needs; Python (like Excel) consumes it rather than reading it as text.
    let body = alice
        .get(
            &app,
            &format!("/feed/{id}/csv?bom=true&$select=Key,Updated&$top=3"),
        )
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    assert!(body.starts_with(b"\xEF\xBB\xBFKey,Updated\r\n"));
    let (_, out, _) = run_python("parse_csv.py", Vec::new(), body).await;
    let parsed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(parsed["bom"], true);
    assert_eq!(parsed["records"].as_array().unwrap().len(), 4);
    assert_eq!(parsed["records"][0], serde_json::json!(["Key", "Updated"]));

    let response = alice
        .get(&app, &format!("/feed/{id}/csv?bom=maybe"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = alice
        .get(&app, &format!("/feed/{id}/csv?$expand=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 501);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
}

#[tokio::test]
async fn json_pages_follow_next_to_the_end_with_each_issue_once() {
    let app = feed_app(1_050).await;
    let (alice, id) = alice_with_source(&app, "Everything").await;
    let truth = alice.truth(&app, &format!("{JQL} ORDER BY key ASC"));
    let mut next = Some(format!("{}/feed/{id}/json?limit=400", app.address));
    let mut rows: Vec<Value> = Vec::new();
    let mut pages = 0;
    while let Some(url) = next {
        let response = alice.get(&app, &url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: Value = response.json().await.unwrap();
        let columns = body["columns"].as_array().unwrap();
        assert_eq!(
            columns[0],
            serde_json::json!({"name": "Id", "type": "String"})
        );
        assert!(
            columns.contains(&serde_json::json!({"name": "Created", "type": "DateTimeOffset"}))
        );
        rows.extend(body["rows"].as_array().unwrap().iter().cloned());
        next = body["next"].as_str().map(str::to_owned);
        pages += 1;
        assert!(pages < 20);
    }
    assert_eq!(pages, 3);
    assert_eq!(rows.len(), truth.len());
    for (row, issue) in rows.iter().zip(&truth) {
        assert_row_matches(row, issue);
    }
    let keys: HashSet<&str> = rows.iter().map(|r| r["Key"].as_str().unwrap()).collect();
    assert_eq!(keys.len(), truth.len());
}

#[tokio::test]
async fn json_takes_the_odata_options_and_refuses_bad_input_as_json() {
    let app = feed_app(300).await;
    let (alice, id) = alice_with_source(&app, "Filtered").await;
    let truth = alice.truth(&app, &format!("{JQL} ORDER BY created DESC"));
    let bugs: Vec<&str> = truth
        .iter()
        .filter(|i| i["fields"]["issuetype"]["name"] == "Bug")
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    let body: Value = alice
        .get(
            &app,
            &format!(
                "/feed/{id}/json?$filter=IssueType eq 'Bug'&$select=Key,IssueType&$orderby=Created desc&limit=10000"
            ),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["columns"],
        serde_json::json!([{"name": "Key", "type": "String"}, {"name": "IssueType", "type": "String"}])
    );
    let keys: Vec<&str> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, bugs);
    assert_eq!(body["next"], Value::Null);

    for (query, status) in [
        ("limit=0", 400),
        ("limit=10001", 400),
        ("cursor=garbage", 400),
        ("$count=true", 400),
        ("$search=x", 501),
        ("$filter=contains(Created,'x')", 400),
    ] {
        let response = alice
            .get(&app, &format!("/feed/{id}/json?{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{query}");
        let body: Value = response.json().await.unwrap();
        assert!(body["error"]["message"].is_string(), "{query}");
    }
}
