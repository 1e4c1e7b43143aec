//! The connectors read any table of a data source, not only `Issues`: Looker Studio's data for a
//! table and date range is exactly that table's feed rows, and the Sheets add-on imports a table
//! into its own sheet.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{LOOKER, SHEETS, call, feed_rows, returned, run_apps_script, signed_in_to_looker};
use crate::support::feed::{ALICE, ALPHA, create_data_source_with_tables, feed_app, reader};

const JQL: &str = "project in (ALPHA, BETA, OPS, DATA)";

#[tokio::test]
async fn looker_studio_reads_a_tables_rows_for_a_date_range_exactly() {
    let app = feed_app(300).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let id = create_data_source_with_tables(
        &app,
        &alice.session,
        "History",
        JQL,
        &[],
        &["IssueChanges"],
    )
    .await;
    let (start, end) = ("2025-01-01", "2025-06-30");
    let filter = format!("Changed ge {start} and Changed le {end}T23:59:59.999Z");
    let (feed, _) = feed_rows(
        &alice,
        &app,
        &format!("/feed/{id}/json/IssueChanges?$select=ChangeId,Item,Field&$filter={filter}"),
    )
    .await;
    assert!(feed.len() > 100, "{}", feed.len());
    let request = json!({
        "configParams": {"dataSource": id.to_string(), "table": "IssueChanges", "dateColumn": "Changed"},
        "dateRange": {"startDate": start, "endDate": end},
        "fields": [{"name": "ChangeId"}, {"name": "Item"}, {"name": "Field"}],
    });
    let run = run_apps_script(
        LOOKER,
        signed_in_to_looker(&app, &alice),
        json!([call("getData", json!([request]))]),
    )
    .await;
    let data = returned(&run, 0);
    let got: BTreeSet<(String, String)> = data["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let values = row["values"].as_array().unwrap();
            (text(&values[0]), text(&values[1]))
        })
        .collect();
    let want: BTreeSet<(String, String)> = feed
        .iter()
        .map(|row| (text(&row["ChangeId"]), text(&row["Item"])))
        .collect();
    assert_eq!(
        got.len(),
        data["rows"].as_array().unwrap().len(),
        "no row twice"
    );
    assert_eq!(got, want);
}

#[tokio::test]
async fn the_sheets_add_on_imports_a_table_into_its_own_sheet() {
    let app = feed_app(200).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let id =
        create_data_source_with_tables(&app, &alice.session, "Team", JQL, &[], &["Worklogs"]).await;
    let (feed, _) = feed_rows(&alice, &app, &format!("/feed/{id}/json/Worklogs")).await;
    assert!(!feed.is_empty());
    let connection =
        json!({"baseUrl": app.address, "email": alice.email, "token": alice.access_token});
    let run = run_apps_script(
        SHEETS,
        json!({}),
        json!([
            call("saveConnection", json!([connection])),
            call("importDataSource", json!([id, "Worklogs"])),
        ]),
    )
    .await;
    assert_eq!(
        returned(&run, 0),
        &json!([{"id": id, "name": "Team", "tables": ["Issues", "Worklogs"]}])
    );
    assert_eq!(
        returned(&run, 1),
        &json!({"sheet": "Team – Worklogs", "rows": feed.len()})
    );
    let sheet = run["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Team – Worklogs")
        .expect("the table's own sheet");
    assert_eq!(sheet["values"][0][2], "WorklogId");
    assert_eq!(sheet["values"].as_array().unwrap().len(), feed.len() + 1);
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}
