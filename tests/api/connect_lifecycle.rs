//! Lifecycle callbacks: only Atlassian's signed install may create or change a tenant.

use diesel::prelude::*;
use jira_bi_connector::clock::Clock;
use jira_emulator::{qsh, signing};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::support::{TestApp, other_rsa_key, spawn_app, spawn_app_without_installs};

const INSTALLED: &str = "/lifecycle/installed";

fn install_body(app: &TestApp, client_key: &str, secret: &str) -> serde_json::Value {
    json!({
        "key": "jira-bi-connector",
        "clientKey": client_key,
        "sharedSecret": secret,
        "baseUrl": app.emulator.sites()[0].base_url,
        "displayUrl": app.emulator.sites()[0].base_url,
        "productType": "jira",
        "description": "Emulated Jira",
        "eventType": "installed",
        "serverVersion": "100",
        "pluginsVersion": "1001.0.0"
    })
}

/// Claims of a correct install token for site 0, to be spoiled one field at a time.
fn install_claims(app: &TestApp) -> serde_json::Value {
    let now = Clock::system().now().unix_timestamp();
    json!({
        "iss": app.emulator.sites()[0].client_key,
        "aud": [app.address],
        "qsh": qsh::hash("POST", INSTALLED, "", &[]),
        "iat": now,
        "exp": now + 180,
    })
}

fn with(claims: &serde_json::Value, key: &str, value: serde_json::Value) -> serde_json::Value {
    let mut changed = claims.clone();
    changed[key] = value;
    changed
}

/// Signed with the emulator's real install key (the one its key server serves).
async fn signed_by_atlassian(app: &TestApp, claims: &serde_json::Value) -> String {
    app.emulator
        .sign_install_claims(claims)
        .await
        .expect("signing")
}

/// Signed with a key the key server does not know, under the given kid.
fn signed_by_other_key(claims: &serde_json::Value, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(other_rsa_key().as_bytes()).unwrap(),
    )
    .unwrap()
}

async fn post_install(app: &TestApp, token: Option<&str>, body: &serde_json::Value) -> u16 {
    let mut request = app.client.post(app.url(INSTALLED)).json(body);
    if let Some(token) = token {
        request = request.header("Authorization", format!("JWT {token}"));
    }
    request.send().await.unwrap().status().as_u16()
}

fn stored_secret(app: &TestApp, client_key: &str) -> Option<String> {
    use jira_bi_connector::db::schema::tenants::dsl;
    dsl::tenants
        .filter(dsl::client_key.eq(client_key))
        .select(dsl::shared_secret_sealed)
        .first::<String>(&mut app.db())
        .optional()
        .unwrap()
}

fn tenant_count(app: &TestApp) -> i64 {
    use jira_bi_connector::db::schema::tenants::dsl;
    dsl::tenants.count().get_result(&mut app.db()).unwrap()
}

#[tokio::test]
async fn a_signed_install_from_the_emulator_is_accepted_and_the_secret_is_sealed() {
    // Arrange
    let app = spawn_app_without_installs(Clock::system()).await;

    // Act
    app.emulator.install(0).await.expect("install accepted");

    // Assert
    let client_key = app.emulator.sites()[0].client_key.clone();
    let sealed = stored_secret(&app, &client_key).expect("tenant stored");
    let secret = app.emulator.shared_secret(0).unwrap();
    assert!(!sealed.contains(&secret));
    let bytes = std::fs::read(&app.db_path).unwrap();
    let wal = std::fs::read(app.db_path.with_extension("sqlite3-wal")).unwrap_or_default();
    for file in [&bytes, &wal] {
        assert!(
            !file.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "plaintext shared secret found in the database files"
        );
    }
    app.sign_in(0, 0).await;
}

