//! Fault injection for `/rest/...`: latency, 429 rate limits, 5xx, dropped connections and
//! oversized bodies, so
//! the app's retry and back-off paths can be exercised against something that really fails.
//! Also the faults that are not an HTTP status: `issue/bulkfetch` answering some issues under
//! `issueErrors` ("a retriable error or payload constraint" in the spec) while the call succeeds,
//! and changelog or worklog pages shorter than asked although more follow (applied by those
//! endpoints). `fault_path_contains` aims the every-Nth faults at one endpoint.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use futures_util::{StreamExt, stream};
use tokio::sync::Notify;

use super::config::FaultConfig;
use super::dataset::format_datetime;
use super::state::SiteCtx;
use super::stats::Event;

/// The current faults and the REST request counter they are counted against.
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    config: RwLock<FaultConfig>,
    counter: AtomicU64,
    /// Woken whenever the faults are set (ends a stall).
    changed: Notify,
    /// How often each (site, issue index) was answered as an issue error since the last `set`.
    issue_errors: Mutex<HashMap<(usize, usize), u32>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    DropConnection,
    OversizedBody,
    ServerError,
    RateLimit,
}

impl FaultState {
    pub(crate) fn new(config: FaultConfig) -> Self {
        Self {
            config: RwLock::new(config),
            counter: AtomicU64::new(0),
            changed: Notify::new(),
            issue_errors: Mutex::default(),
        }
    }

    pub(crate) fn current(&self) -> FaultConfig {
        self.config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the faults and restarts the "every Nth request" count.
    pub(crate) fn set(&self, config: FaultConfig) {
        *self.config.write().unwrap_or_else(PoisonError::into_inner) = config;
        self.counter.store(0, Ordering::SeqCst);
        self.issue_errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.changed.notify_waiters();
    }

    /// Returns once the current faults do not stall requests.
    pub(crate) async fn wait_while_stalled(&self) {
        loop {
            // Registered before the check, so a `set` in between is not missed.
            let changed = self.changed.notified();
            let mut changed = std::pin::pin!(changed);
            changed.as_mut().enable();
            if !self.current().stall_requests {
                return;
            }
            changed.await;
        }
    }

    /// Whether `bulkfetch` answers issue `index` of `site` under `issueErrors` this time (and
    /// counts it if so). See [`FaultConfig::issue_errors_percent`].
    pub(crate) fn issue_error(&self, config: &FaultConfig, site: usize, index: usize) -> bool {
        if !issue_error_chosen(config.issue_errors_percent, index) {
            return false;
        }
        let mut answered = self
            .issue_errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let times = answered.entry((site, index)).or_default();
        if config
            .issue_errors_times
            .is_some_and(|limit| *times >= limit)
        {
            return false;
        }
        *times = times.saturating_add(1);
        true
    }

    /// Counts one REST request and says which fault (if any) it gets.
    pub(crate) fn next(&self, config: &FaultConfig) -> Option<Fault> {
        let number = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let hits = |every: Option<u32>| {
            every.is_some_and(|every| every > 0 && number.is_multiple_of(u64::from(every)))
        };
        if hits(config.drop_connection_every) {
            Some(Fault::DropConnection)
        } else if hits(config.oversized_body_every) {
            Some(Fault::OversizedBody)
        } else if hits(config.error_5xx_every) {
            Some(Fault::ServerError)
        } else if hits(config.rate_limit_every) {
            Some(Fault::RateLimit)
        } else {
            None
        }
    }
}

/// Whether issue `index` is among the `percent` of issues picked for issue errors: a fixed,
/// well-mixed choice (SplitMix64 of the index), so neighbours are not picked together.
pub(crate) fn issue_error_chosen(percent: u8, index: usize) -> bool {
    if percent == 0 {
        return false;
    }
    let mut z = (index as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    z % 100 < u64::from(percent)
}

/// Middleware for the `/rest` scope: counts the request, applies latency, maybe injects a fault.
pub(crate) async fn rest_faults(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(ctx) = request.app_data::<web::Data<SiteCtx>>().cloned() else {
        return next
            .call(request)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let shared = &ctx.shared;
    shared
        .stats
        .request(format!("{} {}", request.method(), request.path()), true);
    let _in_flight = shared.stats.enter();
    let config = shared.faults.current();
    if config.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(config.latency_ms)).await;
    }
    if config.stall_requests {
        shared.faults.wait_while_stalled().await;
    }
    let counted = config
        .fault_path_contains
        .as_deref()
        .is_none_or(|part| request.path().contains(part));
    let fault = if counted {
        shared.faults.next(&config)
    } else {
        None
    };
    let response = match fault {
        None => {
            return next
                .call(request)
                .await
                .map(ServiceResponse::map_into_boxed_body);
        }
        Some(Fault::DropConnection) => {
            shared.stats.record(Event::DroppedConnection);
            dropped_connection()
        }
        Some(Fault::OversizedBody) => {
            shared.stats.record(Event::OversizedBody);
            oversized_body(config.oversized_body_bytes)
        }
        Some(Fault::ServerError) => {
            shared.stats.record(Event::ServerError);
            server_error(&config)
        }
        Some(Fault::RateLimit) => {
            shared.stats.record(Event::RateLimited);
            rate_limited(&config, shared.clock.now_unix())
        }
    };
    Ok(request.into_response(response))
}

/// A 200 whose chunked body breaks off after a few bytes: the client sees a truncated response.
fn dropped_connection() -> HttpResponse {
    let chunks: Vec<Result<web::Bytes, std::io::Error>> = vec![
        Ok(web::Bytes::from_static(b"{\"issues\":[{\"id\":\"1")),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "connection dropped by the Jira emulator",
        )),
    ];
    HttpResponse::Ok()
        .content_type("application/json;charset=UTF-8")
        .streaming(stream::iter(chunks))
}

