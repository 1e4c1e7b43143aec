//! The tables besides `Issues`, read through the feeds as BI tools read them and compared with
//! the emulator's ground truth: each table covers exactly the data source's issues as the owner
//! sees them, across pages, in OData, CSV and JSON alike.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::feed::{
    ALICE, ALPHA, CUSTOM_FIELDS, Reader, create_data_source_with_tables, feed_app, reader,
    run_python,
};

const JQL: &str = "project in (ALPHA, BETA, OPS, DATA)";
const ORDERED: &str = "project in (ALPHA, BETA, OPS, DATA) ORDER BY key ASC";

async fn alice_with_tables(app: &TestApp, tables: &[&str]) -> (Reader, i64) {
    let alice = reader(app, ALPHA, ALICE).await;
    let id =
        create_data_source_with_tables(app, &alice.session, "Tables", JQL, CUSTOM_FIELDS, tables)
            .await;
    (alice, id)
}

/// `(IssueId, value)` pairs, the way a bridge table's rows name them.
fn pairs(rows: &[Value], value: &str) -> BTreeSet<(String, String)> {
    rows.iter()
        .map(|row| {
            (
                row["IssueId"].as_str().unwrap().to_owned(),
                match &row[value] {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                },
            )
        })
        .collect()
}

/// The same pairs from the issues' JSON: `field` holds an array, each item named by `pick`.
fn truth_pairs(
    truth: &[Value],
    field: &str,
    pick: impl Fn(&Value) -> String,
) -> BTreeSet<(String, String)> {
    truth
        .iter()
        .flat_map(|issue| {
            let id = issue["id"].as_str().unwrap().to_owned();
            issue["fields"][field]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|item| (id.clone(), pick(item)))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn bridge_tables_have_one_row_per_issue_and_value() {
    let app = feed_app(400).await;
    let tables = [
        "IssueLabels",
        "IssueComponents",
        "IssueFixVersions",
        "IssueSprints",
        "FieldValues",
    ];
    let (alice, id) = alice_with_tables(&app, &tables).await;
    let truth = alice.truth(&app, ORDERED);
    assert_eq!(truth.len(), 400);
    let text = |item: &Value| item.as_str().unwrap().to_owned();
    let id_of = |item: &Value| {
        item["id"]
            .as_str()
            .map_or_else(|| item["id"].to_string(), str::to_owned)
    };

    let labels = alice
        .json_rows(&app, &format!("/feed/{id}/json/IssueLabels?limit=97"))
        .await;
    let expected = truth_pairs(&truth, "labels", text);
    assert!(expected.len() > 100, "the data set has labels");
    assert_eq!(pairs(&labels, "Label"), expected);
    assert_eq!(labels.len(), expected.len(), "no row twice");

    let components = alice
        .json_rows(&app, &format!("/feed/{id}/json/IssueComponents"))
        .await;
    assert_eq!(
        pairs(&components, "ComponentId"),
        truth_pairs(&truth, "components", id_of)
    );
    let versions = alice
        .json_rows(&app, &format!("/feed/{id}/json/IssueFixVersions"))
        .await;
    assert_eq!(
        pairs(&versions, "VersionId"),
        truth_pairs(&truth, "fixVersions", id_of)
    );
    let sprints = alice
        .json_rows(&app, &format!("/feed/{id}/json/IssueSprints"))
        .await;
    let expected = truth_pairs(&truth, "customfield_10020", |s| s["id"].to_string());
    assert!(!expected.is_empty(), "the data set has sprints");
    assert_eq!(pairs(&sprints, "SprintId"), expected);

    // One table per selected multi-value field; the user picker is keyed by account id.
    let tags = alice
        .json_rows(&app, &format!("/feed/{id}/json/IssueTagsValues"))
        .await;
    assert_eq!(
        pairs(&tags, "ValueId"),
        truth_pairs(&truth, "customfield_10037", text)
    );
    let reviewers = alice
        .json_rows(&app, &format!("/feed/{id}/json/IssueReviewersValues"))
        .await;
    assert_eq!(
        pairs(&reviewers, "ValueId"),
        truth_pairs(&truth, "customfield_10032", |u| u["accountId"]
            .as_str()
            .unwrap()
            .to_owned())
    );
}

#[tokio::test]
async fn odata_pages_of_a_table_end_inside_issues_and_still_give_every_row_once() {
    let app = feed_app(300).await;
    let (alice, id) = alice_with_tables(&app, &["IssueLabels"]).await;
    let whole = alice
        .json_rows(&app, &format!("/feed/{id}/json/IssueLabels?limit=10000"))
        .await;
    // Pages of 7 rows cut through issues with several labels again and again.
    let paged = alice
        .odata_rows(&app, &format!("/feed/{id}/odata/IssueLabels"), 7)
        .await;
    assert_eq!(paged, whole);
    let count = alice
        .get(&app, &format!("/feed/{id}/odata/IssueLabels/$count"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(count, whole.len().to_string());
    let filtered = alice
        .odata_rows(
            &app,
            &format!(
                "/feed/{id}/odata/IssueLabels?$filter=Label eq 'backend'&$select=IssueKey,Label"
            ),
            1000,
        )
        .await;
    assert!(!filtered.is_empty());
    assert!(
        filtered
            .iter()
            .all(|row| row == &json!({"IssueKey": row["IssueKey"], "Label": "backend"}))
    );
    assert_eq!(
        filtered.len(),
        whole.iter().filter(|row| row["Label"] == "backend").count()
    );
}

#[tokio::test]
async fn the_service_lists_every_chosen_table_and_its_metadata_validates() {
    let app = feed_app(50).await;
    let every = [
        "IssueChanges",
        "StatusPeriods",
        "TimeInStatus",
        "Worklogs",
        "Sprints",
        "IssueSprints",
        "Versions",
        "IssueFixVersions",
        "IssueAffectedVersions",
        "IssueLinks",
        "IssueLabels",
        "IssueComponents",
        "FieldValues",
    ];
    let (alice, id) = alice_with_tables(&app, &every).await;
    let service: Value = alice
        .get(&app, &format!("/feed/{id}/odata/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sets: Vec<&str> = service["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|set| set["name"].as_str().unwrap())
        .collect();
    let mut expected = vec!["Issues"];
    expected.extend(every.iter().filter(|t| **t != "FieldValues"));
    expected.extend([
        "IssuePlatformsValues",
        "IssueReviewersValues",
        "IssueTagsValues",
    ]);
    assert_eq!(sets, expected);
    let xml = alice
        .get(&app, &format!("/feed/{id}/odata/$metadata"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for set in &sets {
        assert!(xml.contains(&format!("<EntitySet Name=\"{set}\"")), "{set}");
    }
    assert!(xml.contains(
        "<EntityType Name=\"IssueChanges\">\n        <Key>\n          <PropertyRef Name=\"IssueId\"/>\n          <PropertyRef Name=\"ChangeId\"/>"
    ));
    let schemas = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/odata-csdl/");
    let (valid, out, err) = run_python(
        "validate_csdl.py",
        vec![schemas.to_owned()],
        xml.into_bytes(),
    )
    .await;
    assert!(
        valid,
        "the CSDL validates against the OASIS XSDs: {out}{err}"
    );

    // The API lists the same tables with their URLs, for the connectors.
    let described: Value = alice
        .get(&app, &format!("/api/datasources/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = described["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, sets);
    let labels = &described["tables"][11];
    assert_eq!(labels["name"], "IssueLabels");
    assert_eq!(
        labels["feeds"]["csv"],
        format!("{}/feed/{id}/csv/IssueLabels", app.address)
    );
}

#[tokio::test]
async fn a_table_the_data_source_does_not_export_is_not_found_in_every_format() {
    let app = feed_app(20).await;
    let (alice, id) = alice_with_tables(&app, &["IssueLabels"]).await;
    for path in [
        format!("/feed/{id}/odata/Worklogs"),
        format!("/feed/{id}/odata/Worklogs/$count"),
        format!("/feed/{id}/csv/Worklogs"),
        format!("/feed/{id}/json/Nope"),
        format!("/feed/{id}/json/FieldValues"),
        format!("/feed/{id}/json/IssueTagsValues"),
    ] {
        let response = alice.get(&app, &path).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    // A column of another table is a readable 400, an ordering the table cannot give a 501.
    let response = alice
        .get(
            &app,
            &format!("/feed/{id}/odata/IssueLabels?$select=Summary"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = alice
        .get(
            &app,
            &format!("/feed/{id}/odata/IssueLabels?$orderby=Label"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 501);
    let csv = alice
        .get(
            &app,
            &format!("/feed/{id}/csv/IssueLabels?$orderby=IssueKey desc"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("Tables IssueLabels.csv")
    );
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("IssueId,IssueKey,Label\r\n"), "{text}");
}

#[tokio::test]
async fn a_real_odata_client_library_reads_a_table_with_its_composite_key() {
    let app = feed_app(120).await;
    let (alice, id) = alice_with_tables(&app, &["IssueLabels", "Worklogs"]).await;
    let root = format!("{}/feed/{id}/odata/", app.address);
    let (ok, out, err) = run_python(
        "odata_client.py",
        vec![
            root,
            alice.email.clone(),
            alice.access_token.clone(),
            "IssueLabels".to_owned(),
        ],
        Vec::new(),
    )
    .await;
    assert!(ok, "python-odata failed:\n{err}");
    let result: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        result["entity_sets"],
        json!(["IssueLabels", "Issues", "Worklogs"])
    );
    assert_eq!(
        result["properties"],
        json!(["IssueId", "IssueKey", "Label"])
    );
    let feed = alice
        .json_rows(&app, &format!("/feed/{id}/json/IssueLabels?limit=10000"))
        .await;
    let got: Vec<(String, String)> = result["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["IssueId"].as_str().unwrap().to_owned(),
                r["Label"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = feed
        .iter()
        .map(|r| {
            (
                r["IssueId"].as_str().unwrap().to_owned(),
                r["Label"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}
