//! The engine against the in-process Jira emulator: order, completeness, resume points, filters,
//! throttling, failures and back-pressure.

use std::collections::HashSet;

use super::*;
use crate::clock::Clock;
use crate::crypto::SecretString;
use crate::feed::columns::ColumnSet;
use crate::feed::filter::Expr;
use crate::feed::jql::{PushLevel, compose, push_down};
use crate::jira::client::{JiraClientConfig, JiraField, RetryPolicy};
use jira_emulator::{DatasetConfig, Emulator, EmulatorConfig, FaultConfig, Viewer};

const SOURCE_JQL: &str = "project in (ALPHA, BETA, OPS, DATA)";

struct Setup {
    emulator: Emulator,
    jira: JiraClient,
    site: JiraSite,
    creds: JiraCredentials,
    columns: ColumnSet,
}

async fn setup(issues: usize) -> Setup {
    let emulator = Emulator::start(EmulatorConfig {
        site_ports: vec![0],
        dataset: DatasetConfig { issues, seed: 11 },
        faults: FaultConfig {
            retry_after_secs: 0,
            ..FaultConfig::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .expect("the emulator starts");
    let info = emulator.sites()[0].clone();
    let jira = JiraClient::new(
        JiraClientConfig {
            retry: RetryPolicy {
                max_retries: 4,
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(10),
            },
            ..JiraClientConfig::default()
        },
        Clock::system(),
    )
    .expect("a client");
    let site = JiraSite::parse(&info.base_url).expect("a site");
    let creds = JiraCredentials {
        email: info.users[0].email.clone(),
        api_token: SecretString::new(info.users[0].api_token.clone()),
    };
    let fields: Vec<JiraField> = jira.fields(&site, &creds).await.expect("fields");
    let selected: Vec<String> = fields
        .iter()
        .filter(|f| f.custom)
        .map(|f| f.id.clone())
        .collect();
    let columns = ColumnSet::build(&fields, &selected);
    Setup {
        emulator,
        jira,
        site,
        creds,
        columns,
    }
}

fn quick() -> Tuning {
    Tuning {
        id_page_size: 70,
        batch_size: 9,
        throttle_pause: Duration::from_millis(5),
        ..Tuning::default()
    }
}

impl Setup {
    fn plan(&self, filter: Option<&str>) -> ExportPlan {
        let expr = filter.map(|text| Expr::parse(text).expect("a filter"));
        let variants = [PushLevel::Full, PushLevel::DatesOnly]
            .into_iter()
            .map(|level| {
                let pushed = expr.as_ref().map(|e| push_down(e, level));
                JqlVariant {
                    jql: compose(
                        SOURCE_JQL,
                        pushed.as_ref().and_then(|p| p.jql.as_deref()),
                        &[],
                    ),
                    exact: pushed.is_none_or(|p| p.exact),
                }
            })
            .collect();
        ExportPlan {
            site: self.site.clone(),
            creds: self.creds.clone(),
            variants,
            rows: Arc::new(IssueRows::new(
                Arc::new(self.columns.clone()),
                self.columns.len(),
            )),
            materialized: None,
            filter: expr.map(|e| Arc::new(e.compile(&self.columns).expect("compiles"))),
            start: None,
            skip: 0,
            limit: None,
            tuning: quick(),
        }
    }

    /// The rows Jira's data says the export must produce, in order.
    fn truth(&self, filter: Option<&str>) -> Vec<Row> {
        let data = self.emulator.dataset(0).expect("dataset");
        let viewer = Viewer::from(&self.emulator.sites()[0].users[0]);
        let order = compose(SOURCE_JQL, None, &[]);
        let predicate = filter.map(|text| {
            Expr::parse(text)
                .expect("parses")
                .compile(&self.columns)
                .expect("ok")
        });
        data.search(&order, &viewer, 0)
            .expect("ground truth search")
            .into_iter()
            .map(|index| self.columns.row(&data.issue(index).expect("issue")))
            .filter(|row| predicate.as_ref().is_none_or(|p| p.matches(row)))
            .collect()
    }
}

struct Collected {
    rows: Vec<Row>,
    end: Option<Option<Resume>>,
    failed: Option<ExportError>,
    summary: ExportSummary,
}

async fn collect(jira: &JiraClient, plan: ExportPlan) -> Collected {
    let (tx, mut rx) = mpsc::channel(plan.tuning.out_buffer);
    let handle = jira.with_fresh_stats();
    let task = tokio::spawn(async move { run(&handle, plan, tx).await });
    let mut rows = Vec::new();
    let mut end = None;
    let mut failed = None;
    while let Some(event) = rx.recv().await {
        match event {
            ExportEvent::Rows(batch) => rows.extend(batch),
            ExportEvent::End(resume) => end = Some(resume),
            ExportEvent::Failed(err) => failed = Some(err),
        }
    }
    let summary = task.await.expect("the export task");
    Collected {
        rows,
        end,
        failed,
        summary,
    }
}

#[tokio::test]
async fn a_full_export_equals_the_data_set_row_for_row_in_order() {
    let s = setup(1_234).await;
    let got = collect(&s.jira, s.plan(None)).await;
    assert_eq!(got.failed, None);
    assert_eq!(got.end, Some(None));
    assert_eq!(got.summary.outcome, Outcome::Complete);
    let truth = s.truth(None);
    assert_eq!(truth.len(), 1_234);
    assert_eq!(got.rows.len(), truth.len());
    for (i, (row, want)) in got.rows.iter().zip(&truth).enumerate() {
        assert_eq!(row, want, "row {i}");
    }
    // 18 id pages of 70 (the last holds 44), cut into batches of ≤ 9: 17 × 8 + 5.
    let stats = s.emulator.stats();
    assert_eq!(stats.requests.get("POST /rest/api/3/search/jql"), Some(&18));
    assert_eq!(
        stats.requests.get("POST /rest/api/3/issue/bulkfetch"),
        Some(&141)
    );
    assert_eq!(got.summary.jira.requests, 18 + 141);
    assert!(stats.max_concurrent_rest > 1, "bulk fetches overlap");
    // The pager's search may overlap the bulk fetches.
    assert!(stats.max_concurrent_rest <= MAX_CONCURRENCY as u64 + 1);
}

#[tokio::test]
async fn resuming_page_after_page_visits_every_issue_exactly_once() {
    let s = setup(500).await;
    let mut plan = s.plan(None);
    plan.limit = Some(37);
    let mut all: Vec<Row> = Vec::new();
    let mut pages = 0;
    loop {
        let got = collect(&s.jira, plan.clone()).await;
        pages += 1;
        assert!(got.rows.len() <= 37);
        all.extend(got.rows);
        match got.end.expect("an end") {
            Some(resume) => plan.start = Some(resume),
            None => break,
        }
        assert!(pages < 100);
    }
    assert_eq!(pages, 500usize.div_ceil(37));
    assert_eq!(all, s.truth(None));
    let keys: HashSet<String> = all.iter().map(|row| row[1].to_text()).collect();
    assert_eq!(keys.len(), 500);
}

#[tokio::test]
async fn filters_are_exact_even_where_jql_is_only_a_superset() {
    let s = setup(700).await;
    for filter in [
        "Updated ge 2024-06-01T12:34:56.5Z and Updated lt 2025-01-01T00:00:00Z",
        "Status eq 'Done' and contains(Summary,'login')",
        "Status eq 'No such status' or Updated lt 2024-02-01",
        "Resolved eq null and ProjectKey eq 'BETA'",
    ] {
        let got = collect(&s.jira, s.plan(Some(filter))).await;
        assert_eq!(got.failed, None, "{filter}");
        let truth = s.truth(Some(filter));
        assert!(!truth.is_empty(), "{filter} selects something");
        assert_eq!(got.rows, truth, "{filter}");
    }
}

#[tokio::test]
async fn an_unknown_name_falls_back_to_date_only_jql() {
    let s = setup(200).await;
    let got = collect(
        &s.jira,
        s.plan(Some("Status eq 'Nope' or Created ge 2024-01-01")),
    )
    .await;
    assert_eq!(got.summary.variant, Some(1));
    assert_eq!(
        got.rows,
        s.truth(Some("Status eq 'Nope' or Created ge 2024-01-01"))
    );
}

#[tokio::test]
async fn skip_and_limit_select_a_window_of_the_rows() {
    let s = setup(300).await;
    for filter in [None, Some("contains(Summary,'in')")] {
        let mut plan = s.plan(filter);
        plan.skip = 45;
        plan.limit = Some(100);
        let got = collect(&s.jira, plan).await;
        let truth = s.truth(filter);
        assert_eq!(got.rows, truth[45..145].to_vec(), "{filter:?}");
        assert!(matches!(got.end, Some(Some(_))));
    }
    // Without a filter, skipped issues are never fetched.
    s.emulator.reset_stats();
    let mut plan = s.plan(None);
    plan.skip = 280;
    let got = collect(&s.jira, plan).await;
    assert_eq!(got.rows.len(), 20);
    assert_eq!(s.emulator.stats().issues_returned, 300 + 20);
}

#[tokio::test]
async fn rate_limit_storms_and_transient_errors_still_give_a_complete_export() {
    let s = setup(900).await;
    s.emulator.set_faults(FaultConfig {
        rate_limit_every: Some(2),
        retry_after_secs: 0,
        ..FaultConfig::default()
    });
    let got = collect(&s.jira, s.plan(None)).await;
    assert_eq!(got.failed, None);
    assert_eq!(got.rows, s.truth(None));
    assert!(got.summary.jira.retries > 0);
    assert!(s.emulator.stats().rate_limited > 0);

    s.emulator.set_faults(FaultConfig {
        error_5xx_every: Some(3),
        error_status: 503,
        retry_after_secs: 0,
        ..FaultConfig::default()
    });
    let got = collect(&s.jira, s.plan(None)).await;
    assert_eq!(got.failed, None);
    assert_eq!(got.rows, s.truth(None));
    assert!(s.emulator.stats().server_errors > 0);
}

#[tokio::test]
async fn a_permanent_failure_mid_export_is_reported_after_the_rows_so_far() {
    let s = setup(2_000).await;
    let mut plan = s.plan(None);
    plan.tuning.out_buffer = 1;
    let (tx, mut rx) = mpsc::channel(1);
    let handle = s.jira.with_fresh_stats();
    let task = tokio::spawn(async move { run(&handle, plan, tx).await });
    let first = rx.recv().await;
    assert!(matches!(first, Some(ExportEvent::Rows(_))));
    s.emulator.set_faults(FaultConfig {
        error_5xx_every: Some(1),
        error_status: 500,
        ..FaultConfig::default()
    });
    let mut last = None;
    let mut rows = 0;
    while let Some(event) = rx.recv().await {
        if let ExportEvent::Rows(batch) = &event {
            rows += batch.len();
        }
        last = Some(event);
    }
    assert!(
        matches!(
            last,
            Some(ExportEvent::Failed(ExportError::Jira(
                JiraError::Unexpected { status: 500 }
            )))
        ),
        "{last:?}"
    );
    assert!(rows < 2_000);
    let summary = task.await.expect("task");
    assert!(matches!(summary.outcome, Outcome::Failed(_)));
}

#[tokio::test]
async fn a_failure_before_any_row_is_the_first_event() {
    let s = setup(50).await;
    let mut plan = s.plan(None);
    plan.variants = vec![JqlVariant {
        jql: "project = NOPE".to_owned(),
        exact: true,
    }];
    let got = collect(&s.jira, plan).await;
    assert!(got.rows.is_empty());
    assert!(matches!(
        got.failed,
        Some(ExportError::Jira(JiraError::BadRequest { .. }))
    ));
}

#[tokio::test]
async fn a_consumer_that_stops_reading_stops_the_jira_reads() {
    let s = setup(3_000).await;
    let mut plan = s.plan(None);
    plan.tuning.out_buffer = 2;
    plan.tuning.batch_buffer = 4;
    let (tx, mut rx) = mpsc::channel(2);
    let handle = s.jira.with_fresh_stats();
    let task = tokio::spawn(async move { run(&handle, plan, tx).await });
    assert!(matches!(rx.recv().await, Some(ExportEvent::Rows(_))));
    // Let the engine run into the full channel, then look at how far it got.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let fetched = s
        .emulator
        .stats()
        .requests
        .get("POST /rest/api/3/issue/bulkfetch")
        .copied()
        .unwrap_or(0);
    // 1 delivered + 2 in the channel + 1 being sent + ≤ 8 in flight, nowhere near 334.
    assert!(fetched <= 1 + 2 + 1 + 8 + 1, "{fetched} bulk fetches");
    drop(rx);
    let summary = task.await.expect("task");
    assert_eq!(summary.outcome, Outcome::Cancelled);
}

#[tokio::test]
async fn counting_reads_only_ids_when_the_jql_is_exact() {
    let s = setup(640).await;
    s.emulator.reset_stats();
    let (n, _) = count(&s.jira, &s.plan(None)).await.expect("count");
    assert_eq!(n, 640);
    let stats = s.emulator.stats();
    assert_eq!(stats.requests.get("POST /rest/api/3/issue/bulkfetch"), None);

    let filter = "Updated ge 2024-09-01T00:00:00Z";
    let (n, _) = count(&s.jira, &s.plan(Some(filter))).await.expect("count");
    assert_eq!(n as usize, s.truth(Some(filter)).len());
}

/// A table with `id % 4` rows per issue (none for some), each row `[issue id, n]`.
struct FanOut;

impl TableRows for FanOut {
    fn read<'a>(
        &'a self,
        jira: &'a JiraClient,
        site: &'a JiraSite,
        creds: &'a JiraCredentials,
        ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Vec<Row>>, JiraError>> {
        Box::pin(async move {
            let mut by_id = issues_by_id(jira.bulk_fetch(site, creds, ids, &[]).await?);
            Ok(ids
                .iter()
                .map(|id| match by_id.remove(id) {
                    None => Vec::new(),
                    Some(_) => {
                        let n: i64 = id.parse().expect("numeric id");
                        (0..n % 4)
                            .map(|k| vec![CellValue::String(id.clone()), CellValue::Int64(k)])
                            .collect()
                    }
                })
                .collect())
        })
    }

    fn output(&self, row: Row) -> Row {
        row
    }
}

#[tokio::test]
async fn tables_with_many_rows_per_issue_resume_inside_an_issue_without_loss_or_repeat() {
    let s = setup(300).await;
    let mut plan = s.plan(None);
    plan.rows = Arc::new(FanOut);
    let whole = collect(&s.jira, plan.clone()).await;
    assert_eq!(whole.failed, None);
    let expected: usize = s
        .truth(None)
        .iter()
        .map(|row| (row[0].to_text().parse::<usize>().unwrap()) % 4)
        .sum();
    assert_eq!(whole.rows.len(), expected);
    // Pages of 5 rows end inside issues (which have up to 3 rows) again and again.
    plan.limit = Some(5);
    let mut all: Vec<Row> = Vec::new();
    let mut inside = 0;
    for _ in 0..1_000 {
        let got = collect(&s.jira, plan.clone()).await;
        all.extend(got.rows);
        match got.end.expect("an end") {
            Some(resume) => {
                inside += usize::from(resume.within > 0);
                plan.start = Some(resume);
            }
            None => break,
        }
    }
    assert_eq!(all, whole.rows);
    assert!(inside > 10, "pages ended inside an issue {inside} times");
}

#[test]
fn concurrency_grows_while_jira_keeps_up_and_halves_when_it_throttles() {
    let mut state = (8, 0);
    let mut steps = Vec::new();
    for _ in 0..200 {
        state = next_concurrency(state.0, state.1, false, MAX_CONCURRENCY);
        steps.push(state.0);
    }
    // One more after 2 × c clean batches: 8 → 9 after 16, → 10 after 18 more, …
    assert_eq!(steps[14], 8);
    assert_eq!(steps[15], 9);
    assert_eq!(steps[15 + 18], 10);
    assert_eq!(
        *steps.last().unwrap(),
        MAX_CONCURRENCY,
        "never above the ceiling"
    );
    assert_eq!(next_concurrency(12, 5, true, MAX_CONCURRENCY), (6, 0));
    assert_eq!(next_concurrency(1, 0, true, MAX_CONCURRENCY), (1, 0));
    assert_eq!(
        next_concurrency(3, 0, false, 1),
        (1, 1),
        "a lower ceiling wins"
    );
}
