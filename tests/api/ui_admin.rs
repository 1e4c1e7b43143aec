//! The admin page in a real browser: Jira's Apps menu offers it to administrators only, and an
//! administrator limits the app to a group with Jira's group picker, then reads the change in the
//! tokens history, then caps token lifetime at 30 days and sees Bob's never-expiring token
//! clamped after confirming; every step passes axe. The steps are also the README's admin
//! screenshots (`UPDATE_DOC_SCREENSHOTS=1` writes them into `docs/screenshots/`).

use fantoccini::Locator;

use std::path::PathBuf;

use fantoccini::Client;

use crate::support::browser::{
    Browser, assert_accessible, enter_app_frame, find, save_screenshot, screenshot_dir,
    set_viewport,
};
use crate::support::feed::{labelled_access_token, signed_in};
use crate::support::spawn_app;
use crate::ui::{click_link, wait_for_banner, wait_for_text};

/// Saves the viewport as `name`.png for the documentation (see the module doc).
pub async fn shoot(client: &Client, name: &str) {
    let mut dirs = vec![screenshot_dir("docs")];
    if std::env::var("UPDATE_DOC_SCREENSHOTS").as_deref() == Ok("1") {
        dirs.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots"));
    }
    for dir in dirs {
        let path = dir.join(format!("{name}.png"));
        save_screenshot(client, &path).await;
        let png = std::fs::read(&path).expect("saved");
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 10_000,
            "{name}: a rendered PNG"
        );
    }
}

#[tokio::test]
async fn an_administrator_limits_the_app_to_a_group_and_caps_token_lifetime_from_manage_apps() {
    let app = spawn_app().await;
    let base = app.emulator.sites()[0].base_url.clone();
    let bob = signed_in(&app, 0, 1).await;
    labelled_access_token(&app, &bob, "Bob's Power BI").await;
    let browser = Browser::start().await;
    browser
        .run("admin_access", |client| async move {
            // Bob is no administrator: the host page has no admin entry for him.
            set_viewport(&client, 1440, 900).await;
            client.goto(&format!("{base}/?as=1")).await.unwrap();
            assert!(client.find(Locator::Css("#admin-page-link")).await.is_err());

            client.goto(&format!("{base}/?as=0")).await.unwrap();
            find(&client, "header details.menu summary")
                .await
                .click()
                .await
                .unwrap();
            find(&client, "#admin-page-link")
                .await
                .click()
                .await
                .unwrap();
            enter_app_frame(&client).await;
            find(&client, "#access-mode-form").await;
            assert_accessible(&client, "admin: who may use the app").await;

            find(&client, "#find-group")
                .await
                .send_keys("data")
                .await
                .unwrap();
            find(&client, "#find-group-form button[type=submit]")
                .await
                .click()
                .await
                .unwrap();
            find(&client, "#group-results").await;
            assert_accessible(&client, "admin: group search").await;
            find(&client, "#group-results button[type=submit]")
                .await
                .click()
                .await
                .unwrap();
            wait_for_banner(&client, "success", "data-team was added").await;

            find(&client, "#mode-chosen").await.click().await.unwrap();
            find(&client, "#access-mode-form button[type=submit]")
                .await
                .click()
                .await
                .unwrap();
            wait_for_banner(&client, "success", "Saved: only the groups and people").await;
            assert_accessible(&client, "admin: limited to a group").await;
            shoot(&client, "admin-who-may-use-the-app").await;

            click_link(&client, "Token lifetime").await;
            find(&client, "#lifetime-form").await;
            assert_accessible(&client, "admin: token lifetime").await;
            find(&client, "#lifetime-on").await.click().await.unwrap();
            find(&client, "#lifetime-days")
                .await
                .send_keys("30")
                .await
                .unwrap();
            find(&client, "#lifetime-form button[type=submit]")
                .await
                .click()
                .await
                .unwrap();
            wait_for_text(&client, "Saving clamps 1 access token of 1 user").await;
            assert_accessible(&client, "admin: token lifetime confirmation").await;
            client
                .execute(
                    "document.getElementById('clamp-confirmation').scrollIntoView();",
                    vec![],
                )
                .await
                .unwrap();
            shoot(&client, "admin-token-lifetime-confirmation").await;
            find(&client, "#clamp-confirm-form button[type=submit]")
                .await
                .click()
                .await
                .unwrap();
            wait_for_banner(&client, "success", "1 access token of 1 user now expires").await;
            assert_accessible(&client, "admin: token lifetime saved").await;

            click_link(&client, "Tokens history").await;
            wait_for_text(&client, "Access tokens on this site").await;
            assert_accessible(&client, "admin: tokens history").await;
            shoot(&client, "admin-tokens-history").await;
        })
        .await;
}
