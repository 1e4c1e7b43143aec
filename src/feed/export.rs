//! The export engine: reads a data source's issues from Jira as fast as Jira allows and hands
//! them on in order, holding only a bounded window in memory whatever the size.
//! One file (~750 lines) on purpose: the pager, the fetcher and the window between them are one
//! state machine, and its invariants (order, memory bound, no row lost) are checked side by side.
//!
//! Two stages run at once:
//! 1. the *pager* walks `POST /search/jql` with id-only pages of [`Tuning::id_page_size`]
//!    (cheap for Jira, and the only sequential part) and cuts the ids into batches of 100;
//! 2. the *fetcher* runs `POST /issue/bulkfetch` for several batches in parallel (each in its
//!    own task, so JSON parsing and row conversion use every core), and delivers them in order.
//!
//! Memory is bounded by the channels: the pager stops when [`Tuning::batch_buffer`] batches wait,
//! at most [`Tuning::max_concurrency`] batches are in flight, and the consumer's channel holds
//! [`Tuning::out_buffer`] batches of rows, so a slow client slows Jira reads down instead of
//! filling memory.
//!
//! Concurrency adapts (AIMD, from 8 up to [`MAX_CONCURRENCY`]): it halves whenever a batch needed retries (429 or 5xx; the client
//! honours `Retry-After`) and grows by one after a run of clean batches. A batch that is still
//! throttled after the client's retries is tried again at concurrency 1 after a pause, a few
//! times, before the export fails. Any other failure ends the export with [`ExportEvent::Failed`]:
//! the consumer must then abort its response, never end it as if it were complete.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinHandle};

use super::columns::{CellValue, ColumnSet};
use super::filter::Predicate;
use crate::jira::client::{
    BULK_FETCH_MAX_IDS, CallStats, JiraClient, JiraCredentials, JiraError, JiraSite, SearchRequest,
};

/// A guard against a Jira that never ends its paging (10,000 × 5,000 = 50 million ids).
const MAX_ID_PAGES: usize = 10_000;

/// The most batches read at once. Atlassian publishes no number for the burst limits that
/// govern API-token traffic (per tenant, endpoint and method, per second), only the guidance to
/// read with "around 4–8" in parallel. The engine starts at 8 and earns its way up one step per
/// `2 × concurrency` batches answered without a 429 or 5xx, to 12: half again the guidance, since
/// the extra tables spread a batch over two or three endpoints (bulkfetch, changelog, worklogs),
/// each with its own burst budget. The first throttled batch halves it, and `Retry-After` is
/// honoured by the client, so a site that allows less is back within its budget at once.
/// 12 × the 32 MiB body cap is also the worst-case memory of one export.
pub const MAX_CONCURRENCY: usize = 12;

/// Knobs of the engine; the defaults follow Atlassian's guidance (start at 8 parallel reads).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// Ids per `search/jql` page (Jira allows 5,000 when only ids are requested).
    pub id_page_size: u32,
    /// Ids per `bulkfetch` call (Jira allows 100).
    pub batch_size: usize,
    pub initial_concurrency: usize,
    pub max_concurrency: usize,
    /// Batches of ids the pager may prepare ahead of the fetcher.
    pub batch_buffer: usize,
    /// Batches of rows waiting for the consumer.
    pub out_buffer: usize,
    /// How often a still-throttled call is tried again (after the client's own retries).
    pub throttle_rounds: u32,
    /// Pause before such a round.
    pub throttle_pause: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            id_page_size: 5_000,
            batch_size: BULK_FETCH_MAX_IDS,
            initial_concurrency: 8,
            max_concurrency: MAX_CONCURRENCY,
            batch_buffer: 100,
            out_buffer: 16,
            throttle_rounds: 3,
            throttle_pause: Duration::from_secs(2),
        }
    }
}

/// One JQL the export may run, most pushed-down first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JqlVariant {
    pub jql: String,
    /// Whether Jira's matches are exactly the rows the filter accepts.
    pub exact: bool,
}

