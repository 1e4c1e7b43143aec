//! Test support for the client: a scripted Jira on loopback (a tiny actix-web server per test)
//! that records every request, and clients with millisecond retry delays so tests stay fast.
//! The product's other Jira tests (`api_token`) use it too.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::json;

use super::{JiraClient, JiraClientConfig, JiraCredentials, JiraSite, RetryPolicy};
use crate::clock::Clock;
use crate::crypto::SecretString;

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
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

type Responder = dyn Fn(usize, &Recorded) -> HttpResponse + Send + Sync;

/// A scripted Jira: `responder(n, request)` answers the n-th request (0-based).
pub(crate) struct MockJira {
    pub(crate) base: String,
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

pub(crate) fn creds() -> JiraCredentials {
    JiraCredentials {
        email: "ana@example.com".to_owned(),
        api_token: SecretString::new("ATATT-test-token"),
    }
}

pub(crate) fn policy(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
    }
}

pub(crate) fn client_with(max_retries: u32, request_timeout: Duration) -> JiraClient {
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

pub(crate) fn client(max_retries: u32) -> JiraClient {
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
