//! The maximum access token lifetime a site's Jira administrators may set: the rules alone, so
//! the create form, the admin page's preview and the store's clamp all apply the same ones.
//!
//! A token's *limit* is its creation day + the maximum (a token created on 1 March under a
//! 30-day maximum may work through 31 March); tokens from before creation dates were recorded
//! get the day the maximum is applied + the maximum. Turning the maximum on or shortening it
//! clamps every token whose expiry is later than its limit, or that never expires, to the limit.
//! Lengthening it or turning it off changes no token already issued.

use std::fmt;

use time::{Date, Duration, OffsetDateTime, UtcOffset};

use crate::tokens::domain::ExpiryDate;

/// The longest maximum an administrator may set: ten years, beyond which "no maximum" says it.
pub const MAX_LIFETIME_DAYS: u16 = 3650;

/// A maximum token lifetime in whole days, `1..=`[`MAX_LIFETIME_DAYS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MaxLifetime(u16);

impl MaxLifetime {
    /// Parses the admin form's "days" field.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("Enter the maximum lifetime in days, for example 90");
        }
        if !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err("Enter a whole number of days, for example 90");
        }
        match raw.parse::<u16>() {
            Ok(days) if (1..=MAX_LIFETIME_DAYS).contains(&days) => Ok(Self(days)),
            _ => Err("Enter a number of days from 1 to 3650 (ten years)"),
        }
    }

    /// A maximum read back from the store.
    pub fn from_stored(days: i64) -> Option<Self> {
        u16::try_from(days)
            .ok()
            .filter(|d| (1..=MAX_LIFETIME_DAYS).contains(d))
            .map(Self)
    }

    pub fn days(self) -> u16 {
        self.0
    }

    /// The last day a token first valid on `start` may work.
    pub fn last_day_from(self, start: Date) -> ExpiryDate {
        let last = start
            .checked_add(Duration::days(i64::from(self.0)))
            .unwrap_or(Date::MAX);
        ExpiryDate::from_stored(last)
    }

    /// The latest expiry a token created at `now` may have.
    pub fn latest_expiry_for_new(self, now: OffsetDateTime) -> ExpiryDate {
        self.last_day_from(utc_day(now))
    }

    /// The expiry a token must be clamped to, or `None` when it is within the maximum already.
    /// `created_at` is `None` for tokens from before creation dates were recorded; they count
    /// from `now`.
    pub fn clamp(
        self,
        created_at: Option<OffsetDateTime>,
        expires_on: Option<ExpiryDate>,
        now: OffsetDateTime,
    ) -> Option<ExpiryDate> {
        let limit = self.last_day_from(utc_day(created_at.unwrap_or(now)));
        match expires_on {
            Some(expiry) if expiry <= limit => None,
            _ => Some(limit),
        }
    }

    /// Whether a new token's chosen expiry (`None` = never) is within the maximum.
    pub fn allows_new(self, expiry: Option<ExpiryDate>, now: OffsetDateTime) -> bool {
        expiry.is_some_and(|e| e <= self.latest_expiry_for_new(now))
    }
}

impl fmt::Display for MaxLifetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => f.write_str("1 day"),
            days => write!(f, "{days} days"),
        }
    }
}

fn utc_day(at: OffsetDateTime) -> Date {
    at.to_offset(UtcOffset::UTC).date()
}

/// Whether going from `old` to `new` (`None` = no maximum) clamps tokens already issued: only
/// turning a maximum on or shortening it does.
pub fn change_clamps(old: Option<MaxLifetime>, new: Option<MaxLifetime>) -> bool {
    match (old, new) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(old), Some(new)) => new < old,
    }
}

