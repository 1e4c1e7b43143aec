//! Several instances on one PostgreSQL database: two app processes (A and B) share the database
//! and `MASTER_KEY_FILE` and one public `BASE_URL` (A's address, standing in for a load
//! balancer), and requests of one user land on either. Skipped, with the reason printed, when the
//! run has no PostgreSQL server (`tests/run` starts one and sets `TEST_POSTGRES_URL`).

use std::process::Command;

use diesel::RunQueryDsl;
use diesel::connection::Connection;
use jira_bi_connector::settings::PostgresUrl;
use jira_emulator::Emulator;
use reqwest::redirect::Policy;
use serde_json::Value;

use crate::support::app_process::AppProcess;
use crate::support::feed::{create_data_source, feed_emulator, input_value, signed_in};
use crate::support::{Session, TestApp};

const TAB: &str = "/app/tokens/access";
const JQL: &str = "project in (ALPHA, BETA, OPS, DATA)";

/// The test server, or `None` with the reason printed (a failure under `TEST_POSTGRES_REQUIRED`).
pub(crate) fn postgres_server() -> Option<PostgresUrl> {
    match std::env::var("TEST_POSTGRES_URL") {
        Ok(raw) if !raw.trim().is_empty() => Some(PostgresUrl::parse(raw.trim()).expect("a URL")),
        _ => {
            assert!(
                std::env::var("TEST_POSTGRES_REQUIRED").as_deref() != Ok("1"),
                "TEST_POSTGRES_REQUIRED=1 but TEST_POSTGRES_URL is not set"
            );
            eprintln!(
                "skipped: no PostgreSQL server (TEST_POSTGRES_URL is not set; tests/run sets it)"
            );
            None
        }
    }
}

/// A fresh database on the test server for one test.
pub(crate) fn fresh_database(server: &PostgresUrl) -> PostgresUrl {
    let name = format!("bi_it_{}", std::process::id()) + &format!("_{:x}", rand_suffix());
    let mut admin = diesel::pg::PgConnection::establish(server.expose()).expect("the server");
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .expect("a database");
    server.with_database(&name)
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::thread::current().id())
}

/// Two instances on one database, installed (through A) in every site.
struct Instances {
    /// Drives A with the usual helpers; `address` is the shared BASE_URL (A).
    app: TestApp,
    a: AppProcess,
    b: AppProcess,
}

async fn two_instances(issues: usize) -> Option<Instances> {
    let server = postgres_server()?;
    let database = fresh_database(&server);
    let emulator = Emulator::start(feed_emulator(issues))
        .await
        .expect("the emulator starts");
    let dir = tempfile::tempdir().expect("a temp dir");
    let key = dir.path().join("master.key");
    let generated = Command::new(env!("CARGO_BIN_EXE_jira-bi-connector"))
        .arg("generate-key")
        .arg(&key)
        .output()
        .expect("generate-key runs");
    assert!(generated.status.success(), "{generated:?}");
    let env = [
        ("DATABASE_URL", database.expose()),
        ("MASTER_KEY_FILE", key.to_str().expect("a UTF-8 path")),
    ];
    // A's port is the public address; B shares it as its BASE_URL.
    let a = AppProcess::start_with(
        &dir.path().join("a"),
        dir.path(),
        "a.log",
        &emulator,
        None,
        &env,
    )
    .await;
    let b = AppProcess::start_with(
        &dir.path().join("b"),
        dir.path(),
        "b.log",
        &emulator,
        Some(&a.base_url),
        &env,
    )
    .await;
    for site in 0..emulator.sites().len() {
        emulator.install(site).await.expect("installed through A");
    }
    let app = TestApp {
        address: a.base_url.clone(),
        db_path: dir.path().join("unused.sqlite3"),
        data_dir: dir,
        emulator,
        client: reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("a client"),
    };
    Some(Instances { app, a, b })
}

impl Instances {
    /// `url` (on the shared address) sent to `instance` instead, as a load balancer might.
    fn on(&self, instance: &AppProcess, url: &str) -> String {
        url.replacen(&self.app.address, &instance.base_url, 1)
    }

    /// Opens the app from Jira on `instance`: the signed page load lands there.
    async fn sign_in_on(&self, instance: &AppProcess, site: usize, user: usize) -> Session {
        let page = self.app.emulator.page_url(site, user).expect("a page URL");
        let response = self
            .app
            .client
            .get(self.on(instance, &page))
            .send()
            .await
            .expect("the page loads");
        assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let token = location
            .split(['?', '&'])
            .find_map(|pair| pair.strip_prefix("session="))
            .expect("a session token")
            .to_owned();
        Session { token }
    }

    fn page(&self, instance: &AppProcess, path: &str, session: &Session) -> String {
        let separator = if path.contains('?') { '&' } else { '?' };
        format!(
            "{}{path}{separator}session={}",
            instance.base_url, session.token
        )
    }

