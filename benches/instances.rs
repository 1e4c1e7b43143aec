//! Instances benchmark: JWT page loads, token-authenticated feed requests and a data source's
//! description (as its owner, as a reader it is shared with by name or through a Jira group) per
//! second, with p50/p99 latency, for one instance on SQLite, one on PostgreSQL, and two on one
//! PostgreSQL (requests alternating between them, as a load balancer without sticky sessions
//! spreads them).
//! Not run by the tests; see BENCHMARKS.md for the command and figures.
//!
//! The app runs as real processes (the `jira-bi-connector` binary cargo builds for this bench),
//! set up through the product's own flows: install, page load, access token. PostgreSQL is the
//! throwaway server `tests/with-postgres` starts (`TEST_POSTGRES_URL`); without it only the
//! SQLite row is measured. Every request loop is bounded by `BENCH_REQUESTS` and stops by itself.
//!
//! Environment: `BENCH_REQUESTS` (2000 per workload and setup), `BENCH_CONCURRENCY` (16).
#![allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel::{Connection, RunQueryDsl};
use jira_bi_connector::settings::PostgresUrl;
use jira_emulator::{DatasetConfig, Emulator, EmulatorConfig};

const APP_BIN: &str = env!("CARGO_BIN_EXE_jira-bi-connector");

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// The 1-minute load average: the machine is shared, so say how busy it was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn main() {
    let requests = env_number("BENCH_REQUESTS", 2000);
    let concurrency = env_number("BENCH_CONCURRENCY", 16).max(1);
    let postgres = std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|raw| !raw.trim().is_empty())
        .map(|raw| PostgresUrl::parse(raw.trim()).expect("TEST_POSTGRES_URL is a postgres URL"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "{requests} requests per cell, {concurrency} concurrent; {} cores; app binary {APP_BIN}; load average before {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        load_average()
    );
    if postgres.is_none() {
        println!(
            "TEST_POSTGRES_URL is not set: PostgreSQL rows skipped (run under tests/with-postgres)"
        );
    }
    println!();
    println!("| setup | workload | requests/s | p50 ms | p99 ms | load average after |");
    println!("|---|---|---:|---:|---:|---:|");
    let mut setups = vec![("SQLite, 1 instance", None, 1)];
    if let Some(server) = &postgres {
        setups.push(("PostgreSQL, 1 instance", Some(server.clone()), 1));
        setups.push(("PostgreSQL, 2 instances", Some(server.clone()), 2));
    }
    for (name, server, count) in setups {
        runtime.block_on(run_setup(name, server, count, requests, concurrency));
    }
}

