//! Tables benchmark: `IssueChanges`, `Worklogs` and `StatusPeriods` read through the OData feed
//! (id paging, then `changelog/bulkfetch` per 100 issues or the issue payload's worklogs, in
//! parallel) against the Jira emulator with a fixed latency per Jira request, compared in the
//! same run with the per-issue strategy other connectors use: id paging, then one paged
//! `GET /issue/{id}/changelog` or `GET /issue/{id}/worklog` per issue, sequential. Not run by
//! the tests; see BENCHMARKS.md for the command and figures.
//!
//! Every count is checked against the emulator's ground truth (its change histories and
//! worklogs, summed), so a fast short table fails the run instead of being reported. Each
//! table's feed read gets a fresh app process, so its peak RSS is that table's alone.
//!
//! Environment: `BENCH_TABLES` (IssueChanges,Worklogs,StatusPeriods), `BENCH_TABLE_SIZES`
//! (2000,10000), `BENCH_TABLE_NAIVE_SIZES` (the same), `BENCH_LATENCY_MS` (100),
//! `BENCH_APP_BIN` (target/release/jira-bi-connector).
#![allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]

mod common;

use std::path::Path;
use std::time::Instant;

use common::{JQL, Measured, env_list, load_average, print_note, print_row, print_speed_up};
use jira_bi_connector::crypto::SecretString;
use jira_bi_connector::jira::client::{
    JiraClient, JiraClientConfig, JiraCredentials, JiraSite, SearchRequest,
};
use jira_emulator::{Dataset, DatasetConfig, Emulator, EmulatorConfig, FaultConfig, Stats};
use serde_json::Value;

/// Every row of these tables starts with its issue id.
const ROW_START: &str = "{\"IssueId\":";
/// Ids per `search/jql` page when only ids are asked for (Jira's maximum then).
const ID_PAGE: u32 = 5_000;
/// Histories per page of `GET /issue/{id}/changelog` (Jira's maximum).
const CHANGELOG_PAGE: usize = 100;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    IssueChanges,
    Worklogs,
    StatusPeriods,
}

impl Table {
    fn parse(name: &str) -> Table {
        match name {
            "IssueChanges" => Table::IssueChanges,
            "Worklogs" => Table::Worklogs,
            "StatusPeriods" => Table::StatusPeriods,
            other => panic!("BENCH_TABLES: unknown table {other}"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Table::IssueChanges => "IssueChanges",
            Table::Worklogs => "Worklogs",
            Table::StatusPeriods => "StatusPeriods",
        }
    }

    fn feed_strategy(self) -> &'static str {
        match self {
            Table::IssueChanges | Table::StatusPeriods => {
                "OData feed (id paging + parallel changelog/bulkfetch)"
            }
            Table::Worklogs => "OData feed (id paging + parallel issue/bulkfetch worklogs)",
        }
    }

    /// The rows the table must have: the emulator's ground truth over every issue (the data
    /// source covers all of them), as the site's first user sees them.
    fn truth(self, dataset: &Dataset) -> u64 {
        (0..dataset.len())
            .map(|index| match self {
                Table::IssueChanges => dataset
                    .change_histories(index)
                    .iter()
                    .map(|history| items(history).len() as u64)
                    .sum(),
                Table::Worklogs => dataset.worklog_list(index, Some(0)).len() as u64,
                Table::StatusPeriods => stays(&dataset.change_histories(index)),
            })
            .sum()
    }
}

fn items(history: &Value) -> &[Value] {
    history["items"].as_array().map_or(&[], Vec::as_slice)
}

/// Stays in a status of one issue: the one it was created in, then one per status change.
fn stays(histories: &[Value]) -> u64 {
    1 + histories
        .iter()
        .flat_map(items)
        .filter(|item| item["fieldId"] == "status" && item["to"].is_string())
        .count() as u64
}

fn main() {
    let tables: Vec<Table> = std::env::var("BENCH_TABLES")
        .unwrap_or_else(|_| "IssueChanges,Worklogs,StatusPeriods".to_owned())
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(Table::parse)
        .collect();
    let sizes = env_list("BENCH_TABLE_SIZES", "2000,10000");
    let naive_sizes = std::env::var("BENCH_TABLE_NAIVE_SIZES").map_or_else(
        |_| sizes.clone(),
        |_| env_list("BENCH_TABLE_NAIVE_SIZES", ""),
    );
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
        runtime.block_on(run_size(
            size,
            latency,
            &app_bin,
            &tables,
            naive_sizes.contains(&size),
        ));
    }
}

/// Both per-issue reads of one size: the changelog one serves `IssueChanges` and
/// `StatusPeriods` (the same calls give both), so it runs once.
#[derive(Default)]
struct Naive {
    history: Option<(Measured, Measured)>,
    worklogs: Option<Measured>,
}

