//! When to retry a Jira read and how long to wait, as pure functions so the timing is unit-tested
//! without a server or a clock. Follows Atlassian's published guidance: honour `Retry-After`,
//! otherwise back off exponentially with ×0.7–1.3 jitter, at most 4 retries, never over 30 s.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;
use time::macros::format_description;

/// How often and how patiently a read is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so at most `max_retries + 1` requests).
    pub max_retries: u32,
    /// Backoff before the first retry when Jira gives no `Retry-After`; doubles each retry.
    pub base_delay: Duration,
    /// No single wait is longer than this, whatever `Retry-After` says.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            base_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// The wait before retry number `attempt` (0 = the first retry).
///
/// `jitter` is a uniform sample from `[0, 1]` (out-of-range values are clamped). Without
/// `Retry-After` the wait is `base_delay × 2^attempt × (0.7 + 0.6 × jitter)`; with it, the wait is
/// `Retry-After × (1 + 0.3 × jitter)`, never *shorter* than Jira asked, since retrying early only
/// earns a longer ban. Either way the result is capped at `max_delay`.
pub fn next_delay(
    attempt: u32,
    retry_after: Option<Duration>,
    policy: &RetryPolicy,
    jitter: f64,
) -> Duration {
    let unit = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let cap = policy.max_delay;
    match retry_after {
        Some(wait) => scale(wait.min(cap), 1.0 + 0.3 * unit, cap),
        None => {
            let doubling = 2u32.checked_pow(attempt).unwrap_or(u32::MAX);
            let backoff = policy.base_delay.checked_mul(doubling).unwrap_or(cap);
            scale(backoff.min(cap), 0.7 + 0.6 * unit, cap)
        }
    }
}

fn scale(delay: Duration, factor: f64, cap: Duration) -> Duration {
    Duration::try_from_secs_f64(delay.as_secs_f64() * factor)
        .unwrap_or(cap)
        .min(cap)
}

/// Parses a `Retry-After` header value: delay-seconds (`"120"`) or an HTTP-date
/// (`"Wed, 21 Oct 2015 07:28:00 GMT"`, relative to `now`; a date in the past means "now").
/// Anything else yields `None` (and the caller falls back to backoff).
pub fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits, so the only possible failure is overflow: treat it as "very long".
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds));
    }
    let imf_fixdate = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, imf_fixdate)
        .ok()?
        .assume_utc();
    let wait = at - now;
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// A uniform sample from `[0, 1]` for [`next_delay`]. Jitter needs no cryptographic strength,
/// but the system RNG is already at hand; if it fails, no jitter is better than no retry.
pub(crate) fn random_jitter() -> f64 {
    crate::crypto::random_bytes::<4>().map_or(0.5, |bytes| {
        f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX)
    })
}

/// How retries wait. [`Pause::real`] sleeps with random jitter; [`Pause::recording`] returns at
/// once, uses the jitter midpoint (so every wait is exactly the policy's value) and keeps the
/// sequence of waits, so tests check *which* waits happened instead of how long they took.
#[derive(Clone, Debug, Default)]
pub struct Pause {
    recorded: Option<Arc<Mutex<Vec<Duration>>>>,
}

impl Pause {
    pub fn real() -> Self {
        Self::default()
    }

    pub fn recording() -> Self {
        Self {
            recorded: Some(Arc::default()),
        }
    }

    /// The waits so far, in order (always empty for [`Pause::real`]).
    pub fn waits(&self) -> Vec<Duration> {
        self.recorded.as_ref().map_or_else(Vec::new, |recorded| {
            recorded
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        })
    }

    pub(crate) fn jitter(&self) -> f64 {
        if self.recorded.is_some() {
            0.5
        } else {
            random_jitter()
        }
    }

