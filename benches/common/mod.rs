//! What the benchmarks share: the app as its own process, the setup through the product's own
//! flows (install, page load, Jira API token, access token, data source), reading an OData feed
//! to its end, and the printed table. One copy, so `export` and `tables` measure alike.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use jira_emulator::Emulator;

pub const JQL: &str = "project in (ALPHA, BETA, OPS, DATA)";

/// A comma-separated list of numbers from the environment, or `default`.
pub fn env_list(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().expect("a number"))
        .collect()
}

/// `BENCH_LATENCY_MS` (default 100): the delay the emulator adds to every Jira request.
pub fn latency_ms() -> u64 {
    std::env::var("BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

/// `BENCH_APP_BIN` (default `target/release/jira-bi-connector`), which must exist.
pub fn app_bin() -> PathBuf {
    let bin = PathBuf::from(std::env::var("BENCH_APP_BIN").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/target/release/jira-bi-connector"
        )
        .to_owned()
    }));
    assert!(
        bin.exists(),
        "{} not found: run `cargo build --release --bin jira-bi-connector` first",
        bin.display()
    );
    bin
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The 1-minute load average: the machine is shared, so say how busy it was.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

pub struct Measured {
    pub rows: u64,
    pub seconds: f64,
    pub jira_calls: u64,
    pub max_concurrent: u64,
    pub peak_rss_kib: Option<u64>,
    /// OData pages read; 0 for a strategy that reads Jira directly.
    pub pages: u64,
}

impl Measured {
    pub fn rows_per_second(&self) -> f64 {
        self.rows as f64 / self.seconds
    }
}

pub const TABLE_HEADER: &str = "| issues | strategy | rows | seconds | rows/s | Jira calls | max parallel | OData pages | app peak RSS |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|";

/// One row of the printed Markdown table.
pub fn print_row(size: usize, strategy: &str, m: &Measured) {
    println!(
        "| {size} | {strategy} | {} | {:.1} | {:.0} | {} | {} | {} | {} |",
        m.rows,
        m.seconds,
        m.rows_per_second(),
        m.jira_calls,
        m.max_concurrent,
        if m.pages > 0 {
            m.pages.to_string()
        } else {
            "–".to_owned()
        },
        m.peak_rss_kib.map_or_else(
            || "–".to_owned(),
            |kib| format!("{:.1} MB", kib as f64 / 1024.0)
        )
    );
}

/// A line of the table with only a note in the strategy column.
pub fn print_note(note: &str) {
    println!("|  | {note} |  |  |  |  |  |  |  |");
}

/// The feed's rows/s over the naive strategy's.
pub fn print_speed_up(feed: &Measured, naive: &Measured) {
    println!(
        "|  | **speed-up** |  |  | **{:.1}×** |  |  |  |  |",
        feed.rows_per_second() / naive.rows_per_second()
    );
}

/// The product set up for one user as a BI tool uses it: the app process, an access token and
/// a data source.
pub struct Setup {
    pub app: App,
    pub http: reqwest::Client,
    pub email: String,
    pub api_token: String,
    pub access_token: String,
    pub data_source: i64,
}

/// Starts a fresh app for `emulator`'s first site and sets it up through its own flows as the
/// site's first user: install, page load, Jira API token, access token, and a data source over
/// [`JQL`] with `fields` and `tables`.
pub async fn set_up(
    emulator: &Emulator,
    app_bin: &Path,
    fields: &[&str],
    tables: &[&str],
) -> Setup {
    let site = emulator.sites()[0].clone();
    let app = App::start(app_bin, emulator);
    emulator.set_app_url(&app.base_url);
    app.wait_ready().await;
    emulator.install(0).await.expect("install");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(3600))
        .build()
        .expect("client");
    let session = sign_in(&http, emulator).await;
    let user = &site.users[0];
    post_form(
        &http,
        &app.base_url,
        "/app/tokens/jira",
        &session,
        &[("email", &user.email), ("api_token", &user.api_token)],
    )
    .await;
    let access_token = access_token(&http, &app.base_url, &session).await;
    let data_source = data_source(&http, &app.base_url, &session, fields, tables).await;
    Setup {
        app,
        http,
        email: user.email.clone(),
        api_token: user.api_token.clone(),
        access_token,
        data_source,
    }
}