/// Where an export starts or resumes: Jira's token for an id page and a position in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resume {
    pub page_token: Option<String>,
    pub offset: u32,
    /// Rows of the issue at `offset` already handed on (tables with several rows per issue),
    /// counted before the filter, in the table's row order for that issue.
    pub within: u32,
    /// Index of the [`JqlVariant`] the export runs.
    pub variant: u8,
}

/// A boxed future, for [`TableRows`] (which the engine holds as a trait object).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What an export turns each batch of issue ids into: the rows of one table. `Issues` is one
/// row per issue from `issue/bulkfetch` ([`IssueRows`]); the other tables read more per batch
/// (change histories, worklogs…) and may give an issue many rows or none.
pub trait TableRows: Send + Sync {
    /// For each id of `ids`, in order, the rows of that issue with every computed cell (in the
    /// order the filter was compiled for); empty for an issue Jira did not return.
    fn read<'a>(
        &'a self,
        jira: &'a JiraClient,
        site: &'a JiraSite,
        creds: &'a JiraCredentials,
        ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Vec<Row>>, JiraError>>;

    /// The cells handed on, from a computed row.
    fn output(&self, row: Row) -> Row;
}

/// A table read in full before any row is handed on (sprints, versions: the distinct things the
/// issues refer to, in the table's order). Bounded by what it refers to, not by the issues.
pub trait Materialized: Send + Sync {
    /// Every row, in the table's order, with every computed cell.
    fn rows<'a>(
        &'a self,
        jira: &'a JiraClient,
        plan: &'a ExportPlan,
    ) -> BoxFuture<'a, Result<Vec<Row>, ExportError>>;
}

/// The `Issues` table: the data source's columns, one row per issue.
#[derive(Debug)]
pub struct IssueRows {
    /// The output columns first, then any the filter needs.
    pub columns: Arc<ColumnSet>,
    /// How many leading columns are handed on.
    pub output_columns: usize,
    fields: Vec<String>,
}

impl IssueRows {
    pub fn new(columns: Arc<ColumnSet>, output_columns: usize) -> Self {
        let fields = columns.jira_fields();
        Self {
            columns,
            output_columns,
            fields,
        }
    }
}

impl TableRows for IssueRows {
    fn read<'a>(
        &'a self,
        jira: &'a JiraClient,
        site: &'a JiraSite,
        creds: &'a JiraCredentials,
        ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Vec<Row>>, JiraError>> {
        Box::pin(async move {
            let issues = jira.bulk_fetch(site, creds, ids, &self.fields).await?;
            let mut by_id = issues_by_id(issues);
            // Issues deleted or hidden since the search are left out; Jira neither returns nor
            // lists them (the client has already re-requested its `issueErrors`).
            Ok(ids
                .iter()
                .map(|id| {
                    by_id
                        .remove(id)
                        .map(|issue| vec![self.columns.row(&issue)])
                        .unwrap_or_default()
                })
                .collect())
        })
    }

    fn output(&self, mut row: Row) -> Row {
        row.truncate(self.output_columns);
        row
    }
}

/// Issues keyed by their id (a string in the spec; a number is tolerated).
pub fn issues_by_id(issues: Vec<Value>) -> HashMap<String, Value> {
    issues
        .into_iter()
        .filter_map(|issue| {
            let id = match issue.get("id") {
                Some(Value::String(id)) => id.clone(),
                Some(Value::Number(id)) => id.to_string(),
                _ => return None,
            };
            Some((id, issue))
        })
        .collect()
}

