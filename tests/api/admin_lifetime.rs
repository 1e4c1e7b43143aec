//! The maximum access token lifetime, end to end over HTTP: a Jira administrator turns it on,
//! sees which tokens saving would clamp before anything changes, confirms, and the owner sees
//! the new expiry, cannot create a token beyond the maximum (the reason next to the expiry
//! field), and finds the clamp in their History; the Tokens history has both events. The date
//! rules themselves are tested against a fixed clock in `tokens::store::lifetime`.

use jira_bi_connector::clock::Clock;
use time::Duration;

use crate::support::feed::{input_value, labelled_access_token, signed_in};
use crate::support::{Session, TestApp, spawn_app};

const LIFETIME: &str = "/app/admin/lifetime";

async fn post(app: &TestApp, session: &Session, form: &[(&str, &str)]) -> (u16, String) {
    let response = app.post_form(LIFETIME, session, form).await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn page(app: &TestApp, session: &Session, path: &str) -> String {
    app.get_page(path, session).await.text().await.unwrap()
}

#[tokio::test]
async fn a_maximum_clamps_a_never_expiring_token_after_confirmation_and_binds_new_tokens() {
    let app = spawn_app().await;
    let admin = signed_in(&app, 0, 0).await;
    let bob = signed_in(&app, 0, 1).await;
    let today = Clock::system().now().date();
    labelled_access_token(&app, &bob, "Power BI").await;
    let limit = (today + Duration::days(30)).to_string();

    // Bob is not an administrator: the tab and its form are 403 for him.
    assert_eq!(app.get_page(LIFETIME, &bob).await.status(), 403);
    let (status, _) = post(&app, &bob, &[("mode", "on"), ("days", "1")]).await;
    assert_eq!(status, 403);

    // The page says what saving does before anything is saved.
    let html = page(&app, &admin, LIFETIME).await;
    assert!(html.contains("no maximum lifetime"), "{html}");
    assert!(html.contains("changes nothing already issued"), "{html}");

    // A bad number is refused next to the field.
    let (status, html) = post(&app, &admin, &[("mode", "on"), ("days", "0")]).await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="lifetime-days-error""#), "{html}");

    // First save: only the preview, naming Bob's token and its new expiry.
    let (status, html) = post(&app, &admin, &[("mode", "on"), ("days", "30")]).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Saving clamps 1 access token of 1 user"),
        "{html}"
    );
    assert!(html.contains(&limit), "{html}");
    let bobs = page(&app, &bob, "/app/tokens/access").await;
    assert!(
        bobs.contains("<td>Never</td>"),
        "nothing changed yet: {bobs}"
    );

    // Confirmed: saved and clamped.
    let (status, html) = post(
        &app,
        &admin,
        &[("mode", "on"), ("days", "30"), ("confirm", "1")],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("1 access token of 1 user now expires"),
        "{html}"
    );
    assert!(html.contains("at most <strong>30 days</strong>"), "{html}");

    // Bob sees the new expiry, and a token that never expires is refused next to the field.
    let bobs = page(&app, &bob, "/app/tokens/access").await;
    assert!(bobs.contains(&format!("<td>{limit}</td>")), "{bobs}");
    assert!(
        bobs.contains(&format!(r#"max="{limit}" required"#)),
        "{bobs}"
    );
    let form_id = input_value(&bobs, "form_id");
    let response = app
        .post_form(
            "/app/tokens/access",
            &bob,
            &[
                ("form_id", &form_id),
                ("label", "Forever"),
                ("expires_on", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="token-expiry-error""#), "{html}");
    assert!(html.contains("limits access tokens to 30 days"), "{html}");

    // Both events are in the Tokens history, and the clamp in Bob's own History.
    let history = page(&app, &admin, "/app/admin/history/tokens").await;
    assert!(
        history.contains(r#"data-action="token_policy.changed""#),
        "{history}"
    );
    assert!(
        history.contains(r#"data-action="access_token.expiry_clamped""#),
        "{history}"
    );
    let own = page(&app, &bob, "/app/tokens/history").await;
    assert!(
        own.contains("Access token expiry shortened to the maximum lifetime"),
        "{own}"
    );

    // Turning it off changes nothing already issued.
    let (status, html) = post(&app, &admin, &[("mode", "off")]).await;
    assert_eq!(status, 200);
    assert!(html.contains("keep the expiry they have"), "{html}");
    let bobs = page(&app, &bob, "/app/tokens/access").await;
    assert!(bobs.contains(&format!("<td>{limit}</td>")), "{bobs}");
}
