//! The Jira API Token tab against the emulator: Validate & Save, every failure message (keeping the
//! previous token), storage at rest, revoke, isolation between users, and the client's retries.

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use jira_bi_connector::clock::Clock;
use jira_bi_connector::crypto::SecretString;
use jira_bi_connector::jira::client::{
    JiraClient, JiraClientConfig, JiraCredentials, JiraError, JiraSite, Pause, RetryPolicy,
};
use jira_emulator::FaultConfig;

use crate::support::{Session, TestApp, spawn_app};

const TAB: &str = "/app/tokens/jira";
const REVOKE: &str = "/app/tokens/jira/revoke";

const ALPHA: usize = 0;
const BETA: usize = 1;
const ALICE: usize = 0;
const BOB: usize = 1;
const DAVE: usize = 2;
const CAROL: usize = 0;

// ---- helpers ----

fn email_of(app: &TestApp, site: usize, user: usize) -> String {
    app.emulator.sites()[site].users[user].email.clone()
}

fn token_of(app: &TestApp, site: usize, user: usize) -> String {
    app.emulator.sites()[site].users[user].api_token.clone()
}

fn name_of(app: &TestApp, site: usize, user: usize) -> String {
    app.emulator.sites()[site].users[user].display_name.clone()
}

async fn save(app: &TestApp, session: &Session, email: &str, token: &str) -> reqwest::Response {
    app.post_form(TAB, session, &[("email", email), ("api_token", token)])
        .await
}

/// Saves the token of `user` of `site` (whose session this is) and checks it worked.
async fn save_own_token(app: &TestApp, session: &Session, site: usize, user: usize) {
    let response = save(
        app,
        session,
        &email_of(app, site, user),
        &token_of(app, site, user),
    )
    .await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
}

async fn tab(app: &TestApp, session: &Session) -> String {
    let response = app.get_page(TAB, session).await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

fn state_of(page: &str) -> &str {
    let marker = "data-state=\"";
    let start = page.find(marker).expect("the page has a status indicator") + marker.len();
    let end = start + page[start..].find('"').unwrap();
    &page[start..end]
}

#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
struct StoredRow {
    #[diesel(sql_type = BigInt)]
    tenant_id: i64,
    #[diesel(sql_type = Text)]
    account_id: String,
    #[diesel(sql_type = Text)]
    display_name: String,
    #[diesel(sql_type = Text)]
    token_sealed: String,
    #[diesel(sql_type = BigInt)]
    validated_at: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    rejected_at: Option<i64>,
}

fn stored_rows(app: &TestApp) -> Vec<StoredRow> {
    diesel::sql_query(
        "SELECT tenant_id, account_id, display_name, token_sealed, validated_at, rejected_at \
         FROM jira_api_tokens ORDER BY id",
    )
    .load(&mut app.db())
    .unwrap()
}

fn myself_calls(app: &TestApp) -> u64 {
    app.emulator
        .stats()
        .requests
        .get("GET /rest/api/2/myself")
        .copied()
        .unwrap_or(0)
}

/// Asserts a failed Validate & Save answered `status` with `message` and left `before` stored.
async fn assert_refused(
    response: reqwest::Response,
    status: u16,
    message: &str,
    app: &TestApp,
    before: &[StoredRow],
) -> String {
    assert_eq!(response.status(), status);
    let page = response.text().await.unwrap();
    assert!(page.contains(message), "missing {message:?} in:\n{page}");
    assert!(page.contains("id=\"jira-token-error\""));
    assert_eq!(stored_rows(app), before, "the previous token changed");
    page
}

// ---- Validate & Save ----

#[tokio::test]
async fn a_new_user_sees_the_warning_sign_and_how_to_create_a_token() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;

    let page = tab(&app, &alice).await;

    assert_eq!(state_of(&page), "not-saved");
    assert!(page.contains("No Jira API token saved"));
    assert!(page.contains("https://id.atlassian.com/manage-profile/security/api-tokens"));
    assert!(page.contains("Validate &amp; Save"));
    assert!(page.contains(r#"name="api_token" type="password""#));
    assert!(
        !page.contains("data-dialog=\"revoke-jira-token\""),
        "nothing to revoke"
    );
}

#[tokio::test]
async fn validate_and_save_with_the_users_own_token_shows_the_orange_saved_state() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;
    let (email, token) = (email_of(&app, ALPHA, ALICE), token_of(&app, ALPHA, ALICE));

    let response = save(&app, &alice, &email, &token).await;

    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/app/tokens/jira?saved=1&session="));
    let page = app
        .client
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(state_of(&page), "saved");
    assert!(page.contains("status--saved"));
    assert!(page.contains(&name_of(&app, ALPHA, ALICE)));
    assert!(page.contains("last validated 20"));
    assert!(page.contains(" UTC"));
    assert!(page.contains("validated and saved"));
    assert!(!page.contains(&token), "the token is rendered");
    assert!(!page.contains(&email), "the saved email is rendered");
    assert_eq!(myself_calls(&app), 1);
    let rows = stored_rows(&app);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].account_id,
        app.emulator.sites()[ALPHA].users[ALICE].account_id
    );
    assert_eq!(rows[0].display_name, name_of(&app, ALPHA, ALICE));
    assert_eq!(rows[0].rejected_at, None);
}