/// Everything one export needs.
#[derive(Clone)]
pub struct ExportPlan {
    pub site: JiraSite,
    pub creds: JiraCredentials,
    /// Tried in order; a later variant is used only if Jira refuses an earlier one with a 400
    /// on the first page (e.g. a status name the site does not have).
    pub variants: Vec<JqlVariant>,
    /// What each batch of ids becomes (and how a computed row is cut to the output).
    pub rows: Arc<dyn TableRows>,
    /// For tables read in full: then `rows` only cuts rows to the output, and a resume point's
    /// `offset` counts the rows already handed on.
    pub materialized: Option<Arc<dyn Materialized>>,
    /// Applied to every computed row.
    pub filter: Option<Arc<Predicate>>,
    /// `None`: from the beginning.
    pub start: Option<Resume>,
    /// Matching rows to pass over before the first one handed on.
    pub skip: u64,
    /// Stop after this many rows (and report where to resume).
    pub limit: Option<u64>,
    pub tuning: Tuning,
}

impl std::fmt::Debug for ExportPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportPlan")
            .field("variants", &self.variants.len())
            .field("start", &self.start)
            .field("skip", &self.skip)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// One row: the output cells.
pub type Row = Vec<CellValue>;

/// What the consumer receives, in order.
#[derive(Debug)]
pub enum ExportEvent {
    Rows(Vec<Row>),
    /// The export is complete (`None`) or stopped at the limit with more to come (`Some`).
    End(Option<Resume>),
    /// Jira failed for good: the consumer must not present what it got as complete.
    Failed(ExportError),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Jira(#[from] JiraError),
    #[error("export task failed: {0}")]
    Internal(String),
}

impl ExportError {
    /// Text for the user (never internal details).
    pub fn user_message(&self) -> String {
        match self {
            Self::Jira(err) => err.user_message(),
            Self::Internal(_) => {
                "The export failed on our side. Try again; if it keeps happening, contact support."
                    .to_owned()
            }
        }
    }
}

/// How an export ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Complete,
    /// Stopped at the limit; more rows may follow from the resume point.
    Paused,
    Failed(ExportError),
    /// The consumer went away (client disconnected).
    Cancelled,
}

/// For the export log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    pub rows: u64,
    pub jira: CallStats,
    pub outcome: Outcome,
    pub variant: Option<u8>,
}

/// Runs `plan`, sending events to `tx` until the end, a failure, or `tx` closing.
/// `jira` should be a handle with fresh stats (see [`JiraClient::with_fresh_stats`]).
pub async fn run(
    jira: &JiraClient,
    plan: ExportPlan,
    tx: mpsc::Sender<ExportEvent>,
) -> ExportSummary {
    if let Some(table) = plan.materialized.clone() {
        return run_materialized(jira, &plan, table.as_ref(), tx).await;
    }
    let mut fetcher = Fetcher::new(jira, &plan, tx);
    let outcome = fetcher.run().await;
    let pager_stats = jira.stats();
    ExportSummary {
        rows: fetcher.emitted,
        jira: CallStats {
            requests: pager_stats.requests + fetcher.stats.requests,
            retries: pager_stats.retries + fetcher.stats.retries,
        },
        outcome,
        variant: fetcher.variant,
    }
}

