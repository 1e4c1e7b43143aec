//! The Data sources pages against the emulator: create with JQL or projects, Jira's verdict on
//! the JQL next to the field, the preview and count, feed URLs, edit, delete with confirmation,
//! isolation between users and sites, the call to action without a Jira API token, and bad input.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use jira_emulator::FaultConfig;

use crate::support::{Session, TestApp, spawn_app};

/// The "Tables" group of the form and the tables on the data source page.
mod tables;

const LIST: &str = "/app/datasources";
const NEW: &str = "/app/datasources/new";

const ALPHA: usize = 0;
const BETA: usize = 1;
const ALICE: usize = 0;
const BOB: usize = 1;
const CAROL: usize = 0;

// ---------------------------------------------------------------------------------------------
// Helpers that read like the product.

/// Signs in as `user` of `site` and saves their own Jira API token on the Jira API Token tab.
async fn signed_in_with_jira_token(app: &TestApp, site: usize, user: usize) -> Session {
    let session = app.sign_in(site, user).await;
    let person = &app.emulator.sites()[site].users[user];
    let response = app
        .post_form(
            "/app/tokens/jira",
            &session,
            &[("email", &person.email), ("api_token", &person.api_token)],
        )
        .await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    session
}

async fn page(app: &TestApp, path: &str, session: &Session) -> (u16, String) {
    let response = app.get_page(path, session).await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The value of the first `name="…" value="…"` input.
fn input_value(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker).expect("the page has the input") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

async fn fresh_form_id(app: &TestApp, session: &Session) -> String {
    let (status, html) = page(app, NEW, session).await;
    assert_eq!(status, 200);
    input_value(&html, "form_id")
}

/// Submits the create form with `fields` plus a fresh form id.
async fn submit_new(
    app: &TestApp,
    session: &Session,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let form_id = fresh_form_id(app, session).await;
    let mut form = vec![("form_id", form_id.as_str())];
    form.extend_from_slice(fields);
    app.post_form(LIST, session, &form).await
}

/// The in-app path a 303 points to, without the session.
fn location(response: &reqwest::Response) -> String {
    let raw = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location header");
    let path = raw.split_once('?').map_or(raw, |(path, _)| path);
    let query: Vec<&str> = raw
        .split_once('?')
        .map(|(_, q)| {
            q.split('&')
                .filter(|p| !p.starts_with("session="))
                .collect()
        })
        .unwrap_or_default();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// Creates a data source and returns its id.
async fn create(app: &TestApp, session: &Session, fields: &[(&str, &str)]) -> i64 {
    let response = submit_new(app, session, fields).await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    let path = location(&response);
    path.trim_start_matches("/app/datasources/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .expect("redirected to the new data source")
}

#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
struct Stored {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    account_id: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    issue_mode: String,
    #[diesel(sql_type = Text)]
    jql: String,
    #[diesel(sql_type = Text)]
    project_keys: String,
    #[diesel(sql_type = Text)]
    fields: String,
    #[diesel(sql_type = BigInt)]
    updated_at: i64,
}

fn stored(app: &TestApp) -> Vec<Stored> {
    diesel::sql_query(
        "SELECT id, account_id, name, issue_mode, jql, project_keys, fields, updated_at \
         FROM data_sources ORDER BY id",
    )
    .load(&mut app.db())
    .unwrap()
}

/// The text of the element with `id` up to its closing tag `</tag>`.
fn element<'a>(html: &'a str, id: &str, tag: &str) -> &'a str {
    let start = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("no element #{id} in:\n{html}"));
    let end = start + html[start..].find(&format!("</{tag}>")).unwrap();
    &html[start..end]
}

fn preview_rows(html: &str) -> Vec<Vec<String>> {
    let table = element(html, "ds-preview", "table");
    let body = &table[table.find("<tbody>").unwrap()..];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td>")
                .skip(1)
                .map(|cell| cell.split("</td>").next().unwrap().to_owned())
                .collect()
        })
        .collect()
}