    pub(crate) async fn sleep(&self, delay: Duration) {
        match &self.recorded {
            None => tokio::time::sleep(delay).await,
            Some(recorded) => {
                recorded
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(delay);
                tokio::task::yield_now().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn policy() -> RetryPolicy {
        RetryPolicy::default()
    }

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn default_policy_matches_atlassian_guidance() {
        let p = policy();
        assert_eq!(p.max_retries, 4);
        assert_eq!(p.base_delay, Duration::from_secs(5));
        assert_eq!(p.max_delay, Duration::from_secs(30));
    }

    #[test]
    fn backoff_doubles_each_attempt_without_jitter_at_midpoint() {
        // jitter 0.5 → factor 1.0
        assert_eq!(next_delay(0, None, &policy(), 0.5), secs(5.0));
        assert_eq!(next_delay(1, None, &policy(), 0.5), secs(10.0));
        assert_eq!(next_delay(2, None, &policy(), 0.5), secs(20.0));
        assert_eq!(next_delay(3, None, &policy(), 0.5), secs(30.0));
        assert_eq!(next_delay(40, None, &policy(), 0.5), secs(30.0));
        assert_eq!(next_delay(u32::MAX, None, &policy(), 0.5), secs(30.0));
    }

    #[test]
    fn jitter_spans_seventy_to_one_hundred_thirty_percent() {
        let low = next_delay(1, None, &policy(), 0.0);
        let high = next_delay(1, None, &policy(), 1.0);
        assert!((low.as_secs_f64() - 7.0).abs() < 1e-9, "{low:?}");
        assert!((high.as_secs_f64() - 13.0).abs() < 1e-9, "{high:?}");
        // At the cap, jitter can only shorten the wait.
        assert_eq!(next_delay(5, None, &policy(), 1.0), secs(30.0));
        assert!((next_delay(5, None, &policy(), 0.0).as_secs_f64() - 21.0).abs() < 1e-9);
    }

    #[test]
    fn jitter_out_of_range_is_clamped() {
        assert_eq!(
            next_delay(0, None, &policy(), -3.0),
            next_delay(0, None, &policy(), 0.0)
        );
        assert_eq!(
            next_delay(0, None, &policy(), 7.0),
            next_delay(0, None, &policy(), 1.0)
        );
        assert_eq!(
            next_delay(0, None, &policy(), f64::NAN),
            next_delay(0, None, &policy(), 0.5)
        );
    }

    #[test]
    fn retry_after_is_honoured_and_never_shortened() {
        let wait = Some(Duration::from_secs(8));
        assert_eq!(next_delay(0, wait, &policy(), 0.0), secs(8.0));
        assert!((next_delay(3, wait, &policy(), 1.0).as_secs_f64() - 10.4).abs() < 1e-9);
    }

    #[test]
    fn retry_after_is_capped_at_max_delay() {
        let wait = Some(Duration::from_secs(600));
        assert_eq!(next_delay(0, wait, &policy(), 0.0), secs(30.0));
        let huge = Some(Duration::MAX);
        assert_eq!(next_delay(0, huge, &policy(), 1.0), secs(30.0));
    }

    #[test]
    fn retry_after_zero_means_retry_now() {
        assert_eq!(
            next_delay(2, Some(Duration::ZERO), &policy(), 1.0),
            Duration::ZERO
        );
    }

    #[test]
    fn tiny_test_policies_stay_tiny() {
        let p = RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(20),
        };
        for attempt in 0..10 {
            assert!(next_delay(attempt, None, &p, 1.0) <= Duration::from_millis(20));
        }
        assert_eq!(
            next_delay(0, Some(Duration::from_secs(1)), &p, 0.0),
            Duration::from_millis(20)
        );
    }

    #[test]
    fn huge_delays_saturate_at_max_delay_instead_of_overflowing() {
        let p = RetryPolicy {
            max_retries: 100,
            base_delay: Duration::from_secs(u64::MAX / 2),
            max_delay: Duration::MAX,
        };
        // 2^64 × base overflows, and so does ×1.3 jitter: each saturates, never wraps to short.
        assert_eq!(next_delay(64, None, &p, 1.0), Duration::MAX);
        assert_eq!(next_delay(1, None, &p, 1.0), Duration::MAX);
        assert_eq!(next_delay(0, Some(Duration::MAX), &p, 1.0), Duration::MAX);
    }

    const NOW: OffsetDateTime = datetime!(2015-10-21 07:27:00 UTC);

    #[test]
    fn retry_after_seconds() {
        assert_eq!(parse_retry_after("0", NOW), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("1", NOW), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after(" 120 ", NOW),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", NOW),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn retry_after_http_date() {
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", NOW),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn retry_after_date_in_the_past_means_now() {
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", NOW),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn retry_after_garbage_is_ignored() {
        for bad in [
            "",
            "soon",
            "-5",
            "1.5",
            "+3",
            "21 Oct 2015",
            "Wed, 21 Oct 2015 07:28:00",
        ] {
            assert_eq!(parse_retry_after(bad, NOW), None, "{bad:?}");
        }
    }

    #[test]
    fn random_jitter_is_in_unit_range() {
        for _ in 0..100 {
            let j = random_jitter();
            assert!((0.0..=1.0).contains(&j));
        }
    }
}
