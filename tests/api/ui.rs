//! The app as users see it, in a real headless Chromium: the emulator's host page, the Apps
//! menu, and the app inside its iframe.

use std::time::Duration;

use fantoccini::{Client, Locator};
use jira_bi_connector::clock::Clock;
use jira_bi_connector::crypto::MasterKey;
use jira_bi_connector::pages::session_token;
use jira_bi_connector::state::SESSION_KEY_PURPOSE;
use jira_bi_connector::tokens::domain::FormId;
use serde_json::json;

use crate::support::browser::{Browser, enter_app_frame, find};
use crate::support::{Session, TestApp, spawn_app};

/// Opens `site`'s host page as `user` and the app from the Apps menu, then enters its frame.
pub async fn open_app(client: &Client, app: &TestApp, site: usize, user: usize) {
    let base = &app.emulator.sites()[site].base_url;
    client
        .goto(&format!("{base}/?as={user}"))
        .await
        .expect("the host page loads");
    find(client, "header details.menu summary")
        .await
        .click()
        .await
        .expect("open Apps");
    client
        .find(Locator::LinkText("BI Connector"))
        .await
        .expect("BI Connector in the Apps menu")
        .click()
        .await
        .expect("Apps → BI Connector");
    enter_app_frame(client).await;
}

pub async fn text_of(client: &Client, css: &str) -> String {
    find(client, css).await.text().await.expect("element text")
}

pub async fn click_link(client: &Client, text: &str) {
    client
        .find(Locator::LinkText(text))
        .await
        .unwrap_or_else(|e| panic!("link `{text}`: {e}"))
        .click()
        .await
        .expect("click");
}

/// Waits until an element whose own text is exactly `text` is on the page.
pub async fn wait_for_text(client: &Client, text: &str) {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath(&format!(
            "//*[normalize-space(text())={}]",
            xpath_literal(text)
        )))
        .await
        .unwrap_or_else(|e| panic!("text `{text}` did not appear: {e}"));
}

/// Waits for a `div.banner--{kind}` (a page's notice, not the new-token panel) whose text contains
/// `containing`, and returns its text. Waiting on the text rather than the first banner found keeps
/// a test from reading the page it is leaving while the next one loads.
pub async fn wait_for_banner(client: &Client, kind: &str, containing: &str) -> String {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath(&format!(
            "//div[contains(concat(' ', normalize-space(@class), ' '), ' banner--{kind} ')][contains(normalize-space(.), {})]",
            xpath_literal(containing)
        )))
        .await
        .unwrap_or_else(|e| panic!("a {kind} banner with `{containing}` did not appear: {e}"));
    page_text(client).await
}

