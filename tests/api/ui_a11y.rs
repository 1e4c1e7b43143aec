//! Accessibility in a real browser, beyond what axe-core checks on its own: the whole access token
//! flow by keyboard alone, dialogs that keep the focus and close with Escape, errors tied to their
//! fields, and an app that stays fully usable where Atlassian's all.js cannot load.

use diesel::prelude::*;
use diesel::sql_types::Text;
use fantoccini::Client;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::json;

use crate::support::browser::{
    Browser, assert_accessible, find, focus_is_on, press, tab_to, type_keys, wait_for_focus,
};
use crate::support::spawn_app;
use crate::ui::{click_link, create_tokens_over_http, text_of, wait_for_banner, wait_for_text};

fn key(key: Key) -> char {
    key.into()
}

/// Whether a `<dialog>` is open in the current document.
async fn dialog_open(client: &Client) -> bool {
    client
        .execute("return !!document.querySelector('dialog[open]');", vec![])
        .await
        .expect("look for a dialog")
        == json!(true)
}

/// Presses Tab (and Shift+Tab) and checks the focus stays in the open dialog: neither the page
/// behind it nor Jira's page around the frame gets it.
async fn assert_focus_stays_in_dialog(client: &Client, times: usize) {
    for _ in 0..times {
        press(client, &[key(Key::Tab)]).await;
        assert!(
            focus_is_on(client, "dialog[open] *").await,
            "Tab left the dialog"
        );
    }
    for _ in 0..times {
        let shift_tab = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down {
                value: key(Key::Shift),
            })
            .then(KeyAction::Down {
                value: key(Key::Tab),
            })
            .then(KeyAction::Up {
                value: key(Key::Tab),
            })
            .then(KeyAction::Up {
                value: key(Key::Shift),
            });
        client.perform_actions(shift_tab).await.expect("Shift+Tab");
        assert!(
            focus_is_on(client, "dialog[open] *").await,
            "Shift+Tab left the dialog"
        );
    }
}

/// The `aria-describedby` ids of `css`, each checked to exist, and their texts.
async fn descriptions_of(client: &Client, css: &str) -> Vec<String> {
    let texts = client
        .execute(
            "const e = document.querySelector(arguments[0]); \
             return (e.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean) \
               .map(id => { const d = document.getElementById(id); return d ? d.innerText : 'MISSING ' + id; });",
            vec![json!(css)],
        )
        .await
        .expect("read aria-describedby");
    let texts: Vec<String> = serde_json::from_value(texts).expect("a list of texts");
    assert!(
        texts.iter().all(|t| !t.starts_with("MISSING")),
        "{css}: {texts:?}"
    );
    texts
}