    async fn create_token(
        &self,
        instance: &AppProcess,
        session: &Session,
        label: &str,
    ) -> reqwest::Response {
        let html = self
            .app
            .client
            .get(self.page(instance, TAB, session))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let form_id = input_value(&html, "form_id");
        self.app
            .client
            .post(self.page(instance, TAB, session))
            .form(&[("form_id", form_id.as_str()), ("label", label)])
            .send()
            .await
            .unwrap()
    }

    async fn whoami(&self, instance: &AppProcess, email: &str, token: &str) -> u16 {
        self.app
            .client
            .get(instance.url("/feed/whoami"))
            .basic_auth(email, Some(token))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

fn shown_token(html: &str) -> String {
    html.match_indices("jbc_")
        .find_map(|(start, _)| {
            let candidate = html.get(start..start + 65)?;
            candidate[4..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
                .then(|| candidate.to_owned())
        })
        .expect("the new token is shown")
}

#[tokio::test]
async fn installed_through_a_a_user_works_through_b_and_a_token_revoked_on_b_fails_on_a() {
    let Some(pair) = two_instances(5).await else {
        return;
    };
    let email = pair.app.emulator.sites()[0].users[0].email.clone();

    // Page load on B for a site installed through A; the session works on A.
    let session = pair.sign_in_on(&pair.b, 0, 0).await;
    let on_a = pair
        .app
        .client
        .get(pair.page(&pair.a, TAB, &session))
        .send()
        .await
        .unwrap();
    assert_eq!(on_a.status(), 200, "B's session is accepted by A");

    // A token created on A works on B.
    let created = pair.create_token(&pair.a, &session, "Power BI").await;
    assert_eq!(created.status(), 201);
    let token = shown_token(&created.text().await.unwrap());
    assert_eq!(pair.whoami(&pair.b, &email, &token).await, 200);
    assert_eq!(pair.whoami(&pair.a, &email, &token).await, 200);

    // Revoked on B, rejected on A at the very next request.
    let list = pair
        .app
        .client
        .get(pair.page(&pair.b, TAB, &session))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let id: i64 = list
        .split("/app/tokens/access/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|id| id.parse().ok())
        .expect("the token's revoke link");
    let revoked = pair
        .app
        .client
        .post(pair.page(&pair.b, &format!("{TAB}/{id}/revoke"), &session))
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success() || revoked.status().is_redirection());
    assert_eq!(pair.whoami(&pair.a, &email, &token).await, 401);
    assert_eq!(pair.whoami(&pair.b, &email, &token).await, 401);
}

#[tokio::test]
async fn fifty_concurrent_creates_split_across_two_instances_give_exactly_25_tokens() {
    let Some(pair) = two_instances(5).await else {
        return;
    };
    let session = pair.sign_in_on(&pair.a, 0, 0).await;
    let html = pair
        .app
        .client
        .get(pair.page(&pair.a, TAB, &session))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    drop(html);
    let mut forms = Vec::new();
    for n in 0..50 {
        let instance = if n % 2 == 0 { &pair.a } else { &pair.b };
        let html = pair
            .app
            .client
            .get(pair.page(instance, TAB, &session))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        forms.push((
            instance,
            input_value(&html, "form_id"),
            format!("parallel {n}"),
        ));
    }

    let statuses =
        futures_util::future::join_all(forms.iter().map(|(instance, form_id, label)| {
            let request = pair
                .app
                .client
                .post(pair.page(instance, TAB, &session))
                .form(&[("form_id", form_id.as_str()), ("label", label.as_str())]);
            async move { request.send().await.unwrap().status().as_u16() }
        }))
        .await;

    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        25,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        25,
        "{statuses:?}"
    );
    let list = pair
        .app
        .client
        .get(pair.page(&pair.b, TAB, &session))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("25 of 25 tokens."), "B sees all 25");
}

#[tokio::test]
async fn an_odata_next_link_issued_by_a_is_followed_on_b_and_every_row_comes_once() {
    let Some(pair) = two_instances(120).await else {
        return;
    };
    let session = signed_in(&pair.app, 0, 0).await;
    let created = pair.create_token(&pair.a, &session, "Power BI").await;
    assert_eq!(created.status(), 201);
    let token = shown_token(&created.text().await.unwrap());
    let email = pair.app.emulator.sites()[0].users[0].email.clone();
    let id = create_data_source(&pair.app, &session, "All", JQL, &["summary"]).await;

    let mut keys = Vec::new();
    let mut next = Some(pair.app.url(&format!("/feed/{id}/odata/Issues")));
    let mut pages = 0;
    while let Some(url) = next {
        // Alternate: even pages on A, odd pages on B.
        let instance = if pages % 2 == 0 { &pair.a } else { &pair.b };
        let response = pair
            .app
            .client
            .get(pair.on(instance, &url))
            .basic_auth(&email, Some(&token))
            .header("Prefer", "odata.maxpagesize=25")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let body: Value = response.json().await.unwrap();
        keys.extend(
            body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| row["Key"].as_str().unwrap().to_owned()),
        );
        next = body["@odata.nextLink"].as_str().map(str::to_owned);
        pages += 1;
        assert!(pages < 100);
    }