#[tokio::test]
async fn saving_again_replaces_the_token_in_place() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;
    save_own_token(&app, &alice, ALPHA, ALICE).await;
    let first = stored_rows(&app);

    save_own_token(&app, &alice, ALPHA, ALICE).await;

    let second = stored_rows(&app);
    assert_eq!(second.len(), 1);
    assert_ne!(
        first[0].token_sealed, second[0].token_sealed,
        "fresh nonce per write"
    );
    assert_eq!(state_of(&tab(&app, &alice).await), "saved");
}

#[tokio::test]
async fn a_wrong_token_explains_401_and_keeps_the_previous_token() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;
    save_own_token(&app, &alice, ALPHA, ALICE).await;
    let before = stored_rows(&app);
    let email = email_of(&app, ALPHA, ALICE);

    let response = save(&app, &alice, &email, "ATATT-not-the-right-token").await;

    let page = assert_refused(
        response,
        422,
        "did not accept this email address and API token",
        &app,
        &before,
    )
    .await;
    assert!(page.contains("create a new one"));
    assert!(!page.contains("ATATT-not-the-right-token"));
    assert_eq!(
        state_of(&page),
        "saved",
        "the saved token is still shown as saved"
    );
    assert!(
        page.contains(&format!("value=\"{email}\"")),
        "the typed email is kept"
    );
}

#[tokio::test]
async fn an_unknown_email_is_a_401_too() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;

    let response = save(
        &app,
        &alice,
        "nobody@alpha.example.com",
        &token_of(&app, ALPHA, ALICE),
    )
    .await;

    assert_refused(
        response,
        422,
        "did not accept this email address and API token",
        &app,
        &[],
    )
    .await;
}

#[tokio::test]
async fn a_captcha_locked_account_is_asked_to_log_in_in_a_browser_and_is_not_retried() {
    let app = spawn_app().await;
    let dave = app.sign_in(ALPHA, DAVE).await;
    app.emulator.set_captcha_locked(ALPHA, DAVE, false).unwrap();
    save_own_token(&app, &dave, ALPHA, DAVE).await;
    let before = stored_rows(&app);
    app.emulator.set_captcha_locked(ALPHA, DAVE, true).unwrap();
    let calls = myself_calls(&app);

    let response = save(
        &app,
        &dave,
        &email_of(&app, ALPHA, DAVE),
        &token_of(&app, ALPHA, DAVE),
    )
    .await;

    let page = assert_refused(response, 422, "CAPTCHA", &app, &before).await;
    assert!(page.contains("Log in to Jira once"));
    let login = format!(
        "href=\"{}/login.jsp\"",
        app.emulator.sites()[ALPHA].base_url
    );
    assert!(
        page.contains(&login),
        "no link to the site's login page in:\n{page}"
    );
    assert_eq!(
        myself_calls(&app),
        calls + 1,
        "a CAPTCHA challenge must not be retried"
    );
    assert_eq!(app.emulator.stats().captcha_challenges, 1);
}

