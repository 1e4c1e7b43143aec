//! The transport against a scripted Jira (retries and their waits, failures that are not
//! retried, body caps, redirects, timeouts), and the status-and-headers decision on its own.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::{HttpResponse, web};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::json;

use super::super::mock::{MockJira, client, client_with, creds, myself_json, ok_json, policy};
use super::super::wire::{PATH_BULK_FETCH, PATH_FIELDS, PATH_MYSELF, PATH_SEARCH_JQL};
use super::super::{CallStats, JiraClient, Pause, SearchRequest};
use super::*;
use crate::clock::Clock;

// ---- retries ----

#[actix_web::test]
async fn rate_limited_call_honours_retry_after_and_then_succeeds() {
    let jira = MockJira::start(|n, _| match n {
        0 => HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", "0"))
            .insert_header(("RateLimit-Reason", "jira-burst-based"))
            .finish(),
        1 => HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", "1"))
            .finish(),
        _ => ok_json(myself_json()),
    })
    .await;
    // The production policy (5 s backoff, 30 s cap), so Retry-After is what decides each wait.
    let pause = Pause::recording();
    let client = JiraClient::new(JiraClientConfig::default(), Clock::system())
        .unwrap()
        .with_pause(pause.clone());

    let account = client.myself(&jira.site(), &creds()).await.unwrap();

    assert_eq!(account.account_id, "5b10a2844c20165700ede21g");
    assert_eq!(jira.requests().len(), 3);
    assert_eq!(
        client.stats(),
        CallStats {
            requests: 3,
            retries: 2
        }
    );
    // "Retry-After: 0" is an immediate retry; "Retry-After: 1" is waited in full, plus the
    // recorder's mid-range jitter (+15%), never less, and then the call succeeds.
    assert_eq!(
        pause.waits(),
        [Duration::ZERO, Duration::from_secs_f64(1.15)]
    );
    jira.stop().await;
}

#[actix_web::test]
async fn persistent_503_gives_up_after_max_retries() {
    let jira = MockJira::start(|_, _| HttpResponse::ServiceUnavailable().finish()).await;
    let pause = Pause::recording();
    let client = client(2).with_pause(pause.clone());

    let err = client.myself(&jira.site(), &creds()).await.unwrap_err();

    assert_eq!(err, JiraError::Unexpected { status: 503 });
    assert_eq!(jira.requests().len(), 3);
    assert_eq!(client.stats().retries, 2);
    // Without Retry-After: the policy's backoff, 1 ms doubling, and no wait after the last try.
    assert_eq!(
        pause.waits(),
        [Duration::from_millis(1), Duration::from_millis(2)]
    );
    jira.stop().await;
}

#[actix_web::test]
async fn persistent_429_gives_up_as_rate_limited() {
    let jira = MockJira::start(|_, _| {
        HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", "0"))
            .finish()
    })
    .await;

    let err = client(3).myself(&jira.site(), &creds()).await.unwrap_err();

    assert_eq!(err, JiraError::RateLimited);
    assert_eq!(jira.requests().len(), 4);
    jira.stop().await;
}

#[actix_web::test]
async fn bad_gateway_then_success_is_retried_for_post_reads() {
    let jira = MockJira::start(|n, _| match n {
        0 => HttpResponse::BadGateway().finish(),
        1 => HttpResponse::GatewayTimeout().finish(),
        _ => ok_json(json!({"count": 153})),
    })
    .await;
    let client = client(4);

    let count = client
        .approximate_count(&jira.site(), &creds(), "project = HSP")
        .await
        .unwrap();

    assert_eq!(count, 153);
    let requests = jira.requests();
    assert_eq!(requests.len(), 3);
    // The same body is re-sent on every attempt.
    assert!(
        requests
            .iter()
            .all(|r| r.json() == json!({"jql": "project = HSP"}))
    );
    jira.stop().await;
}

// ---- failures that must not be retried ----

#[actix_web::test]
async fn unauthorized_is_reported_after_exactly_one_request() {
    let jira = MockJira::start(|_, _| {
        HttpResponse::Unauthorized()
            .insert_header(("X-Seraph-LoginReason", "AUTHENTICATED_FAILED"))
            .insert_header(("WWW-Authenticate", "OAuth realm=\"https%3A%2F%2Fexample\""))
            .body("Client must be authenticated to access this resource.")
    })
    .await;
    let client = client(4);

    let err = client.myself(&jira.site(), &creds()).await.unwrap_err();

    assert_eq!(err, JiraError::Unauthorized);
    assert!(err.is_credential_problem());
    assert_eq!(jira.requests().len(), 1);
    assert_eq!(
        client.stats(),
        CallStats {
            requests: 1,
            retries: 0
        }
    );
    jira.stop().await;
}