/// A 200 with `bytes` bytes of valid JSON (whitespace, then `{}`), chunked, generated as it is
/// sent so the emulator itself holds only one chunk.
fn oversized_body(bytes: u64) -> HttpResponse {
    const CHUNK: usize = 64 * 1024;
    static SPACES: [u8; CHUNK] = [b' '; CHUNK];
    let padding = bytes.saturating_sub(2);
    let full_chunks = padding / CHUNK as u64;
    let rest = (padding % CHUNK as u64) as usize;
    let chunks = stream::iter((0..full_chunks).map(|_| web::Bytes::from_static(&SPACES)))
        .chain(stream::iter([
            web::Bytes::from_static(&SPACES[..rest]),
            web::Bytes::from_static(b"{}"),
        ]))
        .map(Ok::<_, std::io::Error>);
    HttpResponse::Ok()
        .content_type("application/json;charset=UTF-8")
        .streaming(chunks)
}

fn server_error(config: &FaultConfig) -> HttpResponse {
    let status =
        StatusCode::from_u16(config.error_status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut response = HttpResponse::build(status);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header(("Retry-After", config.retry_after_secs.to_string()));
    }
    response.json(serde_json::json!({
        "errorMessages": ["Internal server error (injected by the Jira emulator)."],
        "errors": {}
    }))
}