fn preview_columns(html: &str) -> Vec<String> {
    let table = element(html, "ds-preview", "table");
    table
        .split(r#"<th scope="col">"#)
        .skip(1)
        .map(|cell| cell.split("</th>").next().unwrap().to_owned())
        .collect()
}

/// How many issues `email`/`token` see for `jql`, asked of the emulator directly.
async fn jira_count(app: &TestApp, site: usize, user: usize, jql: &str) -> u64 {
    let info = &app.emulator.sites()[site];
    let person = &info.users[user];
    let body: serde_json::Value = app
        .client
        .post(format!(
            "{}/rest/api/3/search/approximate-count",
            info.base_url
        ))
        .basic_auth(&person.email, Some(&person.api_token))
        .json(&serde_json::json!({ "jql": jql }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["count"].as_u64().unwrap()
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Without a Jira API token.

#[tokio::test]
async fn without_a_saved_jira_token_the_pages_ask_for_one_instead_of_the_create_form() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;

    let (list_status, list) = page(&app, LIST, &alice).await;
    let (new_status, new) = page(&app, NEW, &alice).await;

    assert_eq!(list_status, 200);
    assert!(list.contains(r#"data-token-problem="not-saved""#));
    assert!(list.contains("Save your Jira API token first."));
    assert!(list.contains("/app/tokens/jira?session="));
    assert!(!list.contains("/app/datasources/new?session="));
    assert_eq!(new_status, 200);
    assert!(new.contains(r#"data-token-problem="not-saved""#));
    assert!(!new.contains(r#"id="data-source-form""#));

    // A hand-made POST gets the same answer and stores nothing.
    let response = app
        .post_form(LIST, &alice, &[("name", "x"), ("jql", "project = ALPHA")])
        .await;
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("jira-token-cta"));
    assert!(stored(&app).is_empty());
}

#[tokio::test]
async fn a_token_jira_rejected_is_reported_with_the_call_to_action() {
    let app = spawn_app().await;
    let alice = signed_in_with_jira_token(&app, ALPHA, ALICE).await;
    let id = create(
        &app,
        &alice,
        &[("name", "Mine"), ("jql", "project = ALPHA")],
    )
    .await;
    diesel::sql_query("UPDATE jira_api_tokens SET rejected_at = 1")
        .execute(&mut app.db())
        .unwrap();

    let (_, list) = page(&app, LIST, &alice).await;
    let (status, show) = page(&app, &format!("{LIST}/{id}"), &alice).await;

    assert!(list.contains(r#"data-token-problem="rejected""#));
    assert!(
        list.contains("Mine"),
        "existing data sources are still listed"
    );
    assert_eq!(status, 200, "the page still shows, with its feed URLs");
    assert!(show.contains(r#"data-token-problem="rejected""#));
    assert!(show.contains(&format!("/feed/{id}/odata")));
}

// ---------------------------------------------------------------------------------------------
// Create, show.

#[tokio::test]
async fn a_data_source_made_with_jql_and_fields_shows_its_preview_count_and_feed_urls() {
    let app = spawn_app().await;
    let alice = signed_in_with_jira_token(&app, ALPHA, ALICE).await;

    let (_, form) = page(&app, NEW, &alice).await;
    assert!(
        form.contains(r#"value="customfield_10030""#),
        "custom fields are offered"
    );
    assert!(form.contains("Severity"));
    assert!(form.contains(r#"value="ALPHA""#), "projects are offered");
    let response = submit_new(
        &app,
        &alice,
        &[
            ("name", "Sprint report"),
            ("issue_mode", "jql"),
            ("jql", "project = ALPHA ORDER BY key"),
            ("fields", "customfield_10030"),
            ("fields", "customfield_10035"),
        ],
    )
    .await;

    assert_eq!(response.status(), 303);
    let target = location(&response);
    let rows = stored(&app);
    assert_eq!(rows.len(), 1);
    let source = &rows[0];
    assert_eq!(target, format!("/app/datasources/{}?created=1", source.id));
    assert_eq!(source.name, "Sprint report");
    assert_eq!(source.issue_mode, "jql");
    assert_eq!(source.jql, "project = ALPHA ORDER BY key");
    assert_eq!(
        source.fields,
        r#"["customfield_10030","customfield_10035"]"#
    );
    assert_eq!(
        source.account_id,
        app.emulator.sites()[ALPHA].users[ALICE].account_id
    );

    let (status, html) = page(&app, &target, &alice).await;
    assert_eq!(status, 200);
    assert!(html.contains("Data source created."));
    let columns = preview_columns(&html);
    assert_eq!(&columns[..3], ["Id", "Key", "Summary"]);
    assert!(columns.contains(&"Severity".to_owned()));
    assert!(
        columns.iter().any(|c| c.starts_with("Team_")),
        "colliding names are told apart: {columns:?}"
    );
    let rows = preview_rows(&html);
    assert_eq!(rows.len(), 10);
    let keys: Vec<&str> = rows.iter().map(|row| row[1].as_str()).collect();
    assert!(keys.iter().all(|key| key.starts_with("ALPHA-")), "{keys:?}");
    assert!(rows.iter().all(|row| row.len() == columns.len()));
    let count = jira_count(&app, ALPHA, ALICE, "project = ALPHA").await;
    assert!(count > 10);
    assert!(
        element(&html, "ds-count", "dd")
            .contains(&format!("About {} issues", group_thousands(count)))
    );
    for kind in ["odata", "csv", "json"] {
        let url = format!("{}/feed/{}/{kind}", app.address, source.id);
        assert!(html.contains(&format!(r#"value="{url}""#)), "{kind} URL");
        assert!(html.contains(&format!(r#"data-copy-target="feed-{kind}-url""#)));
    }
    assert!(
        html.contains("/app/tokens/access?session="),
        "links to Access Token"
    );
    assert!(html.contains(&app.emulator.sites()[ALPHA].users[ALICE].email));
    assert!(html.contains("IMPORTDATA"), "honest about Google Sheets");
}

#[tokio::test]
async fn a_data_source_made_by_picking_projects_runs_a_project_query() {
    let app = spawn_app().await;
    let alice = signed_in_with_jira_token(&app, ALPHA, ALICE).await;

    let id = create(
        &app,
        &alice,
        &[
            ("name", "Platform and data"),
            ("issue_mode", "projects"),
            ("projects", "ALPHA"),
            ("projects", "DATA"),
            ("jql", "ignored while projects are picked"),
        ],
    )
    .await;

    let source = &stored(&app)[0];
    assert_eq!(source.issue_mode, "projects");
    assert_eq!(source.jql, r#"project in ("ALPHA", "DATA")"#);
    assert_eq!(source.project_keys, r#"["ALPHA","DATA"]"#);
    assert_eq!(source.fields, "[]", "the standard columns alone are fine");
    let (_, html) = page(&app, &format!("{LIST}/{id}"), &alice).await;
    assert!(html.contains("Projects: ALPHA, DATA"));
    let rows = preview_rows(&html);
    assert_eq!(rows.len(), 10);
    assert!(
        rows.iter()
            .all(|r| r[1].starts_with("ALPHA-") || r[1].starts_with("DATA-"))
    );
    let (_, edit) = page(&app, &format!("{LIST}/{id}/edit"), &alice).await;
    assert!(edit.contains(r#"value="projects" data-mode-switch checked"#));
    assert!(edit.contains(r#"name="projects" value="ALPHA" checked"#));
    assert!(edit.contains(r#"name="projects" value="DATA" checked"#));
    assert!(edit.contains(r#"name="projects" value="OPS">"#));
    let (_, list) = page(&app, LIST, &alice).await;
    assert!(list.contains("Platform and data"));
    assert!(list.contains("Projects: ALPHA, DATA"));
}

#[tokio::test]
async fn invalid_and_unbounded_jql_are_explained_next_to_the_field_and_nothing_is_saved() {
    let app = spawn_app().await;
    let alice = signed_in_with_jira_token(&app, ALPHA, ALICE).await;

    for (jql, message) in [
        ("project = = ALPHA", "Error in the JQL Query"),
        ("project = NOPE", "NOPE"),
        (
            "ORDER BY created DESC",
            "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.",
        ),
    ] {
        let response = submit_new(
            &app,
            &alice,
            &[("name", "Bad"), ("issue_mode", "jql"), ("jql", jql)],
        )
        .await;

        assert_eq!(response.status(), 422, "{jql}");
        let html = response.text().await.unwrap();
        let error = element(&html, "ds-jql-error", "p");
        assert!(
            error.contains("Jira could not run this query"),
            "{jql}: {error}"
        );
        assert!(error.contains(message), "{jql}: {error}");
        assert!(html.contains(r#"aria-describedby="ds-jql-error ds-jql-help""#));
        assert!(
            html.contains(&format!(">{jql}</textarea>")),
            "typed JQL kept"
        );
        assert!(html.contains(r#"name="name" type="text" value="Bad""#));
    }
    assert!(stored(&app).is_empty());
}

#[tokio::test]
async fn refused_fields_and_projects_are_explained_and_nothing_is_saved() {
    let app = spawn_app().await;
    let bob = signed_in_with_jira_token(&app, ALPHA, BOB).await;

    // Bob cannot browse OPS; a field id the site does not have; an empty name.
    let response = submit_new(
        &app,
        &bob,
        &[
            ("name", "   "),
            ("issue_mode", "projects"),
            ("projects", "OPS"),
            ("fields", "customfield_99999"),
            ("fields", "summary"),
        ],
    )
    .await;

    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(element(&html, "ds-name-error", "p").contains("Enter a name"));
    assert!(element(&html, "ds-projects-error", "p").contains("“OPS”"));
    assert!(element(&html, "ds-fields-error", "p").contains("“customfield_99999”"));
    assert!(!html.contains(r#"value="OPS""#), "Bob is not offered OPS");
    assert!(stored(&app).is_empty());
}

#[tokio::test]
async fn a_double_submit_creates_one_data_source_and_names_are_unique_per_user() {
    let app = spawn_app().await;
    let alice = signed_in_with_jira_token(&app, ALPHA, ALICE).await;
    let form_id = fresh_form_id(&app, &alice).await;
    let form = [
        ("form_id", form_id.as_str()),
        ("name", "Once"),
        ("jql", "project = ALPHA"),
    ];

    let first = app.post_form(LIST, &alice, &form).await;
    let second = app.post_form(LIST, &alice, &form).await;
    let same_name = submit_new(&app, &alice, &[("name", "ONCE"), ("jql", "project = OPS")]).await;

    assert_eq!(first.status(), 303);
    assert_eq!(second.status(), 303);
    let id = stored(&app)[0].id;
    assert_eq!(location(&second), format!("/app/datasources/{id}"));
    assert_eq!(same_name.status(), 422);
    let html = same_name.text().await.unwrap();
    assert!(element(&html, "ds-name-error", "p").contains("already have a data source"));
    assert_eq!(stored(&app).len(), 1);
}

#[tokio::test]
async fn when_jira_fails_the_pages_explain_it_keep_what_was_typed_and_save_nothing() {
    let app = spawn_app().await;
    let alice = signed_in_with_jira_token(&app, ALPHA, ALICE).await;
    let id = create(
        &app,
        &alice,
        &[("name", "Kept"), ("jql", "project = ALPHA")],
    )
    .await;
    let form_id = fresh_form_id(&app, &alice).await;
    app.emulator.set_faults(FaultConfig {
        error_5xx_every: Some(1),
        error_status: 500,
        ..FaultConfig::default()
    });

    let (status, show) = page(&app, &format!("{LIST}/{id}"), &alice).await;
    let (new_status, new) = page(&app, NEW, &alice).await;
    let post = app
        .post_form(
            LIST,
            &alice,
            &[
                ("form_id", &form_id),
                ("name", "Typed name"),
                ("issue_mode", "jql"),
                ("jql", "project = OPS"),
            ],
        )
        .await;

    assert_eq!(status, 200, "the data source still shows");
    assert!(show.contains("Jira is having problems right now (HTTP 500)"));
    assert!(element(&show, "ds-count", "dd").contains("Not available right now"));
    assert!(show.contains(&format!("/feed/{id}/odata")));
    assert_eq!(new_status, 200);
    assert!(new.contains("Jira is having problems right now"));
    assert!(new.contains(r#"id="data-source-form""#));
    assert_eq!(post.status(), 502);
    let html = post.text().await.unwrap();
    assert!(html.contains("Jira is having problems right now"));
    assert!(html.contains(r#"type="text" value="Typed name""#));
    assert!(html.contains(">project = OPS</textarea>"));
    assert_eq!(stored(&app).len(), 1);
}

#[tokio::test]
async fn fifty_data_sources_is_the_limit() {
    let app = spawn_app().await;
    let alice = signed_in_with_jira_token(&app, ALPHA, ALICE).await;
    let form_id = fresh_form_id(&app, &alice).await;
    let id = create(
        &app,
        &alice,
        &[("name", "First"), ("jql", "project = ALPHA")],
    )
    .await;
    for n in 2..=50 {
        diesel::sql_query(format!(
            "INSERT INTO data_sources (tenant_id, account_id, name, name_normalized, issue_mode, \
             jql, project_keys, fields, created_at, updated_at) \
             SELECT tenant_id, account_id, 'DS {n}', 'ds {n}', 'jql', jql, '[]', '[]', 0, 0 \
             FROM data_sources WHERE id = {id}"
        ))
        .execute(&mut app.db())
        .unwrap();
    }

    let (status, new) = page(&app, NEW, &alice).await;
    let (_, list) = page(&app, LIST, &alice).await;
    let post = app
        .post_form(
            LIST,
            &alice,
            &[
                ("form_id", &form_id),
                ("name", "One more"),
                ("jql", "project = ALPHA"),
            ],
        )
        .await;

    assert_eq!(status, 200);
    assert!(new.contains("You have 50 data sources, the maximum."));
    assert!(!new.contains(r#"id="data-source-form""#));
    assert!(list.contains("50 of 50 data sources."));
    assert!(list.contains(r#"disabled aria-describedby="ds-limit-reason""#));
    assert_eq!(post.status(), 409);
    assert!(post.text().await.unwrap().contains("the maximum"));
    assert_eq!(stored(&app).len(), 50);
}

// ---------------------------------------------------------------------------------------------
// Edit and delete.

#[tokio::test]
async fn editing_opens_the_form_as_saved_and_stores_the_change() {
    let app = spawn_app().await;
    let alice = signed_in_with_jira_token(&app, ALPHA, ALICE).await;
    let id = create(
        &app,
        &alice,
        &[
            ("name", "Report"),
            ("jql", "project = ALPHA"),
            ("fields", "customfield_10030"),
        ],
    )
    .await;
    let edit = format!("{LIST}/{id}/edit");

    let (status, form) = page(&app, &edit, &alice).await;
    assert_eq!(status, 200);
    assert!(form.contains(r#"name="name" type="text" value="Report""#));
    assert!(form.contains(r#"value="jql" data-mode-switch checked"#));
    assert!(form.contains(">project = ALPHA</textarea>"));
    assert!(form.contains(r#"value="customfield_10030" checked"#));
    assert!(!form.contains(r#"name="form_id""#));

    let refused = app
        .post_form(
            &edit,
            &alice,
            &[("name", "Report"), ("jql", "project = = x")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert_eq!(stored(&app)[0].jql, "project = ALPHA");

    let response = app
        .post_form(
            &edit,
            &alice,
            &[
                ("name", "Ops report"),
                ("issue_mode", "jql"),
                ("jql", "project = OPS ORDER BY created DESC"),
                ("fields", "customfield_10031"),
            ],
        )
        .await;

    assert_eq!(response.status(), 303);
    assert_eq!(
        location(&response),
        format!("/app/datasources/{id}?saved=1")
    );
    let source = &stored(&app)[0];
    assert_eq!(source.name, "Ops report");
    assert_eq!(source.jql, "project = OPS ORDER BY created DESC");
    assert_eq!(source.fields, r#"["customfield_10031"]"#);
    let (_, html) = page(&app, &format!("{LIST}/{id}?saved=1"), &alice).await;
    assert!(html.contains("Changes saved."));
    assert!(preview_rows(&html).iter().all(|r| r[1].starts_with("OPS-")));
}

#[tokio::test]
async fn editing_warns_about_picks_jira_no_longer_offers() {
    let app = spawn_app().await;
    let alice = signed_in_with_jira_token(&app, ALPHA, ALICE).await;
    let id = create(
        &app,
        &alice,
        &[
            ("name", "Old picks"),
            ("issue_mode", "projects"),
            ("projects", "ALPHA"),
            ("fields", "customfield_10030"),
        ],
    )
    .await;
    diesel::sql_query(
        "UPDATE data_sources SET project_keys = '[\"ALPHA\",\"GONE\"]', \
         fields = '[\"customfield_10030\",\"customfield_55555\"]'",
    )
    .execute(&mut app.db())
    .unwrap();

    let (status, html) = page(&app, &format!("{LIST}/{id}/edit"), &alice).await;

    assert_eq!(status, 200);
    assert!(html.contains(
        "Jira no longer offers you project “GONE” and field “customfield_55555”. Saving removes \
         them from this data source."
    ));
    let (_, show) = page(&app, &format!("{LIST}/{id}"), &alice).await;
    assert!(show.contains("Not on your Jira site"));
}

#[tokio::test]
async fn deleting_asks_for_confirmation_then_removes_the_data_source() {
    let app = spawn_app().await;
    let alice = signed_in_with_jira_token(&app, ALPHA, ALICE).await;
    let doomed = create(
        &app,
        &alice,
        &[("name", "Doomed"), ("jql", "project = ALPHA")],
    )
    .await;
    let kept = create(&app, &alice, &[("name", "Kept"), ("jql", "project = OPS")]).await;
    let delete = format!("{LIST}/{doomed}/delete");

    // Without JavaScript: a confirmation page; with it, a dialog on the list and the page.
    let (status, confirm) = page(&app, &delete, &alice).await;
    assert_eq!(status, 200);
    assert!(confirm.contains("Delete “Doomed”?"));
    assert!(confirm.contains(&format!(
        r#"action="/app/datasources/{doomed}/delete?session="#
    )));
    let (_, list) = page(&app, LIST, &alice).await;
    assert!(list.contains(&format!(r#"id="delete-dialog-{doomed}""#)));
    assert!(list.contains(&format!(r#"data-dialog="delete-dialog-{doomed}""#)));
    assert_eq!(stored(&app).len(), 2, "asking changes nothing");

    let response = app.post_form(&delete, &alice, &[]).await;

    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Data source “Doomed” was deleted."));
    assert_eq!(
        stored(&app).iter().map(|s| s.id).collect::<Vec<_>>(),
        [kept]
    );
    assert_eq!(page(&app, &format!("{LIST}/{doomed}"), &alice).await.0, 404);
    assert_eq!(app.post_form(&delete, &alice, &[]).await.status(), 404);
}

// ---------------------------------------------------------------------------------------------
// Isolation.

#[tokio::test]
async fn other_users_and_sites_can_neither_see_nor_change_a_data_source() {
    let app = spawn_app().await;
    let alice = signed_in_with_jira_token(&app, ALPHA, ALICE).await;
    let bob = signed_in_with_jira_token(&app, ALPHA, BOB).await;
    let carol = signed_in_with_jira_token(&app, BETA, CAROL).await;
    let id = create(
        &app,
        &alice,
        &[("name", "Alice secret"), ("jql", "project = ALPHA")],
    )
    .await;
    let before = stored(&app);

    for intruder in [&bob, &carol] {
        let (_, list) = page(&app, LIST, intruder).await;
        assert!(!list.contains("Alice secret"));
        for path in [
            format!("{LIST}/{id}"),
            format!("{LIST}/{id}/edit"),
            format!("{LIST}/{id}/delete"),
        ] {
            let (status, html) = page(&app, &path, intruder).await;
            assert_eq!(status, 404, "GET {path}");
            assert!(!html.contains("Alice"), "GET {path}");
        }
        let edit = app
            .post_form(
                &format!("{LIST}/{id}/edit"),
                intruder,
                &[("name", "Mine now"), ("jql", "project = ALPHA")],
            )
            .await;
        assert_eq!(edit.status(), 404);
        let delete = app
            .post_form(&format!("{LIST}/{id}/delete"), intruder, &[])
            .await;
        assert_eq!(delete.status(), 404);
    }

    assert_eq!(stored(&app), before);
    assert_eq!(page(&app, &format!("{LIST}/{id}"), &alice).await.0, 200);
}

// ---------------------------------------------------------------------------------------------
// Bad input.

#[tokio::test]
async fn ids_in_paths_that_cannot_be_a_data_source_are_404() {
    let app = spawn_app().await;
    let alice = signed_in_with_jira_token(&app, ALPHA, ALICE).await;

    for id in ["0", "-1", "abc", "1.5", "99999999999999999999", "%FF", "42"] {
        for suffix in ["", "/edit", "/delete"] {
            let path = format!("{LIST}/{id}{suffix}");
            assert_eq!(page(&app, &path, &alice).await.0, 404, "GET {path}");
        }
        for suffix in ["/edit", "/delete"] {
            let path = format!("{LIST}/{id}{suffix}");
            let status = app
                .post_form(&path, &alice, &[("name", "x")])
                .await
                .status();
            assert_eq!(status, 404, "POST {path}");
        }
    }
}

#[tokio::test]
async fn malformed_bodies_get_a_readable_page_never_a_500() {
    let app = spawn_app().await;
    let alice = signed_in_with_jira_token(&app, ALPHA, ALICE).await;
    let url = format!("{}{LIST}?session={}", app.address, alice.token);
    let form_id = fresh_form_id(&app, &alice).await;
    let post = |body: Vec<u8>, content_type: &'static str| {
        app.client
            .post(&url)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let form = "application/x-www-form-urlencoded";

    let not_utf8 = post(
        format!("form_id={form_id}&name=caf%E9&jql=project+%3D+ALPHA&fields=%FF").into_bytes(),
        form,
    )
    .await
    .unwrap();
    assert_eq!(not_utf8.status(), 400);
    let html = not_utf8.text().await.unwrap();
    assert!(element(&html, "ds-name-error", "p").contains("could not be read"));
    assert!(element(&html, "ds-fields-error", "p").contains("could not be read"));

    let huge = post(
        format!("form_id={form_id}&name={}", "x".repeat(200_000)).into_bytes(),
        form,
    )
    .await
    .unwrap();
    assert_eq!(huge.status(), 413);
    assert!(huge.text().await.unwrap().contains("too large"));

    let json = post(b"{\"name\":\"x\"}".to_vec(), "application/json")
        .await
        .unwrap();
    assert_eq!(json.status(), 415);

    let empty = post(Vec::new(), form).await.unwrap();
    assert_eq!(empty.status(), 400, "no form id");
    let html = empty.text().await.unwrap();
    assert!(html.contains("out of date"));
    assert!(element(&html, "ds-name-error", "p").contains("Enter a name"));

    let missing = post(format!("form_id={form_id}").into_bytes(), form)
        .await
        .unwrap();
    assert_eq!(missing.status(), 422);
    let html = missing.text().await.unwrap();
    assert!(element(&html, "ds-name-error", "p").contains("Enter a name"));
    assert!(element(&html, "ds-jql-error", "p").contains("Enter a JQL query"));

    let bad_mode = post(
        format!("form_id={form_id}&name=x&issue_mode=everything&jql=project+%3D+ALPHA")
            .into_bytes(),
        form,
    )
    .await
    .unwrap();
    assert_eq!(bad_mode.status(), 400);

    let bad_key = post(
        format!("form_id={form_id}&name=x&issue_mode=projects&projects=A%22+OR+x").into_bytes(),
        form,
    )
    .await
    .unwrap();
    assert_eq!(bad_key.status(), 422);

    let long_name = post(
        format!(
            "form_id={form_id}&name={}&jql=project+%3D+ALPHA",
            "n".repeat(101)
        )
        .into_bytes(),
        form,
    )
    .await
    .unwrap();
    assert_eq!(long_name.status(), 422);
    let html = long_name.text().await.unwrap();
    assert!(element(&html, "ds-name-error", "p").contains("100 characters"));

    assert!(stored(&app).is_empty());
}

#[tokio::test]
async fn the_pages_require_the_in_app_session() {
    let app = spawn_app().await;

    let response = app.client.get(app.url(LIST)).send().await.unwrap();
    let post = app
        .client
        .post(app.url(LIST))
        .form(&[("name", "x"), ("jql", "project = ALPHA")])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 401);
    assert_eq!(post.status(), 401);
}

// ---------------------------------------------------------------------------------------------
// In a real browser: as a new user would.

mod in_the_browser {
    use fantoccini::{Client, Locator};

    use super::*;
    use crate::support::browser::{Browser, click, enter_app_frame, find};

    async fn open_app(client: &Client, app: &TestApp, site: usize, user: usize) {
        let base = &app.emulator.sites()[site].base_url;
        client.goto(&format!("{base}/?as={user}")).await.unwrap();
        find(client, "header details.menu summary")
            .await
            .click()
            .await
            .unwrap();
        client
            .find(Locator::LinkText("BI Connector"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        enter_app_frame(client).await;
    }

    async fn visible(client: &Client, css: &str) -> bool {
        find(client, css).await.is_displayed().await.unwrap()
    }

    /// With `DS_SCREENSHOTS` set, saves what the user sees (scrolled to `#at`, if given) in
    /// `target/tmp/screenshots/`, for reviewing the layout by eye.
    async fn shot(client: &Client, name: &str, at: Option<&str>) {
        if std::env::var_os("DS_SCREENSHOTS").is_some() {
            if let Some(id) = at {
                client
                    .execute(
                        "document.getElementById(arguments[0]).scrollIntoView();",
                        vec![serde_json::json!(id)],
                    )
                    .await
                    .unwrap();
            }
            let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                dir.join(format!("{name}.png")),
                client.screenshot().await.unwrap(),
            )
            .unwrap();
        }
    }

    #[tokio::test]
    async fn a_new_user_creates_a_data_source_copies_its_feed_url_and_deletes_it() {
        let app = spawn_app().await;
        signed_in_with_jira_token(&app, ALPHA, ALICE).await;
        let browser = Browser::start().await;
        browser
            .run("data_source_flow", |client| async move {
                let app = &app;
                open_app(&client, app, ALPHA, ALICE).await;
                shot(&client, "ds-1-empty", None).await;
                click(&client, ".empty-state a.button--primary").await;

                // Projects are the default; the JQL box hides until "Write JQL" is chosen.
                find(&client, "#data-source-form").await;
                assert!(!visible(&client, "#ds-jql").await);
                click(&client, "input[name=issue_mode][value=jql]").await;
                assert!(visible(&client, "#ds-jql").await);
                click(&client, "input[name=issue_mode][value=projects]").await;
                assert!(!visible(&client, "#ds-jql").await);

                // An unbounded query comes back with Jira's message next to the field.
                find(&client, "#ds-name")
                    .await
                    .send_keys("Alpha severity")
                    .await
                    .unwrap();
                click(&client, "input[name=issue_mode][value=jql]").await;
                find(&client, "#ds-jql")
                    .await
                    .send_keys("order by created")
                    .await
                    .unwrap();
                click(&client, "#data-source-form button[type=submit]").await;
                let error = find(&client, "#ds-jql-error").await.text().await.unwrap();
                assert!(error.contains("Unbounded JQL"), "{error}");
                let described = find(&client, "#ds-jql")
                    .await
                    .attr("aria-describedby")
                    .await
                    .unwrap();
                assert_eq!(described.as_deref(), Some("ds-jql-error ds-jql-help"));
                assert!(visible(&client, "#ds-jql").await, "the JQL mode is kept");
                shot(&client, "ds-2-refused", Some("ds-mode-help")).await;

                click(&client, "input[name=issue_mode][value=projects]").await;
                click(&client, "input[name=projects][value=ALPHA]").await;
                // The field search narrows the list as one types.
                let search = find(&client, "input[data-filter-list=ds-field-list]").await;
                search.send_keys("sever").await.unwrap();
                let severity = find(&client, "input[name=fields][value=customfield_10030]").await;
                assert!(severity.is_displayed().await.unwrap());
                let team = find(&client, "input[name=fields][value=customfield_10035]").await;
                assert!(!team.is_displayed().await.unwrap());
                severity.click().await.unwrap();
                shot(&client, "ds-2-form", Some("ds-fields-label")).await;
                click(&client, "#data-source-form button[type=submit]").await;

                // The saved data source: preview, count, feed URLs with Copy.
                find(&client, "#ds-preview").await;
                shot(&client, "ds-3-show", None).await;
                shot(&client, "ds-4-feeds", Some("feeds-title")).await;
                shot(&client, "ds-5-feeds", Some("feed-json-title")).await;
                let rows = client
                    .find_all(Locator::Css("#ds-preview tbody tr"))
                    .await
                    .unwrap();
                assert_eq!(rows.len(), 10);
                let heading = find(&client, "h1").await.text().await.unwrap();
                assert_eq!(heading, "Alpha severity");
                click(&client, "[data-copy-target=feed-odata-url]").await;
                let copied = find(&client, "#feed-odata-url")
                    .await
                    .prop("value")
                    .await
                    .unwrap();
                assert!(copied.is_some_and(|url| url.ends_with("/odata")));
                client
                    .wait()
                    .for_element(Locator::XPath(
                        "//*[@id='feed-odata-copied'][text()='Copied']",
                    ))
                    .await
                    .expect("a visible Copied confirmation");

                // The list shows it; delete from the data source's page, confirmed in a dialog.
                click(&client, ".breadcrumbs a").await;
                let name = find(&client, "#data-sources tbody td a")
                    .await
                    .text()
                    .await
                    .unwrap();
                assert_eq!(name, "Alpha severity");
                shot(&client, "ds-6-list", None).await;
                click(&client, "#data-sources tbody td a").await;
                find(&client, "#ds-preview").await;
                click(&client, "[data-dialog=delete-dialog]").await;
                let dialog = find(&client, "dialog[open]").await;
                dialog
                    .find(Locator::Css("button[type=submit]"))
                    .await
                    .unwrap()
                    .click()
                    .await
                    .unwrap();
                let banner = find(&client, ".banner--success")
                    .await
                    .text()
                    .await
                    .unwrap();
                assert!(banner.contains("“Alpha severity” was deleted"), "{banner}");
                find(&client, ".empty-state").await;
                assert!(stored(app).is_empty());
            })
            .await;
    }
}