#[tokio::test]
async fn a_token_of_another_jira_user_is_refused() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;

    let response = save(
        &app,
        &alice,
        &email_of(&app, ALPHA, BOB),
        &token_of(&app, ALPHA, BOB),
    )
    .await;

    let page = assert_refused(
        response,
        422,
        "belongs to a different Jira account",
        &app,
        &[],
    )
    .await;
    assert_eq!(state_of(&page), "not-saved");
    assert!(!page.contains(&name_of(&app, ALPHA, BOB)));
}

#[tokio::test]
async fn an_unreachable_site_is_reported_and_nothing_changes() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;
    save_own_token(&app, &alice, ALPHA, ALICE).await;
    let before = stored_rows(&app);
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    diesel::sql_query("UPDATE tenants SET base_url = ? WHERE client_key = ?")
        .bind::<Text, _>(format!("http://127.0.0.1:{closed_port}"))
        .bind::<Text, _>(&app.emulator.sites()[ALPHA].client_key)
        .execute(&mut app.db())
        .unwrap();

    let response = save(
        &app,
        &alice,
        &email_of(&app, ALPHA, ALICE),
        &token_of(&app, ALPHA, ALICE),
    )
    .await;

    assert_refused(response, 502, "could not be reached", &app, &before).await;
}

#[tokio::test]
async fn a_site_that_drops_the_connection_is_reported_as_unreachable() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;
    save_own_token(&app, &alice, ALPHA, ALICE).await;
    let before = stored_rows(&app);
    app.emulator.set_faults(FaultConfig {
        drop_connection_every: Some(1),
        ..FaultConfig::default()
    });

    let response = save(
        &app,
        &alice,
        &email_of(&app, ALPHA, ALICE),
        &token_of(&app, ALPHA, ALICE),
    )
    .await;

    assert_refused(response, 502, "could not be reached", &app, &before).await;
    assert_eq!(
        app.emulator.stats().dropped_connections,
        2,
        "one quick retry, no more"
    );
}

/// Like `spawn_app`, but the app gives up on each Jira call after one second (the smallest
/// `OUTBOUND_TIMEOUT_SECONDS`), and its retries wait through the returned recorder.
async fn spawn_app_with_one_second_timeout() -> (TestApp, Pause) {
    use jira_bi_connector::settings::Settings;
    use jira_bi_connector::startup::Application;
    use jira_emulator::{Emulator, EmulatorConfig};

    jira_bi_connector::telemetry::init();
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    let db_path = data_dir.path().join("app.sqlite3");
    let vars = [
        ("BASE_URL", "http://127.0.0.1:0".to_owned()),
        ("BIND_ADDRESS", "127.0.0.1:0".to_owned()),
        ("DATA_DIR", data_dir.path().display().to_string()),
        ("INSTALL_KEYS_URL", emulator.install_keys_url()),
        (
            "ALLOWED_JIRA_HOSTS",
            emulator.sites()[ALPHA].base_url.clone(),
        ),
        ("OUTBOUND_TIMEOUT_SECONDS", "1".to_owned()),
    ];
    let settings = Settings::from_lookup(|name| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    })
    .unwrap();
    let pause = Pause::recording();
    let application =
        Application::build_with_pause(settings, Clock::system(), pause.clone()).unwrap();
    let address = application.base_url().to_owned();
    tokio::spawn(application.run_until_stopped());
    emulator.set_app_url(&address);
    emulator.install(ALPHA).await.unwrap();
    let app = TestApp {
        address,
        db_path,
        data_dir,
        emulator,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    };
    (app, pause)
}

