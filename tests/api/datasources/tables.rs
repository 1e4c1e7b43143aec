//! The tables of a data source through its pages: chosen in the form's "Tables" group, stored,
//! kept by the edit form, listed on the data source page with each table's feed URLs and Copy;
//! and the same in a real browser, with axe checking the form and the page.

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::{ALICE, ALPHA, LIST, NEW, create, page, signed_in_with_jira_token, submit_new};
use crate::support::{Session, TestApp, spawn_app};

#[derive(QueryableByName)]
struct StoredTables {
    #[diesel(sql_type = Text)]
    tables: String,
}

/// The stored `tables` column of every data source, by id.
fn stored_tables(app: &TestApp) -> Vec<String> {
    diesel::sql_query("SELECT tables FROM data_sources ORDER BY id")
        .load::<StoredTables>(&mut app.db())
        .unwrap()
        .into_iter()
        .map(|row| row.tables)
        .collect()
}

/// The names of the tables the data source page lists with their URLs, in order.
fn listed_tables(html: &str) -> Vec<String> {
    html.split(r#"<li class="table-feed" data-table=""#)
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

/// Asserts the page has `table`'s OData, CSV and JSON URLs, each with its Copy button.
fn assert_table_urls(app: &TestApp, html: &str, id: i64, table: &str) {
    let root = format!("{}/feed/{id}", app.address);
    let urls = if table == "Issues" {
        [
            ("odata", format!("{root}/odata/Issues")),
            ("csv", format!("{root}/csv")),
            ("json", format!("{root}/json")),
        ]
    } else {
        [
            ("odata", format!("{root}/odata/{table}")),
            ("csv", format!("{root}/csv/{table}")),
            ("json", format!("{root}/json/{table}")),
        ]
    };
    for (kind, url) in urls {
        let input = format!(r#"id="table-{table}-{kind}-url" type="text" readonly value="{url}""#);
        assert!(html.contains(&input), "{table} {kind} URL {url}");
        assert!(
            html.contains(&format!(r#"data-copy-target="table-{table}-{kind}-url""#)),
            "{table} {kind} Copy"
        );
    }
}

/// A fresh app, and Alice signed in with her Jira API token saved.
async fn spawn_app_with_alice() -> (TestApp, Session) {
    let app = spawn_app().await;
    let alice = signed_in_with_jira_token(&app, ALPHA, ALICE).await;
    (app, alice)
}

#[tokio::test]
async fn the_form_offers_every_table_with_issues_always_ticked() {
    let (app, alice) = spawn_app_with_alice().await;
    let (status, form) = page(&app, NEW, &alice).await;
    assert_eq!(status, 200);
    assert!(form.contains("<legend>Tables</legend>"));
    assert!(
        form.contains(
            r#"id="ds-table-Issues" aria-describedby="ds-table-Issues-help" checked disabled"#
        ),
        "Issues cannot be unticked"
    );
    for table in [
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
    ] {
        assert!(
            form.contains(&format!(
                r#"aria-describedby="ds-table-{table}-help" name="tables" value="{table}">"#
            )),
            "{table} is offered, unticked"
        );
        assert!(form.contains(&format!(
            r#"<p class="choice__help" id="ds-table-{table}-help">"#
        )));
    }
}

#[tokio::test]
async fn chosen_tables_are_stored_listed_with_their_urls_and_kept_by_the_edit_form() {
    let (app, alice) = spawn_app_with_alice().await;
    let id = create(
        &app,
        &alice,
        &[
            ("name", "Time report"),
            ("issue_mode", "jql"),
            ("jql", "project = ALPHA"),
            ("tables", "Worklogs"),
            ("tables", "StatusPeriods"),
        ],
    )
    .await;
    assert_eq!(stored_tables(&app), [r#"["StatusPeriods","Worklogs"]"#]);

    let (status, html) = page(&app, &format!("{LIST}/{id}"), &alice).await;
    assert_eq!(status, 200);
    assert_eq!(
        listed_tables(&html),
        ["Issues", "StatusPeriods", "Worklogs"]
    );
    for table in ["Issues", "StatusPeriods", "Worklogs"] {
        assert_table_urls(&app, &html, id, table);
    }
    assert!(
        html.contains(&format!(
            r#"id="feed-odata-url" type="text" readonly value="{}/feed/{id}/odata""#,
            app.address
        )),
        "the service root stays the URL for BI tools"
    );
    assert!(html.contains("This data source exports 3 tables"));

    // The edit form opens with them ticked; saving it as it is keeps them.
    let edit = format!("{LIST}/{id}/edit");
    let (_, form) = page(&app, &edit, &alice).await;
    for table in ["StatusPeriods", "Worklogs"] {
        assert!(
            form.contains(&format!(r#"value="{table}" checked"#)),
            "{table}"
        );
    }
    assert!(!form.contains(r#"value="IssueChanges" checked"#));
    let saved = app
        .post_form(
            &edit,
            &alice,
            &[
                ("name", "Time report"),
                ("issue_mode", "jql"),
                ("jql", "project = ALPHA"),
                ("tables", "StatusPeriods"),
                ("tables", "Worklogs"),
                ("tables", "IssueChanges"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    assert_eq!(
        stored_tables(&app),
        [r#"["IssueChanges","StatusPeriods","Worklogs"]"#]
    );

    // Unticking every table goes back to Issues alone.
    let saved = app
        .post_form(
            &edit,
            &alice,
            &[
                ("name", "Time report"),
                ("issue_mode", "jql"),
                ("jql", "project = ALPHA"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    assert_eq!(stored_tables(&app), ["[]"]);
    let (_, html) = page(&app, &format!("{LIST}/{id}"), &alice).await;
    assert_eq!(listed_tables(&html), ["Issues"]);
    assert!(html.contains("This data source exports one table."));
}

#[tokio::test]
async fn an_unknown_table_is_refused_next_to_the_group_and_nothing_is_saved() {
    let (app, alice) = spawn_app_with_alice().await;
    let response = submit_new(
        &app,
        &alice,
        &[
            ("name", "Report"),
            ("issue_mode", "jql"),
            ("jql", "project = ALPHA"),
            ("tables", "Worklogs"),
            ("tables", "Secrets"),
        ],
    )
    .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains(
        r#"<p class="field__error" id="ds-tables-error">Pick tables from the list; one of them is not a table</p>"#
    ));
    assert!(html.contains(r#"id="ds-tables" aria-describedby="ds-tables-error ds-tables-help""#));
    assert!(html.contains(
        r#"aria-describedby="ds-tables-error ds-table-Worklogs-help" aria-invalid="true" name="tables" value="Worklogs" checked"#
    ), "the real table stays ticked and points at the error");
    assert!(stored_tables(&app).is_empty());
}

#[tokio::test]
async fn a_data_source_saved_without_tables_exports_issues_alone() {
    let (app, alice) = spawn_app_with_alice().await;
    let id = create(
        &app,
        &alice,
        &[("name", "Plain"), ("jql", "project = ALPHA")],
    )
    .await;
    assert_eq!(stored_tables(&app), ["[]"]);
    let (_, html) = page(&app, &format!("{LIST}/{id}"), &alice).await;
    assert_eq!(listed_tables(&html), ["Issues"]);
    assert_table_urls(&app, &html, id, "Issues");
    let (_, form) = page(&app, &format!("{LIST}/{id}/edit"), &alice).await;
    assert!(!form.contains(r#"name="tables" value="Worklogs" checked"#));
}

mod in_the_browser {
    use fantoccini::Locator;

    use super::*;
    use crate::support::browser::{Browser, assert_accessible, click, find};
    use crate::ui::open_app;

    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    #[tokio::test]
    async fn a_user_ticks_two_tables_sees_them_on_the_page_and_copies_a_url() {
        let (app, _alice) = spawn_app_with_alice().await;
        let browser = Browser::start().await;
        browser
            .run("data_source_tables", |client| async move {
                let app = &app;
                open_app(&client, app, ALPHA, ALICE).await;
                click(&client, ".empty-state a.button--primary").await;

                // The form, with its Tables group, passes axe; tick two tables and save.
                find(&client, "#ds-tables").await;
                assert_accessible(&client, "data source form with tables").await;
                let issues = find(&client, "#ds-table-Issues").await;
                assert!(issues.is_selected().await.unwrap());
                assert!(
                    !issues.is_enabled().await.unwrap(),
                    "Issues cannot be unticked"
                );
                find(&client, "#ds-name")
                    .await
                    .send_keys("Sprint time")
                    .await
                    .unwrap();
                click(&client, "input[name=issue_mode][value=jql]").await;
                find(&client, "#ds-jql")
                    .await
                    .send_keys("project = ALPHA")
                    .await
                    .unwrap();
                // By its label, as a user would.
                click(&client, "label[for=ds-table-StatusPeriods]").await;
                click(&client, "label[for=ds-table-Worklogs]").await;
                click(&client, "#data-source-form button[type=submit]").await;

                // The page lists them, with Copy for each URL; it passes axe too.
                find(&client, "#feed-tables").await;
                let id: i64 = diesel::sql_query("SELECT id AS n FROM data_sources")
                    .get_result::<Id>(&mut app.db())
                    .unwrap()
                    .n;
                let listed = client
                    .find_all(Locator::Css("#feed-tables .table-feed h4"))
                    .await
                    .unwrap();
                let mut names = Vec::new();
                for heading in listed {
                    names.push(heading.text().await.unwrap());
                }
                assert_eq!(names, ["Issues", "StatusPeriods", "Worklogs"]);
                let defined = find(&client, "#ds-tables").await.text().await.unwrap();
                assert!(defined.contains("Worklogs"), "{defined}");
                assert_accessible(&client, "data source page with tables").await;

                // What Copy puts on the clipboard, whichever way the page copies.
                client
                    .execute(
                        "window.__copied = null; \
                         if (navigator.clipboard) { navigator.clipboard.writeText = t => { window.__copied = t; return Promise.resolve(); }; } \
                         document.execCommand = () => { window.__copied = document.activeElement.value; return true; };",
                        vec![],
                    )
                    .await
                    .unwrap();
                click(&client, "[data-copy-target=table-Worklogs-odata-url]").await;
                client
                    .wait()
                    .for_element(Locator::XPath(
                        "//*[@id='table-Worklogs-odata-copied'][text()='Copied']",
                    ))
                    .await
                    .expect("a visible Copied confirmation");
                let copied = client
                    .execute("return window.__copied;", vec![])
                    .await
                    .unwrap();
                assert_eq!(
                    copied.as_str(),
                    Some(format!("{}/feed/{id}/odata/Worklogs", app.address).as_str()),
                    "Copy copies the table's OData URL"
                );
                assert_eq!(stored_tables(app), [r#"["StatusPeriods","Worklogs"]"#]);
            })
            .await;
    }
}
