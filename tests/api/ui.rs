//! The app as users see it, in a real headless Chromium: the emulator's host page, the Apps
//! menu, and the app inside its iframe.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser::{Browser, enter_app_frame, find};
use crate::helpers::{TestApp, spawn_app};

/// Opens `site`'s host page as `user` and the app from the Apps menu, then enters its frame.
async fn open_app(client: &Client, app: &TestApp, site: usize, user: usize) {
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

async fn text_of(client: &Client, css: &str) -> String {
    find(client, css).await.text().await.expect("element text")
}

async fn click_link(client: &Client, text: &str) {
    client
        .find(Locator::LinkText(text))
        .await
        .unwrap_or_else(|e| panic!("link `{text}`: {e}"))
        .click()
        .await
        .expect("click");
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