async fn run_setup(
    name: &str,
    server: Option<PostgresUrl>,
    count: usize,
    requests: usize,
    concurrency: usize,
) {
    let emulator = Emulator::start(EmulatorConfig {
        site_ports: vec![0],
        dataset: DatasetConfig {
            issues: 10,
            seed: 42,
        },
        workers: 2,
        ..EmulatorConfig::default()
    })
    .await
    .expect("the emulator starts");
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut env: Vec<(String, String)> = Vec::new();
    if let Some(server) = &server {
        let key = dir.path().join("master.key");
        let out = Command::new(APP_BIN)
            .arg("generate-key")
            .arg(&key)
            .output()
            .expect("generate-key");
        assert!(out.status.success(), "{out:?}");
        env.push((
            "DATABASE_URL".into(),
            fresh_database(server).expose().into(),
        ));
        env.push(("MASTER_KEY_FILE".into(), key.display().to_string()));
    }
    let mut instances: Vec<App> = Vec::new();
    for index in 0..count {
        let public = instances.first().map(|a| a.own_url.clone());
        let app = App::start(
            &dir.path().join(format!("data-{index}")),
            &emulator,
            public.as_deref(),
            &env,
        );
        app.wait_ready().await;
        instances.push(app);
    }
    let public = instances[0].own_url.clone();
    emulator.set_app_url(&public);
    emulator.install(0).await.expect("install");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("a client");
    let user = emulator.sites()[0].users[0].clone();
    let session = sign_in(&http, &emulator.page_url(0, 0).expect("a page URL")).await;
    let token = access_token(&http, &public, &session).await;
    let targets: Vec<String> = instances.iter().map(|a| a.own_url.clone()).collect();

    // Page loads: each request a fresh JWT signed by the emulator (made before timing).
    let pages: Vec<String> = (0..requests)
        .map(|i| {
            let url = emulator.page_url(0, 0).expect("a page URL");
            url.replacen(&public, &targets[i % targets.len()], 1)
        })
        .collect();
    let pages = Arc::new(pages);
    let page_result = drive(&http, requests, concurrency, {
        let pages = Arc::clone(&pages);
        move |http, i| {
            let url = pages[i].clone();
            async move { http.get(url).send().await.map(|r| r.status().as_u16()) }
        }
    })
    .await;
    page_result.print(name, "JWT page load (303)", 303);

    let feed_result = drive(&http, requests, concurrency, {
        let targets = targets.clone();
        let email = user.email.clone();
        let token = token.clone();
        move |http, i| {
            let url = format!("{}/feed/whoami", targets[i % targets.len()]);
            let email = email.clone();
            let token = token.clone();
            async move {
                http.get(url)
                    .basic_auth(email, Some(token))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            }
        }
    })
    .await;
    feed_result.print(name, "access-token /feed/whoami (200)", 200);

    // A shared data source: what resolving it costs its owner, a reader it is shared with by
    // name (database only) and one it reaches through a Jira group (plus Jira's answer to
    // `user/groups`, asked as the app on every request).
    let site = emulator.sites()[0].clone();
    let (alice, bob) = (&site.users[0], &site.users[1]);
    let bob_session = sign_in(&http, &emulator.page_url(0, 1).expect("a page URL")).await;
    save_jira_token(&http, &public, &session, &alice.email, &alice.api_token).await;
    save_jira_token(&http, &public, &bob_session, &bob.email, &bob.api_token).await;
    let bob_token = access_token(&http, &public, &bob_session).await;
    let id = data_source(&http, &public, &session).await;
    let sharing = format!("/app/datasources/{id}/sharing");
    let by_name = [("kind", "user"), ("id", bob.account_id.as_str())];
    post_form(
        &http,
        &public,
        &format!("{sharing}/add"),
        &session,
        &by_name,
    )
    .await;
    let readers = [
        ("owner", &alice.email, &token),
        ("shared by name", &bob.email, &bob_token),
    ];
    for (who, email, token) in readers {
        describe(&http, &targets, id, email, token, requests, concurrency)
            .await
            .print(
                name,
                &format!("`/api/datasources/{{id}}`, {who} (200)"),
                200,
            );
    }
    post_form(
        &http,
        &public,
        &format!("{sharing}/remove"),
        &session,
        &by_name,
    )
    .await;
    let (group_id, _) = emulator
        .groups(0)
        .expect("groups")
        .into_iter()
        .find(|(_, name)| name == "data-team")
        .expect("data-team");
    let by_group = [
        ("kind", "group"),
        ("id", group_id.as_str()),
        ("name", "data-team"),
    ];
    post_form(
        &http,
        &public,
        &format!("{sharing}/add"),
        &session,
        &by_group,
    )
    .await;
    describe(
        &http,
        &targets,
        id,
        &bob.email,
        &bob_token,
        requests,
        concurrency,
    )
    .await
    .print(
        name,
        "`/api/datasources/{id}`, shared through a group (200)",
        200,
    );
    drop(instances);
    emulator.stop().await;
}

/// `GET /api/datasources/{id}` with Basic auth, alternating instances.
async fn describe(
    http: &reqwest::Client,
    targets: &[String],
    id: i64,
    email: &str,
    token: &str,
    requests: usize,
    concurrency: usize,
) -> Result {
    let (targets, email, token) = (targets.to_vec(), email.to_owned(), token.to_owned());
    drive(http, requests, concurrency, move |http, i| {
        let url = format!("{}/api/datasources/{id}", targets[i % targets.len()]);
        let (email, token) = (email.clone(), token.clone());
        async move {
            http.get(url)
                .basic_auth(email, Some(token))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    })
    .await
}

struct Result {
    seconds: f64,
    latencies_ms: Vec<f64>,
    statuses: Vec<u16>,
}

impl Result {
    fn print(mut self, setup: &str, workload: &str, expected: u16) {
        let wrong = self.statuses.iter().filter(|s| **s != expected).count();
        assert_eq!(
            wrong,
            0,
            "{setup} / {workload}: {wrong} answers were not {expected} (e.g. {:?})",
            self.statuses.iter().find(|s| **s != expected)
        );
        self.latencies_ms.sort_by(f64::total_cmp);
        let at = |q: f64| {
            let index = ((self.latencies_ms.len() as f64 - 1.0) * q).round() as usize;
            self.latencies_ms[index]
        };
        println!(
            "| {setup} | {workload} | {:.0} | {:.1} | {:.1} | {} |",
            self.latencies_ms.len() as f64 / self.seconds,
            at(0.50),
            at(0.99),
            load_average()
        );
    }
}

/// Sends `requests` requests from `concurrency` tasks (request `i` made by `make(http, i)`),
/// timing each; the loop ends when every index is taken.
async fn drive<F, Fut>(
    http: &reqwest::Client,
    requests: usize,
    concurrency: usize,
    make: F,
) -> Result
where
    F: Fn(reqwest::Client, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = reqwest::Result<u16>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let next = Arc::clone(&next);
        let make = Arc::clone(&make);
        let http = http.clone();
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    return seen;
                }
                let sent = Instant::now();
                let status = make(http.clone(), i).await.unwrap_or(0);
                seen.push((sent.elapsed().as_secs_f64() * 1000.0, status));
            }
        }));
    }
    let mut latencies_ms = Vec::with_capacity(requests);
    let mut statuses = Vec::with_capacity(requests);
    for task in tasks {
        for (ms, status) in task.await.expect("a request task") {
            latencies_ms.push(ms);
            statuses.push(status);
        }
    }
    Result {
        seconds: started.elapsed().as_secs_f64(),
        latencies_ms,
        statuses,
    }
}

