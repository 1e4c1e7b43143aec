//! The Connect lifecycle as the emulator plays it against a minimal stand-in app: signed
//! installs (RS256 + kid), shared-secret rotation, enabled/disabled/uninstalled, page URLs.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use jira_bi_connector::connect::qsh::{parse_params, query_string_hash};
use jira_emulator::{Emulator, EmulatorConfig, EmulatorError};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Value, json};

use super::{client, start_with};

#[derive(Clone, Debug)]
struct Received {
    path: String,
    authorization: String,
    body: Value,
}

/// Just enough of an app to be installed: a descriptor and lifecycle endpoints that record.
struct FakeApp {
    base_url: String,
    received: Arc<Mutex<Vec<Received>>>,
    installed_status: Arc<AtomicU16>,
}

impl FakeApp {
    async fn start() -> FakeApp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let base_url = format!(
            "http://127.0.0.1:{}",
            listener.local_addr().expect("bound").port()
        );
        let received = Arc::new(Mutex::new(Vec::new()));
        let installed_status = Arc::new(AtomicU16::new(204));
        let descriptor = json!({
            "key": "jira-bi-connector",
            "name": "BI Connector",
            "baseUrl": base_url,
            "authentication": {"type": "jwt"},
            "apiMigrations": {"signed-install": true, "context-qsh": true, "gdpr": true},
            "lifecycle": {
                "installed": "/lifecycle/installed",
                "uninstalled": "/lifecycle/uninstalled",
                "enabled": "/lifecycle/enabled",
                "disabled": "/lifecycle/disabled"
            },
            "modules": {"generalPages": [{
                "key": "bi-connector",
                "name": {"value": "BI Connector"},
                "url": "/pages/main",
                "location": "system.top.navigation.bar"
            }]}
        });
        let state = (
            Arc::clone(&received),
            Arc::clone(&installed_status),
            descriptor,
        );
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .route("/atlassian-connect.json", web::get().to(serve_descriptor))
                .route("/lifecycle/{event}", web::post().to(record))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listens")
        .run();
        tokio::spawn(server);
        FakeApp {
            base_url,
            received,
            installed_status,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("not poisoned").clone()
    }
}

type FakeState = (Arc<Mutex<Vec<Received>>>, Arc<AtomicU16>, Value);

async fn serve_descriptor(state: web::Data<FakeState>) -> HttpResponse {
    HttpResponse::Ok().json(&state.2)
}

async fn record(
    state: web::Data<FakeState>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let path = request.path().to_owned();
    state.0.lock().expect("not poisoned").push(Received {
        authorization: request
            .headers()
            .get("Authorization")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        path: path.clone(),
    });
    let status = if path.ends_with("/installed") {
        state.1.load(Ordering::SeqCst)
    } else {
        204
    };
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("valid status"))
        .finish()
}

async fn emulator_for(app: &FakeApp) -> Emulator {
    start_with(EmulatorConfig {
        app_url: app.base_url.clone(),
        ..EmulatorConfig::default()
    })
    .await
}

fn jwt_of(received: &Received) -> &str {
    received
        .authorization
        .strip_prefix("JWT ")
        .expect("a JWT authorization header")
}

