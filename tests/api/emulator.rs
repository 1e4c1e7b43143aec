//! The Jira Cloud emulator, driven over real HTTP on loopback the way the app will drive it.

mod conformance;
mod history;
mod lifecycle;
mod rest;

use jira_emulator::{DatasetConfig, Emulator, EmulatorConfig, UserInfo};
use serde_json::Value;

/// An emulator with two sites on free ports and `issues` issues per site.
pub(crate) async fn start_emulator(issues: usize) -> Emulator {
    start_with(EmulatorConfig {
        dataset: DatasetConfig { issues, seed: 1 },
        ..EmulatorConfig::default()
    })
    .await
}

pub(crate) async fn start_with(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.expect("the emulator starts")
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// A REST call authenticated as `user` with HTTP Basic, like the app's Jira client.
pub(crate) fn get(base_url: &str, path: &str, user: &UserInfo) -> reqwest::RequestBuilder {
    client()
        .get(format!("{base_url}{path}"))
        .basic_auth(&user.email, Some(&user.api_token))
}

pub(crate) fn post(
    base_url: &str,
    path: &str,
    user: &UserInfo,
    body: &Value,
) -> reqwest::RequestBuilder {
    client()
        .post(format!("{base_url}{path}"))
        .basic_auth(&user.email, Some(&user.api_token))
        .json(body)
}

/// Follows `nextPageToken` to the end and returns every page.
pub(crate) async fn all_pages(base_url: &str, user: &UserInfo, request: Value) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = request.clone();
        if let Some(token) = &token {
            body["nextPageToken"] = Value::String(token.clone());
        }
        let response = post(base_url, "/rest/api/3/search/jql", user, &body)
            .send()
            .await
            .expect("search answers");
        assert_eq!(response.status(), 200, "search page failed");
        let page: Value = response.json().await.expect("search returns JSON");
        token = page["nextPageToken"].as_str().map(str::to_owned);
        let last = page["isLast"] == Value::Bool(true);
        pages.push(page);
        assert_eq!(last, token.is_none(), "isLast agrees with nextPageToken");
        if last {
            return pages;
        }
        assert!(pages.len() < 10_000, "paging does not end");
    }
}