    assert!(pages >= 3, "several pages: {pages}");
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "no row twice");
    let expected = pair.app.emulator.dataset(0).unwrap();
    let viewer = jira_emulator::Viewer::from(&pair.app.emulator.sites()[0].users[0]);
    let truth = expected.search(JQL, &viewer, 0).unwrap();
    assert_eq!(keys.len(), truth.len(), "every row once");
}

#[test]
fn an_unreachable_database_is_one_line_naming_database_url_with_the_password_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("master.key");
    jira_bi_connector::crypto::MasterKey::create(&key).unwrap();
    // Port 1 on loopback: nothing listens there.
    let output = Command::new(env!("CARGO_BIN_EXE_jira-bi-connector"))
        .env_clear()
        .env("DATA_DIR", dir.path())
        .env("BIND_ADDRESS", "127.0.0.1:0")
        .env("DATABASE_URL", "postgres://bi:hunter2@127.0.0.1:1/bi")
        .env("DATABASE_CONNECT_TIMEOUT_SECONDS", "2")
        .env("MASTER_KEY_FILE", &key)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("DATABASE_URL=postgres://bi:***@127.0.0.1:1/bi"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

/// A TCP proxy to the test server's unix socket that the test can cut and restore, standing in
/// for a database that goes away (restart, network cut) and comes back.
struct DatabaseLink {
    port: u16,
    socket: std::path::PathBuf,
    tasks: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl DatabaseLink {
    async fn open(server: &PostgresUrl) -> Self {
        let url = url::Url::parse(server.expose()).unwrap();
        let host = url
            .query_pairs()
            .find(|(k, _)| k == "host")
            .map(|(_, v)| v.into_owned())
            .expect("tests/run gives the socket directory as ?host=");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let link = Self {
            port,
            socket: std::path::Path::new(&host).join(".s.PGSQL.5432"),
            tasks: std::sync::Arc::default(),
        };
        link.restore().await;
        link
    }

    async fn restore(&self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .unwrap();
        let socket = self.socket.clone();
        let tasks = self.tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut tcp, _)) = listener.accept().await {
                let socket = socket.clone();
                let conn = tokio::spawn(async move {
                    if let Ok(mut unix) = tokio::net::UnixStream::connect(&socket).await {
                        let _ = tokio::io::copy_bidirectional(&mut tcp, &mut unix).await;
                    }
                });
                tasks.lock().unwrap().push(conn);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    /// Closes every connection and refuses new ones.
    fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn url(&self, database: &PostgresUrl) -> String {
        let name = url::Url::parse(database.expose())
            .unwrap()
            .path()
            .to_owned();
        format!("postgres://bi@127.0.0.1:{}{name}", self.port)
    }
}

#[tokio::test]
async fn a_lost_database_gives_503_with_retry_after_and_the_instance_recovers() {
    let Some(server) = postgres_server() else {
        return;
    };
    let database = fresh_database(&server);
    let link = DatabaseLink::open(&server).await;
    let emulator = Emulator::start(feed_emulator(1)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("master.key");
    jira_bi_connector::crypto::MasterKey::create(&key).unwrap();
    let url = link.url(&database);
    let app = AppProcess::start_with(
        &dir.path().join("data"),
        dir.path(),
        "app.log",
        &emulator,
        None,
        &[
            ("DATABASE_URL", url.as_str()),
            ("MASTER_KEY_FILE", key.to_str().unwrap()),
            ("DATABASE_CONNECT_TIMEOUT_SECONDS", "1"),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    // Well formed but unknown: only the database can tell (401 when it answers).
    let unknown = jira_bi_connector::tokens::domain::NewAccessToken::generate().unwrap();
    let unknown = unknown.plaintext().expose().to_owned();
    let whoami = || {
        client
            .get(app.url("/feed/whoami"))
            .basic_auth("alice@example.com", Some(&unknown))
            .send()
    };
    assert_eq!(whoami().await.unwrap().status(), 401, "database up");

    link.cut();
    let down = whoami().await.unwrap();
    assert_eq!(down.status(), 503, "{}", app.log());
    assert!(down.headers().contains_key("retry-after"));
    let health = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 503);

    link.restore().await;
    let mut status = 0;
    // Bounded only so a service that never recovers fails instead of hanging.
    for _ in 0..100 {
        status = whoami().await.unwrap().status().as_u16();
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 401, "recovered; log:\n{}", app.log());
    assert!(!app.log().contains("panicked"), "{}", app.log());
}