#[tokio::test]
async fn a_keyboard_user_creates_copies_and_revokes_an_access_token() {
    let app = spawn_app().await;
    let host_page = format!("{}/?as=0&app=1", app.emulator.sites()[0].base_url);
    let browser = Browser::start().await;
    browser
        .run("keyboard_only", |client| async move {
            client.goto(&host_page).await.unwrap();
            crate::support::browser::enter_app_frame(&client).await;

            // From the host page into the app's menu, then to the Tokens page.
            tab_to(&client, ".sidebar a[href*='/app/tokens']").await;
            press(&client, &[key(Key::Enter)]).await;
            find(&client, "#token-label").await;

            // The form: label, expiry date (typed into the date field), Create with Space.
            tab_to(&client, "#token-label").await;
            type_keys(&client, "Typed by keyboard").await;
            tab_to(&client, "#token-expiry").await;
            type_keys(&client, "12312099").await;
            let expiry = find(&client, "#token-expiry")
                .await
                .prop("value")
                .await
                .unwrap();
            assert_eq!(expiry.as_deref(), Some("2099-12-31"));
            tab_to(&client, "form.form button[type=submit]").await;
            press(&client, &[' ']).await;

            // The new token: the focus waits on Copy; Enter copies.
            let token = text_of(&client, "#new-token-value").await;
            assert!(token.starts_with("jbc_"), "{token}");
            assert!(
                wait_for_focus(&client, "[data-copy-target=new-token-value]").await,
                "the focus is on Copy"
            );
            press(&client, &[key(Key::Enter)]).await;
            wait_for_text(&client, "Copied").await;
            wait_for_text(&client, "2099-12-31").await;

            // Revoke: Enter on the row's Revoke opens the dialog on Cancel; Tab to Revoke, Enter.
            tab_to(&client, "[data-dialog^=revoke-dialog]").await;
            press(&client, &[key(Key::Enter)]).await;
            find(&client, "dialog[open]").await;
            assert!(wait_for_focus(&client, "dialog[open] [data-dialog-close]").await);
            tab_to(&client, "dialog[open] button[type=submit]").await;
            press(&client, &[key(Key::Enter)]).await;
            wait_for_banner(&client, "success", "Typed by keyboard").await;
            wait_for_text(&client, "No access tokens yet").await;
        })
        .await;
    let left: i64 = diesel::sql_query("SELECT COUNT(*) AS n FROM access_tokens")
        .load::<Count>(&mut app.db())
        .unwrap()[0]
        .n;
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_keyboard_user_saves_a_jira_token_and_creates_a_data_source() {
    let app = spawn_app().await;
    let person = app.emulator.sites()[0].users[0].clone();
    let host_page = format!("{}/?as=0&app=1", app.emulator.sites()[0].base_url);
    let browser = Browser::start().await;
    browser
        .run("keyboard_only_data_source", |client| async move {
            client.goto(&host_page).await.unwrap();
            crate::support::browser::enter_app_frame(&client).await;

            // The data sources page sends the user to the Jira API Token tab first.
            tab_to(&client, "#jira-token-cta a.button").await;
            press(&client, &[key(Key::Enter)]).await;
            find(&client, "#jira-email").await;
            tab_to(&client, "#jira-email").await;
            type_keys(&client, &person.email).await;
            press(&client, &[key(Key::Tab)]).await;
            type_keys(&client, &person.api_token).await;
            press(&client, &[key(Key::Enter)]).await;
            find(&client, "#jira-token-status[data-state='saved']").await;

            // Back to Data sources and its call to action.
            tab_to(&client, ".sidebar a[href*='/app/datasources']").await;
            press(&client, &[key(Key::Enter)]).await;
            find(&client, ".empty-state a.button--primary").await;
            tab_to(&client, ".empty-state a.button--primary").await;
            press(&client, &[key(Key::Enter)]).await;
            find(&client, "#data-source-form").await;

            // Name; the JQL mode with the arrow keys; the query; a field with Space; Enter.
            tab_to(&client, "#ds-name").await;
            type_keys(&client, "By keyboard").await;
            tab_to(&client, "input[name=issue_mode]:checked").await;
            press(&client, &[key(Key::Right)]).await;
            assert!(focus_is_on(&client, "input[name=issue_mode][value=jql]:checked").await);
            tab_to(&client, "#ds-jql").await;
            type_keys(&client, "project = ALPHA").await;
            tab_to(&client, "input[name=fields][value=customfield_10030]").await;
            press(&client, &[' ']).await;
            tab_to(&client, "#data-source-form button[type=submit]").await;
            press(&client, &[key(Key::Enter)]).await;

            // The preview, and Copy for the OData URL.
            find(&client, "#ds-preview").await;
            assert_eq!(text_of(&client, "h1").await, "By keyboard");
            tab_to(&client, "[data-copy-target=feed-odata-url]").await;
            press(&client, &[key(Key::Enter)]).await;
            wait_for_text(&client, "Copied").await;
        })
        .await;
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[tokio::test]
async fn confirmation_dialogs_keep_the_focus_close_with_escape_and_return_it_to_their_button() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    create_tokens_over_http(&app, &alice, &["Looker Studio"]).await;
    let site = &app.emulator.sites()[0];
    let (email, api_token) = (site.users[0].email.clone(), site.users[0].api_token.clone());
    let saved = app
        .post_form(
            "/app/tokens/jira",
            &alice,
            &[("email", email.as_str()), ("api_token", api_token.as_str())],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let host_page = format!("{}/?as=0&app=1", site.base_url);
    let browser = Browser::start().await;
    browser
        .run("dialog_focus", |client| async move {
            client.goto(&host_page).await.unwrap();
            crate::support::browser::enter_app_frame(&client).await;
            click_link(&client, "Tokens").await;
            find(&client, "#token-label").await;

            for (tab, opener) in [
                ("Access Token", "[data-dialog^=revoke-dialog]"),
                ("Jira API Token", "[data-dialog=revoke-jira-token]"),
            ] {
                click_link(&client, tab).await;
                tab_to(&client, opener).await;
                press(&client, &[key(Key::Enter)]).await;
                find(&client, "dialog[open]").await;
                assert!(
                    wait_for_focus(&client, "dialog[open] [data-dialog-close]").await,
                    "{tab}: the dialog opens on Cancel"
                );
                let labelled = client
                    .execute(
                        "const d = document.querySelector('dialog[open]'); \
                         const t = document.getElementById(d.getAttribute('aria-labelledby')); \
                         return t ? t.innerText : '';",
                        vec![],
                    )
                    .await
                    .unwrap();
                assert!(
                    labelled.as_str().unwrap_or_default().starts_with("Revoke"),
                    "{tab}: the dialog is named by its title: {labelled}"
                );
                assert_accessible(&client, &format!("{tab} dialog")).await;
                assert_focus_stays_in_dialog(&client, 4).await;

                press(&client, &[key(Key::Escape)]).await;
                assert!(
                    !dialog_open(&client).await,
                    "{tab}: Escape closes the dialog"
                );
                assert!(
                    wait_for_focus(&client, opener).await,
                    "{tab}: the focus is back on the button that opened the dialog"
                );

                // Cancel closes it the same way, and nothing was revoked.
                press(&client, &[key(Key::Enter)]).await;
                find(&client, "dialog[open]").await;
                press(&client, &[' ']).await;
                assert!(
                    !dialog_open(&client).await,
                    "{tab}: Cancel closes the dialog"
                );
                assert!(wait_for_focus(&client, opener).await);
            }
            click_link(&client, "Access Token").await;
            wait_for_text(&client, "Looker Studio").await;
        })
        .await;
}

#[tokio::test]
async fn errors_are_tied_to_their_fields_and_take_the_focus() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    create_tokens_over_http(&app, &alice, &["Taken"]).await;
    let email = app.emulator.sites()[0].users[0].email.clone();
    let host_page = format!("{}/?as=0&app=1", app.emulator.sites()[0].base_url);
    let browser = Browser::start().await;
    browser
        .run("errors_tied_to_fields", |client| async move {
            client.goto(&host_page).await.unwrap();
            crate::support::browser::enter_app_frame(&client).await;
            click_link(&client, "Tokens").await;

            // A label already in use: the message is the field's description, and has the focus.
            find(&client, "#token-label")
                .await
                .send_keys("Taken")
                .await
                .unwrap();
            find(&client, "form.form button[type=submit]")
                .await
                .click()
                .await
                .unwrap();
            find(&client, "#token-label-error").await;
            let field = find(&client, "#token-label").await;
            assert_eq!(
                field.attr("aria-invalid").await.unwrap().as_deref(),
                Some("true")
            );
            let descriptions = descriptions_of(&client, "#token-label").await;
            assert!(
                descriptions[0].contains("already have a token with this label"),
                "{descriptions:?}"
            );
            assert!(
                wait_for_focus(&client, "#token-label").await,
                "the focus is on the field"
            );
            assert_accessible(&client, "label refused").await;

            // Jira API token: a malformed email, and a token Jira refuses.
            click_link(&client, "Jira API Token").await;
            find(&client, "#jira-email")
                .await
                .send_keys("not-an-email")
                .await
                .unwrap();
            find(&client, "#jira-api-token")
                .await
                .send_keys("x")
                .await
                .unwrap();
            find(&client, "form.form button[type=submit]")
                .await
                .click()
                .await
                .unwrap();
            find(&client, "#jira-email-error").await;
            let descriptions = descriptions_of(&client, "#jira-email").await;
            assert!(
                descriptions[0].contains("not an email address"),
                "{descriptions:?}"
            );
            assert!(wait_for_focus(&client, "#jira-email").await);

            let field = find(&client, "#jira-email").await;
            field.clear().await.unwrap();
            field.send_keys(&email).await.unwrap();
            find(&client, "#jira-api-token")
                .await
                .send_keys("ATATT-wrong")
                .await
                .unwrap();
            find(&client, "form.form button[type=submit]")
                .await
                .click()
                .await
                .unwrap();
            let alert = find(&client, "#jira-token-error[role=alert]").await;
            let message = alert.text().await.unwrap();
            assert!(message.contains("did not accept"), "{message}");
            let descriptions = descriptions_of(&client, "#jira-api-token").await;
            assert_eq!(
                descriptions[0], message,
                "the token field points at the message"
            );
            assert_accessible(&client, "token refused").await;
        })
        .await;
}

#[tokio::test]
async fn the_app_is_fully_usable_where_atlassians_all_js_cannot_load() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    // The site's all.js now comes from a port nothing listens on.
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    diesel::sql_query("UPDATE tenants SET base_url = ? WHERE client_key = ?")
        .bind::<Text, _>(format!("http://127.0.0.1:{closed_port}"))
        .bind::<Text, _>(&app.emulator.sites()[0].client_key)
        .execute(&mut app.db())
        .unwrap();
    let start = app.url(&format!("/app/datasources?session={}", alice.token));
    let browser = Browser::start().await;
    browser
        .run("without_all_js", |client| async move {
            client.goto(&start).await.unwrap();
            find(&client, "main#main h1").await;
            let script = find(&client, "script[src*='all.js']").await;
            let src = script.attr("src").await.unwrap().unwrap_or_default();
            assert!(src.contains(&closed_port.to_string()), "{src}");
            assert_eq!(
                client
                    .execute("return typeof window.AP;", vec![])
                    .await
                    .unwrap(),
                json!("undefined"),
                "all.js did not load"
            );

            click_link(&client, "Tokens").await;
            find(&client, "#token-label")
                .await
                .send_keys("Offline")
                .await
                .unwrap();
            find(&client, "form.form button[type=submit]")
                .await
                .click()
                .await
                .unwrap();
            find(&client, "#new-token-value").await;
            find(&client, "[data-copy-target=new-token-value]")
                .await
                .click()
                .await
                .unwrap();
            wait_for_text(&client, "Copied").await;
            click_link(&client, "Access Token").await;
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
            find(&client, "div.banner--success").await;
            wait_for_text(&client, "No access tokens yet").await;
        })
        .await;
}
