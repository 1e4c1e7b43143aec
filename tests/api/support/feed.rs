//! What the feed tests share: a user set up the way a new user does it (Jira API token saved on
//! its tab, an access token created on its tab, a data source created on its page), requests
//! with Basic auth as BI tools send them, ground truth from the emulator, and a Python runner.

use std::path::PathBuf;

use jira_emulator::{DatasetConfig, EmulatorConfig, FaultConfig, Viewer};

use super::{Session, TestApp, spawn_app_with};

pub const ALPHA: usize = 0;
pub const BETA: usize = 1;
pub const ALICE: usize = 0;
pub const BOB: usize = 1;

/// Custom fields of the emulator that exercise every shape: option, multi-option, multi-user,
/// text, date, two fields named "Team", labels.
pub const CUSTOM_FIELDS: &[&str] = &[
    "customfield_10030",
    "customfield_10031",
    "customfield_10032",
    "customfield_10033",
    "customfield_10034",
    "customfield_10035",
    "customfield_10036",
    "customfield_10037",
];

/// Two sites with `issues` issues each; throttled answers ask for no wait, so retries are quick.
pub async fn feed_app(issues: usize) -> TestApp {
    spawn_app_with(feed_emulator(issues)).await
}

/// The emulator of [`feed_app`].
pub fn feed_emulator(issues: usize) -> EmulatorConfig {
    EmulatorConfig {
        site_ports: vec![0, 0],
        dataset: DatasetConfig { issues, seed: 42 },
        faults: FaultConfig {
            retry_after_secs: 0,
            ..FaultConfig::default()
        },
        ..EmulatorConfig::default()
    }
}

/// A user with everything a BI tool needs.
pub struct Reader {
    pub session: Session,
    pub site: usize,
    pub user: usize,
    pub email: String,
    pub access_token: String,
}

