//! The only place that reads the wall clock. Everything time-dependent (JWT `exp`/`iat`, token
//! expiry, "last used") takes `now` as a parameter, so tests can move time instead of sleeping.

use time::{Duration, OffsetDateTime};

#[derive(Clone, Copy, Debug, Default)]
pub struct Clock {
    offset: Duration,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock running `offset` ahead of (or behind) real time; for tests.
    pub fn shifted(offset: Duration) -> Self {
        Self { offset }
    }

    #[allow(
        clippy::disallowed_methods,
        reason = "the one wall-clock read of the product"
    )]
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.offset
    }
}
