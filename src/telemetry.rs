//! Logging setup and the request log. The request log records method, path (never the query
//! string: Jira puts the page JWT there and we put the session token there), status and time.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tracing_subscriber::EnvFilter;

/// Installs the global tracing subscriber; `RUST_LOG` overrides the `info` default.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    // A second init (tests spawning several apps) is harmless, so the error is ignored.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

/// Middleware: one line per request, without query strings or bodies.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    #[allow(clippy::disallowed_methods, reason = "times the request log line only")]
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let response = next.call(req).await;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match &response {
        Ok(res) => tracing::info!(
            http.method = %method,
            http.path = %path,
            http.status = res.status().as_u16(),
            elapsed_ms,
            "request"
        ),
        Err(err) => tracing::warn!(
            http.method = %method,
            http.path = %path,
            http.status = err.as_response_error().status_code().as_u16(),
            elapsed_ms,
            "request failed"
        ),
    }
    response
}
