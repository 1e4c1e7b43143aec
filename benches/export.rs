//! Export benchmark: the OData feed against the Jira emulator with a fixed latency per Jira
//! request, compared in the same run with the naive strategy (sequential `search/jql` pages of
//! 100 issues with fields). Not run by the tests; see BENCHMARKS.md for the command and figures.
//!
//! The app runs as its own process (`target/release/jira-bi-connector`, built beforehand), so its
//! peak RSS (`VmHWM` of `/proc/<pid>/status`) excludes the emulator and this client; a fresh
//! process per data set size makes each peak that size's. Everything is set up through the
//! product's own flows: install, page load, Jira API token, access token, data source.
//!
//! Environment: `BENCH_SIZES` (10000,50000), `BENCH_NAIVE_SIZES` (the same), `BENCH_LATENCY_MS`
//! (100), `BENCH_APP_BIN` (target/release/jira-bi-connector).
#![allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jira_bi_connector::crypto::SecretString;
use jira_bi_connector::feed::columns::ColumnSet;
use jira_bi_connector::jira::client::{
    JiraClient, JiraClientConfig, JiraCredentials, JiraSite, SearchRequest,
};
use jira_emulator::{DatasetConfig, Emulator, EmulatorConfig, FaultConfig};

const CUSTOM_FIELDS: &[&str] = &[
    "customfield_10030",
    "customfield_10031",
    "customfield_10032",
    "customfield_10033",
    "customfield_10034",
    "customfield_10035",
    "customfield_10036",
    "customfield_10037",
];
const JQL: &str = "project in (ALPHA, BETA, OPS, DATA)";

fn env_list(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().expect("a number"))
        .collect()
}

struct Measured {
    rows: u64,
    seconds: f64,
    jira_calls: u64,
    max_concurrent: u64,
    peak_rss_kib: Option<u64>,
    pages: u64,
}

fn main() {
    let sizes = env_list("BENCH_SIZES", "10000,50000");
    let naive_sizes = std::env::var("BENCH_NAIVE_SIZES")
        .map_or_else(|_| sizes.clone(), |_| env_list("BENCH_NAIVE_SIZES", ""));
    let latency: u64 = std::env::var("BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let app_bin = PathBuf::from(std::env::var("BENCH_APP_BIN").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/target/release/jira-bi-connector"
        )
        .to_owned()
    }));
    assert!(
        app_bin.exists(),
        "{} not found: run `cargo build --release --bin jira-bi-connector` first",
        app_bin.display()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "Jira latency {latency} ms per request; app binary {}; load average before {}",
        app_bin.display(),
        load_average()
    );
    println!();
    println!(
        "| issues | strategy | rows | seconds | rows/s | Jira calls | max parallel | OData pages | app peak RSS |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for &size in &sizes {
        let (feed, naive) = runtime.block_on(run_size(
            size,
            latency,
            &app_bin,
            naive_sizes.contains(&size),
        ));
        print_row(size, "OData feed (id paging + parallel bulkfetch)", &feed);
        println!(
            "|  | (load average after the feed run: {}) |  |  |  |  |  |  |  |",
            load_average()
        );
        if let Some(naive) = &naive {
            print_row(size, "naive (sequential search/jql, 100 per page)", naive);
            println!(
                "|  | **speed-up** |  |  | **{:.1}×** |  |  |  |  |",
                (feed.rows as f64 / feed.seconds) / (naive.rows as f64 / naive.seconds)
            );
        }
    }
}