/// Verifies an install-class token the way the app must: key by kid from the emulator's key
/// server, RS256 only, issuer = clientKey, audience = the app's baseUrl, qsh of the callback.
async fn verify_install_token(emulator: &Emulator, app: &FakeApp, received: &Received) -> Value {
    let token = jwt_of(received);
    let header = decode_header(token).expect("a JWT header");
    assert_eq!(header.alg, Algorithm::RS256);
    let kid = header.kid.expect("a kid");
    let pem = client()
        .get(format!("{}/{kid}", emulator.install_keys_url()))
        .send()
        .await
        .expect("the key server answers")
        .text()
        .await
        .expect("a PEM");
    let key = DecodingKey::from_rsa_pem(pem.as_bytes()).expect("a valid RSA public key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[&app.base_url]);
    validation.set_issuer(&[&emulator.sites()[0].client_key]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    let claims = decode::<Value>(token, &key, &validation)
        .expect("the install token verifies")
        .claims;
    assert_eq!(
        claims["qsh"],
        json!(query_string_hash("POST", &received.path, "", &[]))
    );
    claims
}

fn verify_shared_token(secret: &str, token: &str) -> Value {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_required_spec_claims(&["exp", "iss"]);
    decode::<Value>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .expect("the HS256 token verifies")
    .claims
}

#[tokio::test]
async fn install_sends_a_signed_installed_then_enabled() {
    let app = FakeApp::start().await;
    let emulator = emulator_for(&app).await;
    let site = &emulator.sites()[0];

    emulator.install(0).await.expect("install succeeds");

    let received = app.received();
    let paths: Vec<&str> = received.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, vec!["/lifecycle/installed", "/lifecycle/enabled"]);
    let installed = &received[0];
    let claims = verify_install_token(&emulator, &app, installed).await;
    assert!(claims["exp"].as_i64() > claims["iat"].as_i64());
    let secret = emulator.shared_secret(0).expect("a secret was sent");
    assert_eq!(installed.body["sharedSecret"], json!(secret));
    assert_eq!(installed.body["clientKey"], json!(site.client_key));
    assert_eq!(installed.body["baseUrl"], json!(site.base_url));
    assert_eq!(installed.body["key"], json!("jira-bi-connector"));
    assert_eq!(installed.body["eventType"], json!("installed"));
    assert_eq!(installed.body["productType"], json!("jira"));

    let enabled = &received[1];
    let claims = verify_shared_token(&secret, jwt_of(enabled));
    assert_eq!(claims["iss"], json!(site.client_key));
    assert_eq!(
        claims["qsh"],
        json!(query_string_hash("POST", "/lifecycle/enabled", "", &[]))
    );
    assert!(enabled.body.get("sharedSecret").is_none());
    assert!(emulator.is_installed(0));
    assert!(!emulator.is_installed(1));
}

#[tokio::test]
async fn reinstalling_rotates_the_shared_secret_and_uninstall_is_signed() {
    let app = FakeApp::start().await;
    let emulator = emulator_for(&app).await;

    emulator.install(0).await.expect("first install");
    let first = emulator.shared_secret(0).expect("secret");
    emulator.install(0).await.expect("second install");
    let second = emulator.shared_secret(0).expect("secret");
    assert_ne!(first, second);

    emulator.disable(0).await.expect("disable");
    emulator.enable(0).await.expect("enable");
    emulator.uninstall(0).await.expect("uninstall");

    let received = app.received();
    let paths: Vec<&str> = received.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "/lifecycle/installed",
            "/lifecycle/enabled",
            "/lifecycle/installed",
            "/lifecycle/enabled",
            "/lifecycle/disabled",
            "/lifecycle/enabled",
            "/lifecycle/uninstalled",
        ]
    );
    verify_shared_token(&second, jwt_of(&received[4]));
    let uninstalled = &received[6];
    verify_install_token(&emulator, &app, uninstalled).await;
    assert!(uninstalled.body.get("sharedSecret").is_none());
    assert_eq!(uninstalled.body["eventType"], json!("uninstalled"));
    assert!(!emulator.is_installed(0));
    assert!(matches!(
        emulator.page_url(0, 0),
        Err(EmulatorError::NotInstalled(0))
    ));
}