/// Counts the rows `plan` would produce (ignoring its start, skip and limit). When the JQL
/// Jira accepts matches the filter exactly, only ids are read; otherwise rows are fetched and
/// filtered, as an export would.
pub async fn count(jira: &JiraClient, plan: &ExportPlan) -> Result<(u64, CallStats), ExportError> {
    let mut plan = plan.clone();
    plan.start = None;
    plan.skip = 0;
    plan.limit = None;
    let counting = jira.with_fresh_stats();
    if let Some(table) = plan.materialized.clone() {
        let rows = filtered(table.rows(&counting, &plan).await?, &plan);
        return Ok((rows.len() as u64, counting.stats()));
    }
    let (variant, first) = first_page(&counting, &plan, None).await?;
    let stats_of = |client: &JiraClient| client.stats();
    if plan.variants[usize::from(variant)].exact {
        let mut total = first.ids.len() as u64;
        let mut token = first.next_page_token;
        let mut pages = 1;
        while let Some(next) = token.filter(|_| pages < MAX_ID_PAGES) {
            let page = search_ids(&counting, &plan, usize::from(variant), Some(next)).await?;
            pages += 1;
            if page.ids.is_empty() {
                break;
            }
            total += page.ids.len() as u64;
            token = if page.is_last {
                None
            } else {
                page.next_page_token
            };
        }
        return Ok((total, stats_of(&counting)));
    }
    // Not exact: count what an export of the filter columns yields.
    plan.start = Some(Resume {
        page_token: None,
        offset: 0,
        within: 0,
        variant,
    });
    let (tx, mut rx) = mpsc::channel(plan.tuning.out_buffer.max(1));
    let exporting = jira.with_fresh_stats();
    let task = AbortOnDrop(tokio::spawn({
        let exporting = exporting.clone();
        async move { run(&exporting, plan, tx).await }
    }));
    let mut total = 0u64;
    while let Some(event) = rx.recv().await {
        match event {
            ExportEvent::Rows(rows) => total += rows.len() as u64,
            ExportEvent::End(_) => break,
            ExportEvent::Failed(err) => return Err(err),
        }
    }
    let summary = task
        .await
        .map_err(|err| ExportError::Internal(err.to_string()))?;
    let counted = stats_of(&counting);
    Ok((
        total,
        CallStats {
            requests: counted.requests + summary.jira.requests,
            retries: counted.retries + summary.jira.retries,
        },
    ))
}

/// The rows of a materialized table that pass the filter.
fn filtered(rows: Vec<Row>, plan: &ExportPlan) -> Vec<Row> {
    match &plan.filter {
        None => rows,
        Some(filter) => rows.into_iter().filter(|row| filter.matches(row)).collect(),
    }
}

/// A materialized table: all rows, then the filter, the resume point, `$skip` and the limit.
async fn run_materialized(
    jira: &JiraClient,
    plan: &ExportPlan,
    table: &dyn Materialized,
    tx: mpsc::Sender<ExportEvent>,
) -> ExportSummary {
    let own = jira.with_fresh_stats();
    let mut summary = ExportSummary {
        rows: 0,
        jira: CallStats::default(),
        outcome: Outcome::Complete,
        variant: Some(0),
    };
    let rows = match table.rows(&own, plan).await {
        Ok(rows) => filtered(rows, plan),
        Err(err) => {
            summary.jira = own.stats();
            let _ = tx.send(ExportEvent::Failed(err.clone())).await;
            summary.outcome = Outcome::Failed(err);
            return summary;
        }
    };
    summary.jira = own.stats();
    let start = plan
        .start
        .as_ref()
        .map_or(0, |resume| resume.offset as usize);
    let first = start.saturating_add(usize::try_from(plan.skip).unwrap_or(usize::MAX));
    let available = rows.len().saturating_sub(first);
    let take = plan.limit.map_or(available, |limit| {
        available.min(usize::try_from(limit).unwrap_or(usize::MAX))
    });
    let end = first.saturating_add(take);
    let page: Vec<Row> = rows
        .into_iter()
        .skip(first)
        .take(take)
        .map(|row| plan.rows.output(row))
        .collect();
    summary.rows = page.len() as u64;
    for chunk in page.chunks(1_000) {
        if tx.send(ExportEvent::Rows(chunk.to_vec())).await.is_err() {
            summary.outcome = Outcome::Cancelled;
            return summary;
        }
    }
    let total = first.saturating_add(available);
    let resume = (plan.limit.is_some() && end < total).then(|| Resume {
        page_token: None,
        offset: u32::try_from(end).unwrap_or(u32::MAX),
        within: 0,
        variant: 0,
    });
    summary.outcome = if resume.is_some() {
        Outcome::Paused
    } else {
        Outcome::Complete
    };
    if tx.send(ExportEvent::End(resume)).await.is_err() {
        summary.outcome = Outcome::Cancelled;
    }
    summary
}

// ---------------------------------------------------------------------------------------------