/// Signs in as `user` of `site` and saves their Jira API token on its tab.
pub async fn signed_in(app: &TestApp, site: usize, user: usize) -> Session {
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

/// Creates an access token labelled "Power BI" on the Access Token tab and returns it as shown
/// once.
pub async fn access_token(app: &TestApp, session: &Session) -> String {
    labelled_access_token(app, session, "Power BI").await
}

/// Creates an access token with `label` and returns it as shown once.
pub async fn labelled_access_token(app: &TestApp, session: &Session, label: &str) -> String {
    let html = app
        .get_page("/app/tokens/access", session)
        .await
        .text()
        .await
        .unwrap();
    let form_id = input_value(&html, "form_id");
    let response = app
        .post_form(
            "/app/tokens/access",
            session,
            &[("form_id", &form_id), ("label", label), ("expires_on", "")],
        )
        .await;
    assert_eq!(response.status(), 201);
    let html = response.text().await.unwrap();
    html.match_indices("jbc_")
        .find_map(|(start, _)| {
            let candidate = html.get(start..start + 65)?;
            candidate[4..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
                .then(|| candidate.to_owned())
        })
        .expect("the new token is shown")
}

/// The first `name="…" value="…"` input's value.
pub fn input_value(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker).expect("the page has the input") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Creates a data source on its page and returns its id.
pub async fn create_data_source(
    app: &TestApp,
    session: &Session,
    name: &str,
    jql: &str,
    fields: &[&str],
) -> i64 {
    create_data_source_with_tables(app, session, name, jql, fields, &[]).await
}

/// Creates a data source that exports `tables` besides Issues, on its page; returns its id.
pub async fn create_data_source_with_tables(
    app: &TestApp,
    session: &Session,
    name: &str,
    jql: &str,
    fields: &[&str],
    tables: &[&str],
) -> i64 {
    let html = app
        .get_page("/app/datasources/new", session)
        .await
        .text()
        .await
        .unwrap();
    let form_id = input_value(&html, "form_id");
    let mut form = vec![("form_id", form_id.as_str()), ("name", name), ("jql", jql)];
    form.extend(fields.iter().map(|field| ("fields", *field)));
    form.extend(tables.iter().map(|table| ("tables", *table)));
    let response = app.post_form("/app/datasources", session, &form).await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a redirect to the data source")
        .to_owned();
    location
        .split('?')
        .next()
        .unwrap()
        .trim_start_matches("/app/datasources/")
        .parse()
        .expect("the new data source's id")
}

/// A user of `site` with a saved Jira token and an access token.
pub async fn reader(app: &TestApp, site: usize, user: usize) -> Reader {
    let session = signed_in(app, site, user).await;
    let access_token = access_token(app, &session).await;
    Reader {
        session,
        site,
        user,
        email: app.emulator.sites()[site].users[user].email.clone(),
        access_token,
    }
}

impl Reader {
    /// A GET as a BI tool sends it: Basic auth with the email and the access token.
    pub fn get(&self, app: &TestApp, path_or_url: &str) -> reqwest::RequestBuilder {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            app.url(path_or_url)
        };
        app.client
            .get(url)
            .basic_auth(&self.email, Some(&self.access_token))
    }

    /// The emulator's ground truth for `jql` as this user sees it: issue JSON in result order.
    pub fn truth(&self, app: &TestApp, jql: &str) -> Vec<serde_json::Value> {
        let dataset = app.emulator.dataset(self.site).unwrap();
        let viewer = Viewer::from(&app.emulator.sites()[self.site].users[self.user]);
        dataset
            .search(jql, &viewer, 0)
            .unwrap()
            .into_iter()
            .map(|index| dataset.issue(index).unwrap())
            .collect()
    }
}

impl Reader {
    /// Every row of a JSON feed, following `next` to the end.
    pub async fn json_rows(&self, app: &TestApp, path: &str) -> Vec<serde_json::Value> {
        let mut rows = Vec::new();
        let mut url = app.url(path);
        for _ in 0..10_000 {
            let response = self.get(app, &url).send().await.unwrap();
            assert_eq!(response.status(), 200, "{url}");
            let page: serde_json::Value = response.json().await.unwrap();
            rows.extend(page["rows"].as_array().unwrap().iter().cloned());
            match page["next"].as_str() {
                Some(next) => url = next.to_owned(),
                None => return rows,
            }
        }
        panic!("the JSON feed never ended");
    }

    /// Every row of an OData entity set, following `@odata.nextLink` to the end.
    pub async fn odata_rows(
        &self,
        app: &TestApp,
        path: &str,
        page_size: u32,
    ) -> Vec<serde_json::Value> {
        let mut rows = Vec::new();
        let mut url = app.url(path);
        for _ in 0..10_000 {
            let response = self
                .get(app, &url)
                .header("Prefer", format!("odata.maxpagesize={page_size}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{url}");
            let page: serde_json::Value = response.json().await.unwrap();
            rows.extend(page["value"].as_array().unwrap().iter().cloned());
            match page["@odata.nextLink"].as_str() {
                Some(next) => url = next.to_owned(),
                None => return rows,
            }
        }
        panic!("the OData feed never ended");
    }
}

/// The Python interpreter with the test tools (`tests/run` sets `TEST_PYTHON` to its venv).
pub fn python() -> String {
    std::env::var("TEST_PYTHON").unwrap_or_else(|_| {
        let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/.venv/bin/python");
        if venv.exists() {
            venv.display().to_string()
        } else {
            "python3".to_owned()
        }
    })
}

/// Runs `tests/python/<script>` with `args` (and `stdin`) off the async threads; returns
/// (success, stdout, stderr).
pub async fn run_python(script: &str, args: Vec<String>, stdin: Vec<u8>) -> (bool, String, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(script);
    let output = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(python())
            .arg(path)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(mut input) = child.stdin.take() {
            input.write_all(&stdin)?;
        }
        child.wait_with_output()
    })
    .await
    .unwrap()
    .expect("python runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Reads a whole response body chunk by chunk; `Err` when the transfer breaks off.
pub async fn read_body(response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Jira's `2024-01-05T10:15:30.123+0000` as the feeds write it: `2024-01-05T10:15:30.123Z`
/// (no fraction when it is zero).
pub fn iso(jira: &serde_json::Value) -> serde_json::Value {
    match jira.as_str() {
        None => serde_json::Value::Null,
        Some(text) => {
            let utc = text.replace("+0000", "Z");
            serde_json::Value::String(utc.replace(".000Z", "Z"))
        }
    }
}

/// What a row must hold, computed from the emulator's issue JSON independently of the app's
/// column code: fixed columns, and the custom fields of [`CUSTOM_FIELDS`].
pub fn expected_row(issue: &serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::{Value, json};
    let f = &issue["fields"];
    let text = |v: &Value| v.as_str().map_or(Value::Null, |t| json!(t));
    let joined = |v: &Value, key: Option<&str>| {
        let items: Vec<String> = v
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|item| match key {
                        Some(key) => item[key].as_str().unwrap().to_owned(),
                        None => item.as_str().unwrap().to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        if items.is_empty() {
            Value::Null
        } else {
            json!(items.join("; "))
        }
    };
    let mut row = serde_json::Map::new();
    let mut put = |name: &str, value: Value| {
        row.insert(name.to_owned(), value);
    };
    put("Id", text(&issue["id"]));
    put("Key", text(&issue["key"]));
    put("Summary", text(&f["summary"]));
    put("ProjectKey", text(&f["project"]["key"]));
    put("ProjectName", text(&f["project"]["name"]));
    put("IssueType", text(&f["issuetype"]["name"]));
    put("Status", text(&f["status"]["name"]));
    put(
        "StatusCategory",
        text(&f["status"]["statusCategory"]["name"]),
    );
    put("Priority", text(&f["priority"]["name"]));
    put("Resolution", text(&f["resolution"]["name"]));
    put("Assignee", text(&f["assignee"]["displayName"]));
    put("AssigneeAccountId", text(&f["assignee"]["accountId"]));
    put("Reporter", text(&f["reporter"]["displayName"]));
    put("ReporterAccountId", text(&f["reporter"]["accountId"]));
    put("Created", iso(&f["created"]));
    put("Updated", iso(&f["updated"]));
    put("Resolved", iso(&f["resolutiondate"]));
    put("DueDate", text(&f["duedate"]));
    put("Labels", joined(&f["labels"], None));
    put("Components", joined(&f["components"], Some("name")));
    put("FixVersions", joined(&f["fixVersions"], Some("name")));
    put("Sprint", joined(&f["customfield_10020"], Some("name")));
    put("ParentKey", text(&f["parent"]["key"]));
    put("StoryPoints", f["customfield_10016"].clone());
    put("OriginalEstimateSeconds", f["timeoriginalestimate"].clone());
    put("TimeSpentSeconds", f["timespent"].clone());
    put("RemainingEstimateSeconds", f["timeestimate"].clone());
    put("Severity", text(&f["customfield_10030"]["value"]));
    put("Platforms", joined(&f["customfield_10031"], Some("value")));
    put(
        "Reviewers",
        joined(&f["customfield_10032"], Some("displayName")),
    );
    put("CustomerReference", text(&f["customfield_10033"]));
    put("TargetDate", text(&f["customfield_10034"]));
    put(
        "Team_customfield_10035",
        text(&f["customfield_10035"]["value"]),
    );
    put("Team_customfield_10036", text(&f["customfield_10036"]));
    put("Tags", joined(&f["customfield_10037"], None));
    row
}

/// Numbers compare by value (`3` and `3.0` are the same story points).
pub fn same_value(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// Asserts that `row` (from a feed) holds exactly what `issue` says.
pub fn assert_row_matches(row: &serde_json::Value, issue: &serde_json::Value) {
    let expected = expected_row(issue);
    let object = row.as_object().expect("a row is an object");
    assert_eq!(
        object.len(),
        expected.len(),
        "columns of {}: {:?}",
        issue["key"],
        object.keys().collect::<Vec<_>>()
    );
    for (name, want) in &expected {
        let got = object
            .get(name)
            .unwrap_or_else(|| panic!("{} has no column {name}", issue["key"]));
        assert!(
            same_value(got, want),
            "{} {name}: got {got}, want {want}",
            issue["key"]
        );
    }
}
