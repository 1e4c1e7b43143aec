//! What the page areas (data sources, access tokens, the Jira API token tab) share, kept here
//! once: who is acting for the audit trail, the banner above a page's content, and how a time is
//! shown (always UTC, to the minute).

use actix_web::HttpRequest;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::audit::Actor;
use crate::pages::session::JiraUser;

/// Who is acting, for the audit trail: the signed-in user and the TCP peer address.
pub fn actor(user: &JiraUser, req: &HttpRequest) -> Actor {
    Actor {
        tenant_id: user.tenant.id,
        account_id: user.account_id.clone(),
        ip: req.peer_addr().map(|addr| addr.ip()),
    }
}

/// `2026-11-22 14:03 UTC` whatever the offset of `at`; `None` only for a year that does not fit
/// in four digits.
pub fn utc_minutes(at: OffsetDateTime) -> Option<String> {
    at.to_offset(UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .ok()
}

/// A time as the lists show it, `—` when it cannot be shown.
pub fn format_utc(at: OffsetDateTime) -> String {
    utc_minutes(at).unwrap_or_else(|| "—".to_owned())
}

/// Unix seconds as the lists show them, `—` when out of range.
pub fn format_unix_utc(unix_seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix_seconds).map_or_else(|_| "—".to_owned(), format_utc)
}

/// A link inside a banner, to an in-app path (the template adds the session).
#[derive(Debug, Clone)]
pub struct BannerLink {
    pub path: String,
    pub text: String,
}

/// A message above the page content.
#[derive(Debug, Clone)]
pub struct Banner {
    /// `success`, `info`, `warning` or `error` (CSS modifier).
    pub kind: &'static str,
    pub message: String,
    pub link: Option<BannerLink>,
}

impl Banner {
    fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            link: None,
        }
    }

    pub fn success(message: impl Into<String>) -> Self {
        Self::new("success", message)
    }

    pub fn info(message: impl Into<String>) -> Self {
        Self::new("info", message)
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Self::new("warning", message)
    }

    pub fn error(message: impl Into<String>) -> Self {
        Self::new("error", message)
    }

    pub fn with_link(mut self, path: impl Into<String>, text: impl Into<String>) -> Self {
        self.link = Some(BannerLink {
            path: path.into(),
            text: text.into(),
        });
        self
    }

    /// Errors interrupt screen readers; everything else is announced politely.
    pub fn role(&self) -> &'static str {
        if self.kind == "error" {
            "alert"
        } else {
            "status"
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn times_are_shown_in_utc_whatever_their_offset() {
        assert_eq!(
            format_utc(datetime!(2026-03-10 23:30 -02:00)),
            "2026-03-11 01:30 UTC"
        );
        assert_eq!(format_unix_utc(0), "1970-01-01 00:00 UTC");
    }

    #[test]
    fn a_time_that_cannot_be_shown_is_a_dash() {
        assert_eq!(format_unix_utc(i64::MAX), "—");
    }

    #[test]
    fn only_error_banners_interrupt() {
        assert_eq!(Banner::error("x").role(), "alert");
        for banner in [
            Banner::success("x"),
            Banner::info("x"),
            Banner::warning("x"),
        ] {
            assert_eq!(banner.role(), "status");
        }
    }
}
