//! Page loads from Jira and the in-app session that follows them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jira_bi_connector::clock::Clock;
use jira_bi_connector::connect::qsh;
use jira_bi_connector::crypto::MasterKey;
use jira_bi_connector::pages::session_token;
use jira_bi_connector::state::SESSION_KEY_PURPOSE;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::support::{TestApp, other_rsa_key, spawn_app};

const PAGE: &str = "/pages/main";

/// Query parameters Jira adds to a general page's iframe URL.
fn page_params(app: &TestApp) -> Vec<(String, String)> {
    vec![
        ("xdm_e".into(), app.emulator.sites()[0].base_url.clone()),
        ("xdm_c".into(), "channel-bi-connector".into()),
        ("cp".into(), String::new()),
        ("lic".into(), "none".into()),
        ("tz".into(), "UTC".into()),
        ("loc".into(), "en-US".into()),
    ]
}

fn page_qsh(app: &TestApp) -> String {
    qsh::query_string_hash("GET", PAGE, "", &page_params(app))
}

fn claims(app: &TestApp) -> serde_json::Value {
    let now = Clock::system().now().unix_timestamp();
    json!({
        "iss": app.emulator.sites()[0].client_key,
        "sub": app.emulator.sites()[0].users[0].account_id,
        "qsh": page_qsh(app),
        "iat": now,
        "exp": now + 180,
        "context": {}
    })
}

fn sign(alg: Algorithm, key: &EncodingKey, claims: &serde_json::Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, key).unwrap()
}

fn secret(app: &TestApp) -> EncodingKey {
    EncodingKey::from_secret(app.emulator.shared_secret(0).unwrap().as_bytes())
}

async fn load_page(app: &TestApp, token: &str) -> reqwest::Response {
    let mut params = page_params(app);
    params.push(("jwt".into(), token.to_owned()));
    let query = serde_urlencoded::to_string(&params).unwrap();
    app.client
        .get(format!("{}{PAGE}?{query}", app.address))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_page_jwt_signed_as_jira_does_is_accepted() {
    // Arrange
    let app = spawn_app().await;
    let token = sign(Algorithm::HS256, &secret(&app), &claims(&app));

    // Act
    let response = load_page(&app, &token).await;

    // Assert
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("/app/datasources?session="),
        "{location}"
    );
    assert!(!location.contains(&token), "the Jira JWT is not forwarded");
}

#[tokio::test]
async fn page_jwts_that_are_forged_expired_or_misbound_are_rejected() {
    let app = spawn_app().await;
    let good = claims(&app);
    let now = Clock::system().now().unix_timestamp();
    let with = |key: &str, value: serde_json::Value| {
        let mut c = good.clone();
        c[key] = value;
        c
    };
    let without = |key: &str| {
        let mut c = good.clone();
        c.as_object_mut().unwrap().remove(key);
        c
    };
    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&good).unwrap())
    );
    // The install public key is public: an attacker can fetch it and try it as an HMAC secret.
    let public_key = app.emulator.install_public_key_pem().await.unwrap();
    let rsa_key = EncodingKey::from_rsa_pem(other_rsa_key().as_bytes()).unwrap();

    let cases: Vec<(&str, String)> = vec![
        ("alg none", alg_none),
        ("HS512", sign(Algorithm::HS512, &secret(&app), &good)),
        ("RS256", sign(Algorithm::RS256, &rsa_key, &good)),
        (
            "public key as HMAC secret",
            sign(
                Algorithm::HS256,
                &EncodingKey::from_secret(public_key.as_bytes()),
                &good,
            ),
        ),
        (
            "wrong secret",
            sign(
                Algorithm::HS256,
                &EncodingKey::from_secret(b"not-the-secret"),
                &good,
            ),
        ),
        (
            "expired",
            sign(
                Algorithm::HS256,
                &secret(&app),
                &with("exp", json!(now - 600)),
            ),
        ),
        (
            "missing exp",
            sign(Algorithm::HS256, &secret(&app), &without("exp")),
        ),
        (
            "iat far in the future",
            sign(
                Algorithm::HS256,
                &secret(&app),
                &with("iat", json!(now + 3600)),
            ),
        ),
        (
            "wrong qsh",
            sign(
                Algorithm::HS256,
                &secret(&app),
                &with(
                    "qsh",
                    json!(qsh::query_string_hash("GET", "/pages/other", "", &[])),
                ),
            ),
        ),
        (
            "context qsh",
            sign(
                Algorithm::HS256,
                &secret(&app),
                &with("qsh", json!("context-qsh")),
            ),
        ),
        (
            "unknown iss",
            sign(
                Algorithm::HS256,
                &secret(&app),
                &with("iss", json!("unknown-client-key")),
            ),
        ),
        ("no token", String::new()),
    ];
    for (case, token) in cases {
        let response = load_page(&app, &token).await;
        assert_eq!(response.status(), 401, "{case}");
        let body = response.text().await.unwrap();
        assert!(body.contains("<html"), "{case}: errors render as a page");
        assert!(
            token.is_empty() || !body.contains(&token),
            "{case}: token echoed"
        );
    }
}

#[tokio::test]
async fn a_page_jwt_of_an_uninstalled_site_is_rejected() {
    let app = spawn_app().await;
    let token = sign(Algorithm::HS256, &secret(&app), &claims(&app));
    app.emulator.uninstall(0).await.unwrap();
    assert_eq!(load_page(&app, &token).await.status(), 401);
}