impl Setup {
    /// Reads every page of the data source's entity set `entity_set` as Power BI does (following
    /// `@odata.nextLink`), counting rows in the stream without building them: a row is an
    /// object starting with `row_start` (its first key, e.g. `{"Id":`). Returns (rows, pages).
    pub async fn read_odata(&self, entity_set: &str, row_start: &str) -> (u64, u64) {
        let mut next = Some(format!(
            "{}/feed/{}/odata/{entity_set}",
            self.app.base_url, self.data_source
        ));
        let needle = row_start.as_bytes();
        let mut rows = 0u64;
        let mut pages = 0u64;
        while let Some(url) = next.take() {
            let mut response = self
                .http
                .get(&url)
                .basic_auth(&self.email, Some(&self.access_token))
                .send()
                .await
                .expect("the feed answers");
            assert_eq!(response.status(), 200, "{url}");
            // Bytes of the previous chunk a row start may begin in (shorter than the needle, so
            // nothing is counted twice), and the end of the body, where the next link is.
            let mut carry: Vec<u8> = Vec::new();
            let mut tail: Vec<u8> = Vec::new();
            while let Some(chunk) = response.chunk().await.expect("the body streams") {
                let mut joined = std::mem::take(&mut carry);
                joined.extend_from_slice(&chunk);
                rows += joined
                    .windows(needle.len())
                    .filter(|w| *w == needle)
                    .count() as u64;
                carry = joined[joined.len().saturating_sub(needle.len() - 1)..].to_vec();
                tail.extend_from_slice(&chunk);
                if tail.len() > 8192 {
                    tail.drain(..tail.len() - 8192);
                }
            }
            pages += 1;
            let tail = String::from_utf8_lossy(&tail);
            if let Some(at) = tail.rfind("\"@odata.nextLink\":\"") {
                let rest = &tail[at + "\"@odata.nextLink\":\"".len()..];
                next = rest.split('"').next().map(str::to_owned);
            }
        }
        (rows, pages)
    }
}

/// The app as its own process, so its peak RSS is its own.
pub struct App {
    child: Child,
    pub base_url: String,
    _data: tempfile::TempDir,
}

impl App {
    fn start(bin: &Path, emulator: &Emulator) -> App {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let data = tempfile::tempdir().expect("a temp dir");
        let base_url = format!("http://127.0.0.1:{port}");
        let child = Command::new(bin)
            .env("BASE_URL", &base_url)
            .env("BIND_ADDRESS", format!("127.0.0.1:{port}"))
            .env("DATA_DIR", data.path())
            .env("INSTALL_KEYS_URL", emulator.install_keys_url())
            .env("ALLOWED_JIRA_HOSTS", &emulator.sites()[0].base_url)
            .env("RUST_LOG", "info,actix_server=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the app starts");
        App {
            child,
            base_url,
            _data: data,
        }
    }

    async fn wait_ready(&self) {
        for _ in 0..200 {
            if reqwest::get(format!("{}/healthz", self.base_url))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the app did not start");
    }

    /// `VmHWM`: the process's peak resident set size so far.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find(|line| line.starts_with("VmHWM:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn sign_in(http: &reqwest::Client, emulator: &Emulator) -> String {
    let page_url = emulator.page_url(0, 0).expect("a page URL");
    let response = http.get(&page_url).send().await.expect("page load");
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

async fn post_form(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    session: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let response = http
        .post(format!("{base}{path}?session={session}"))
        .form(form)
        .send()
        .await
        .expect("posted");
    assert!(
        response.status().is_redirection() || response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response
}

fn input_value(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker).expect("the input") + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn page(http: &reqwest::Client, base: &str, path: &str, session: &str) -> String {
    http.get(format!("{base}{path}?session={session}"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html")
}

async fn access_token(http: &reqwest::Client, base: &str, session: &str) -> String {
    let html = page(http, base, "/app/tokens/access", session).await;
    let form_id = input_value(&html, "form_id");
    let html = post_form(
        http,
        base,
        "/app/tokens/access",
        session,
        &[
            ("form_id", &form_id),
            ("label", "bench"),
            ("expires_on", ""),
        ],
    )
    .await
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

async fn data_source(
    http: &reqwest::Client,
    base: &str,
    session: &str,
    fields: &[&str],
    tables: &[&str],
) -> i64 {
    let html = page(http, base, "/app/datasources/new", session).await;
    let form_id = input_value(&html, "form_id");
    let mut form = vec![
        ("form_id", form_id.as_str()),
        ("name", "Bench"),
        ("jql", JQL),
    ];
    form.extend(fields.iter().map(|f| ("fields", *f)));
    form.extend(tables.iter().map(|t| ("tables", *t)));
    let response = post_form(http, base, "/app/datasources", session, &form).await;
    assert_eq!(response.status(), 303, "the data source is created");
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .and_then(|l| l.split('?').next())
        .and_then(|p| p.trim_start_matches("/app/datasources/").parse().ok())
        .expect("the data source id")
}
