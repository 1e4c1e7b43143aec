//! The admin page in a real browser: Jira's Apps menu offers it to administrators only, and an
//! administrator limits the app to a group with Jira's group picker, then reads the change in the
//! tokens history, then caps token lifetime at 30 days and sees Bob's never-expiring token
//! clamped after confirming; every step passes axe.

use fantoccini::Locator;

use crate::support::browser::{Browser, assert_accessible, enter_app_frame, find};
use crate::support::feed::{labelled_access_token, signed_in};
use crate::support::spawn_app;
use crate::ui::{click_link, wait_for_banner, wait_for_text};

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
        })
        .await;
}