#[tokio::test]
async fn a_site_that_answers_too_slowly_is_reported_and_nothing_changes() {
    let (app, pause) = spawn_app_with_one_second_timeout().await;
    let alice = app.sign_in(ALPHA, ALICE).await;
    save_own_token(&app, &alice, ALPHA, ALICE).await;
    let before = stored_rows(&app);
    app.emulator.set_faults(FaultConfig {
        latency_ms: 1_500,
        ..FaultConfig::default()
    });

    let response = save(
        &app,
        &alice,
        &email_of(&app, ALPHA, ALICE),
        &token_of(&app, ALPHA, ALICE),
    )
    .await;

    assert_refused(response, 504, "did not answer in time", &app, &before).await;
    assert_eq!(
        pause.waits(),
        [Duration::from_millis(500)],
        "one quick retry at most, after the interactive half-second backoff"
    );
}

#[tokio::test]
async fn an_unexpected_jira_error_shows_a_reference_id() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;
    save_own_token(&app, &alice, ALPHA, ALICE).await;
    let before = stored_rows(&app);
    app.emulator.set_faults(FaultConfig {
        error_5xx_every: Some(1),
        error_status: 500,
        ..FaultConfig::default()
    });

    let response = save(
        &app,
        &alice,
        &email_of(&app, ALPHA, ALICE),
        &token_of(&app, ALPHA, ALICE),
    )
    .await;

    let page = assert_refused(
        response,
        502,
        "give your Jira admin this reference:",
        &app,
        &before,
    )
    .await;
    assert!(!page.contains("Internal Server Error"));
}

#[tokio::test]
async fn invalid_inputs_are_explained_next_to_their_fields_without_calling_jira() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;

    let response = save(&app, &alice, "not an email", "   ").await;

    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("id=\"jira-email-error\""));
    assert!(page.contains("id=\"jira-api-token-error\""));
    assert!(page.contains("aria-invalid=\"true\""));
    assert_eq!(myself_calls(&app), 0);
    assert!(stored_rows(&app).is_empty());
}

#[tokio::test]
async fn malformed_bodies_get_a_readable_error_page_never_a_500() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;
    let url = app.url(&format!("{TAB}?session={}", alice.token));
    let form = "application/x-www-form-urlencoded";
    let huge = format!("email=a%40b.c&api_token={}", "x".repeat(64 * 1024));
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            form,
            b"email=%FF%FE&api_token=x".to_vec(),
            400,
            "id=\"jira-email-error\"",
        ),
        (
            form,
            b"email=a%40b.c&api_token=\xff".to_vec(),
            400,
            "id=\"jira-api-token-error\"",
        ),
        (
            form,
            b"email=a%40b.c".to_vec(),
            400,
            "arrived without its Email or API token",
        ),
        (
            form,
            b"".to_vec(),
            400,
            "arrived without its Email or API token",
        ),
        (form, huge.into_bytes(), 413, "too large"),
        (
            "application/json",
            br#"{"email":"a@b.c"}"#.to_vec(),
            415,
            "unexpected format",
        ),
    ];

    for (content_type, body, status, message) in cases {
        let response = app
            .client
            .post(&url)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), status, "for {message:?}");
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "missing {message:?} in:\n{page}");
        assert!(
            page.contains("Validate &amp; Save"),
            "the form is shown again"
        );
    }
    assert_eq!(myself_calls(&app), 0);
}

#[tokio::test]
async fn saving_requires_the_in_app_session() {
    let app = spawn_app().await;

    let response = app
        .client
        .post(app.url(TAB))
        .form(&[("email", "a@b.c"), ("api_token", "x")])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 401);
    assert_eq!(myself_calls(&app), 0);
}

// ---- storage at rest ----

