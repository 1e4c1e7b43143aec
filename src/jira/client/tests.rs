//! The client against a scripted Jira on loopback (a tiny actix-web server per test), plus unit
//! tests of the pure parts. Retry delays are milliseconds so the suite stays fast.

use std::net::TcpListener;
use std::sync::Mutex;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::*;

#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    pub(crate) host: String,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) authorization: Option<String>,
    pub(crate) user_agent: Option<String>,
    pub(crate) accept: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Vec<u8>,
}

impl Recorded {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

type Responder = dyn Fn(usize, &Recorded) -> HttpResponse + Send + Sync;

/// A scripted Jira: `responder(n, request)` answers the n-th request (0-based).
pub(crate) struct MockJira {
    base: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    handle: ServerHandle,
}

impl MockJira {
    pub(crate) async fn start(
        responder: impl Fn(usize, &Recorded) -> HttpResponse + Send + Sync + 'static,
    ) -> Self {
        Self::start_with_delay(Duration::ZERO, responder).await
    }

    /// Every response is held back by `delay` (to provoke client timeouts).
    pub(crate) async fn start_with_delay(
        delay: Duration,
        responder: impl Fn(usize, &Recorded) -> HttpResponse + Send + Sync + 'static,
    ) -> Self {
        let responder: Arc<Responder> = Arc::new(responder);
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server_requests = requests.clone();
        let server = HttpServer::new(move || {
            let requests = server_requests.clone();
            let responder = responder.clone();
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let requests = requests.clone();
                let responder = responder.clone();
                async move {
                    let header = |name: &str| {
                        req.headers()
                            .get(name)
                            .map(|v| v.to_str().unwrap().to_owned())
                    };
                    let recorded = Recorded {
                        method: req.method().to_string(),
                        host: header("host").unwrap_or_default(),
                        path: req.path().to_owned(),
                        query: req.query_string().to_owned(),
                        authorization: header("authorization"),
                        user_agent: header("user-agent"),
                        accept: header("accept"),
                        content_type: header("content-type"),
                        body: body.to_vec(),
                    };
                    let index = {
                        let mut all = requests.lock().unwrap();
                        all.push(recorded.clone());
                        all.len() - 1
                    };
                    if !delay.is_zero() {
                        actix_web::rt::time::sleep(delay).await;
                    }
                    responder(index, &recorded)
                }
            }))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self {
            base: format!("http://127.0.0.1:{port}"),
            requests,
            handle,
        }
    }

    pub(crate) fn site(&self) -> JiraSite {
        JiraSite::parse(&self.base).unwrap()
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub(crate) async fn stop(self) {
        self.handle.stop(false).await;
    }
}

fn creds() -> JiraCredentials {
    JiraCredentials {
        email: "ana@example.com".to_owned(),
        api_token: SecretString::new("ATATT-test-token"),
    }
}

fn policy(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
    }
}

fn client_with(max_retries: u32, request_timeout: Duration) -> JiraClient {
    JiraClient::new(
        JiraClientConfig {
            connect_timeout: Duration::from_secs(2),
            request_timeout,
            retry: policy(max_retries),
            ..JiraClientConfig::default()
        },
        Clock::system(),
    )
    .unwrap()
}

fn client(max_retries: u32) -> JiraClient {
    client_with(max_retries, Duration::from_secs(5))
}

pub(crate) fn myself_json() -> serde_json::Value {
    json!({
        "self": "https://example.atlassian.net/rest/api/3/user?accountId=5b10a2844c20165700ede21g",
        "accountId": "5b10a2844c20165700ede21g",
        "accountType": "atlassian",
        "active": true,
        "displayName": "Mia Krystof",
        "emailAddress": "mia@example.com",
        "locale": "en_US",
        "timeZone": "Australia/Sydney",
        "groups": {"items": [], "size": 3},
        "applicationRoles": {"items": [], "size": 1}
    })
}

pub(crate) fn ok_json(value: serde_json::Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("X-Seraph-LoginReason", "OK"))
        .json(value)
}

// ---- the happy path and what goes on the wire ----