/// A `JoinHandle` that aborts its task when dropped, so an abandoned export stops reading Jira.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One id page as the pager saw it; batches point back at it to compute resume points.
#[derive(Debug)]
struct PageInfo {
    /// The token this page was requested with.
    token: Option<String>,
    next_token: Option<String>,
    len: u32,
    is_last: bool,
    variant: u8,
}

impl PageInfo {
    /// Where to resume: at the id at `offset`, after `within` of its rows (`within` 0: after
    /// the id at `offset - 1`); `None` at the very end.
    fn resume_at(&self, offset: u32, within: u32) -> Option<Resume> {
        if offset < self.len {
            return Some(Resume {
                page_token: self.token.clone(),
                offset,
                within,
                variant: self.variant,
            });
        }
        if self.is_last {
            return None;
        }
        self.next_token.as_ref().map(|token| Resume {
            page_token: Some(token.clone()),
            offset: 0,
            within: 0,
            variant: self.variant,
        })
    }
}

#[derive(Debug)]
struct Batch {
    page: Arc<PageInfo>,
    /// Offset in the page of `ids[0]`.
    first_offset: u32,
    /// Rows of `ids[0]` already handed on before (when resuming inside an issue).
    first_within: u32,
    ids: Vec<String>,
}

enum PagerMessage {
    Batch(Batch),
    Failed(ExportError),
}

struct IdPage {
    ids: Vec<String>,
    next_page_token: Option<String>,
    is_last: bool,
}

async fn search_ids(
    jira: &JiraClient,
    plan: &ExportPlan,
    variant: usize,
    token: Option<String>,
) -> Result<IdPage, ExportError> {
    let request = SearchRequest {
        jql: plan.variants[variant].jql.clone(),
        next_page_token: token,
        max_results: plan.tuning.id_page_size,
        fields: vec!["id".to_owned()],
    };
    let mut round = 0;
    let page = loop {
        match jira.search_jql(&plan.site, &plan.creds, &request).await {
            Err(JiraError::RateLimited) if round < plan.tuning.throttle_rounds => {
                round += 1;
                jira.wait(plan.tuning.throttle_pause).await;
            }
            other => break other?,
        }
    };
    let ids = page
        .issues
        .iter()
        .filter_map(|issue| match issue.get("id") {
            Some(Value::String(id)) => Some(id.clone()),
            Some(Value::Number(id)) => Some(id.to_string()),
            _ => None,
        })
        .collect();
    Ok(IdPage {
        ids,
        next_page_token: page.next_page_token,
        is_last: page.is_last,
    })
}

/// The first id page: from `resume`, or trying the variants in order on 400s.
async fn first_page(
    jira: &JiraClient,
    plan: &ExportPlan,
    resume: Option<&Resume>,
) -> Result<(u8, IdPage), ExportError> {
    if let Some(resume) = resume {
        let variant = usize::from(resume.variant);
        if variant >= plan.variants.len() {
            return Err(ExportError::Internal(
                "resume variant out of range".to_owned(),
            ));
        }
        let page = search_ids(jira, plan, variant, resume.page_token.clone()).await?;
        return Ok((resume.variant, page));
    }
    let mut last_error = ExportError::Internal("no JQL to run".to_owned());
    for variant in 0..plan.variants.len() {
        match search_ids(jira, plan, variant, None).await {
            Ok(page) => return Ok((u8::try_from(variant).unwrap_or(u8::MAX), page)),
            Err(err @ ExportError::Jira(JiraError::BadRequest { .. })) => last_error = err,
            Err(err) => return Err(err),
        }
    }
    Err(last_error)
}