#[tokio::test]
async fn the_database_files_hold_no_plaintext_token() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;
    save_own_token(&app, &alice, ALPHA, ALICE).await;
    let token = token_of(&app, ALPHA, ALICE);

    let mut bytes = std::fs::read(&app.db_path).unwrap();
    for suffix in ["-wal", "-journal"] {
        let side = format!("{}{suffix}", app.db_path.display());
        bytes.extend(std::fs::read(side).unwrap_or_default());
    }

    assert!(!bytes.is_empty());
    assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()));
    assert!(stored_rows(&app)[0].token_sealed.starts_with("v1."));
}

#[tokio::test]
async fn a_tampered_ciphertext_is_detected_and_shown_clearly() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;
    save_own_token(&app, &alice, ALPHA, ALICE).await;
    let sealed = stored_rows(&app)[0].token_sealed.clone();
    let mut chars: Vec<char> = sealed.chars().collect();
    let middle = chars.len() / 2;
    chars[middle] = if chars[middle] == 'Q' { 'R' } else { 'Q' };
    diesel::sql_query("UPDATE jira_api_tokens SET token_sealed = ?")
        .bind::<Text, _>(chars.into_iter().collect::<String>())
        .execute(&mut app.db())
        .unwrap();

    let page = tab(&app, &alice).await;

    assert_eq!(state_of(&page), "unreadable");
    assert!(page.contains("cannot be read"));
    assert!(
        page.contains("data-dialog=\"revoke-jira-token\""),
        "it can be revoked"
    );
    // Saving again repairs it.
    save_own_token(&app, &alice, ALPHA, ALICE).await;
    assert_eq!(state_of(&tab(&app, &alice).await), "saved");
}

#[tokio::test]
async fn a_token_jira_later_rejected_is_shown_as_rejected() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;
    save_own_token(&app, &alice, ALPHA, ALICE).await;
    // What `credentials::mark_invalid` records when a feed's call gets a 401.
    diesel::sql_query("UPDATE jira_api_tokens SET rejected_at = validated_at + 60")
        .execute(&mut app.db())
        .unwrap();

    let page = tab(&app, &alice).await;

    assert_eq!(state_of(&page), "rejected");
    assert!(page.contains("was rejected by Jira"));
    assert!(page.contains(&name_of(&app, ALPHA, ALICE)));
}

// ---- revoke ----

#[tokio::test]
async fn revoke_asks_for_confirmation_then_deletes_the_token() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;
    save_own_token(&app, &alice, ALPHA, ALICE).await;
    let page = tab(&app, &alice).await;
    assert!(page.contains("<dialog class=\"modal modal--danger\" id=\"revoke-jira-token\""));
    assert!(page.contains("href=\"/app/tokens/jira/revoke?session="));

    // Without JavaScript the link opens a confirmation page; nothing is deleted yet.
    let confirm = app.get_page(REVOKE, &alice).await;
    assert_eq!(confirm.status(), 200);
    let confirm = confirm.text().await.unwrap();
    assert!(confirm.contains("Revoke your Jira API token?"));
    assert!(confirm.contains("action=\"/app/tokens/jira/revoke?session="));
    assert_eq!(stored_rows(&app).len(), 1);

    let response = app.post_form(REVOKE, &alice, &[]).await;

    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/app/tokens/jira?revoked=1&session="));
    assert!(stored_rows(&app).is_empty());
    let page = app
        .client
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(state_of(&page), "not-saved");
    assert!(page.contains("revoked and deleted"));
    // With nothing saved, the confirmation page sends the user back to the tab.
    assert_eq!(app.get_page(REVOKE, &alice).await.status(), 303);
    let actions: Vec<AuditRow> = diesel::sql_query(
        "SELECT action, subject FROM audit_events WHERE action LIKE 'jira_api_token.%' ORDER BY id",
    )
    .load(&mut app.db())
    .unwrap();
    let name = name_of(&app, ALPHA, ALICE);
    assert_eq!(
        actions,
        vec![
            AuditRow {
                action: "jira_api_token.saved".into(),
                subject: name.clone()
            },
            AuditRow {
                action: "jira_api_token.revoked".into(),
                subject: name
            },
        ]
    );
}

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct AuditRow {
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Text)]
    subject: String,
}