#[actix_web::test]
async fn forbidden_is_reported_after_exactly_one_request() {
    let jira = MockJira::start(|_, _| {
        HttpResponse::Forbidden().json(json!({
            "errorMessages": ["You currently don't have access to perform this operation."],
            "errors": {}
        }))
    })
    .await;

    let err = client(4).fields(&jira.site(), &creds()).await.unwrap_err();

    assert_eq!(err, JiraError::Forbidden);
    assert_eq!(jira.requests().len(), 1);
    jira.stop().await;
}

#[actix_web::test]
async fn captcha_challenge_is_recognised_with_its_login_url() {
    let jira = MockJira::start(|_, request| {
        HttpResponse::Forbidden()
            .insert_header(("X-Seraph-LoginReason", "AUTHENTICATION_DENIED"))
            .insert_header((
                "X-Authentication-Denied-Reason",
                format!(
                    "CAPTCHA_CHALLENGE; login-url=http://{}/login.jsp",
                    request.host
                ),
            ))
            .finish()
    })
    .await;

    let err = client(4).myself(&jira.site(), &creds()).await.unwrap_err();

    assert_eq!(
        err,
        JiraError::CaptchaChallenge {
            login_url: Some(format!("{}/login.jsp", jira.base))
        }
    );
    assert!(err.is_credential_problem());
    assert_eq!(jira.requests().len(), 1);
    jira.stop().await;
}

#[actix_web::test]
async fn anonymous_success_after_failed_login_counts_as_unauthorized() {
    let jira = MockJira::start(|_, _| {
        HttpResponse::Ok()
            .insert_header(("X-Seraph-LoginReason", "AUTHENTICATED_FAILED"))
            .json(json!([]))
    })
    .await;

    let err = client(4).fields(&jira.site(), &creds()).await.unwrap_err();

    assert_eq!(err, JiraError::Unauthorized);
    assert_eq!(jira.requests().len(), 1);
    jira.stop().await;
}

#[actix_web::test]
async fn bad_request_surfaces_jiras_messages() {
    let jira = MockJira::start(|_, _| {
        HttpResponse::BadRequest().json(json!({
            "errorMessages": ["Unbounded JQL queries are not allowed here. Please add a search restriction to your query."],
            "errors": {"jql": "The value 'NOPE' does not exist for the field 'project'."}
        }))
    })
    .await;
    let request = SearchRequest {
        jql: "ORDER BY key".to_owned(),
        next_page_token: None,
        max_results: 50,
        fields: vec![],
    };

    let err = client(4)
        .search_jql(&jira.site(), &creds(), &request)
        .await
        .unwrap_err();

    assert_eq!(
        err,
        JiraError::BadRequest {
            messages: vec![
                "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.".to_owned(),
                "The value 'NOPE' does not exist for the field 'project'.".to_owned(),
            ]
        }
    );
    assert!(err.user_message().contains("Unbounded JQL"));
    assert_eq!(jira.requests().len(), 1);
    jira.stop().await;
}

// ---- body size caps ----

fn client_with_limits(body_limits: BodyLimits) -> JiraClient {
    JiraClient::new(
        JiraClientConfig {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
            retry: policy(3),
            body_limits,
        },
        Clock::system(),
    )
    .unwrap()
}

/// `padding` spaces and then `json`, sent chunked (no `Content-Length`), 1 KiB per chunk.
fn chunked_json(padding: usize, json: &'static str) -> HttpResponse {
    let mut chunks: Vec<Result<web::Bytes, std::io::Error>> = (0..padding / 1024)
        .map(|_| Ok(web::Bytes::from(vec![b' '; 1024])))
        .collect();
    chunks.push(Ok(web::Bytes::from(vec![b' '; padding % 1024])));
    chunks.push(Ok(web::Bytes::from_static(json.as_bytes())));
    HttpResponse::Ok()
        .insert_header(("X-Seraph-LoginReason", "OK"))
        .content_type("application/json")
        .streaming(futures_util::stream::iter(chunks))
}

fn search(jql: &str) -> SearchRequest {
    SearchRequest {
        jql: jql.to_owned(),
        next_page_token: None,
        max_results: 5_000,
        fields: vec!["id".to_owned()],
    }
}

const SMALL: BodyLimits = BodyLimits {
    issues: 8 * 1024,
    fields: 4 * 1024,
    other: 2 * 1024,
};