/// Walks the id pages and sends batches until the end, a failure, or the fetcher hanging up.
async fn pager(
    jira: JiraClient,
    plan: Arc<ExportPlan>,
    tx: mpsc::Sender<PagerMessage>,
    mut skip_ids: u64,
) {
    let first = match first_page(&jira, &plan, plan.start.as_ref()).await {
        Ok(first) => first,
        Err(err) => {
            let _ = tx.send(PagerMessage::Failed(err)).await;
            return;
        }
    };
    let (variant, mut page) = first;
    let mut token = plan.start.as_ref().and_then(|r| r.page_token.clone());
    let mut offset = plan.start.as_ref().map_or(0, |r| r.offset) as usize;
    // Rows of the issue at `offset` already handed on: applies to the first batch only.
    let mut within = plan.start.as_ref().map_or(0, |r| r.within);
    for _ in 0..MAX_ID_PAGES {
        let len = u32::try_from(page.ids.len()).unwrap_or(u32::MAX);
        let info = Arc::new(PageInfo {
            token: token.clone(),
            next_token: page.next_page_token.clone(),
            len,
            is_last: page.is_last || page.ids.is_empty(),
            variant,
        });
        let mut start = offset.min(page.ids.len());
        // Skipping at the id level (only when the JQL is exact): those issues are never fetched.
        let skippable = (page.ids.len() - start) as u64;
        let skipped = skip_ids.min(skippable);
        skip_ids -= skipped;
        start += skipped as usize;
        let mut ids = std::mem::take(&mut page.ids);
        let mut position = start;
        for chunk in ids[start..].chunks_mut(plan.tuning.batch_size.max(1)) {
            let batch = Batch {
                page: Arc::clone(&info),
                first_offset: u32::try_from(position).unwrap_or(u32::MAX),
                first_within: std::mem::take(&mut within),
                ids: chunk.iter_mut().map(std::mem::take).collect(),
            };
            position += batch.ids.len();
            if tx.send(PagerMessage::Batch(batch)).await.is_err() {
                return;
            }
        }
        if info.is_last {
            return;
        }
        let Some(next) = page.next_page_token.take() else {
            return;
        };
        ids.clear();
        token = Some(next.clone());
        offset = 0;
        page = match search_ids(&jira, &plan, usize::from(variant), Some(next)).await {
            Ok(page) => page,
            Err(err) => {
                let _ = tx.send(PagerMessage::Failed(err)).await;
                return;
            }
        };
    }
    let _ = tx
        .send(PagerMessage::Failed(ExportError::Internal(
            "Jira kept returning pages beyond the page limit".to_owned(),
        )))
        .await;
}

/// Rows of one batch that passed the filter, each with where to resume *after* it (offset of
/// the issue it belongs to or the next one, and rows of that issue already handed on).
struct FetchedBatch {
    page: Arc<PageInfo>,
    rows: Vec<(Row, u32, u32)>,
    stats: CallStats,
}

struct FetchJob {
    jira: JiraClient,
    plan: Arc<ExportPlan>,
}

type BatchRows = Vec<(Row, u32, u32)>;

impl FetchJob {
    async fn fetch(&self, batch: &Batch) -> (Result<BatchRows, JiraError>, CallStats) {
        let own = self.jira.with_fresh_stats();
        let plan = &self.plan;
        let result = plan
            .rows
            .read(&own, &plan.site, &plan.creds, &batch.ids)
            .await;
        let stats = own.stats();
        let per_issue = match result {
            Ok(per_issue) => per_issue,
            Err(err) => return (Err(err), stats),
        };
        let mut rows = Vec::with_capacity(batch.ids.len());
        for (i, issue_rows) in per_issue.into_iter().enumerate() {
            let offset = batch.first_offset + u32::try_from(i).unwrap_or(u32::MAX);
            let skip = if i == 0 { batch.first_within } else { 0 };
            let count = issue_rows.len();
            for (k, row) in issue_rows.into_iter().enumerate() {
                let k = u32::try_from(k).unwrap_or(u32::MAX);
                if k < skip {
                    continue;
                }
                if plan
                    .filter
                    .as_ref()
                    .is_some_and(|filter| !filter.matches(&row))
                {
                    continue;
                }
                let resume = if k as usize + 1 >= count {
                    (offset + 1, 0)
                } else {
                    (offset, k + 1)
                };
                rows.push((plan.rows.output(row), resume.0, resume.1));
            }
        }
        (Ok(rows), stats)
    }
}

