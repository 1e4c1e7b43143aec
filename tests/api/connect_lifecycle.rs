//! Lifecycle callbacks: only Atlassian's signed install may create or change a tenant.

use diesel::prelude::*;
use jira_bi_connector::clock::Clock;
use jira_bi_connector::connect::{jwt, qsh};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::helpers::{
    TestApp, other_rsa_key, spawn_app, spawn_app_without_installs, test_install_key,
};

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

struct Forgery<'a> {
    key_pem: &'a str,
    kid: String,
    iss: String,
    aud: String,
    qsh: String,
    iat: OffsetDateTime,
}

impl<'a> Forgery<'a> {
    /// A correctly signed install token for site 0, to be spoiled one field at a time.
    fn valid(app: &TestApp) -> Self {
        Self {
            key_pem: test_install_key(),
            kid: app.emulator.install_kid().to_owned(),
            iss: app.emulator.sites()[0].client_key.clone(),
            aud: app.address.clone(),
            qsh: qsh::query_string_hash("POST", INSTALLED, "", &[]),
            iat: OffsetDateTime::now_utc(),
        }
    }

    fn sign(&self) -> String {
        jwt::sign_install_jwt(
            self.key_pem,
            &self.kid,
            &self.iss,
            &self.aud,
            &self.qsh,
            self.iat,
            Duration::seconds(180),
        )
        .expect("signing")
    }
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

    let hs256 = jsonwebtoken::encode(
        &Header {
            kid: Some(app.emulator.install_kid().to_owned()),
            ..Header::new(Algorithm::HS256)
        },
        &json!({"iss": client_key, "aud": app.address, "qsh": Forgery::valid(&app).qsh,
                "iat": OffsetDateTime::now_utc().unix_timestamp(),
                "exp": OffsetDateTime::now_utc().unix_timestamp() + 180}),
        &EncodingKey::from_secret(b"whatever-secret"),
    )
    .unwrap();

    let cases: Vec<(&str, Option<String>, serde_json::Value)> = vec![
        ("unsigned", None, body.clone()),
        (
            "unknown kid",
            Some(
                Forgery {
                    kid: "no-such-kid".into(),
                    ..Forgery::valid(&app)
                }
                .sign(),
            ),
            body.clone(),
        ),
        (
            "kid with ../",
            Some(
                Forgery {
                    kid: "../connect-install-keys/x".into(),
                    ..Forgery::valid(&app)
                }
                .sign(),
            ),
            body.clone(),
        ),
        (
            "wrong key",
            Some(
                Forgery {
                    key_pem: other_rsa_key(),
                    ..Forgery::valid(&app)
                }
                .sign(),
            ),
            body.clone(),
        ),
        ("HS256-signed", Some(hs256), body.clone()),
        (
            "wrong aud",
            Some(
                Forgery {
                    aud: "https://evil.example.com".into(),
                    ..Forgery::valid(&app)
                }
                .sign(),
            ),
            body.clone(),
        ),
        (
            "wrong iss",
            Some(
                Forgery {
                    iss: "another-client-key".into(),
                    ..Forgery::valid(&app)
                }
                .sign(),
            ),
            body.clone(),
        ),
        (
            "tampered body clientKey",
            Some(Forgery::valid(&app).sign()),
            install_body(
                &app,
                "attacker-client-key",
                "a-brand-new-shared-secret-of-enough-length",
            ),
        ),
        (
            "expired",
            Some(
                Forgery {
                    iat: OffsetDateTime::now_utc() - Duration::hours(1),
                    ..Forgery::valid(&app)
                }
                .sign(),
            ),
            body.clone(),
        ),
        (
            "wrong qsh",
            Some(
                Forgery {
                    qsh: qsh::query_string_hash("POST", "/lifecycle/uninstalled", "", &[]),
                    ..Forgery::valid(&app)
                }
                .sign(),
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
    assert_eq!(
        post_install(&app, Some(&Forgery::valid(&app).sign()), &body).await,
        204
    );
    assert_eq!(tenant_count(&app), 1);
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
    let forged = Forgery {
        key_pem: other_rsa_key(),
        ..Forgery::valid(&app)
    }
    .sign();
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
    let status = post_install(&app, Some(&Forgery::valid(&app).sign()), &body).await;
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

    app.emulator.uninstall(0).await.expect("uninstall accepted");

    assert_eq!(tenant_count(&app), 2);
    let page = app
        .client
        .get(app.emulator.page_url(0, 0).unwrap())
        .send()
        .await
        .unwrap();
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
    let qsh = qsh::query_string_hash("POST", path, "", &[]);
    let forged = jwt::sign_host_jwt(
        b"not-the-shared-secret",
        &client_key,
        None,
        &qsh,
        OffsetDateTime::now_utc(),
        Duration::seconds(180),
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