/// The field error for a new token's expiry outside the maximum.
pub fn beyond_maximum_message(
    max: MaxLifetime,
    expiry: Option<ExpiryDate>,
    now: OffsetDateTime,
) -> String {
    let latest = max.latest_expiry_for_new(now);
    match expiry {
        None => format!(
            "Your Jira administrator limits access tokens to {max}, so a token must have an \
             expiry date: choose one on or before {latest}."
        ),
        Some(_) => format!(
            "Your Jira administrator limits access tokens to {max}: choose an expiry date on or \
             before {latest}."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    const NOW: OffsetDateTime = datetime!(2026-12-03 10:00 UTC);

    fn days(n: u16) -> MaxLifetime {
        MaxLifetime::parse(&n.to_string()).unwrap()
    }

    fn expiry(d: Date) -> Option<ExpiryDate> {
        Some(ExpiryDate::from_stored(d))
    }

    #[test]
    fn days_are_whole_and_bounded() {
        assert_eq!(MaxLifetime::parse(" 30 ").unwrap().days(), 30);
        assert_eq!(MaxLifetime::parse("3650").unwrap().days(), 3650);
        for bad in [
            "",
            "0",
            "3651",
            "-1",
            "+3",
            "1.5",
            "30 days",
            "99999999999999999999",
        ] {
            assert!(MaxLifetime::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(MaxLifetime::from_stored(0), None);
        assert_eq!(MaxLifetime::from_stored(3651), None);
        assert_eq!(MaxLifetime::from_stored(7), Some(days(7)));
        assert_eq!(days(1).to_string(), "1 day");
        assert_eq!(days(30).to_string(), "30 days");
    }

    #[test]
    fn the_limit_is_the_creation_day_plus_the_maximum() {
        let created = Some(datetime!(2026-11-01 23:59 UTC));
        assert_eq!(
            days(30).clamp(created, None, NOW),
            expiry(date!(2026 - 12 - 01))
        );
        assert_eq!(
            days(30).clamp(created, expiry(date!(2027 - 06 - 01)), NOW),
            expiry(date!(2026 - 12 - 01))
        );
        // Within the limit: untouched, including exactly on it.
        assert_eq!(
            days(30).clamp(created, expiry(date!(2026 - 12 - 01)), NOW),
            None
        );
        assert_eq!(
            days(30).clamp(created, expiry(date!(2026 - 11 - 15)), NOW),
            None
        );
        // The creation day is taken in UTC.
        let late_evening_west = Some(datetime!(2026-11-01 20:00 -05:00));
        assert_eq!(
            days(1).clamp(late_evening_west, None, NOW),
            expiry(date!(2026 - 11 - 03))
        );
    }

    #[test]
    fn a_token_older_than_the_maximum_is_clamped_into_the_past() {
        let created = Some(datetime!(2026-01-01 00:00 UTC));
        let clamped = days(30).clamp(created, None, NOW).unwrap();
        assert_eq!(clamped.date(), date!(2026 - 01 - 31));
        assert!(clamped.is_expired_at(NOW));
    }

    #[test]
    fn legacy_tokens_count_from_now() {
        assert_eq!(
            days(30).clamp(None, None, NOW),
            expiry(date!(2027 - 01 - 02))
        );
        assert_eq!(
            days(30).clamp(None, expiry(date!(2027 - 01 - 02)), NOW),
            None
        );
    }

    #[test]
    fn new_tokens_need_an_expiry_within_the_maximum() {
        assert!(days(30).allows_new(expiry(date!(2027 - 01 - 02)), NOW));
        assert!(!days(30).allows_new(expiry(date!(2027 - 01 - 03)), NOW));
        assert!(!days(30).allows_new(None, NOW));
        assert!(beyond_maximum_message(days(30), None, NOW).contains("2027-01-02"));
    }

    #[test]
    fn only_turning_on_or_shortening_clamps() {
        assert!(change_clamps(None, Some(days(30))));
        assert!(change_clamps(Some(days(90)), Some(days(30))));
        assert!(!change_clamps(Some(days(30)), Some(days(90))));
        assert!(!change_clamps(Some(days(30)), Some(days(30))));
        assert!(!change_clamps(Some(days(30)), None));
        assert!(!change_clamps(None, None));
    }

    #[test]
    fn the_last_day_saturates_instead_of_overflowing() {
        assert_eq!(days(3650).last_day_from(Date::MAX).date(), Date::MAX);
    }
}