struct Fetcher {
    plan: Arc<ExportPlan>,
    jira: JiraClient,
    tx: mpsc::Sender<ExportEvent>,
    emitted: u64,
    stats: CallStats,
    variant: Option<u8>,
    concurrency: usize,
    clean_streak: usize,
}

type InFlight = AbortOnDrop<FetchedBatchOrFailure>;
type FetchedBatchOrFailure = Result<FetchedBatch, (Batch, JiraError, CallStats)>;

impl Fetcher {
    fn new(jira: &JiraClient, plan: &ExportPlan, tx: mpsc::Sender<ExportEvent>) -> Self {
        let tuning = plan.tuning;
        Self {
            plan: Arc::new(plan.clone()),
            jira: jira.clone(),
            tx,
            emitted: 0,
            stats: CallStats::default(),
            variant: None,
            concurrency: tuning
                .initial_concurrency
                .clamp(1, tuning.max_concurrency.max(1)),
            clean_streak: 0,
        }
    }

    async fn run(&mut self) -> Outcome {
        match self.stream().await {
            Ok(outcome) => outcome,
            Err(Stop::Cancelled) => Outcome::Cancelled,
            Err(Stop::Failed(err)) => {
                // If the consumer is gone, nobody needs to hear about it.
                let _ = self.tx.send(ExportEvent::Failed(err.clone())).await;
                Outcome::Failed(err)
            }
        }
    }

    async fn stream(&mut self) -> Result<Outcome, Stop> {
        if self.plan.limit == Some(0) {
            return self.finish(Some(self.plan.start.clone())).await;
        }
        let job = Arc::new(FetchJob {
            jira: self.jira.clone(),
            plan: Arc::clone(&self.plan),
        });
        let (pager_tx, mut pager_rx) = mpsc::channel(self.plan.tuning.batch_buffer.max(1));
        // Ids can be skipped unseen only when every JQL variant is exactly the filter (which
        // variant runs is known only after the first page).
        let id_skip = if self.plan.variants.iter().all(|v| v.exact) {
            self.plan.skip
        } else {
            0
        };
        let mut row_skip = self.plan.skip - id_skip;
        let _pager = AbortOnDrop(tokio::spawn(pager(
            self.jira.clone(),
            Arc::clone(&self.plan),
            pager_tx,
            id_skip,
        )));
        let mut in_flight: FuturesOrdered<InFlight> = FuturesOrdered::new();
        let mut ids_done = false;
        loop {
            tokio::select! {
                biased;
                done = in_flight.next(), if !in_flight.is_empty() => {
                    let Some(done) = done else { continue };
                    let fetched = match done {
                        Ok(Ok(fetched)) => fetched,
                        Ok(Err((batch, err, stats))) => {
                            self.add_stats(stats);
                            self.retry_throttled(&job, batch, err).await?
                        }
                        Err(join) => return Err(Stop::Failed(ExportError::Internal(join.to_string()))),
                    };
                    self.adapt(fetched.stats);
                    self.add_stats(fetched.stats);
                    if let Some(outcome) = self.deliver(fetched, &mut row_skip).await? {
                        return Ok(outcome);
                    }
                }
                message = pager_rx.recv(), if !ids_done && in_flight.len() < self.concurrency => {
                    match message {
                        Some(PagerMessage::Batch(batch)) => {
                            self.variant = Some(batch.page.variant);
                            in_flight.push_back(spawn_fetch(&job, batch));
                        }
                        Some(PagerMessage::Failed(err)) => return Err(Stop::Failed(err)),
                        None => ids_done = true,
                    }
                }
                else => break,
            }
        }
        self.finish(None).await
    }