#[tokio::test]
async fn page_urls_are_signed_for_the_chosen_user() {
    let app = FakeApp::start().await;
    let emulator = emulator_for(&app).await;
    let site = &emulator.sites()[0];
    emulator.install(0).await.expect("install");
    let secret = emulator.shared_secret(0).expect("secret");

    let url = url::Url::parse(&emulator.page_url(0, 1).expect("a page URL")).expect("a URL");
    assert_eq!(url.path(), "/pages/main");
    assert!(url.as_str().starts_with(&app.base_url));
    let params = parse_params(url.query().expect("a query"));
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    assert_eq!(param("xdm_e"), Some(site.base_url.clone()));
    assert_eq!(param("cp"), Some(String::new()));
    let claims = verify_shared_token(&secret, &param("jwt").expect("a jwt"));
    assert_eq!(claims["iss"], json!(site.client_key));
    assert_eq!(claims["sub"], json!(site.users[1].account_id));
    assert_eq!(
        claims["context"]["user"]["accountId"],
        json!(site.users[1].account_id)
    );
    assert_eq!(
        claims["qsh"],
        json!(query_string_hash("GET", "/pages/main", "", &params))
    );
}

#[tokio::test]
async fn the_host_page_frames_the_app_once_installed() {
    let app = FakeApp::start().await;
    let emulator = emulator_for(&app).await;
    let site = &emulator.sites()[0];
    let page = |query: &'static str| {
        let url = format!("{}/{query}", site.base_url);
        async move {
            client()
                .get(url)
                .send()
                .await
                .expect("answers")
                .text()
                .await
                .expect("HTML")
        }
    };

    let before = page("").await;
    assert!(before.contains("not installed"));
    assert!(before.contains(&site.users[0].api_token));

    let install = client()
        .post(format!("{}/_emulator/install", site.base_url))
        .form(&[("as", "1")])
        .send()
        .await
        .expect("answers");
    assert_eq!(install.status(), 303);
    assert!(emulator.is_installed(0));

    let framed = page("?as=1&app=1").await;
    assert!(framed.contains("id=\"app-frame\""), "{framed}");
    let src = framed
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an iframe src")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert!(
        src.starts_with(&format!("{}/pages/main?", app.base_url)),
        "{src}"
    );
    assert!(src.contains("jwt="));

    let script = client()
        .get(format!("{}/atlassian-connect/all.js", site.base_url))
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("JS");
    assert!(script.contains("window.AP"));
}

#[tokio::test]
async fn failed_installs_are_reported_and_leave_the_app_uninstalled() {
    let app = FakeApp::start().await;
    app.installed_status.store(401, Ordering::SeqCst);
    let emulator = emulator_for(&app).await;
    let rejected = emulator.install(0).await;
    assert!(matches!(
        rejected,
        Err(EmulatorError::LifecycleRejected { status: 401, .. })
    ));
    assert!(!emulator.is_installed(0));
    assert!(emulator.shared_secret(0).is_none());

    let nobody = start_with(EmulatorConfig {
        app_url: "http://127.0.0.1:9".to_owned(),
        ..EmulatorConfig::default()
    })
    .await;
    assert!(matches!(
        nobody.install(0).await,
        Err(EmulatorError::Descriptor { .. })
    ));
}

#[tokio::test]
async fn tests_can_forge_install_tokens_signed_with_the_served_key() {
    let app = FakeApp::start().await;
    let emulator = emulator_for(&app).await;
    let token = emulator
        .sign_install_claims(
            &json!({"iss": "someone", "aud": ["https://elsewhere"], "exp": 4_102_444_800_i64}),
        )
        .await
        .expect("signed");
    let kid = decode_header(&token).expect("header").kid.expect("kid");
    let pem = client()
        .get(format!("{}/{kid}", emulator.install_keys_url()))
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("PEM");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["https://elsewhere"]);
    let claims = decode::<Value>(
        &token,
        &DecodingKey::from_rsa_pem(pem.as_bytes()).expect("key"),
        &validation,
    )
    .expect("verifies with the served key")
    .claims;
    assert_eq!(claims["iss"], json!("someone"));
}

#[tokio::test]
async fn unknown_install_key_ids_are_not_found() {
    let app = FakeApp::start().await;
    let emulator = emulator_for(&app).await;
    let response = client()
        .get(format!("{}/not-a-kid", emulator.install_keys_url()))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 404);
}