async fn run_size(size: usize, latency: u64, app_bin: &Path, tables: &[Table], naive: bool) {
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
    let dataset = emulator.dataset(0).expect("site 0");
    let names: Vec<&str> = tables.iter().map(|table| table.name()).collect();
    let mut naive_runs = Naive::default();
    for &table in tables {
        let truth = table.truth(dataset);
        emulator.set_faults(FaultConfig::default());
        let setup = common::set_up(&emulator, app_bin, &[], &names).await;

        // Latency only for the measured part.
        emulator.set_faults(FaultConfig {
            latency_ms: latency,
            ..FaultConfig::default()
        });
        emulator.reset_stats();
        let started = Instant::now();
        let (rows, pages) = setup.read_odata(table.name(), ROW_START).await;
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
        assert_eq!(rows, truth, "{}: the feed returned every row", table.name());
        let jira = Jira::new(&emulator, &setup.email, &setup.api_token);
        drop(setup);
        print_row(
            size,
            &format!("{}: {}", table.name(), table.feed_strategy()),
            &feed,
        );
        print_note(&format!(
            "(load average after the feed run: {})",
            load_average()
        ));
        if !naive {
            continue;
        }
        let measured = match table {
            Table::IssueChanges | Table::StatusPeriods => {
                if naive_runs.history.is_none() {
                    naive_runs.history = Some(jira.measure_history(&emulator).await);
                }
                let (changes, periods) = naive_runs.history.as_ref().expect("just measured");
                if table == Table::IssueChanges {
                    changes
                } else {
                    periods
                }
            }
            Table::Worklogs => naive_runs
                .worklogs
                .insert(jira.measure_worklogs(&emulator).await),
        };
        assert_eq!(
            measured.rows,
            truth,
            "{}: the per-issue strategy read every row",
            table.name()
        );
        let strategy = match table {
            Table::IssueChanges => "naive (id paging + GET issue/{id}/changelog per issue)",
            Table::StatusPeriods => "naive (the same per-issue changelog read)",
            Table::Worklogs => "naive (id paging + GET issue/{id}/worklog per issue)",
        };
        print_row(size, &format!("{}: {strategy}", table.name()), measured);
        print_speed_up(&feed, measured);
    }
    emulator.stop().await;
}

/// What other connectors do, with the user's own Jira API token.
struct Jira {
    client: JiraClient,
    http: reqwest::Client,
    site: JiraSite,
    creds: JiraCredentials,
}

impl Jira {
    fn new(emulator: &Emulator, email: &str, api_token: &str) -> Jira {
        Jira {
            client: JiraClient::new(
                JiraClientConfig::default(),
                jira_bi_connector::clock::Clock::system(),
            )
            .expect("client"),
            http: reqwest::Client::new(),
            site: JiraSite::parse(&emulator.sites()[0].base_url).expect("site"),
            creds: JiraCredentials {
                email: email.to_owned(),
                api_token: SecretString::new(api_token),
            },
        }
    }

    /// Times `read` and takes the emulator's counts of it.
    async fn measure<F: Future<Output = T>, T>(emulator: &Emulator, read: F) -> (T, f64, Stats) {
        emulator.reset_stats();
        let started = Instant::now();
        let value = read.await;
        (value, started.elapsed().as_secs_f64(), emulator.stats())
    }

    /// Every history of every issue, one issue after the other: `IssueChanges` and
    /// `StatusPeriods` rows, measured together.
    async fn measure_history(&self, emulator: &Emulator) -> (Measured, Measured) {
        let ((changes, periods), seconds, stats) = Self::measure(emulator, async {
            let mut changes = 0u64;
            let mut periods = 0u64;
            for id in self.issue_ids().await {
                let histories = self.changelog(&id).await;
                changes += histories.iter().map(|h| items(h).len() as u64).sum::<u64>();
                periods += stays(&histories);
            }
            (changes, periods)
        })
        .await;
        let measured = |rows| Measured {
            rows,
            seconds,
            jira_calls: stats.rest_requests,
            max_concurrent: stats.max_concurrent_rest,
            peak_rss_kib: None,
            pages: 0,
        };
        (measured(changes), measured(periods))
    }

    /// Every worklog of every issue, one issue after the other.
    async fn measure_worklogs(&self, emulator: &Emulator) -> Measured {
        let (rows, seconds, stats) = Self::measure(emulator, async {
            let mut rows = 0u64;
            for id in self.issue_ids().await {
                rows += self
                    .client
                    .issue_worklogs(&self.site, &self.creds, &id)
                    .await
                    .expect("the worklogs")
                    .len() as u64;
            }
            rows
        })
        .await;
        Measured {
            rows,
            seconds,
            jira_calls: stats.rest_requests,
            max_concurrent: stats.max_concurrent_rest,
            peak_rss_kib: None,
            pages: 0,
        }
    }

    /// The data source's issue ids, `search/jql` pages of ids only.
    async fn issue_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .search_jql(
                    &self.site,
                    &self.creds,
                    &SearchRequest {
                        jql: format!("{JQL} ORDER BY key ASC"),
                        next_page_token: token,
                        max_results: ID_PAGE,
                        fields: Vec::new(),
                    },
                )
                .await
                .expect("a page of ids");
            ids.extend(
                page.issues
                    .iter()
                    .filter_map(|issue| issue["id"].as_str().map(str::to_owned)),
            );
            if page.is_last || page.issues.is_empty() {
                return ids;
            }
            token = page.next_page_token;
        }
    }

    /// `GET /rest/api/3/issue/{id}/changelog`, every page.
    async fn changelog(&self, id: &str) -> Vec<Value> {
        let base = self.site.base_url().as_str().trim_end_matches('/');
        let mut histories: Vec<Value> = Vec::new();
        loop {
            let page: Value = self
                .http
                .get(format!("{base}/rest/api/3/issue/{id}/changelog"))
                .query(&[
                    ("startAt", histories.len().to_string()),
                    ("maxResults", CHANGELOG_PAGE.to_string()),
                ])
                .basic_auth(&self.creds.email, Some(self.creds.api_token.expose()))
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .expect("a changelog page")
                .json()
                .await
                .expect("changelog JSON");
            let values = page["values"].as_array().cloned().unwrap_or_default();
            let received = values.len();
            histories.extend(values);
            let total = page["total"].as_u64().unwrap_or(0) as usize;
            if page["isLast"] == true || histories.len() >= total {
                return histories;
            }
            assert!(received > 0, "issue {id}: an empty page before the total");
        }
    }
}