/// The 1-minute load average: the machine is shared, so say how busy it was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn print_row(size: usize, strategy: &str, m: &Measured) {
    println!(
        "| {size} | {strategy} | {} | {:.1} | {:.0} | {} | {} | {} | {} |",
        m.rows,
        m.seconds,
        m.rows as f64 / m.seconds,
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

async fn run_size(
    size: usize,
    latency: u64,
    app_bin: &PathBuf,
    naive: bool,
) -> (Measured, Option<Measured>) {
    let emulator = Emulator::start(EmulatorConfig {
        site_ports: vec![0],
        dataset: DatasetConfig {
            issues: size,
            seed: 42,
        },
        workers: 2,
        ..EmulatorConfig::default()
    })
    .await
    .expect("the emulator starts");
    let site = emulator.sites()[0].clone();
    let app = App::start(app_bin, &emulator);
    emulator.set_app_url(&app.base_url);
    app.wait_ready().await;
    emulator.install(0).await.expect("install");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(3600))
        .build()
        .expect("client");
    let session = sign_in(&http, &emulator).await;
    let user = &site.users[0];
    post_form(
        &http,
        &app.base_url,
        "/app/tokens/jira",
        &session,
        &[("email", &user.email), ("api_token", &user.api_token)],
    )
    .await;
    let token = access_token(&http, &app.base_url, &session).await;
    let id = data_source(&http, &app.base_url, &session).await;

    // Latency only for the measured part.
    emulator.set_faults(FaultConfig {
        latency_ms: latency,
        ..FaultConfig::default()
    });
    emulator.reset_stats();
    let started = Instant::now();
    let (rows, pages) = read_feed(&http, &app.base_url, id, &user.email, &token).await;
    let seconds = started.elapsed().as_secs_f64();
    let stats = emulator.stats();
    let feed = Measured {
        rows,
        seconds,
        jira_calls: stats.rest_requests,
        max_concurrent: stats.max_concurrent_rest,
        peak_rss_kib: app.peak_rss_kib(),
        pages,
    };
    assert_eq!(rows as usize, size, "the feed returned every issue");
    drop(app);

    let naive = if naive {
        emulator.reset_stats();
        let started = Instant::now();
        let rows = naive_export(&site.base_url, &user.email, &user.api_token).await;
        let seconds = started.elapsed().as_secs_f64();
        let stats = emulator.stats();
        assert_eq!(rows as usize, size);
        Some(Measured {
            rows,
            seconds,
            jira_calls: stats.rest_requests,
            max_concurrent: stats.max_concurrent_rest,
            peak_rss_kib: None,
            pages: 0,
        })
    } else {
        None
    };
    emulator.stop().await;
    (feed, naive)
}

/// Reads every page of the OData feed as Power BI does (following `@odata.nextLink`), counting
/// rows in the stream without building them.
async fn read_feed(
    http: &reqwest::Client,
    base: &str,
    id: i64,
    email: &str,
    token: &str,
) -> (u64, u64) {
    let mut next = Some(format!("{base}/feed/{id}/odata/Issues"));
    let mut rows = 0u64;
    let mut pages = 0u64;
    while let Some(url) = next.take() {
        let mut response = http
            .get(&url)
            .basic_auth(email, Some(token))
            .send()
            .await
            .expect("the feed answers");
        assert_eq!(response.status(), 200, "{url}");
        let needle = b"{\"Id\":";
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

/// What other connectors do: one `search/jql` page of 100 issues with fields after the other.
async fn naive_export(base_url: &str, email: &str, api_token: &str) -> u64 {
    let jira = JiraClient::new(
        JiraClientConfig::default(),
        jira_bi_connector::clock::Clock::system(),
    )
    .expect("client");
    let site = JiraSite::parse(base_url).expect("site");
    let creds = JiraCredentials {
        email: email.to_owned(),
        api_token: SecretString::new(api_token),
    };
    let fields = jira.fields(&site, &creds).await.expect("fields");
    let selected: Vec<String> = CUSTOM_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    let columns = ColumnSet::build(&fields, &selected);
    let mut token = None;
    let mut rows = 0u64;
    loop {
        let page = jira
            .search_jql(
                &site,
                &creds,
                &SearchRequest {
                    jql: format!("{JQL} ORDER BY key ASC"),
                    next_page_token: token,
                    max_results: 100,
                    fields: columns.jira_fields(),
                },
            )
            .await
            .expect("a page");
        for issue in &page.issues {
            let _ = columns.row(issue);
            rows += 1;
        }
        if page.is_last || page.issues.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    rows
}

struct App {
    child: Child,
    base_url: String,
    _data: tempfile::TempDir,
}

impl App {
    fn start(bin: &PathBuf, emulator: &Emulator) -> App {
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
    fn peak_rss_kib(&self) -> Option<u64> {
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

async fn data_source(http: &reqwest::Client, base: &str, session: &str) -> i64 {
    let html = page(http, base, "/app/datasources/new", session).await;
    let form_id = input_value(&html, "form_id");
    let mut form = vec![
        ("form_id", form_id.as_str()),
        ("name", "Bench"),
        ("jql", JQL),
    ];
    form.extend(CUSTOM_FIELDS.iter().map(|f| ("fields", *f)));
    let response = post_form(http, base, "/app/datasources", session, &form).await;
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .and_then(|l| l.split('?').next())
        .and_then(|p| p.trim_start_matches("/app/datasources/").parse().ok())
        .expect("the data source id")
}
