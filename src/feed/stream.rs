//! From an export to an HTTP response. The export runs in its own task; the response waits for
//! its first event, so a failure before any data is a proper error response (status and message
//! in the client's format). After that the body is streamed: each batch of rows becomes one
//! chunk. If Jira fails for good later, the body stream ends with an error, which makes the
//! server drop the connection without the final chunk — the client sees a broken transfer, never
//! a shorter data set that looks complete. Every export is logged once when it ends.
//!
//! The export task holds the request's [`ExportPermit`] (see [`super::limits`]) until it ends,
//! and the body waits for the task before writing its last bytes (or breaking off): a client that
//! stops reading keeps its slot (the task is blocked on a full channel), and one that has read a
//! whole response finds its slot free for the next request.

use std::time::Instant;

use actix_web::web::{self, Bytes};
use actix_web::{HttpResponse, HttpResponseBuilder};
use futures_util::stream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::columns::CellValue;
use super::error::{FeedError, Format};
use super::export::{self, ExportError, ExportEvent, ExportPlan, Outcome, Resume, Row};
use super::limits::ExportPermit;
use crate::jira::client::JiraError;
use crate::jira::credentials::note_jira_error;
use crate::state::AppState;
use crate::tokens::auth::TokenOwner;

/// Writes the body around and between batches of rows.
pub trait Encoder: Send + 'static {
    /// Everything before the first row.
    fn head(&mut self, out: &mut Vec<u8>);
    fn rows(&mut self, rows: &[Row], out: &mut Vec<u8>);
    /// Everything after the last row; `resume` is where a next page would start.
    fn tail(&mut self, resume: Option<Resume>, out: &mut Vec<u8>);
}

/// Who and what an export is for, for its log line.
#[derive(Clone, Debug)]
pub struct ExportLabel {
    pub data_source_id: i64,
    pub format: Format,
}

/// A started export: its events, and the task producing them.
pub struct Running {
    events: mpsc::Receiver<ExportEvent>,
    task: Option<JoinHandle<()>>,
}

impl Running {
    /// Waits until the export task has ended (and so released its permit).
    async fn ended(&mut self) {
        if let Some(task) = self.task.take() {
            // A task that panicked has ended too; its permit was dropped while unwinding.
            let _ = task.await;
        }
    }
}

/// Starts `plan` in its own task, which holds `permit` until it ends, and returns its events.
/// When it ends, one log line records data source, format, rows, duration, Jira calls and
/// retries; a Jira 401 marks the owner's saved token rejected.
pub fn start(
    state: &web::Data<AppState>,
    owner: &TokenOwner,
    label: ExportLabel,
    plan: ExportPlan,
    permit: ExportPermit,
) -> Running {
    let (tx, rx) = mpsc::channel(plan.tuning.out_buffer.max(1));
    let state = state.clone();
    let owner = owner.clone();
    let jira = state.jira.with_fresh_stats();
    let task = tokio::spawn(async move {
        let _permit = permit;
        #[allow(clippy::disallowed_methods, reason = "times the export log line only")]
        let started = Instant::now();
        let creds = plan.creds.clone();
        let summary = export::run(&jira, plan, tx).await;
        let outcome = match &summary.outcome {
            Outcome::Complete => "complete",
            Outcome::Paused => "page",
            Outcome::Failed(_) => "failed",
            Outcome::Cancelled => "cancelled",
        };
        let error = match &summary.outcome {
            Outcome::Failed(err) => err.to_string(),
            _ => String::new(),
        };
        tracing::info!(
            tenant.client_key = owner.tenant.client_key.as_str(),
            datasource.id = label.data_source_id,
            feed.format = label.format.as_str(),
            export.outcome = outcome,
            export.rows = summary.rows,
            export.duration_ms = started.elapsed().as_millis() as u64,
            jira.requests = summary.jira.requests,
            jira.retries = summary.jira.retries,
            jira.jql_variant = summary.variant.map_or(-1, i64::from),
            error = %error,
            "export finished"
        );
        if let Outcome::Failed(ExportError::Jira(JiraError::Unauthorized)) = summary.outcome {
            note_jira_error(
                &state,
                &owner.tenant,
                &owner.account_id,
                &creds,
                JiraError::Unauthorized,
            )
            .await;
        }
    });
    Running {
        events: rx,
        task: Some(task),
    }
}

/// Waits for the first event: an error before any data is answered as `format` wants; anything
/// else starts the streamed body with `builder`'s status and headers.
pub async fn respond(
    mut running: Running,
    encoder: impl Encoder,
    mut builder: HttpResponseBuilder,
    format: Format,
) -> HttpResponse {
    let first = match running.events.recv().await {
        None => {
            running.ended().await;
            return FeedError::internal("the export ended without a result").response(format);
        }
        Some(ExportEvent::Failed(err)) => {
            running.ended().await;
            return FeedError::from(err).response(format);
        }
        Some(first) => first,
    };
    let state = BodyState {
        pending: Some(first),
        running,
        encoder,
        started: false,
        finished: false,
    };
    builder.streaming(stream::unfold(state, next_chunk))
}

