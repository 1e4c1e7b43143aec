//! The emulator's only reading of the wall clock: token `iat`/`exp`, rate-limit windows and JQL's
//! `now()` all come from here, so a test can run the emulator's time ahead of or behind the app's.

use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    offset_seconds: i64,
}

impl Clock {
    /// Real time.
    pub fn system() -> Self {
        Self::default()
    }

    /// Real time plus `offset_seconds` (negative: behind), e.g. to play a site with a skewed clock.
    pub fn shifted(offset_seconds: i64) -> Self {
        Self { offset_seconds }
    }

    /// Seconds since the Unix epoch.
    pub fn now_unix(&self) -> i64 {
        #[allow(
            clippy::disallowed_methods,
            reason = "the one wall-clock read of the emulator"
        )]
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| {
                i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
            });
        since_epoch.saturating_add(self.offset_seconds)
    }

    /// Milliseconds since the Unix epoch (whole seconds: Jira's tokens and JQL work in those).
    pub fn now_unix_ms(&self) -> i64 {
        self.now_unix().saturating_mul(1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_runs_its_offset_ahead_of_the_system_clock() {
        let system = Clock::system().now_unix();
        let ahead = Clock::shifted(3_600).now_unix();
        // The two readings are taken a moment apart, so allow the second to have ticked over.
        assert!(
            (3_600..=3_601).contains(&(ahead - system)),
            "{ahead} - {system}"
        );
        let behind = Clock::shifted(-60).now_unix();
        assert!(
            (-60..=-59).contains(&(behind - system)),
            "{behind} - {system}"
        );
    }

    #[test]
    fn the_system_clock_is_after_2024() {
        assert!(Clock::system().now_unix() > 1_704_067_200);
        assert_eq!(Clock::shifted(0).now_unix_ms() % 1000, 0);
    }
}