#[actix_web::test]
async fn a_streamed_body_over_the_cap_fails_clearly_and_is_not_retried() {
    let jira = MockJira::start(|_, _| chunked_json(20 * 1024, r#"{"issues":[]}"#)).await;

    let err = client_with_limits(SMALL)
        .search_jql(&jira.site(), &creds(), &search("project = A"))
        .await
        .unwrap_err();

    assert_eq!(
        err,
        JiraError::ResponseTooLarge {
            limit_bytes: 8 * 1024
        }
    );
    assert_eq!(jira.requests().len(), 1, "the same answer would come again");
    assert!(
        err.user_message().contains("select fewer"),
        "{}",
        err.user_message()
    );
    jira.stop().await;
}

#[actix_web::test]
async fn a_declared_length_over_the_cap_fails_before_the_body_is_read() {
    let big = format!("[{}]", vec!["{}"; 3_000].join(","));
    let jira = MockJira::start(move |_, _| {
        HttpResponse::Ok()
            .insert_header(("X-Seraph-LoginReason", "OK"))
            .content_type("application/json")
            .body(big.clone())
    })
    .await;

    let err = client_with_limits(SMALL)
        .fields(&jira.site(), &creds())
        .await
        .unwrap_err();

    assert_eq!(
        err,
        JiraError::ResponseTooLarge {
            limit_bytes: 4 * 1024
        }
    );
    jira.stop().await;
}

#[actix_web::test]
async fn each_endpoint_gets_its_own_cap_and_bodies_within_it_are_read() {
    // 6 KiB: over the cap for `myself` (2 KiB), within the cap for a page of issues (8 KiB).
    let jira = MockJira::start(|_, recorded| {
        if recorded.path.ends_with("/myself") {
            chunked_json(6 * 1024, r#"{"accountId":"a"}"#)
        } else {
            chunked_json(6 * 1024, r#"{"issues":[{"id":"10001"}],"isLast":true}"#)
        }
    })
    .await;
    let client = client_with_limits(SMALL);

    let page = client
        .search_jql(&jira.site(), &creds(), &search("project = A"))
        .await
        .unwrap();
    let err = client.myself(&jira.site(), &creds()).await.unwrap_err();

    assert_eq!(page.issues, vec![json!({"id": "10001"})]);
    assert_eq!(
        err,
        JiraError::ResponseTooLarge {
            limit_bytes: 2 * 1024
        }
    );
    jira.stop().await;
}

#[test]
fn default_caps_fit_the_largest_legitimate_answers() {
    let limits = BodyLimits::default();
    // 5,000 ids of an id-only search page, at a generous 40 bytes each.
    assert!(limits.for_path(PATH_SEARCH_JQL) >= 5_000 * 40);
    // 100 issues of 100 KB each in one bulkfetch.
    assert!(limits.for_path(PATH_BULK_FETCH) >= 100 * 100 * 1024);
    // A field catalogue of 20,000 fields of 600 bytes.
    assert!(limits.for_path(PATH_FIELDS) >= 20_000 * 600);
    assert!(limits.for_path(PATH_MYSELF) >= 64 * 1024);
}

#[actix_web::test]
async fn redirect_to_another_origin_is_not_followed() {
    let elsewhere = MockJira::start(|_, _| ok_json(myself_json())).await;
    let target = format!("{}/rest/api/3/myself", elsewhere.base);
    let jira = MockJira::start(move |_, _| {
        HttpResponse::Found()
            .insert_header(("Location", target.clone()))
            .finish()
    })
    .await;

    let err = client(4).myself(&jira.site(), &creds()).await.unwrap_err();

    assert_eq!(err, JiraError::Unexpected { status: 302 });
    assert_eq!(jira.requests().len(), 1);
    assert!(elsewhere.requests().is_empty(), "credentials left the site");
    jira.stop().await;
    elsewhere.stop().await;
}

#[actix_web::test]
async fn slow_jira_times_out() {
    let jira =
        MockJira::start_with_delay(Duration::from_secs(3), |_, _| ok_json(myself_json())).await;
    // A tiny configured timeout: each attempt is cut off long before Jira would answer.
    let pause = Pause::recording();
    let client = client_with(1, Duration::from_millis(150)).with_pause(pause.clone());

    let err = client.myself(&jira.site(), &creds()).await.unwrap_err();

    assert_eq!(err, JiraError::Timeout);
    assert_eq!(pause.waits(), [Duration::from_millis(1)]);
    assert_eq!(
        client.stats(),
        CallStats {
            requests: 2,
            retries: 1
        }
    );
    jira.stop().await;
}

#[actix_web::test]
async fn closed_port_is_unreachable_after_retries() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let site = JiraSite::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let client = client(2);

    let err = client.myself(&site, &creds()).await.unwrap_err();

    assert_eq!(err, JiraError::Unreachable);
    assert_eq!(client.stats().requests, 3);
}

#[actix_web::test]
async fn unreadable_body_is_an_invalid_response_that_does_not_echo_data() {
    let jira = MockJira::start(|_, _| {
        ok_json(json!({"accountId": ["Top secret issue summary"], "displayName": "x"}))
    })
    .await;

    let err = client(4).myself(&jira.site(), &creds()).await.unwrap_err();

    let JiraError::InvalidResponse(detail) = &err else {
        panic!("expected InvalidResponse, got {err:?}");
    };
    assert!(detail.starts_with("GET /rest/api/3/myself: unexpected JSON shape"));
    assert!(!detail.contains("Top secret"));
    assert!(!err.to_string().contains("Top secret"));
    assert_eq!(jira.requests().len(), 1);
    jira.stop().await;
}

#[actix_web::test]
async fn html_login_page_instead_of_json_is_an_invalid_response() {
    let jira = MockJira::start(|_, _| {
        HttpResponse::Ok()
            .content_type("text/html")
            .body("<html><body>Log in</body></html>")
    })
    .await;

    let err = client(0).myself(&jira.site(), &creds()).await.unwrap_err();

    assert!(matches!(err, JiraError::InvalidResponse(_)));
    jira.stop().await;
}
fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(*name, value.parse().unwrap());
    }
    map
}

fn verdict(status: u16, pairs: &[(&'static str, &str)]) -> Verdict {
    let site = JiraSite::parse("https://example.atlassian.net").unwrap();
    classify(
        StatusCode::from_u16(status).unwrap(),
        &headers(pairs),
        &site,
        time::macros::datetime!(2025-01-01 00:00 UTC),
    )
}

#[test]
fn statuses_are_classified() {
    assert_eq!(verdict(200, &[]), Verdict::Success);
    assert_eq!(
        verdict(200, &[("x-seraph-loginreason", "OK")]),
        Verdict::Success
    );
    assert_eq!(verdict(400, &[]), Verdict::BadRequest);
    assert_eq!(verdict(401, &[]), Verdict::Failed(JiraError::Unauthorized));
    assert_eq!(verdict(403, &[]), Verdict::Failed(JiraError::Forbidden));
    assert_eq!(verdict(404, &[]), Verdict::Failed(JiraError::NotFound));
    assert_eq!(
        verdict(410, &[]),
        Verdict::Failed(JiraError::Unexpected { status: 410 })
    );
    assert_eq!(
        verdict(301, &[]),
        Verdict::Failed(JiraError::Unexpected { status: 301 })
    );
    assert_eq!(
        verdict(500, &[]),
        Verdict::Failed(JiraError::Unexpected { status: 500 })
    );
    assert_eq!(
        verdict(429, &[("retry-after", "7")]),
        Verdict::Retryable {
            retry_after: Some(Duration::from_secs(7)),
            give_up: JiraError::RateLimited
        }
    );
    assert_eq!(
        verdict(503, &[("retry-after", "Wed, 01 Jan 2025 00:00:09 GMT")]),
        Verdict::Retryable {
            retry_after: Some(Duration::from_secs(9)),
            give_up: JiraError::RateLimited
        }
    );
    assert_eq!(
        verdict(502, &[]),
        Verdict::Retryable {
            retry_after: None,
            give_up: JiraError::Unexpected { status: 502 }
        }
    );
}

#[test]
fn seraph_login_reasons_are_auth_failures_whatever_the_status() {
    assert_eq!(
        verdict(200, &[("x-seraph-loginreason", "AUTHENTICATED_FAILED")]),
        Verdict::Failed(JiraError::Unauthorized)
    );
    assert_eq!(
        verdict(404, &[("x-seraph-loginreason", "OK,AUTHENTICATED_FAILED")]),
        Verdict::Failed(JiraError::Unauthorized)
    );
    assert_eq!(
        verdict(200, &[("x-seraph-loginreason", "AUTHENTICATION_DENIED")]),
        Verdict::Failed(JiraError::CaptchaChallenge { login_url: None })
    );
    assert_eq!(
        verdict(200, &[("x-seraph-loginreason", "AUTHORISATION_FAILED")]),
        Verdict::Failed(JiraError::Forbidden)
    );
}

#[test]
fn captcha_login_url_is_kept_only_for_the_same_site() {
    let own = verdict(
        403,
        &[(
            "x-authentication-denied-reason",
            "CAPTCHA_CHALLENGE; login-url=https://example.atlassian.net/login.jsp",
        )],
    );
    assert_eq!(
        own,
        Verdict::Failed(JiraError::CaptchaChallenge {
            login_url: Some("https://example.atlassian.net/login.jsp".to_owned())
        })
    );
    let foreign = verdict(
        403,
        &[(
            "x-authentication-denied-reason",
            "CAPTCHA_CHALLENGE; login-url=https://evil.example/login.jsp",
        )],
    );
    assert_eq!(
        foreign,
        Verdict::Failed(JiraError::CaptchaChallenge { login_url: None })
    );
    let bare = verdict(
        401,
        &[("x-authentication-denied-reason", "CAPTCHA_CHALLENGE")],
    );
    assert_eq!(
        bare,
        Verdict::Failed(JiraError::CaptchaChallenge { login_url: None })
    );
}