struct BodyState<E> {
    pending: Option<ExportEvent>,
    running: Running,
    encoder: E,
    started: bool,
    finished: bool,
}

async fn next_chunk<E: Encoder>(
    mut state: BodyState<E>,
) -> Option<(Result<Bytes, std::io::Error>, BodyState<E>)> {
    if state.finished {
        return None;
    }
    let mut out = Vec::new();
    if !state.started {
        state.encoder.head(&mut out);
        state.started = true;
    }
    let event = match state.pending.take() {
        Some(event) => Some(event),
        None => state.running.events.recv().await,
    };
    match event {
        Some(ExportEvent::Rows(rows)) => {
            state.encoder.rows(&rows, &mut out);
            Some((Ok(Bytes::from(out)), state))
        }
        Some(ExportEvent::End(resume)) => {
            state.encoder.tail(resume, &mut out);
            state.finished = true;
            state.running.ended().await;
            Some((Ok(Bytes::from(out)), state))
        }
        // A failure (or a task that died) after the response started: abort the transfer.
        Some(ExportEvent::Failed(_)) | None => {
            state.finished = true;
            state.running.ended().await;
            Some((
                Err(std::io::Error::other(
                    "export aborted: Jira failed after the response started",
                )),
                state,
            ))
        }
    }
}

/// The rows of a JSON array (OData's `value`, the JSON feed's `rows`): objects separated by
/// commas, counted for the next-page link.
pub struct JsonRows {
    keys: Vec<Vec<u8>>,
    written: u64,
}

impl JsonRows {
    pub fn new<S: AsRef<str>>(names: &[S]) -> Self {
        Self {
            keys: json_keys(names),
            written: 0,
        }
    }

    pub fn write(&mut self, rows: &[Row], out: &mut Vec<u8>) {
        for row in rows {
            if self.written > 0 {
                out.push(b',');
            }
            json_object(&self.keys, row, out);
            self.written += 1;
        }
    }

    /// Rows written so far.
    pub fn written(&self) -> u64 {
        self.written
    }
}

/// `"Name":` for each column, JSON-escaped once.
fn json_keys<S: AsRef<str>>(names: &[S]) -> Vec<Vec<u8>> {
    names
        .iter()
        .map(|name| {
            let mut key = serde_json::to_vec(name.as_ref()).unwrap_or_default();
            key.push(b':');
            key
        })
        .collect()
}

/// One row as a JSON object with `keys` (from [`json_keys`]).
fn json_object(keys: &[Vec<u8>], row: &[CellValue], out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (key, cell)) in keys.iter().zip(row).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(key);
        json_value(cell, out);
    }
    out.push(b'}');
}

fn json_value(cell: &CellValue, out: &mut Vec<u8>) {
    let written = match cell {
        CellValue::Null => {
            out.extend_from_slice(b"null");
            Ok(())
        }
        CellValue::String(text) => serde_json::to_writer(&mut *out, text),
        CellValue::DateTimeOffset(_) | CellValue::Date(_) => {
            serde_json::to_writer(&mut *out, &cell.to_text())
        }
        CellValue::Double(number) if number.is_finite() => serde_json::to_writer(&mut *out, number),
        CellValue::Double(_) => {
            out.extend_from_slice(b"null");
            Ok(())
        }
        CellValue::Int64(number) => serde_json::to_writer(&mut *out, number),
        CellValue::Boolean(flag) => serde_json::to_writer(&mut *out, flag),
    };
    // Writing into a Vec cannot fail; keep the document well-formed regardless.
    if written.is_err() {
        out.extend_from_slice(b"null");
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn rows_become_json_objects_with_typed_values() {
        let keys = json_keys(&["S", "T", "D", "N", "I", "B", "Z", "Nan"]);
        let mut out = Vec::new();
        json_object(
            &keys,
            &[
                CellValue::String("a \"q\"\n".into()),
                CellValue::DateTimeOffset(datetime!(2024-01-02 03:04:05.5 UTC)),
                CellValue::Date(date!(2024 - 01 - 02)),
                CellValue::Double(3.0),
                CellValue::Int64(-7),
                CellValue::Boolean(true),
                CellValue::Null,
                CellValue::Double(f64::NAN),
            ],
            &mut out,
        );
        let value: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(
            value,
            serde_json::json!({
                "S": "a \"q\"\n", "T": "2024-01-02T03:04:05.500Z", "D": "2024-01-02",
                "N": 3.0, "I": -7, "B": true, "Z": null, "Nan": null
            })
        );
        assert!(String::from_utf8_lossy(&out).contains("\"N\":3.0"));
    }
}
