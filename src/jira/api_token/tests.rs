//! Parsing the form inputs, and the Jira check against a scripted Jira on loopback.

use std::time::Duration;

use actix_web::HttpResponse;
use serde_json::json;

use super::*;
use crate::clock::Clock;
use crate::jira::client::mock::{MockJira, myself_json, ok_json};
use crate::jira::client::{JiraClientConfig, Pause, RetryPolicy};

// ---- JiraEmail ----

#[test]
fn emails_are_trimmed_and_accepted_loosely() {
    assert_eq!(
        JiraEmail::parse("  ana@example.com \n").unwrap().as_str(),
        "ana@example.com"
    );
    assert!(JiraEmail::parse("a@b").is_ok());
    assert!(JiraEmail::parse("jürgen@bücher.example").is_ok());
}

#[test]
fn emails_without_exactly_one_at_or_with_spaces_are_refused() {
    for bad in [
        "",
        "   ",
        "ana",
        "@example.com",
        "ana@",
        "ana@@example.com",
        "ana@ex@ample.com",
        "ana smith@example.com",
        "ana@exa\tmple.com",
        "a@",
    ] {
        assert!(JiraEmail::parse(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn emails_must_be_3_to_254_characters() {
    let longest = format!("{}@example.com", "a".repeat(254 - 12));
    assert_eq!(longest.chars().count(), 254);
    assert!(JiraEmail::parse(&longest).is_ok());
    assert!(JiraEmail::parse(&format!("a{longest}")).is_err());
}

#[test]
fn email_debug_is_redacted() {
    let email = JiraEmail::parse("ana@example.com").unwrap();
    assert!(!format!("{email:?}").contains("ana"));
}

// ---- JiraApiToken ----

#[test]
fn tokens_are_trimmed_of_a_stray_newline() {
    let token = JiraApiToken::parse(" ATATT3xFfGF0abc=\r\n").unwrap();
    assert_eq!(token.secret().expose(), "ATATT3xFfGF0abc=");
}

#[test]
fn empty_long_or_spaced_tokens_are_refused() {
    assert!(JiraApiToken::parse("").is_err());
    assert!(JiraApiToken::parse(" \n ").is_err());
    assert!(JiraApiToken::parse("abc def").is_err());
    assert!(JiraApiToken::parse("abc\u{fffd}").is_err());
    assert!(JiraApiToken::parse(&"x".repeat(MAX_TOKEN_CHARS)).is_ok());
    assert!(JiraApiToken::parse(&"x".repeat(MAX_TOKEN_CHARS + 1)).is_err());
}

#[test]
fn token_debug_and_error_texts_never_contain_the_token() {
    let token = JiraApiToken::parse("ATATT-secret").unwrap();
    assert!(!format!("{token:?}").contains("secret"));
    let err = JiraApiToken::parse("ATATT secret").unwrap_err();
    assert!(!err.contains("secret"));
}

// ---- the check with Jira ----

const ALICE: &str = "5b10a2844c20165700ede21g";

fn alice() -> AccountId {
    AccountId::parse(ALICE).unwrap()
}

fn creds() -> JiraCredentials {
    JiraApiToken::parse("ATATT-test-token")
        .unwrap()
        .credentials(&JiraEmail::parse("mia@example.com").unwrap())
}

fn client(timeout: Duration) -> JiraClient {
    JiraClient::new(
        JiraClientConfig {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
            ..JiraClientConfig::default()
        },
        Clock::system(),
    )
    .unwrap()
    .interactive(timeout)
}

async fn check(jira: &MockJira) -> Result<JiraAccount, Rejection> {
    check_with_jira(
        &client(Duration::from_secs(2)),
        &jira.site(),
        &creds(),
        &alice(),
    )
    .await
}

#[actix_web::test]
async fn the_signed_in_users_own_token_is_accepted_via_api_v2() {
    let jira = MockJira::start(|_, _| ok_json(myself_json())).await;

    let account = check(&jira).await.unwrap();

    assert_eq!(account.account_id, ALICE);
    assert_eq!(account.display_name, "Mia Krystof");
    let requests = jira.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/rest/api/2/myself");
    assert!(
        requests[0]
            .authorization
            .as_deref()
            .is_some_and(|auth| auth.starts_with("Basic "))
    );
    jira.stop().await;
}

#[actix_web::test]
async fn another_accounts_token_is_refused() {
    let jira = MockJira::start(|_, _| {
        let mut body = myself_json();
        body["accountId"] = json!("712020:someone-else");
        ok_json(body)
    })
    .await;

    assert_eq!(check(&jira).await.unwrap_err(), Rejection::DifferentAccount);
    jira.stop().await;
}

#[actix_web::test]
async fn a_401_means_wrong_credentials_and_is_not_retried() {
    let jira = MockJira::start(|_, _| {
        HttpResponse::Unauthorized()
            .insert_header(("X-Seraph-LoginReason", "AUTHENTICATED_FAILED"))
            .finish()
    })
    .await;

    assert_eq!(check(&jira).await.unwrap_err(), Rejection::WrongCredentials);
    assert_eq!(jira.requests().len(), 1);
    jira.stop().await;
}

#[actix_web::test]
async fn a_200_with_a_failed_login_reason_is_wrong_credentials() {
    let jira = MockJira::start(|_, _| {
        HttpResponse::Ok()
            .insert_header(("X-Seraph-LoginReason", "AUTHENTICATED_FAILED"))
            .json(myself_json())
    })
    .await;

    assert_eq!(check(&jira).await.unwrap_err(), Rejection::WrongCredentials);
    jira.stop().await;
}

#[actix_web::test]
async fn a_captcha_challenge_asks_for_a_browser_login_and_is_not_retried() {
    let jira = MockJira::start(|_, recorded| {
        HttpResponse::Forbidden()
            .insert_header((
                "X-Authentication-Denied-Reason",
                format!(
                    "CAPTCHA_CHALLENGE; login-url=http://{}/login.jsp",
                    recorded.host
                ),
            ))
            .insert_header(("X-Seraph-LoginReason", "AUTHENTICATION_DENIED"))
            .finish()
    })
    .await;

    let rejection = check(&jira).await.unwrap_err();

    assert!(matches!(rejection, Rejection::CaptchaRequired { .. }));
    assert!(
        rejection
            .login_url()
            .is_some_and(|url| url.ends_with("/login.jsp"))
    );
    assert!(rejection.message().contains("CAPTCHA"));
    assert_eq!(jira.requests().len(), 1);
    jira.stop().await;
}

#[actix_web::test]
async fn another_403_means_no_permission_or_restricted_api_access() {
    let jira = MockJira::start(|_, _| HttpResponse::Forbidden().finish()).await;

    let rejection = check(&jira).await.unwrap_err();

    assert_eq!(rejection, Rejection::Forbidden);
    assert!(rejection.message().contains("permission"));
    assert_eq!(jira.requests().len(), 1);
    jira.stop().await;
}

#[actix_web::test]
async fn a_slow_site_times_out_after_one_quick_retry() {
    let jira =
        MockJira::start_with_delay(Duration::from_secs(3), |_, _| ok_json(myself_json())).await;
    let pause = Pause::recording();

    let rejection = check_with_jira(
        &client(Duration::from_millis(200)).with_pause(pause.clone()),
        &jira.site(),
        &creds(),
        &alice(),
    )
    .await
    .unwrap_err();

    assert_eq!(rejection, Rejection::TimedOut);
    assert!(rejection.message().contains("did not answer in time"));
    assert_eq!(jira.requests().len(), 2);
    // One retry after the interactive handle's half-second backoff, not the export policy's 5 s.
    assert_eq!(pause.waits(), [Duration::from_millis(500)]);
    jira.stop().await;
}

#[actix_web::test]
async fn a_closed_port_is_unreachable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let site = JiraSite::parse(&format!("http://127.0.0.1:{port}")).unwrap();

    let rejection = check_with_jira(&client(Duration::from_secs(1)), &site, &creds(), &alice())
        .await
        .unwrap_err();

    assert_eq!(rejection, Rejection::Unreachable);
    assert!(rejection.message().contains("could not be reached"));
}

#[actix_web::test]
async fn anything_else_is_unexpected_with_a_reference() {
    let jira = MockJira::start(|_, _| HttpResponse::InternalServerError().finish()).await;

    let rejection = check(&jira).await.unwrap_err();

    let Rejection::Unexpected { reference } = &rejection else {
        panic!("expected Unexpected, got {rejection:?}");
    };
    assert!(!reference.is_empty());
    assert!(rejection.message().contains(reference.as_str()));
    jira.stop().await;
}

#[actix_web::test]
async fn a_redirect_is_unexpected_and_not_followed() {
    let jira = MockJira::start(|_, _| {
        HttpResponse::Found()
            .insert_header(("Location", "https://elsewhere.example/login"))
            .finish()
    })
    .await;

    assert!(matches!(
        check(&jira).await.unwrap_err(),
        Rejection::Unexpected { .. }
    ));
    assert_eq!(jira.requests().len(), 1);
    jira.stop().await;
}

#[test]
fn no_message_repeats_what_the_user_typed() {
    for rejection in [
        Rejection::WrongCredentials,
        Rejection::CaptchaRequired { login_url: None },
        Rejection::Forbidden,
        Rejection::DifferentAccount,
        Rejection::TimedOut,
        Rejection::Unreachable,
        Rejection::Unexpected {
            reference: "ref123".into(),
        },
    ] {
        let message = rejection.message();
        assert!(!message.contains("ATATT"));
        assert!(!message.contains("mia@example.com"));
        assert!(!rejection.kind().is_empty());
    }
}