fn rate_limited(config: &FaultConfig, now_secs: i64) -> HttpResponse {
    let reset_ms = (now_secs + config.retry_after_secs as i64) * 1000;
    // X-RateLimit-Reset is ISO 8601 to the minute: 2024-03-05T10:15Z.
    let reset = format!("{}Z", &format_datetime(reset_ms)[..16]);
    HttpResponse::TooManyRequests()
        .insert_header(("Retry-After", config.retry_after_secs.to_string()))
        .insert_header(("X-RateLimit-Limit", "100"))
        .insert_header(("X-RateLimit-Remaining", "0"))
        .insert_header(("X-RateLimit-Reset", reset))
        .insert_header(("X-RateLimit-NearLimit", "true"))
        .insert_header(("RateLimit-Reason", "jira-burst-based"))
        .json(serde_json::json!({
            "errorMessages": ["Rate limit exceeded."],
            "errors": {}
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nth_request_gets_its_fault_and_drops_win() {
        let state = FaultState::default();
        let config = FaultConfig {
            rate_limit_every: Some(2),
            error_5xx_every: Some(3),
            drop_connection_every: Some(6),
            oversized_body_every: Some(5),
            ..FaultConfig::default()
        };
        state.set(config.clone());
        let faults: Vec<Option<Fault>> = (0..6).map(|_| state.next(&config)).collect();
        assert_eq!(
            faults,
            vec![
                None,
                Some(Fault::RateLimit),
                Some(Fault::ServerError),
                Some(Fault::RateLimit),
                Some(Fault::OversizedBody),
                Some(Fault::DropConnection),
            ]
        );
    }

    #[actix_web::test]
    async fn a_stall_lasts_until_the_faults_are_set_again() {
        let state = std::sync::Arc::new(FaultState::default());
        state.set(FaultConfig {
            stall_requests: true,
            ..FaultConfig::default()
        });
        let waiting = std::sync::Arc::clone(&state);
        let stalled = tokio::spawn(async move { waiting.wait_while_stalled().await });
        tokio::task::yield_now().await;
        assert!(!stalled.is_finished());

        state.set(FaultConfig::default());

        assert!(stalled.await.is_ok());
    }

    #[actix_web::test]
    async fn an_oversized_body_is_valid_json_of_exactly_the_configured_size() {
        let size = 200 * 1024 + 7;
        let body = actix_web::body::to_bytes(oversized_body(size).into_body())
            .await
            .unwrap_or_default();
        assert_eq!(body.len() as u64, size);
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(value, serde_json::json!({}));
    }

    #[test]
    fn setting_faults_restarts_the_count() {
        let state = FaultState::default();
        let config = FaultConfig {
            rate_limit_every: Some(2),
            ..FaultConfig::default()
        };
        state.set(config.clone());
        assert_eq!(state.next(&config), None);
        state.set(config.clone());
        assert_eq!(state.next(&config), None);
        assert_eq!(state.next(&config), Some(Fault::RateLimit));
        assert_eq!(state.current(), config);
    }

    #[test]
    fn about_the_configured_share_of_issues_is_picked_for_issue_errors() {
        let picked = (0..10_000)
            .filter(|&index| issue_error_chosen(5, index))
            .count();
        assert!((400..600).contains(&picked), "{picked} of 10000 at 5%");
        assert_eq!((0..1_000).filter(|&i| issue_error_chosen(0, i)).count(), 0);
        assert_eq!(
            (0..1_000).filter(|&i| issue_error_chosen(100, i)).count(),
            1_000
        );
    }

    #[test]
    fn a_picked_issue_fails_the_configured_number_of_times_then_succeeds() {
        let config = FaultConfig {
            issue_errors_percent: 100,
            issue_errors_times: Some(2),
            ..FaultConfig::default()
        };
        let state = FaultState::new(config.clone());
        let answers: Vec<bool> = (0..3).map(|_| state.issue_error(&config, 0, 7)).collect();
        assert_eq!(answers, vec![true, true, false]);
        // Counted per site, and restarted by `set`.
        assert!(state.issue_error(&config, 1, 7));
        state.set(config.clone());
        assert!(state.issue_error(&config, 0, 7));
        let forever = FaultConfig {
            issue_errors_times: None,
            ..config
        };
        assert!((0..10).all(|_| state.issue_error(&forever, 0, 8)));
    }

    #[test]
    fn rate_limit_responses_carry_jiras_headers() {
        let response = rate_limited(
            &FaultConfig {
                retry_after_secs: 7,
                ..FaultConfig::default()
            },
            1_704_067_200,
        );
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(header("Retry-After").as_deref(), Some("7"));
        assert_eq!(
            header("X-RateLimit-Reset").as_deref(),
            Some("2024-01-01T00:00Z")
        );
        assert_eq!(
            header("RateLimit-Reason").as_deref(),
            Some("jira-burst-based")
        );
    }
}
