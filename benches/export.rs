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

mod common;

use std::path::Path;
use std::time::Instant;

use common::{JQL, Measured, env_list, load_average, print_note, print_row, print_speed_up};
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

fn main() {
    let sizes = env_list("BENCH_SIZES", "10000,50000");
    let naive_sizes = std::env::var("BENCH_NAIVE_SIZES")
        .map_or_else(|_| sizes.clone(), |_| env_list("BENCH_NAIVE_SIZES", ""));
    let latency = common::latency_ms();
    let app_bin = common::app_bin();
    let runtime = common::runtime();
    println!(
        "Jira latency {latency} ms per request; app binary {}; load average before {}",
        app_bin.display(),
        load_average()
    );
    println!();
    println!("{}", common::TABLE_HEADER);
    for &size in &sizes {
        let (feed, naive) = runtime.block_on(run_size(
            size,
            latency,
            &app_bin,
            naive_sizes.contains(&size),
        ));
        print_row(size, "OData feed (id paging + parallel bulkfetch)", &feed);
        print_note(&format!(
            "(load average after the feed run: {})",
            load_average()
        ));
        if let Some(naive) = &naive {
            print_row(size, "naive (sequential search/jql, 100 per page)", naive);
            print_speed_up(&feed, naive);
        }
    }
}

async fn run_size(
    size: usize,
    latency: u64,
    app_bin: &Path,
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
    let setup = common::set_up(&emulator, app_bin, CUSTOM_FIELDS, &[]).await;

    // Latency only for the measured part.
    emulator.set_faults(FaultConfig {
        latency_ms: latency,
        ..FaultConfig::default()
    });
    emulator.reset_stats();
    let started = Instant::now();
    let (rows, pages) = setup.read_odata("Issues", "{\"Id\":").await;
    let seconds = started.elapsed().as_secs_f64();
    let stats = emulator.stats();
    let feed = Measured {
        rows,
        seconds,
        jira_calls: stats.rest_requests,
        max_concurrent: stats.max_concurrent_rest,
        peak_rss_kib: setup.app.peak_rss_kib(),
        pages,
    };
    assert_eq!(rows as usize, size, "the feed returned every issue");
    let (email, api_token) = (setup.email.clone(), setup.api_token.clone());
    drop(setup);

    let naive = if naive {
        emulator.reset_stats();
        let started = Instant::now();
        let rows = naive_export(&emulator.sites()[0].base_url, &email, &api_token).await;
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