#[tokio::test]
async fn forged_or_broken_installs_are_rejected_and_create_no_tenant() {
    let app = spawn_app_without_installs(Clock::system()).await;
    let client_key = app.emulator.sites()[0].client_key.clone();
    let body = install_body(
        &app,
        &client_key,
        "a-brand-new-shared-secret-of-enough-length",
    );

    let kid = app.emulator.install_kid().await.unwrap();
    let good = install_claims(&app);
    let mut hs256_header = Header::new(Algorithm::HS256);
    hs256_header.kid = Some(kid.clone());
    let hs256 = jsonwebtoken::encode(
        &hs256_header,
        &good,
        &EncodingKey::from_secret(b"whatever-secret"),
    )
    .unwrap();
    let an_hour_ago = Clock::system().now().unix_timestamp() - 3600;
    let tampered_body = install_body(
        &app,
        "attacker-client-key",
        "a-brand-new-shared-secret-of-enough-length",
    );

    let cases: Vec<(&str, Option<String>, serde_json::Value)> = vec![
        ("unsigned", None, body.clone()),
        (
            "unknown kid",
            Some(signed_by_other_key(&good, "no-such-kid")),
            body.clone(),
        ),
        (
            "kid with ../",
            Some(signed_by_other_key(&good, "../connect-install-keys/x")),
            body.clone(),
        ),
        (
            "wrong key",
            Some(signed_by_other_key(&good, &kid)),
            body.clone(),
        ),
        ("HS256-signed", Some(hs256), body.clone()),
        (
            "wrong aud",
            Some(
                signed_by_atlassian(
                    &app,
                    &with(&good, "aud", json!(["https://evil.example.com"])),
                )
                .await,
            ),
            body.clone(),
        ),
        (
            "wrong iss",
            Some(signed_by_atlassian(&app, &with(&good, "iss", json!("another-client-key"))).await),
            body.clone(),
        ),
        (
            "tampered body clientKey",
            Some(signed_by_atlassian(&app, &good).await),
            tampered_body,
        ),
        (
            "expired",
            Some(
                signed_by_atlassian(
                    &app,
                    &with(
                        &with(&good, "iat", json!(an_hour_ago)),
                        "exp",
                        json!(an_hour_ago + 180),
                    ),
                )
                .await,
            ),
            body.clone(),
        ),
        (
            "wrong qsh",
            Some(
                signed_by_atlassian(
                    &app,
                    &with(
                        &good,
                        "qsh",
                        json!(qsh::hash("POST", "/lifecycle/uninstalled", "", &[])),
                    ),
                )
                .await,
            ),
            body.clone(),
        ),
    ];

    for (case, token, body) in cases {
        let status = post_install(&app, token.as_deref(), &body).await;
        assert_eq!(status, 401, "{case}");
        assert_eq!(tenant_count(&app), 0, "{case} created a tenant");
    }

    // The untouched valid token is accepted, proving the cases above failed for their reason.
    let valid = signed_by_atlassian(&app, &good).await;
    assert_eq!(post_install(&app, Some(&valid), &body).await, 204);
    assert_eq!(tenant_count(&app), 1);
}

#[tokio::test]
async fn a_burst_of_installs_with_an_unknown_kid_asks_the_key_server_once() {
    let app = spawn_app_without_installs(Clock::system()).await;
    let client_key = app.emulator.sites()[0].client_key.clone();
    let body = install_body(
        &app,
        &client_key,
        "a-brand-new-shared-secret-of-enough-length",
    );
    let forged = signed_by_other_key(&install_claims(&app), "rotated-away-kid");
    app.emulator.reset_stats();

    let burst =
        futures_util::future::join_all((0..8).map(|_| post_install(&app, Some(&forged), &body)))
            .await;
    let again = post_install(&app, Some(&forged), &body).await;

    assert!(burst.iter().all(|status| *status == 401), "{burst:?}");
    assert_eq!(again, 401);
    assert_eq!(app.emulator.stats().install_key_requests, 1);
    assert_eq!(tenant_count(&app), 0);
}

#[tokio::test]
async fn a_rejected_reinstall_leaves_the_stored_secret_unchanged() {
    // Arrange
    let app = spawn_app().await;
    let client_key = app.emulator.sites()[0].client_key.clone();
    let before = stored_secret(&app, &client_key).unwrap();
    let body = install_body(
        &app,
        &client_key,
        "attacker-chosen-shared-secret-0123456789",
    );

    // Act
    let kid = app.emulator.install_kid().await.unwrap();
    let forged = signed_by_other_key(&install_claims(&app), &kid);
    let status = post_install(&app, Some(&forged), &body).await;

    // Assert
    assert_eq!(status, 401);
    assert_eq!(stored_secret(&app, &client_key).unwrap(), before);
    app.sign_in(0, 0).await;
}

