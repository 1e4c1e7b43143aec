//! How many exports may run at once: per user (`EXPORTS_PER_USER`) and in total
//! (`EXPORTS_TOTAL`). An export holds Jira connections (up to 8 parallel reads), buffers and the
//! user's share of Jira's rate limit for as long as it streams, so an unbounded number of them
//! would let one BI tool (or one script in a loop) starve everyone else, and the whole service
//! run out of memory or sockets.
//!
//! A request over a limit is answered at once with `429 Too Many Requests`, `Retry-After` and a
//! sentence saying which limit was hit, in the feed's own error format; it never waits in a queue
//! (a BI tool has its own timeout and retry) and never becomes a 5xx.
//!
//! The per-user default is sized for a BI tool refreshing a whole model: Power BI evaluates
//! several queries in parallel (one per table, plus a `$count` or a preview), so 8 exports per
//! user let a report of several data sources refresh at once.
//!
//! A [`ExportPermit`] is taken before the first Jira call and released when dropped; the streaming
//! feeds move it into the export task, which the response body waits for before its last bytes
//! (see [`super::stream`]), so a client that has read a whole response has its slot back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use actix_web::http::StatusCode;

use super::error::FeedError;

/// Seconds a refused client is asked to wait: about the time a typical export takes.
pub const RETRY_AFTER_SECONDS: u32 = 10;

/// The counters behind the limits: exports running per (tenant, account), and in total.
#[derive(Debug, Default)]
struct Running {
    total: usize,
    per_user: HashMap<(i64, String), usize>,
}

#[derive(Debug, Clone)]
pub struct ExportLimits {
    per_user: usize,
    total: usize,
    running: Arc<Mutex<Running>>,
}

/// Which limit refused an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitExceeded {
    PerUser { limit: usize },
    Total { limit: usize },
}

/// One running export. Dropping it frees the slot.
#[derive(Debug)]
pub struct ExportPermit {
    key: (i64, String),
    running: Arc<Mutex<Running>>,
}

fn lock(running: &Mutex<Running>) -> MutexGuard<'_, Running> {
    // Each update is a pair of integer changes made together; a poisoned lock still holds them.
    running.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ExportLimits {
    /// Limits of `per_user` exports per user and `total` overall (both at least 1).
    pub fn new(per_user: usize, total: usize) -> Self {
        Self {
            per_user: per_user.max(1),
            total: total.max(1),
            running: Arc::default(),
        }
    }

    /// A slot for one export of `account_id` in tenant `tenant_id`, or which limit is reached.
    pub fn try_acquire(
        &self,
        tenant_id: i64,
        account_id: &str,
    ) -> Result<ExportPermit, LimitExceeded> {
        let key = (tenant_id, account_id.to_owned());
        let mut running = lock(&self.running);
        let mine = running.per_user.get(&key).copied().unwrap_or(0);
        if mine >= self.per_user {
            return Err(LimitExceeded::PerUser {
                limit: self.per_user,
            });
        }
        if running.total >= self.total {
            return Err(LimitExceeded::Total { limit: self.total });
        }
        running.total += 1;
        running.per_user.insert(key.clone(), mine + 1);
        drop(running);
        Ok(ExportPermit {
            key,
            running: Arc::clone(&self.running),
        })
    }

    /// Exports running now (for tests and diagnostics).
    pub fn running(&self) -> usize {
        lock(&self.running).total
    }
}

impl Drop for ExportPermit {
    fn drop(&mut self) {
        let mut running = lock(&self.running);
        running.total = running.total.saturating_sub(1);
        if let Some(count) = running.per_user.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                running.per_user.remove(&self.key);
            }
        }
    }
}

impl From<LimitExceeded> for FeedError {
    fn from(exceeded: LimitExceeded) -> Self {
        let message = match exceeded {
            LimitExceeded::PerUser { limit } => format!(
                "Too many exports are running for your account at once (at most {limit}). Wait \
                 for one to finish, then refresh again; if your BI tool refreshes many tables in \
                 parallel, lower its number of parallel queries."
            ),
            LimitExceeded::Total { limit: _ } => "BI Connector is serving as many exports as it \
                 can right now. Try again in a few seconds."
                .to_owned(),
        };
        let code = match exceeded {
            LimitExceeded::PerUser { .. } => "TooManyExports",
            LimitExceeded::Total { .. } => "ServerBusy",
        };
        Self {
            retry_after: Some(RETRY_AFTER_SECONDS),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, code, message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_gets_their_own_slots_up_to_the_total() {
        let limits = ExportLimits::new(2, 3);
        let a1 = limits.try_acquire(1, "alice").unwrap();
        let _a2 = limits.try_acquire(1, "alice").unwrap();
        assert_eq!(
            limits.try_acquire(1, "alice").unwrap_err(),
            LimitExceeded::PerUser { limit: 2 }
        );
        // The same account id on another site is another user.
        let _other_site = limits.try_acquire(2, "alice").unwrap();
        assert_eq!(
            limits.try_acquire(1, "bob").unwrap_err(),
            LimitExceeded::Total { limit: 3 }
        );
        assert_eq!(limits.running(), 3);

        drop(a1);

        let _bob = limits.try_acquire(1, "bob").unwrap();
        assert_eq!(limits.running(), 3);
    }

    #[test]
    fn dropped_permits_free_their_slots_and_leave_no_entries_behind() {
        let limits = ExportLimits::new(1, 10);
        for _ in 0..5 {
            let permit = limits.try_acquire(1, "alice").unwrap();
            assert!(limits.try_acquire(1, "alice").is_err());
            drop(permit);
        }
        assert_eq!(limits.running(), 0);
        assert!(lock(&limits.running).per_user.is_empty());
    }

    #[test]
    fn a_refusal_is_a_429_with_retry_after_and_says_which_limit() {
        let per_user = FeedError::from(LimitExceeded::PerUser { limit: 8 });
        let total = FeedError::from(LimitExceeded::Total { limit: 32 });

        assert_eq!(per_user.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(per_user.retry_after, Some(RETRY_AFTER_SECONDS));
        assert!(
            per_user.message.contains("at most 8"),
            "{}",
            per_user.message
        );
        assert_eq!(total.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(total.code, "ServerBusy");
        assert_ne!(per_user.message, total.message);
    }
}