#[actix_web::test]
async fn myself_sends_preemptive_basic_auth_and_reads_the_account() {
    let jira = MockJira::start(|_, _| ok_json(myself_json())).await;

    let account = client(0).myself(&jira.site(), &creds()).await.unwrap();

    assert_eq!(account.account_id, "5b10a2844c20165700ede21g");
    assert_eq!(account.display_name, "Mia Krystof");
    assert_eq!(account.email_address.as_deref(), Some("mia@example.com"));
    let requests = jira.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/rest/api/3/myself");
    let expected = format!(
        "Basic {}",
        STANDARD.encode("ana@example.com:ATATT-test-token")
    );
    assert_eq!(request.authorization.as_deref(), Some(expected.as_str()));
    assert_eq!(
        request.user_agent.as_deref(),
        Some(concat!("jira-bi-connector/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(request.accept.as_deref(), Some("application/json"));
    jira.stop().await;
}

#[actix_web::test]
async fn hidden_email_address_is_none_whether_absent_null_or_empty() {
    let jira = MockJira::start(|n, _| match n {
        0 => ok_json(json!({"accountId": "a1", "displayName": "A"})),
        1 => ok_json(json!({"accountId": "a1", "displayName": "A", "emailAddress": null})),
        _ => ok_json(json!({"accountId": "a1", "displayName": "A", "emailAddress": ""})),
    })
    .await;
    let client = client(0);
    for _ in 0..3 {
        let account = client.myself(&jira.site(), &creds()).await.unwrap();
        assert_eq!(account.email_address, None);
    }
    jira.stop().await;
}

#[actix_web::test]
async fn site_context_path_is_kept_in_front_of_the_api_path() {
    let jira = MockJira::start(|_, _| ok_json(myself_json())).await;
    let site = JiraSite::parse(&format!("{}/jira/", jira.base)).unwrap();

    client(0).myself(&site, &creds()).await.unwrap();

    assert_eq!(jira.requests()[0].path, "/jira/rest/api/3/myself");
    jira.stop().await;
}

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
    let client = client(4);
    let started = Instant::now();

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
    // Retry-After: 1 is capped by the policy's 20 ms max_delay.
    assert!(started.elapsed() < Duration::from_millis(900));
    jira.stop().await;
}

#[actix_web::test]
async fn persistent_503_gives_up_after_max_retries() {
    let jira = MockJira::start(|_, _| HttpResponse::ServiceUnavailable().finish()).await;
    let client = client(2);

    let err = client.myself(&jira.site(), &creds()).await.unwrap_err();

    assert_eq!(err, JiraError::Unexpected { status: 503 });
    assert_eq!(jira.requests().len(), 3);
    assert_eq!(client.stats().retries, 2);
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
    let client = client_with(1, Duration::from_millis(150));

    let err = client.myself(&jira.site(), &creds()).await.unwrap_err();

    assert_eq!(err, JiraError::Timeout);
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

// ---- the individual endpoints ----

#[actix_web::test]
async fn search_jql_sends_only_keys_the_bean_allows_and_reads_pages() {
    let jira = MockJira::start(|n, _| match n {
        0 => ok_json(json!({
            "issues": [{"expand": "", "id": "10002", "key": "ED-1",
                        "self": "https://x/rest/api/3/issue/10002",
                        "fields": {"summary": "First", "status": {"name": "Done"}}}],
            "nextPageToken": "CAEaAggD",
            "isLast": false
        })),
        _ => ok_json(json!({
            "issues": [{"id": "10003", "key": "ED-2", "fields": {"summary": "Second"}}],
            "nextPageToken": null,
            "isLast": true
        })),
    })
    .await;
    let client = client(0);
    let mut request = SearchRequest {
        jql: "project = ED ORDER BY key".to_owned(),
        next_page_token: None,
        max_results: 100,
        fields: vec!["summary".to_owned(), "status".to_owned()],
    };

    let first = client
        .search_jql(&jira.site(), &creds(), &request)
        .await
        .unwrap();
    request.next_page_token = first.next_page_token.clone();
    let second = client
        .search_jql(&jira.site(), &creds(), &request)
        .await
        .unwrap();

    assert_eq!(first.issues.len(), 1);
    assert_eq!(first.issues[0]["key"], "ED-1");
    assert_eq!(first.next_page_token.as_deref(), Some("CAEaAggD"));
    assert!(!first.is_last);
    assert_eq!(second.issues[0]["key"], "ED-2");
    assert_eq!(second.next_page_token, None);
    assert!(second.is_last);
    let requests = jira.requests();
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/rest/api/3/search/jql");
    assert_eq!(
        requests[0].content_type.as_deref(),
        Some("application/json")
    );
    assert_eq!(
        requests[0].json(),
        json!({"jql": "project = ED ORDER BY key", "maxResults": 100,
               "fields": ["summary", "status"]})
    );
    assert_eq!(
        requests[1].json(),
        json!({"jql": "project = ED ORDER BY key", "nextPageToken": "CAEaAggD",
               "maxResults": 100, "fields": ["summary", "status"]})
    );
    jira.stop().await;
}

#[actix_web::test]
async fn search_without_a_next_token_is_the_last_page_even_if_jira_says_otherwise() {
    let jira = MockJira::start(|_, _| {
        ok_json(json!({"issues": [], "isLast": false, "nextPageToken": ""}))
    })
    .await;
    let request = SearchRequest {
        jql: "project = ED".to_owned(),
        next_page_token: None,
        max_results: 10,
        fields: vec![],
    };

    let page = client(0)
        .search_jql(&jira.site(), &creds(), &request)
        .await
        .unwrap();

    assert!(page.is_last);
    assert_eq!(page.next_page_token, None);
    assert_eq!(
        jira.requests()[0].json(),
        json!({"jql": "project = ED", "maxResults": 10})
    );
    jira.stop().await;
}

#[actix_web::test]
async fn approximate_count_posts_the_jql() {
    let jira = MockJira::start(|_, _| ok_json(json!({"count": 4711}))).await;

    let count = client(0)
        .approximate_count(&jira.site(), &creds(), "project = EX")
        .await
        .unwrap();

    assert_eq!(count, 4711);
    let request = &jira.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/rest/api/3/search/approximate-count");
    jira.stop().await;
}

#[actix_web::test]
async fn bulk_fetch_sends_at_most_100_ids_per_call() {
    let jira = MockJira::start(|_, request| {
        let ids = request.json()["issueIdsOrKeys"].as_array().unwrap().clone();
        let issues: Vec<_> = ids
            .iter()
            .map(
                |id| json!({"id": id, "key": format!("EX-{}", id.as_str().unwrap()), "fields": {}}),
            )
            .collect();
        ok_json(json!({"expand": "", "issues": issues, "issueErrors": []}))
    })
    .await;
    let ids: Vec<String> = (1..=150).map(|n| n.to_string()).collect();
    let fields = vec!["summary".to_owned()];
    let client = client(0);

    let issues = client
        .bulk_fetch(&jira.site(), &creds(), &ids, &fields)
        .await
        .unwrap();
    let none = client
        .bulk_fetch(&jira.site(), &creds(), &[], &fields)
        .await
        .unwrap();

    assert_eq!(issues.len(), 150);
    assert_eq!(issues[149]["key"], "EX-150");
    assert!(none.is_empty());
    let requests = jira.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, "/rest/api/3/issue/bulkfetch");
    let sizes: Vec<usize> = requests
        .iter()
        .map(|r| r.json()["issueIdsOrKeys"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, vec![100, 50]);
    assert_eq!(requests[0].json()["fields"], json!(["summary"]));
    jira.stop().await;
}

/// A bulkfetch answer for the requested ids: those in `errors` listed under `issueErrors`, those
/// in `absent` neither returned nor listed (deleted or hidden), the rest returned.
fn bulk_answer(request: &Recorded, errors: &[&str], absent: &[&str]) -> HttpResponse {
    let requested: Vec<String> = request.json()["issueIdsOrKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    let issues: Vec<_> = requested
        .iter()
        .filter(|id| !errors.contains(&id.as_str()) && !absent.contains(&id.as_str()))
        .map(|id| json!({"id": id, "key": format!("EX-{id}"), "fields": {}}))
        .collect();
    let issue_errors: Vec<_> = requested
        .iter()
        .filter(|id| errors.contains(&id.as_str()))
        .map(|id| json!({"id": id, "errorMessage": "Retry later."}))
        .collect();
    ok_json(json!({"issues": issues, "issueErrors": issue_errors}))
}

fn requested_ids(request: &Recorded) -> Vec<String> {
    request.json()["issueIdsOrKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn issue_errors_are_requested_again_with_backoff_until_every_issue_is_returned() {
    let jira = MockJira::start(|n, request| match n {
        0 => bulk_answer(request, &["7", "9"], &["5"]),
        1 => bulk_answer(request, &["9"], &[]),
        _ => bulk_answer(request, &[], &[]),
    })
    .await;
    let ids: Vec<String> = (1..=10).map(|n| n.to_string()).collect();
    let pause = Pause::recording();
    let client = client(4).with_pause(pause.clone());

    let issues = client
        .bulk_fetch(&jira.site(), &creds(), &ids, &[])
        .await
        .unwrap();

    let mut got: Vec<&str> = issues.iter().map(|i| i["id"].as_str().unwrap()).collect();
    got.sort_by_key(|id| id.parse::<u32>().unwrap());
    // Issue 5 was neither returned nor listed: deleted or hidden, so it stays out.
    assert_eq!(got, ["1", "2", "3", "4", "6", "7", "8", "9", "10"]);
    let requests = jira.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requested_ids(&requests[1]), ["7", "9"]);
    assert_eq!(requested_ids(&requests[2]), ["9"]);
    // The policy's backoff (1 ms doubling), at the jitter midpoint the recorder uses.
    assert_eq!(
        pause.waits(),
        [Duration::from_millis(1), Duration::from_millis(2)]
    );
    assert_eq!(
        client.stats(),
        CallStats {
            requests: 3,
            retries: 2
        }
    );
    jira.stop().await;
}

#[actix_web::test]
async fn issues_jira_never_returns_fail_the_call_after_the_last_retry() {
    let jira = MockJira::start(|_, request| bulk_answer(request, &["3"], &[])).await;
    let ids: Vec<String> = (1..=4).map(|n| n.to_string()).collect();
    let pause = Pause::recording();
    let client = client(4).with_pause(pause.clone());

    let err = client
        .bulk_fetch(&jira.site(), &creds(), &ids, &[])
        .await
        .unwrap_err();

    assert_eq!(err, JiraError::IssuesUnavailable { count: 1 });
    assert_eq!(jira.requests().len(), 5);
    let millis = |ms: &[u64]| {
        ms.iter()
            .map(|&m| Duration::from_millis(m))
            .collect::<Vec<_>>()
    };
    assert_eq!(pause.waits(), millis(&[1, 2, 4, 8]));
    assert_eq!(client.stats().retries, 4);
    jira.stop().await;
}

#[actix_web::test]
async fn an_issue_error_without_an_id_is_an_invalid_response_not_a_short_answer() {
    let jira = MockJira::start(|_, _| {
        ok_json(json!({"issues": [{"id": "1", "key": "EX-1", "fields": {}}],
                       "issueErrors": [{"errorMessage": "Retry later."}]}))
    })
    .await;
    let ids = vec!["1".to_owned(), "2".to_owned()];

    let err = client(4)
        .bulk_fetch(&jira.site(), &creds(), &ids, &[])
        .await
        .unwrap_err();

    assert!(matches!(err, JiraError::InvalidResponse(_)), "{err:?}");
    assert_eq!(jira.requests().len(), 1);
    jira.stop().await;
}

#[actix_web::test]
async fn issue_errors_of_every_chunk_are_retried_within_that_chunk() {
    let jira = MockJira::start(|n, request| match n {
        0 => bulk_answer(request, &["100"], &[]),
        2 => bulk_answer(request, &["101", "150"], &[]),
        _ => bulk_answer(request, &[], &[]),
    })
    .await;
    let ids: Vec<String> = (1..=150).map(|n| n.to_string()).collect();
    let pause = Pause::recording();
    let client = client(4).with_pause(pause.clone());

    let issues = client
        .bulk_fetch(&jira.site(), &creds(), &ids, &[])
        .await
        .unwrap();

    assert_eq!(issues.len(), 150);
    let sizes: Vec<usize> = jira
        .requests()
        .iter()
        .map(|r| requested_ids(r).len())
        .collect();
    assert_eq!(sizes, [100, 1, 50, 2]);
    // Each chunk starts its backoff afresh.
    assert_eq!(
        pause.waits(),
        [Duration::from_millis(1), Duration::from_millis(1)]
    );
    jira.stop().await;
}

#[actix_web::test]
async fn fields_are_read_with_their_schema() {
    let jira = MockJira::start(|_, _| {
        ok_json(json!([
            {"id": "summary", "key": "summary", "name": "Summary", "custom": false,
             "orderable": true, "navigable": true, "searchable": true,
             "clauseNames": ["summary"], "schema": {"type": "string", "system": "summary"}},
            {"id": "customfield_10020", "key": "customfield_10020", "name": "Sprint",
             "custom": true, "clauseNames": ["cf[10020]", "Sprint"],
             "schema": {"type": "array", "items": "json",
                        "custom": "com.pyxis.greenhopper.jira:gh-sprint", "customId": 10020},
             "scope": {"type": "PROJECT"}},
            {"id": "issuekey", "name": "Key"}
        ]))
    })
    .await;

    let fields = client(0).fields(&jira.site(), &creds()).await.unwrap();

    assert_eq!(fields.len(), 3);
    assert_eq!(
        fields[0].schema.as_ref().unwrap().system.as_deref(),
        Some("summary")
    );
    let sprint = &fields[1];
    assert!(sprint.custom);
    assert_eq!(
        sprint.schema,
        Some(FieldSchema {
            field_type: "array".to_owned(),
            items: Some("json".to_owned()),
            custom: Some("com.pyxis.greenhopper.jira:gh-sprint".to_owned()),
            system: None,
            custom_id: Some(10020),
        })
    );
    assert!(!fields[2].custom);
    assert_eq!(fields[2].schema, None);
    assert_eq!(jira.requests()[0].path, "/rest/api/3/field");
    jira.stop().await;
}

#[actix_web::test]
async fn projects_follow_start_at_until_is_last() {
    let jira = MockJira::start(|n, _| match n {
        0 => ok_json(json!({
            "self": "x", "nextPage": "x?startAt=2", "maxResults": 2, "startAt": 0,
            "total": 3, "isLast": false,
            "values": [{"id": "10000", "key": "AA", "name": "Alpha", "projectTypeKey": "software"},
                       {"id": "10001", "key": "BB", "name": "Beta"}]
        })),
        _ => ok_json(json!({
            "maxResults": 2, "startAt": 2, "total": 3, "isLast": true,
            "values": [{"id": "10002", "key": "CC", "name": "Gamma"}]
        })),
    })
    .await;

    let projects = client(0).projects(&jira.site(), &creds()).await.unwrap();

    let keys: Vec<&str> = projects.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, vec!["AA", "BB", "CC"]);
    assert_eq!(projects[0].name, "Alpha");
    let requests = jira.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].path, "/rest/api/3/project/search");
    assert!(requests[0].query.contains("startAt=0"));
    assert!(requests[0].query.contains("maxResults=100"));
    assert!(requests[1].query.contains("startAt=2"));
    jira.stop().await;
}

#[actix_web::test]
async fn no_visible_projects_is_an_empty_list() {
    let jira = MockJira::start(|_, _| {
        HttpResponse::NotFound().json(json!({"errorMessages": ["No projects found"], "errors": {}}))
    })
    .await;

    let projects = client(0).projects(&jira.site(), &creds()).await.unwrap();

    assert!(projects.is_empty());
    jira.stop().await;
}

#[actix_web::test]
async fn fresh_stats_count_separately_but_share_the_client() {
    let jira = MockJira::start(|_, _| ok_json(myself_json())).await;
    let shared = client(0);
    let export = shared.with_fresh_stats();

    shared.myself(&jira.site(), &creds()).await.unwrap();
    export.myself(&jira.site(), &creds()).await.unwrap();
    export.myself(&jira.site(), &creds()).await.unwrap();

    assert_eq!(shared.stats().requests, 1);
    assert_eq!(export.stats().requests, 2);
    jira.stop().await;
}

// ---- pure parts ----

#[test]
fn site_accepts_https_and_loopback_http_only() {
    assert!(JiraSite::parse("https://example.atlassian.net").is_ok());
    assert!(JiraSite::parse("http://127.0.0.1:8090").is_ok());
    assert!(JiraSite::parse("http://localhost:8090").is_ok());
    assert!(JiraSite::parse("http://[::1]:8090").is_ok());
    assert_eq!(
        JiraSite::parse("http://example.atlassian.net"),
        Err("the Jira base URL must use https")
    );
    assert_eq!(
        JiraSite::parse("ftp://example.atlassian.net"),
        Err("the Jira base URL must use https")
    );
    assert!(JiraSite::parse("https://user:pw@example.atlassian.net").is_err());
    assert!(JiraSite::parse("https://example.atlassian.net/?x=1").is_err());
    assert!(JiraSite::parse("https://example.atlassian.net/#x").is_err());
    assert!(JiraSite::parse("not a url").is_err());
}

#[test]
fn site_endpoints_are_fixed_paths_on_the_site() {
    let site = JiraSite::parse("https://example.atlassian.net/").unwrap();
    assert_eq!(
        site.endpoint(PATH_MYSELF).as_str(),
        "https://example.atlassian.net/rest/api/3/myself"
    );
    let with_path = JiraSite::parse("https://example.com/jira").unwrap();
    assert_eq!(
        with_path.endpoint(PATH_SEARCH_JQL).as_str(),
        "https://example.com/jira/rest/api/3/search/jql"
    );
}

#[test]
fn credentials_debug_hides_email_and_token() {
    let debug = format!("{:?}", creds());
    assert!(!debug.contains("ana@example.com"));
    assert!(!debug.contains("ATATT"));
    let account = JiraAccount {
        account_id: "a1".to_owned(),
        display_name: "Ana".to_owned(),
        email_address: Some("ana@example.com".to_owned()),
    };
    assert!(!format!("{account:?}").contains("ana@example.com"));
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

#[test]
fn error_messages_tolerate_non_json_bodies() {
    assert!(error_messages(b"<html>Oops, you've found a dead link</html>").is_empty());
    assert!(error_messages(b"").is_empty());
    assert_eq!(
        error_messages(br#"{"errorMessages":["a",""],"errors":{"jql":"b"},"status":400}"#),
        vec!["a".to_owned(), "b".to_owned()]
    );
}

#[test]
fn every_error_has_a_user_message() {
    let all = [
        JiraError::Unauthorized,
        JiraError::CaptchaChallenge { login_url: None },
        JiraError::Forbidden,
        JiraError::NotFound,
        JiraError::BadRequest { messages: vec![] },
        JiraError::RateLimited,
        JiraError::Timeout,
        JiraError::Unreachable,
        JiraError::Unexpected { status: 302 },
        JiraError::Unexpected { status: 503 },
        JiraError::Unexpected { status: 418 },
        JiraError::InvalidResponse("GET /x: not valid JSON at line 1 column 1".to_owned()),
        JiraError::ResponseTooLarge {
            limit_bytes: 32 * 1024 * 1024,
        },
        JiraError::IssuesUnavailable { count: 3 },
    ];
    let messages: std::collections::HashSet<String> =
        all.iter().map(JiraError::user_message).collect();
    assert_eq!(messages.len(), all.len());
    assert!(
        messages
            .iter()
            .all(|m| !m.is_empty() && !m.contains("GET /x"))
    );
}