#[tokio::test]
async fn an_install_from_a_site_outside_the_allow_list_is_refused() {
    let app = spawn_app_without_installs(Clock::system()).await;
    let client_key = app.emulator.sites()[0].client_key.clone();
    let mut body = install_body(
        &app,
        &client_key,
        "a-brand-new-shared-secret-of-enough-length",
    );
    body["baseUrl"] = json!("http://127.0.0.1:1");
    let token = signed_by_atlassian(&app, &install_claims(&app)).await;
    let status = post_install(&app, Some(&token), &body).await;
    assert_eq!(status, 403);
    assert_eq!(tenant_count(&app), 0);
}

#[tokio::test]
async fn a_reinstall_rotates_the_secret_so_tokens_signed_with_the_old_one_fail() {
    // Arrange
    let app = spawn_app().await;
    let old_page = app.emulator.page_url(0, 0).unwrap();

    // Act
    app.emulator.install(0).await.unwrap();

    // Assert
    let response = app.client.get(&old_page).send().await.unwrap();
    assert_eq!(response.status(), 401);
    app.sign_in(0, 0).await;
}

#[tokio::test]
async fn uninstall_keeps_the_tenant_but_refuses_its_users_until_reinstalled() {
    let app = spawn_app().await;
    let session = app.sign_in(0, 0).await;
    let page_url = app.emulator.page_url(0, 0).unwrap();

    app.emulator.uninstall(0).await.expect("uninstall accepted");

    assert_eq!(tenant_count(&app), 2);
    let page = app.client.get(&page_url).send().await.unwrap();
    assert_eq!(page.status(), 401);
    let in_app = app.get_page("/app/datasources", &session).await;
    assert_eq!(in_app.status(), 401);

    app.emulator.install(0).await.unwrap();
    app.sign_in(0, 0).await;
}

#[tokio::test]
async fn disabled_and_enabled_are_verified_and_applied() {
    let app = spawn_app().await;

    app.emulator.disable(0).await.expect("disable accepted");
    let page = app
        .client
        .get(app.emulator.page_url(0, 0).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
    let body = page.text().await.unwrap();
    assert!(body.contains("disabled"), "{body}");

    app.emulator.enable(0).await.expect("enable accepted");
    app.sign_in(0, 0).await;
}

#[tokio::test]
async fn enabled_without_a_valid_tenant_jwt_is_rejected() {
    let app = spawn_app().await;
    let client_key = app.emulator.sites()[0].client_key.clone();
    let mut body = install_body(&app, &client_key, "unused");
    body["eventType"] = json!("disabled");
    let path = "/lifecycle/disabled";
    let qsh = qsh::hash("POST", path, "", &[]);
    let now = Clock::system().now().unix_timestamp();
    let forged = signing::sign_shared(
        "not-the-shared-secret",
        &json!({"iss": client_key, "qsh": qsh, "iat": now, "exp": now + 180}),
    )
    .unwrap();
    for token in [None, Some(forged)] {
        let mut request = app.client.post(app.url(path)).json(&body);
        if let Some(token) = token {
            request = request.header("Authorization", format!("JWT {token}"));
        }
        assert_eq!(request.send().await.unwrap().status(), 401);
    }
    app.sign_in(0, 0).await;
}

#[tokio::test]
async fn a_newline_in_an_unverified_client_key_is_logged_escaped_and_never_starts_a_log_line() {
    use crate::support::app_process::AppProcess;
    let emulator = jira_emulator::Emulator::start(jira_emulator::EmulatorConfig {
        site_ports: vec![0],
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut app =
        AppProcess::start(&dir.path().join("data"), dir.path(), "app.log", &emulator).await;
    const FORGED: &str =
        "2026-01-01T00:00:00.000000Z  INFO app installed tenant.client_key=jira:victim";
    let body = json!({
        "key": "jira-bi-connector",
        "clientKey": format!("jira:attacker\n{FORGED}"),
        "sharedSecret": "s".repeat(32),
        "baseUrl": emulator.sites()[0].base_url,
        "productType": "jira",
        "eventType": "installed",
    });

    // Unsigned, so it is refused, and the refusal logs the body's clientKey.
    let response = reqwest::Client::new()
        .post(app.url(INSTALLED))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    app.kill();

    let log = app.log();
    let rejection = log
        .lines()
        .find(|line| line.contains("lifecycle callback rejected"))
        .unwrap_or_else(|| panic!("the refusal is logged:\n{log}"));
    assert!(
        rejection.contains(&format!("jira:attacker\\n{FORGED}")),
        "{rejection}"
    );
    assert!(
        !log.lines().any(|line| line.starts_with(FORGED)),
        "a forged line:\n{log}"
    );
}