// ---- isolation ----

#[tokio::test]
async fn other_users_cannot_see_or_delete_a_users_token() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;
    save_own_token(&app, &alice, ALPHA, ALICE).await;
    let before = stored_rows(&app);
    let bob = app.sign_in(ALPHA, BOB).await;
    let carol = app.sign_in(BETA, CAROL).await;

    for other in [&bob, &carol] {
        let page = tab(&app, other).await;
        assert_eq!(state_of(&page), "not-saved");
        assert!(!page.contains(&name_of(&app, ALPHA, ALICE)));
        assert_eq!(app.get_page(REVOKE, other).await.status(), 303);

        let response = app.post_form(REVOKE, other, &[]).await;

        assert_eq!(response.status(), 303);
        let location = response.headers()["location"].to_str().unwrap();
        assert!(!location.contains("revoked=1"));
    }
    assert_eq!(stored_rows(&app), before);
    assert_eq!(state_of(&tab(&app, &alice).await), "saved");
}

#[tokio::test]
async fn each_user_and_site_keeps_its_own_token() {
    let app = spawn_app().await;
    let alice = app.sign_in(ALPHA, ALICE).await;
    let bob = app.sign_in(ALPHA, BOB).await;
    let carol = app.sign_in(BETA, CAROL).await;

    for (session, site, user) in [
        (&alice, ALPHA, ALICE),
        (&bob, ALPHA, BOB),
        (&carol, BETA, CAROL),
    ] {
        save_own_token(&app, session, site, user).await;
    }
    app.post_form(REVOKE, &bob, &[]).await;

    let rows = stored_rows(&app);
    assert_eq!(rows.len(), 2);
    assert_ne!(rows[0].tenant_id, rows[1].tenant_id);
    assert!(
        tab(&app, &alice)
            .await
            .contains(&name_of(&app, ALPHA, ALICE))
    );
    assert!(
        tab(&app, &carol)
            .await
            .contains(&name_of(&app, BETA, CAROL))
    );
    assert_eq!(state_of(&tab(&app, &bob).await), "not-saved");
}

// ---- the client against the emulator ----

fn client(max_retries: u32) -> JiraClient {
    JiraClient::new(
        JiraClientConfig {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
            retry: RetryPolicy {
                max_retries,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_secs(5),
            },
            ..JiraClientConfig::default()
        },
        Clock::system(),
    )
    .unwrap()
}

fn alice_credentials(app: &TestApp) -> (JiraSite, JiraCredentials) {
    let site = JiraSite::parse(&app.emulator.sites()[ALPHA].base_url).unwrap();
    let creds = JiraCredentials {
        email: email_of(app, ALPHA, ALICE),
        api_token: SecretString::new(token_of(app, ALPHA, ALICE)),
    };
    (site, creds)
}

#[tokio::test]
async fn the_client_waits_as_long_as_retry_after_says_then_succeeds() {
    let app = spawn_app().await;
    let (site, creds) = alice_credentials(&app);
    let pause = Pause::recording();
    let client = client(3).with_pause(pause.clone());
    app.emulator.set_faults(FaultConfig {
        rate_limit_every: Some(2),
        retry_after_secs: 1,
        ..FaultConfig::default()
    });
    client.myself(&site, &creds).await.unwrap(); // request 1 passes

    let account = client.myself(&site, &creds).await.unwrap(); // 2 → 429, 3 passes

    // One wait: the full Retry-After of 1 s (+15%, the recorder's mid-range jitter), never less.
    assert_eq!(pause.waits(), [Duration::from_secs_f64(1.15)]);
    assert_eq!(account.display_name, name_of(&app, ALPHA, ALICE));
    assert_eq!(client.stats().retries, 1);
    assert_eq!(app.emulator.stats().rate_limited, 1);
}

