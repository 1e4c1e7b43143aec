//! The whole journey in a real browser, as a new user makes it: an access token, a data source
//! (JQL and fields) with its preview, the OData URL copied, and then a BI tool reading that URL
//! with the access token as its Basic password and getting the same rows.

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::support::browser::{Browser, click, find};
use crate::support::spawn_app;
use crate::ui::{click_link, open_app, save_jira_token_over_http, text_of, wait_for_text};

/// The preview's cells in the column headed `column`, top to bottom.
async fn preview_column(client: &Client, column: &str) -> Vec<String> {
    let cells = client
        .execute(
            "const t = document.getElementById('ds-preview'); \
             const i = [...t.tHead.rows[0].cells].findIndex(c => c.innerText.trim() === arguments[0]); \
             return [...t.tBodies[0].rows].map(r => r.cells[i].innerText.trim());",
            vec![serde_json::json!(column)],
        )
        .await
        .expect("read the preview");
    serde_json::from_value(cells).expect("a list of cells")
}

#[tokio::test]
async fn a_new_user_goes_from_an_access_token_to_rows_in_a_bi_tool() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    save_jira_token_over_http(&app, &alice, 0, 0).await;
    let email = app.emulator.sites()[0].users[0].email.clone();
    let http = app.client.clone();
    let browser = Browser::start().await;
    browser
        .run("access_token_to_bi_rows", |client| async move {
            open_app(&client, &app, 0, 0).await;

            // An access token for the BI tool, shown once.
            click_link(&client, "Tokens").await;
            find(&client, "#token-label")
                .await
                .send_keys("Power BI")
                .await
                .unwrap();
            click(&client, "form.form button[type=submit]").await;
            let token = text_of(&client, "#new-token-value").await;

            // A data source: JQL and an extra field; the page shows its preview.
            click_link(&client, "Data sources").await;
            click(&client, ".empty-state a.button--primary").await;
            find(&client, "#ds-name")
                .await
                .send_keys("Alpha issues")
                .await
                .unwrap();
            click(&client, "input[name=issue_mode][value=jql]").await;
            find(&client, "#ds-jql")
                .await
                .send_keys("project = ALPHA ORDER BY key ASC")
                .await
                .unwrap();
            click(&client, "input[name=fields][value=customfield_10030]").await;
            click(&client, "#data-source-form button[type=submit]").await;
            find(&client, "#ds-preview").await;
            let preview_keys = preview_column(&client, "Key").await;
            assert_eq!(preview_keys.len(), 10, "{preview_keys:?}");

            // Copy the OData URL.
            click(&client, "[data-copy-target=feed-odata-url]").await;
            wait_for_text(&client, "Copied").await;
            let odata_url = find(&client, "#feed-odata-url")
                .await
                .prop("value")
                .await
                .unwrap()
                .expect("the OData URL");
            client
                .find(Locator::Css("#feed-odata-copied"))
                .await
                .expect("the copy confirmation");

            // The BI tool: the service document lists Issues; Issues has the preview's rows.
            let service: Value = http
                .get(&odata_url)
                .basic_auth(&email, Some(&token))
                .send()
                .await
                .unwrap()
                .error_for_status()
                .expect("the service document")
                .json()
                .await
                .unwrap();
            assert!(
                service["value"]
                    .as_array()
                    .is_some_and(|sets| sets.iter().any(|s| s["name"] == "Issues")),
                "{service}"
            );
            let issues: Value = http
                .get(format!("{odata_url}/Issues"))
                .basic_auth(&email, Some(&token))
                .send()
                .await
                .unwrap()
                .error_for_status()
                .expect("the Issues feed")
                .json()
                .await
                .unwrap();
            let rows = issues["value"].as_array().expect("rows");
            assert!(rows.len() >= preview_keys.len(), "{} rows", rows.len());
            let feed_keys: Vec<&str> = rows
                .iter()
                .take(preview_keys.len())
                .map(|row| row["Key"].as_str().unwrap_or_default())
                .collect();
            assert_eq!(
                feed_keys, preview_keys,
                "the feed starts with the preview's rows"
            );
            assert!(
                rows[0].get("Severity").is_some(),
                "the extra field is a column: {}",
                rows[0]
            );

            // Without the token, or with a wrong one, the feed says no.
            let refused = http
                .get(format!("{odata_url}/Issues"))
                .basic_auth(&email, Some("jbc_not-a-token"))
                .send()
                .await
                .unwrap();
            assert_eq!(refused.status(), 401);
        })
        .await;
}