/// Everything the current document shows, as text.
pub async fn page_text(client: &Client) -> String {
    client
        .execute("return document.body.innerText;", vec![])
        .await
        .expect("the page's text")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// `text` as an XPath string literal (XPath 1.0 has no escapes: pick the other quote).
fn xpath_literal(text: &str) -> String {
    if text.contains('\'') {
        format!("\"{text}\"")
    } else {
        format!("'{text}'")
    }
}

/// Navigates the current frame (not the host page) to `href`, as following a link would, and
/// waits for the new document.
pub async fn navigate_frame_to(client: &Client, href: &str) {
    client
        .execute(
            "window.__leaving = true; window.location.href = arguments[0];",
            vec![json!(href)],
        )
        .await
        .expect("navigate the frame");
    for _ in 0..150 {
        let arrived = client
            .execute(
                "return window.__leaving !== true && document.readyState === 'complete';",
                vec![],
            )
            .await
            .unwrap_or(json!(false));
        if arrived == json!(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{href} did not load");
}

/// Creates access tokens for `session` over HTTP, as the form would (fast set-up for a test).
pub async fn create_tokens_over_http(app: &TestApp, session: &Session, labels: &[&str]) {
    for label in labels {
        let form_id = FormId::generate().expect("a form id");
        let response = app
            .post_form(
                "/app/tokens/access",
                session,
                &[("form_id", form_id.as_str()), ("label", label)],
            )
            .await;
        assert_eq!(response.status(), 201, "token {label:?} is created");
    }
}

/// Creates a data source for `session` over HTTP, as the form would (the user's Jira API token
/// must be saved), and returns the path of its page.
pub async fn create_data_source_over_http(
    app: &TestApp,
    session: &Session,
    name: &str,
    jql: &str,
) -> String {
    let form_id = FormId::generate().expect("a form id");
    let response = app
        .post_form(
            "/app/datasources",
            session,
            &[
                ("form_id", form_id.as_str()),
                ("name", name),
                ("issue_mode", "jql"),
                ("jql", jql),
                ("fields", "customfield_10030"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303, "data source {name:?} is created");
    let location = response.headers()["location"].to_str().expect("a Location");
    location
        .split_once('?')
        .map_or(location, |(path, _)| path)
        .to_owned()
}

/// Saves the Jira API token of `user` of `site` for their `session`.
pub async fn save_jira_token_over_http(app: &TestApp, session: &Session, site: usize, user: usize) {
    let person = &app.emulator.sites()[site].users[user];
    let saved = app
        .post_form(
            "/app/tokens/jira",
            session,
            &[
                ("email", person.email.as_str()),
                ("api_token", person.api_token.as_str()),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303, "the Jira API token is saved");
}

/// A session token of Alice (site 0, user 0) that expired hours ago, signed with the app's key.
pub fn expired_session(app: &TestApp) -> String {
    let site = &app.emulator.sites()[0];
    let key = MasterKey::load_or_create(app.data_dir.path())
        .expect("the app's master key")
        .derive(SESSION_KEY_PURPOSE);
    session_token::sign_session_token(
        &key,
        &site.client_key,
        &site.users[0].account_id,
        Clock::system().now() - time::Duration::hours(3),
        time::Duration::minutes(30),
    )
    .expect("a session token")
}

#[tokio::test]
async fn the_host_page_shows_the_app_frame_for_two_users_of_one_site() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    browser
        .run("host_page_two_users", |client| async move {
            for user in [0, 1] {
                client.enter_parent_frame().await.ok();
                open_app(&client, &app, 0, user).await;
                assert_eq!(text_of(&client, "h1").await, "Data sources");
                let current = text_of(&client, ".sidebar__item.is-current").await;
                assert_eq!(current, "Data sources");
                let site = text_of(&client, ".sidebar__site").await;
                assert!(site.contains("127.0.0.1"), "{site}");
                client.enter_parent_frame().await.expect("leave the frame");
            }
        })
        .await;
}

#[tokio::test]
async fn a_new_user_creates_copies_uses_and_revokes_an_access_token() {
    let app = spawn_app().await;
    let http = app.client.clone();
    let whoami = app.url("/feed/whoami");
    let browser = Browser::start().await;
    browser
        .run("access_token_flow", |client| async move {
            open_app(&client, &app, 0, 0).await;
            click_link(&client, "Tokens").await;
            assert_eq!(
                text_of(&client, ".tabs__tab.is-selected").await,
                "Access Token"
            );

            // Create a token with a label and an expiry date.
            find(&client, "#token-label")
                .await
                .send_keys("Power BI report")
                .await
                .unwrap();
            client
                .execute(
                    "document.getElementById('token-expiry').value = arguments[0];",
                    vec![json!("2099-12-31")],
                )
                .await
                .unwrap();
            client
                .find(Locator::Css("form button[type=submit].button--primary"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();

            // It is shown once, with a Copy button that confirms.
            let token = text_of(&client, "#new-token-value").await;
            assert!(token.starts_with("jbc_"), "{token}");
            let url = client.current_url().await.unwrap();
            assert!(!url.as_str().contains(&token), "token in the URL");
            find(&client, "[data-copy-target=new-token-value]")
                .await
                .click()
                .await
                .unwrap();
            client
                .wait()
                .for_element(Locator::XPath(
                    "//*[@id='new-token-copied'][text()='Copied']",
                ))
                .await
                .expect("a visible Copied confirmation");

            // A BI tool uses it as the Basic password.
            let ok = http
                .get(&whoami)
                .basic_auth("alice@example.com", Some(&token))
                .send()
                .await
                .unwrap();
            assert_eq!(ok.status(), 200);

            // Reloading the tab never shows it again.
            click_link(&client, "Access Token").await;
            let html = client.source().await.unwrap();
            assert!(html.contains("Power BI report"));
            assert!(!html.contains(&token), "the token was shown twice");

            // Revoke with confirmation.
            find(&client, "[data-dialog^=revoke-dialog]")
                .await
                .click()
                .await
                .unwrap();
            let dialog = find(&client, "dialog[open]").await;
            let title = dialog
                .find(Locator::Css("h2"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(title.contains("Power BI report"), "{title}");
            dialog
                .find(Locator::Css("button[type=submit]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            find(&client, ".banner--success").await;
            let html = client.source().await.unwrap();
            assert!(
                !html.contains(">Power BI report<"),
                "revoked token still listed"
            );

            let refused = http
                .get(&whoami)
                .basic_auth("alice@example.com", Some(&token))
                .send()
                .await
                .unwrap();
            assert_eq!(refused.status(), 401);
        })
        .await;
}

#[tokio::test]
async fn the_25th_token_is_created_in_the_browser_then_create_is_disabled_with_the_reason() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let labels: Vec<String> = (1..=24).map(|n| format!("Report {n:02}")).collect();
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    create_tokens_over_http(&app, &alice, &labels).await;
    let browser = Browser::start().await;
    browser
        .run("token_limit", |client| async move {
            open_app(&client, &app, 0, 0).await;
            click_link(&client, "Tokens").await;
            wait_for_text(&client, "24 of 25 tokens.").await;

            // The 25th, in the browser.
            find(&client, "#token-label")
                .await
                .send_keys("The 25th")
                .await
                .unwrap();
            find(&client, "form.form button[type=submit]")
                .await
                .click()
                .await
                .unwrap();
            find(&client, "#new-token-value").await;

            // Now Create is disabled, and the page says why, next to the button and on top.
            for reloaded in [false, true] {
                if reloaded {
                    click_link(&client, "Access Token").await;
                    wait_for_text(&client, "25 of 25 tokens.").await;
                }
                let create = find(&client, "form.form button[type=submit]").await;
                assert!(!create.is_enabled().await.unwrap(), "Create is disabled");
                assert_eq!(
                    create.attr("aria-describedby").await.unwrap().as_deref(),
                    Some("token-limit-reason")
                );
                let reason = text_of(&client, "#token-limit-reason").await;
                assert!(reason.contains("25 tokens, the maximum"), "{reason}");
                assert!(reason.contains("Revoke one"), "{reason}");
                assert!(
                    find(&client, "#token-label")
                        .await
                        .is_displayed()
                        .await
                        .unwrap()
                );
                assert!(
                    !find(&client, "#token-label")
                        .await
                        .is_enabled()
                        .await
                        .unwrap()
                );
                let warning = text_of(&client, ".banner--warning").await;
                assert!(warning.contains("the maximum"), "{warning}");
            }

            // Revoking one makes room again.
            find(&client, "[data-dialog^=revoke-dialog]")
                .await
                .click()
                .await
                .unwrap();
            find(&client, "dialog[open] button[type=submit]")
                .await
                .click()
                .await
                .unwrap();
            find(&client, ".banner--success").await;
            wait_for_text(&client, "24 of 25 tokens.").await;
            let create = find(&client, "form.form button[type=submit]").await;
            assert!(
                create.is_enabled().await.unwrap(),
                "Create is enabled again"
            );
        })
        .await;
}

#[tokio::test]
async fn a_second_user_of_the_same_site_sees_none_of_the_first_users_tokens_or_data_sources() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    create_tokens_over_http(&app, &alice, &["Alice's Power BI", "Alice's Excel"]).await;
    save_jira_token_over_http(&app, &alice, 0, 0).await;
    let alices_source =
        create_data_source_over_http(&app, &alice, "Alice's sprint report", "project = ALPHA")
            .await;
    let site = &app.emulator.sites()[0];
    let email = site.users[0].email.clone();
    let alice_name = site.users[0].display_name.clone();
    let bob = app.sign_in(0, 1).await;
    let bobs_look = app.url(&format!("{alices_source}?session={}", bob.token));
    let browser = Browser::start().await;
    browser
        .run("second_user_isolation", |client| async move {
            // Bob, same site: none of Alice's data sources, tokens, or saved Jira token.
            open_app(&client, &app, 0, 1).await;
            find(&client, ".empty-state").await;
            assert!(
                !page_text(&client).await.contains("Alice's"),
                "Bob sees Alice's sources"
            );
            // Even with the address of Alice's data source, Bob gets "Not found".
            navigate_frame_to(&client, &bobs_look).await;
            assert_eq!(text_of(&client, "#error-title").await, "Not found");
            assert!(!page_text(&client).await.contains("Alice's"));
            click_link(&client, "Tokens").await;
            wait_for_text(&client, "No access tokens yet").await;
            assert!(
                !page_text(&client).await.contains("Alice's"),
                "Bob sees Alice's tokens"
            );
            click_link(&client, "Jira API Token").await;
            find(&client, "#jira-token-status[data-state='not-saved']").await;
            let text = page_text(&client).await;
            assert!(!text.contains(&alice_name), "Bob sees Alice's Jira account");
            assert!(!text.contains(&email), "Bob sees Alice's email");

            // Alice, in the same browser: hers are all there.
            client.enter_parent_frame().await.expect("leave the frame");
            open_app(&client, &app, 0, 0).await;
            wait_for_text(&client, "Alice's sprint report").await;
            click_link(&client, "Tokens").await;
            wait_for_text(&client, "Alice's Power BI").await;
            wait_for_text(&client, "Alice's Excel").await;
            click_link(&client, "Jira API Token").await;
            let status = text_of(&client, "#jira-token-status[data-state='saved']").await;
            assert!(status.contains(&alice_name), "{status}");
        })
        .await;
}