#[tokio::test]
async fn the_client_gives_up_after_its_bound() {
    let app = spawn_app().await;
    let (site, creds) = alice_credentials(&app);
    let pause = Pause::recording();
    let client = client(2).with_pause(pause.clone());
    app.emulator.set_faults(FaultConfig {
        rate_limit_every: Some(1),
        retry_after_secs: 0,
        ..FaultConfig::default()
    });

    let err = client.myself(&site, &creds).await.unwrap_err();

    assert_eq!(err, JiraError::RateLimited);
    assert_eq!(client.stats().requests, 3);
    assert_eq!(
        pause.waits(),
        [Duration::ZERO, Duration::ZERO],
        "Retry-After: 0, twice"
    );
    assert_eq!(app.emulator.stats().rate_limited, 3);
}

#[tokio::test]
async fn the_client_never_retries_a_401() {
    let app = spawn_app().await;
    let (site, mut creds) = alice_credentials(&app);
    creds.api_token = SecretString::new("wrong");
    let client = client(3);

    let err = client.myself(&site, &creds).await.unwrap_err();

    assert_eq!(err, JiraError::Unauthorized);
    assert_eq!(client.stats().requests, 1);
    assert_eq!(app.emulator.stats().auth_failures, 1);
}

// ---- in a real browser, as a new user would ----

#[tokio::test]
async fn a_new_user_saves_a_token_in_the_browser_then_revokes_it() {
    use fantoccini::Locator;

    use crate::support::browser::{Browser, enter_app_frame, find};

    let app = spawn_app().await;
    let host_page = format!("{}/?as=0&app=1", app.emulator.sites()[ALPHA].base_url);
    let (email, token) = (email_of(&app, ALPHA, ALICE), token_of(&app, ALPHA, ALICE));
    let name = name_of(&app, ALPHA, ALICE);
    let browser = Browser::start().await;

    browser
        .run("jira_token_save_and_revoke", |client| async move {
            client.goto(&host_page).await.unwrap();
            enter_app_frame(&client).await;
            client
                .find(Locator::LinkText("Tokens"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            find(&client, ".tabs").await;
            client
                .find(Locator::LinkText("Jira API Token"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            find(&client, "#jira-token-status[data-state='not-saved']").await;

            // A wrong token: a clear message, nothing saved.
            find(&client, "#jira-email")
                .await
                .send_keys(&email)
                .await
                .unwrap();
            find(&client, "#jira-api-token")
                .await
                .send_keys("ATATT-wrong")
                .await
                .unwrap();
            find(&client, "form.form button[type='submit']")
                .await
                .click()
                .await
                .unwrap();
            let error = find(&client, "#jira-token-error")
                .await
                .text()
                .await
                .unwrap();
            assert!(error.contains("did not accept"), "{error}");
            find(&client, "#jira-token-status[data-state='not-saved']").await;

            // The right token: the orange saved state with the account name.
            let token_input = find(&client, "#jira-api-token").await;
            assert_eq!(
                token_input.prop("value").await.unwrap().as_deref(),
                Some("")
            );
            token_input.send_keys(&token).await.unwrap();
            find(&client, "form.form button[type='submit']")
                .await
                .click()
                .await
                .unwrap();
            let status = find(&client, "#jira-token-status[data-state='saved']").await;
            let text = status.text().await.unwrap();
            assert!(text.contains(&name), "{text}");
            assert!(text.contains("last validated"), "{text}");

            // Revoke: the dialog asks first; confirming goes back to the warning state.
            find(&client, "a[data-dialog='revoke-jira-token']")
                .await
                .click()
                .await
                .unwrap();
            let confirm = find(
                &client,
                "dialog#revoke-jira-token[open] button[type='submit']",
            )
            .await;
            confirm.click().await.unwrap();
            find(&client, "#jira-token-status[data-state='not-saved']").await;
        })
        .await;

    assert!(stored_rows(&app).is_empty());
}
