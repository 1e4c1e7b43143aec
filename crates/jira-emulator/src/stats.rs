//! Counters that let tests and benchmarks see what the app did to "Jira": how many calls per
//! endpoint, how many faults it absorbed, and how many REST calls it ran at the same time.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

/// A snapshot of the counters (all sites together).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// REST requests per `"METHOD /path"`.
    pub requests: BTreeMap<String, u64>,
    /// Requests under `/rest/`.
    pub rest_requests: u64,
    /// 429 responses sent by fault injection.
    pub rate_limited: u64,
    /// 5xx responses sent by fault injection.
    pub server_errors: u64,
    /// Responses aborted midway by fault injection.
    pub dropped_connections: u64,
    /// Oversized bodies sent by fault injection.
    pub oversized_bodies: u64,
    /// Requests to the install key server (`/connect-install-keys/<kid>`).
    pub install_key_requests: u64,
    /// 401s for missing or wrong credentials.
    pub auth_failures: u64,
    /// 403 CAPTCHA_CHALLENGE answers.
    pub captcha_challenges: u64,
    /// Issues returned by search and bulkfetch.
    pub issues_returned: u64,
    /// Issues bulkfetch answered under `issueErrors` by fault injection.
    pub issue_errors: u64,
    /// Lifecycle callbacks the emulator sent to the app (installed, enabled…).
    pub lifecycle_callbacks: u64,
    /// The largest number of REST requests that were in flight at once.
    pub max_concurrent_rest: u64,
}

/// The live counters behind [`Stats`].
#[derive(Debug, Default)]
pub(crate) struct StatsCounters {
    inner: Mutex<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    stats: Stats,
    in_flight: u64,
}

/// Which counter an event bumps.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Event {
    RateLimited,
    ServerError,
    DroppedConnection,
    OversizedBody,
    InstallKeyRequest,
    AuthFailure,
    CaptchaChallenge,
    LifecycleCallback,
}

impl StatsCounters {
    fn with<T>(&self, update: impl FnOnce(&mut Counters) -> T) -> T {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        update(&mut guard)
    }

    pub(crate) fn snapshot(&self) -> Stats {
        self.with(|counters| counters.stats.clone())
    }

    pub(crate) fn reset(&self) {
        self.with(|counters| counters.stats = Stats::default());
    }

    pub(crate) fn request(&self, label: String, rest: bool) {
        self.with(|counters| {
            *counters.stats.requests.entry(label).or_default() += 1;
            if rest {
                counters.stats.rest_requests += 1;
            }
        });
    }

    pub(crate) fn record(&self, event: Event) {
        self.with(|counters| {
            let stats = &mut counters.stats;
            let counter = match event {
                Event::RateLimited => &mut stats.rate_limited,
                Event::ServerError => &mut stats.server_errors,
                Event::DroppedConnection => &mut stats.dropped_connections,
                Event::OversizedBody => &mut stats.oversized_bodies,
                Event::InstallKeyRequest => &mut stats.install_key_requests,
                Event::AuthFailure => &mut stats.auth_failures,
                Event::CaptchaChallenge => &mut stats.captcha_challenges,
                Event::LifecycleCallback => &mut stats.lifecycle_callbacks,
            };
            *counter += 1;
        });
    }

    pub(crate) fn issues_returned(&self, count: usize) {
        self.with(|counters| counters.stats.issues_returned += count as u64);
    }

    pub(crate) fn issue_errors(&self, count: usize) {
        self.with(|counters| counters.stats.issue_errors += count as u64);
    }

    /// Marks a REST request as running until the returned guard is dropped.
    pub(crate) fn enter(&self) -> InFlight<'_> {
        self.with(|counters| {
            counters.in_flight += 1;
            let stats = &mut counters.stats;
            stats.max_concurrent_rest = stats.max_concurrent_rest.max(counters.in_flight);
        });
        InFlight { counters: self }
    }
}

pub(crate) struct InFlight<'a> {
    counters: &'a StatsCounters,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.counters
            .with(|counters| counters.in_flight = counters.in_flight.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_requests_events_and_concurrency() {
        let counters = StatsCounters::default();
        counters.request("GET /rest/api/3/myself".to_owned(), true);
        counters.request("GET /rest/api/3/myself".to_owned(), true);
        counters.record(Event::RateLimited);
        {
            let _first = counters.enter();
            let _second = counters.enter();
        }
        let _third = counters.enter();
        let stats = counters.snapshot();
        assert_eq!(stats.requests["GET /rest/api/3/myself"], 2);
        assert_eq!(stats.rest_requests, 2);
        assert_eq!(stats.rate_limited, 1);
        assert_eq!(stats.max_concurrent_rest, 2);
        counters.reset();
        assert_eq!(counters.snapshot(), Stats::default());
    }
}
