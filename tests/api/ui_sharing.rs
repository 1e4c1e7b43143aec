//! Sharing in a real browser: Alice opens her data source, shares it with Bob through Jira's
//! people picker, and Bob finds it under "Shared with me" and opens it, read-only; every step
//! passes axe, and two steps are README screenshots (see [`crate::ui_admin::shoot`]).

use crate::support::browser::{Browser, assert_accessible, click, find, set_viewport};
use crate::support::feed::signed_in;
use crate::support::spawn_app;
use crate::ui::{click_link, create_data_source_over_http, open_app, wait_for_banner};
use crate::ui_admin::shoot;

#[tokio::test]
async fn an_owner_shares_a_data_source_and_the_colleague_finds_it_shared_with_them() {
    let app = spawn_app().await;
    let alice = signed_in(&app, 0, 0).await;
    signed_in(&app, 0, 1).await;
    create_data_source_over_http(&app, &alice, "Delivery", "project != DATA").await;
    let browser = Browser::start().await;
    browser
        .run("sharing", |client| async move {
            set_viewport(&client, 1440, 900).await;
            open_app(&client, &app, 0, 0).await;
            click_link(&client, "Data sources").await;
            click_link(&client, "Delivery").await;
            click(&client, "#share-link").await;
            find(&client, "#shares-empty").await;
            assert_accessible(&client, "sharing: not shared yet").await;

            find(&client, "#find-user")
                .await
                .send_keys("Bob")
                .await
                .unwrap();
            click(&client, "#find-user-form button[type=submit]").await;
            find(&client, "#user-results").await;
            assert_accessible(&client, "sharing: people search").await;
            click(&client, "#user-results form button[type=submit]").await;
            wait_for_banner(&client, "success", "is shared with Bob Brown").await;
            find(&client, "#shares-table").await;
            assert_accessible(&client, "sharing: shared with Bob").await;
            shoot(&client, "datasource-sharing").await;

            open_app(&client, &app, 0, 1).await;
            click_link(&client, "Data sources").await;
            find(&client, "#shared-sources").await;
            assert_accessible(&client, "data sources: shared with me").await;
            shoot(&client, "datasources-shared-with-me").await;
            click_link(&client, "Delivery").await;
            find(&client, "#shared-notice").await;
            assert!(
                client
                    .find(fantoccini::Locator::Css("#share-link"))
                    .await
                    .is_err()
            );
            assert_accessible(&client, "data source: shared with me").await;
        })
        .await;
}