/// A new database on the throwaway server, for one setup.
fn fresh_database(server: &PostgresUrl) -> PostgresUrl {
    static MADE: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "bi_bench_{}_{}",
        std::process::id(),
        MADE.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = diesel::pg::PgConnection::establish(server.expose()).expect("the server");
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .expect("a database");
    server.with_database(&name)
}

struct App {
    child: Child,
    own_url: String,
}

impl App {
    /// The binary on a free port; `public` is the shared BASE_URL (`None`: its own address).
    fn start(
        data_dir: &Path,
        emulator: &Emulator,
        public: Option<&str>,
        env: &[(String, String)],
    ) -> App {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let own_url = format!("http://127.0.0.1:{port}");
        let child = Command::new(APP_BIN)
            .env_clear()
            .env("BASE_URL", public.unwrap_or(&own_url))
            .env("BIND_ADDRESS", format!("127.0.0.1:{port}"))
            .env("DATA_DIR", data_dir)
            .env("INSTALL_KEYS_URL", emulator.install_keys_url())
            .env("ALLOWED_JIRA_HOSTS", &emulator.sites()[0].base_url)
            .env("RUST_LOG", "warn")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the app starts");
        App { child, own_url }
    }

    /// Polls `/healthz`, bounded so an app that never starts ends the run.
    async fn wait_ready(&self) {
        for _ in 0..400 {
            if reqwest::get(format!("{}/healthz", self.own_url))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the app did not start");
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn sign_in(http: &reqwest::Client, page_url: &str) -> String {
    let response = http.get(page_url).send().await.expect("page load");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a redirect")
        .to_owned();
    url::form_urlencoded::parse(location.split_once('?').map_or("", |(_, q)| q).as_bytes())
        .find(|(k, _)| k == "session")
        .map(|(_, v)| v.into_owned())
        .expect("a session")
}

async fn access_token(http: &reqwest::Client, base: &str, session: &str) -> String {
    let html = http
        .get(format!("{base}/app/tokens/access?session={session}"))
        .send()
        .await
        .expect("the tab")
        .text()
        .await
        .expect("html");
    let form_id = form_id(&html);
    let html = http
        .post(format!("{base}/app/tokens/access?session={session}"))
        .form(&[
            ("form_id", form_id.as_str()),
            ("label", "bench"),
            ("expires_on", ""),
        ])
        .send()
        .await
        .expect("created")
        .text()
        .await
        .expect("html");
    html.match_indices("jbc_")
        .find_map(|(start, _)| {
            let candidate = html.get(start..start + 65)?;
            candidate[4..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
                .then(|| candidate.to_owned())
        })
        .expect("the token is shown")
}

/// Posts a form of the app's pages and checks it was taken (200 or a 303 redirect).
async fn post_form(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    session: &str,
    form: &[(&str, &str)],
) -> String {
    let response = http
        .post(format!("{base}{path}?session={session}"))
        .form(form)
        .send()
        .await
        .expect("a form post");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(status == 200 || status == 303, "{path}: {status}");
    location
}

async fn save_jira_token(
    http: &reqwest::Client,
    base: &str,
    session: &str,
    email: &str,
    api_token: &str,
) {
    let form = [("email", email), ("api_token", api_token)];
    post_form(http, base, "/app/tokens/jira", session, &form).await;
}

/// A data source over every project but DATA (so Alice and Bob may both run its query); its id.
async fn data_source(http: &reqwest::Client, base: &str, session: &str) -> i64 {
    let html = http
        .get(format!("{base}/app/datasources/new?session={session}"))
        .send()
        .await
        .expect("the form")
        .text()
        .await
        .expect("html");
    let form_id = form_id(&html);
    let form = [
        ("form_id", form_id.as_str()),
        ("name", "Shared"),
        ("issue_mode", "jql"),
        ("jql", "project != DATA"),
        ("fields", "summary"),
    ];
    let location = post_form(http, base, "/app/datasources", session, &form).await;
    location
        .split('?')
        .next()
        .and_then(|path| path.rsplit('/').next())
        .and_then(|id| id.parse().ok())
        .expect("the new data source's id")
}

/// The one-time id of the page's form.
fn form_id(html: &str) -> String {
    let marker = r#"name="form_id" value=""#;
    let start = html.find(marker).expect("a form id") + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}