    /// Hands a batch's rows on (after skipping); stops at the limit.
    async fn deliver(
        &mut self,
        fetched: FetchedBatch,
        row_skip: &mut u64,
    ) -> Result<Option<Outcome>, Stop> {
        let mut rows = Vec::with_capacity(fetched.rows.len());
        for (row, offset, within) in fetched.rows {
            if *row_skip > 0 {
                *row_skip -= 1;
                continue;
            }
            rows.push(row);
            self.emitted += 1;
            if self.plan.limit.is_some_and(|limit| self.emitted >= limit) {
                self.send(ExportEvent::Rows(rows)).await?;
                let resume = fetched.page.resume_at(offset, within);
                return self.finish(Some(resume)).await.map(Some);
            }
        }
        if !rows.is_empty() {
            self.send(ExportEvent::Rows(rows)).await?;
        }
        Ok(None)
    }

    /// Ends the stream: `Some(resume)` when stopped at the limit (resume `None` = nothing left).
    async fn finish(&mut self, stopped: Option<Option<Resume>>) -> Result<Outcome, Stop> {
        let (resume, outcome) = match stopped {
            Some(Some(resume)) => (Some(resume), Outcome::Paused),
            Some(None) | None => (None, Outcome::Complete),
        };
        self.send(ExportEvent::End(resume)).await?;
        Ok(outcome)
    }

    async fn send(&self, event: ExportEvent) -> Result<(), Stop> {
        self.tx.send(event).await.map_err(|_| Stop::Cancelled)
    }

    fn add_stats(&mut self, stats: CallStats) {
        self.stats.requests += stats.requests;
        self.stats.retries += stats.retries;
    }

    /// AIMD: halve on retries, grow by one after a run of clean batches.
    fn adapt(&mut self, stats: CallStats) {
        (self.concurrency, self.clean_streak) = next_concurrency(
            self.concurrency,
            self.clean_streak,
            stats.retries > 0,
            self.plan.tuning.max_concurrency,
        );
    }

    /// A batch still throttled after the client's retries: try again alone, after a pause.
    async fn retry_throttled(
        &mut self,
        job: &Arc<FetchJob>,
        batch: Batch,
        err: JiraError,
    ) -> Result<FetchedBatch, Stop> {
        if err != JiraError::RateLimited {
            return Err(Stop::Failed(ExportError::Jira(err)));
        }
        let mut last = err;
        for _ in 0..self.plan.tuning.throttle_rounds {
            self.concurrency = 1;
            self.clean_streak = 0;
            self.jira.wait(self.plan.tuning.throttle_pause).await;
            let (result, stats) = job.fetch(&batch).await;
            match result {
                Ok(rows) => {
                    return Ok(FetchedBatch {
                        page: batch.page,
                        rows,
                        stats,
                    });
                }
                Err(JiraError::RateLimited) => {
                    self.add_stats(stats);
                    last = JiraError::RateLimited;
                }
                Err(other) => {
                    self.add_stats(stats);
                    return Err(Stop::Failed(ExportError::Jira(other)));
                }
            }
        }
        Err(Stop::Failed(ExportError::Jira(last)))
    }
}

/// The concurrency and clean streak after a batch: halved (at least 1) when it needed retries,
/// one more after `2 × concurrency` clean batches in a row, never above `max`.
fn next_concurrency(current: usize, streak: usize, retried: bool, max: usize) -> (usize, usize) {
    let max = max.max(1);
    if retried {
        return ((current / 2).max(1), 0);
    }
    let streak = streak + 1;
    if streak >= current * 2 && current < max {
        (current + 1, 0)
    } else {
        (current.min(max), streak)
    }
}

fn spawn_fetch(job: &Arc<FetchJob>, batch: Batch) -> InFlight {
    let job = Arc::clone(job);
    AbortOnDrop(tokio::spawn(async move {
        let (result, stats) = job.fetch(&batch).await;
        match result {
            Ok(rows) => Ok(FetchedBatch {
                page: batch.page,
                rows,
                stats,
            }),
            Err(err) => Err((batch, err, stats)),
        }
    }))
}

enum Stop {
    Cancelled,
    Failed(ExportError),
}

#[cfg(test)]
mod tests;