#[tokio::test]
async fn the_app_frame_has_the_menu_and_a_tenant_specific_csp() {
    // Arrange
    let app = spawn_app().await;
    let session = app.sign_in(0, 0).await;

    // Act
    let response = app.get_page("/app/datasources", &session).await;

    // Assert
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let site = &app.emulator.sites()[0].base_url;
    assert!(csp.contains(&format!("frame-ancestors {site}")), "{csp}");
    assert!(!csp.contains(&app.emulator.sites()[1].base_url), "{csp}");
    let html = response.text().await.unwrap();
    assert!(html.contains("Data sources"));
    assert!(html.contains("Tokens"));
    assert!(html.contains(r#"aria-current="page""#));
    assert!(html.contains("/atlassian-connect/all.js"));
}

#[tokio::test]
async fn the_tokens_menu_opens_the_access_token_tab_and_both_tabs_are_linked() {
    let app = spawn_app().await;
    let session = app.sign_in(0, 0).await;

    let response = app.get_page("/app/tokens", &session).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("/app/tokens/access?session="),
        "{location}"
    );

    let jira_tab = app.get_page("/app/tokens/jira", &session).await;
    assert_eq!(jira_tab.status(), 200);
    let html = jira_tab.text().await.unwrap();
    assert!(html.contains("Access Token") && html.contains("Jira API Token"));
}

fn session_key(app: &TestApp) -> [u8; 32] {
    MasterKey::load_or_create(app.data_dir.path())
        .unwrap()
        .derive(SESSION_KEY_PURPOSE)
}

#[tokio::test]
async fn tampered_expired_or_foreign_session_tokens_are_rejected() {
    let app = spawn_app().await;
    let session = app.sign_in(0, 0).await;
    let site = &app.emulator.sites()[0];

    // A payload swapped for another tenant's, keeping the signature.
    let parts: Vec<&str> = session.token.split('.').collect();
    let mut payload: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["tnt"] = json!(app.emulator.sites()[1].client_key);
    let swapped = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap()),
        parts[2]
    );
    let mut flipped = session.token.clone();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'A' { 'B' } else { 'A' });
    let expired = session_token::sign_session_token(
        &session_key(&app),
        &site.client_key,
        &site.users[0].account_id,
        Clock::system().now() - Duration::hours(3),
        Duration::minutes(30),
    )
    .unwrap();
    let other_app = spawn_app().await;
    let foreign = other_app.sign_in(0, 0).await;
    let jira_token = app.emulator.page_url(0, 0).unwrap();
    let jira_jwt = qsh::parse_params(jira_token.split_once('?').unwrap().1)
        .into_iter()
        .find(|(k, _)| k == "jwt")
        .unwrap()
        .1;

    for (case, token, expected_text) in [
        ("swapped tenant", swapped, "opened from Jira"),
        ("flipped signature", flipped, "opened from Jira"),
        ("expired", expired, "Session expired"),
        (
            "another installation's session",
            foreign.token,
            "opened from Jira",
        ),
        (
            "Jira's page JWT used as a session",
            jira_jwt,
            "opened from Jira",
        ),
    ] {
        let response = app
            .client
            .get(app.url(&format!("/app/datasources?session={token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{case}");
        let body = response.text().await.unwrap();
        assert!(body.contains(expected_text), "{case}: {body}");
    }
    let missing = app
        .client
        .get(app.url("/app/datasources"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 401);
    assert!(missing.text().await.unwrap().contains("Reload"));
}

#[tokio::test]
async fn a_session_from_one_site_cannot_be_replayed_after_that_site_uninstalls() {
    let app = spawn_app().await;
    let carol = app.sign_in(1, 0).await;
    app.emulator.uninstall(1).await.unwrap();
    assert_eq!(app.get_page("/app/datasources", &carol).await.status(), 401);
    let alice = app.sign_in(0, 0).await;
    assert_eq!(app.get_page("/app/datasources", &alice).await.status(), 200);
}

/// The claims of a session token, read without verifying (the app verified it).
fn session_claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("a JWT payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The first session token a page hands to its links and forms.
fn renewed_session_in(html: &str) -> String {
    let start = html.find("session=").expect("a link with a session") + "session=".len();
    html[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect()
}

#[tokio::test]
async fn every_renewed_session_token_carries_the_time_of_the_jira_page_load() {
    let app = spawn_app().await;
    let session = app.sign_in(0, 0).await;
    let began = session_claims(&session.token)["auth_time"].clone();
    assert!(began.is_i64(), "{began}");

    let mut token = session.token.clone();
    for _ in 0..3 {
        let html = app
            .get_page("/app/datasources", &crate::support::Session { token })
            .await
            .text()
            .await
            .unwrap();
        token = renewed_session_in(&html);
        assert_eq!(session_claims(&token)["auth_time"], began);
    }
}

#[tokio::test]
async fn a_freshly_renewed_session_older_than_session_max_minutes_gets_the_session_expired_page() {
    let app = spawn_app().await;
    let site = &app.emulator.sites()[0];
    let now = Clock::system().now();
    let renewed = |began: OffsetDateTime| {
        session_token::sign_session_token_since(
            &session_key(&app),
            &site.client_key,
            &site.users[0].account_id,
            began.unix_timestamp(),
            now,
            Duration::minutes(30),
        )
        .unwrap()
    };

    // The default SESSION_MAX_MINUTES is 480: a token renewed a moment ago is refused when its
    // session began 481 minutes ago, and accepted when it began 470 minutes ago.
    let too_old = renewed(now - Duration::minutes(481));
    let response = app
        .client
        .get(app.url(&format!("/app/datasources?session={too_old}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.text().await.unwrap().contains("Session expired"));

    let still_valid = renewed(now - Duration::minutes(470));
    let response = app
        .client
        .get(app.url(&format!("/app/datasources?session={still_valid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
