//! Errors as a user sees them: an expired session (and the reload that fixes it), a Jira site that
//! cannot be reached, and failed page requests that must render as pages, never as a raw body.

use fantoccini::Client;
use jira_emulator::FaultConfig;
use serde_json::json;

use crate::support::browser::{Browser, assert_accessible, enter_app_frame, find};
use crate::support::spawn_app;
use crate::ui::{click_link, expired_session, page_text, text_of, wait_for_text};

/// Replaces the `session` of the current page's create form with `session` (the page was opened
/// long ago and its session has run out since).
async fn let_the_form_session_expire(client: &Client, session: &str) {
    client
        .execute(
            "const f = document.querySelector('form.form'); \
             const u = new URL(f.action); u.searchParams.set('session', arguments[0]); \
             f.action = u.toString();",
            vec![json!(session)],
        )
        .await
        .expect("age the form");
}

#[tokio::test]
async fn an_expired_session_says_how_to_reload_and_reload_brings_the_app_back() {
    let app = spawn_app().await;
    let expired = expired_session(&app);
    let host_page = format!("{}/?as=0&app=1", app.emulator.sites()[0].base_url);
    let browser = Browser::start().await;
    browser
        .run("session_expired", |client| async move {
            client.goto(&host_page).await.unwrap();
            enter_app_frame(&client).await;
            click_link(&client, "Tokens").await;
            find(&client, "#token-label")
                .await
                .send_keys("Too late")
                .await
                .unwrap();
            let_the_form_session_expire(&client, &expired).await;
            find(&client, "form.form button[type=submit]")
                .await
                .click()
                .await
                .unwrap();

            // A page that says what happened and how to reload, in the frame Jira shows.
            assert_eq!(
                text_of(&client, "#error-title").await,
                "Your session has expired"
            );
            let text = page_text(&client).await;
            assert!(text.contains("Reload the page in your browser"), "{text}");
            assert!(text.contains("F5"), "{text}");
            assert!(text.contains("do it again"), "{text}");
            let title = client
                .execute("return document.title;", vec![])
                .await
                .unwrap();
            assert_eq!(title, json!("Session expired · BI Connector for Jira"));
            assert_accessible(&client, "session expired").await;
            // all.js of the user's own site is loaded, so Jira can show and reload the frame.
            client
                .wait()
                .for_element(fantoccini::Locator::Css(
                    "button[data-reload-jira]:not([hidden])",
                ))
                .await
                .expect("a Reload button");
            for _ in 0..100 {
                let ready = client
                    .execute("return typeof window.AP === 'object';", vec![])
                    .await
                    .unwrap();
                if ready == json!(true) {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }

            // Mark the host page, so the test can tell when Jira's page really reloaded (the old
            // frame must not be mistaken for the new one).
            client.enter_parent_frame().await.unwrap();
            client
                .execute("window.__beforeReload = true;", vec![])
                .await
                .unwrap();
            find(&client, "iframe#app-frame")
                .await
                .enter_frame()
                .await
                .unwrap();

            // Reload: Jira's page reloads and the app opens with a fresh session.
            find(&client, "button[data-reload-jira]")
                .await
                .click()
                .await
                .unwrap();
            client.enter_parent_frame().await.ok();
            let mut reloaded = false;
            for _ in 0..300 {
                let marker = client
                    .execute("return window.__beforeReload === true;", vec![])
                    .await
                    .unwrap_or(json!(true));
                if marker == json!(false) {
                    reloaded = true;
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            assert!(reloaded, "Jira's page did not reload");
            enter_app_frame(&client).await;
            assert_eq!(text_of(&client, "h1").await, "Data sources");
            click_link(&client, "Tokens").await;
            wait_for_text(&client, "No access tokens yet").await;
        })
        .await;
}

#[tokio::test]
async fn an_unreachable_jira_site_is_explained_next_to_the_form_and_nothing_changes() {
    let app = spawn_app().await;
    let site = &app.emulator.sites()[0];
    let (email, api_token) = (site.users[0].email.clone(), site.users[0].api_token.clone());
    let host_page = format!("{}/?as=0&app=1", site.base_url);
    let emulator = &app.emulator;
    let browser = Browser::start().await;
    browser
        .run("jira_unreachable", |client| async move {
            client.goto(&host_page).await.unwrap();
            enter_app_frame(&client).await;
            click_link(&client, "Tokens").await;
            click_link(&client, "Jira API Token").await;
            emulator.set_faults(FaultConfig {
                drop_connection_every: Some(1),
                ..FaultConfig::default()
            });
            find(&client, "#jira-email")
                .await
                .send_keys(&email)
                .await
                .unwrap();
            find(&client, "#jira-api-token")
                .await
                .send_keys(&api_token)
                .await
                .unwrap();
            find(&client, "form.form button[type=submit]")
                .await
                .click()
                .await
                .unwrap();

            let message = text_of(&client, "#jira-token-error[role=alert]").await;
            assert!(message.contains("could not be reached"), "{message}");
            assert!(message.contains("Nothing was changed"), "{message}");
            // Still the app's page, with its menu; the form keeps the email.
            find(&client, ".sidebar a[aria-current=page]").await;
            find(&client, "#jira-token-status[data-state='not-saved']").await;
            let kept = find(&client, "#jira-email")
                .await
                .prop("value")
                .await
                .unwrap();
            assert_eq!(kept.as_deref(), Some(email.as_str()));

            // Once Jira answers again, the same form works.
            emulator.set_faults(FaultConfig::default());
            find(&client, "#jira-api-token")
                .await
                .send_keys(&api_token)
                .await
                .unwrap();
            find(&client, "form.form button[type=submit]")
                .await
                .click()
                .await
                .unwrap();
            find(&client, "#jira-token-status[data-state='saved']").await;
        })
        .await;
}

#[tokio::test]
async fn failed_page_requests_render_as_pages_with_the_menu_where_a_session_exists() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let with = |path: &str| app.url(&format!("{path}?session={}", alice.token));
    let http = &app.client;
    let cases = [
        (
            "an unknown page",
            http.get(with("/app/reports")),
            404,
            true,
            "Not found",
        ),
        (
            "a token that does not exist",
            http.get(with("/app/tokens/access/999999/revoke")),
            404,
            true,
            "Not found",
        ),
        (
            "a method no page takes",
            http.put(with("/app/tokens/access")),
            404,
            true,
            "Not found",
        ),
        (
            "no session",
            http.get(app.url("/app/tokens/access")),
            401,
            false,
            "Session expired",
        ),
        (
            "an expired session",
            http.get(app.url(&format!(
                "/app/tokens/access?session={}",
                expired_session(&app)
            ))),
            401,
            false,
            "Session expired",
        ),
        (
            "a forged session",
            http.get(app.url("/app/datasources?session=abc.def.ghi")),
            401,
            false,
            "Open BI Connector from Jira",
        ),
        (
            "the Jira page without Jira's token",
            http.get(app.url("/pages/main")),
            401,
            false,
            "Open BI Connector from Jira",
        ),
    ];
    for (case, request, status, with_menu, title) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "{case}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("text/html"),
            "{case}: {content_type}"
        );
        assert!(
            response.headers().contains_key("content-security-policy"),
            "{case}"
        );
        let html = response.text().await.unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"), "{case}: {html}");
        assert!(html.contains("/static/css/app.css"), "{case}: styled");
        assert!(html.contains("all.js"), "{case}: Jira can show the frame");
        assert!(
            html.contains(&format!("<title>{title} · BI Connector for Jira</title>")),
            "{case}: {html}"
        );
        assert!(html.contains("id=\"error-title\""), "{case}");
        assert_eq!(
            html.contains("class=\"sidebar\""),
            with_menu,
            "{case}: menu"
        );
        assert!(!html.contains("Reference: "), "{case}: no internal error");
    }
}
