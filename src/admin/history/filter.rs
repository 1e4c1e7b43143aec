//! The filter above an admin history (user, from, to, page), read from the query string. What
//! the admin typed is shown back as typed, with the reason next to the field when it cannot be
//! used; nothing they type reaches a query except as a parsed account id or date.

use time::{Date, Duration};

use crate::audit::Area;
use crate::audit::history::HistoryScope;
use crate::connect::qsh;
use crate::ids::AccountId;

/// The longest value read from a field; longer ones are an error, not truncated.
const MAX_FIELD_LEN: usize = 128;

/// What the filter form shows and what the query uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryFilter {
    /// As typed (trimmed), for the form.
    pub user: String,
    pub from: String,
    pub to: String,
    pub user_error: Option<&'static str>,
    pub from_error: Option<&'static str>,
    pub to_error: Option<&'static str>,
    /// 1-based; a page past the end is clamped by the query.
    pub page: i64,
    user_id: Option<AccountId>,
    from_date: Option<Date>,
    to_date: Option<Date>,
}

const DATE_MESSAGE: &str = "Enter a date as YYYY-MM-DD, for example 2026-11-30, or leave it empty";
const USER_MESSAGE: &str =
    "Enter an Atlassian account id (letters, digits, ':', '-' or '_'), or leave it empty";
const ORDER_MESSAGE: &str = "The end date must be on or after the start date";

fn date(raw: &str) -> Result<Option<Date>, &'static str> {
    if raw.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    if raw.len() != 10 {
        return Err(DATE_MESSAGE);
    }
    Date::parse(raw, format).map(Some).map_err(|_| DATE_MESSAGE)
}

impl HistoryFilter {
    /// Reads `user`, `from`, `to` and `page` from a query string; other parameters (the session)
    /// are ignored.
    pub fn from_query(query: &str) -> Self {
        let mut filter = Self {
            page: 1,
            ..Self::default()
        };
        for (name, value) in qsh::parse_params(query) {
            let value = value.trim().to_owned();
            match name.as_str() {
                "user" => filter.user = value,
                "from" => filter.from = value,
                "to" => filter.to = value,
                "page" => {
                    filter.page = Some(value)
                        .filter(|v| (1..=9).contains(&v.len()))
                        .and_then(|v| v.parse::<i64>().ok())
                        .filter(|page| *page >= 1)
                        .unwrap_or(1);
                }
                _ => {}
            }
        }
        let too_long = |v: &str| v.len() > MAX_FIELD_LEN;
        if !filter.user.is_empty() {
            match AccountId::parse(&filter.user) {
                Ok(id) if !too_long(&filter.user) => filter.user_id = Some(id),
                _ => filter.user_error = Some(USER_MESSAGE),
            }
        }
        match date(&filter.from) {
            Ok(d) => filter.from_date = d,
            Err(e) => filter.from_error = Some(e),
        }
        match date(&filter.to) {
            Ok(d) => filter.to_date = d,
            Err(e) => filter.to_error = Some(e),
        }
        if let (Some(from), Some(to)) = (filter.from_date, filter.to_date)
            && to < from
        {
            filter.to_error = Some(ORDER_MESSAGE);
        }
        if too_long(&filter.from) {
            filter.from_error = Some(DATE_MESSAGE);
        }
        if too_long(&filter.to) {
            filter.to_error = Some(DATE_MESSAGE);
        }
        filter
    }

    /// Whether every field could be used; an invalid filter shows no rows rather than a wider
    /// set than the admin asked for.
    pub fn is_valid(&self) -> bool {
        self.user_error.is_none() && self.from_error.is_none() && self.to_error.is_none()
    }

    /// The user the filter names, if any.
    pub fn user_id(&self) -> Option<&AccountId> {
        self.user_id.as_ref()
    }

    /// The events it selects on `tenant_id` in `area`: `from` and `to` are whole UTC days, both
    /// included.
    pub fn scope(&self, tenant_id: i64, area: Area) -> HistoryScope {
        let midnight = |d: Date| d.midnight().assume_utc();
        HistoryScope {
            involving: self.user_id.clone(),
            area: Some(area),
            from: self.from_date.map(|d| midnight(d).unix_timestamp()),
            until: self
                .to_date
                .map(|d| (midnight(d) + Duration::days(1)).unix_timestamp()),
            ..HistoryScope::site(tenant_id)
        }
    }

    /// The query string for the same filter on another page (or the CSV download, `page` 0 =
    /// none), values percent-encoded.
    pub fn query(&self, page: i64) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in [("user", &self.user), ("from", &self.from), ("to", &self.to)] {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        if page > 0 {
            query.append_pair("page", &page.to_string());
        }
        query.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn an_empty_filter_selects_the_whole_area_from_page_one() {
        let filter = HistoryFilter::from_query("session=abc");
        assert!(filter.is_valid());
        assert_eq!(filter.page, 1);
        let scope = filter.scope(7, Area::Tokens);
        assert_eq!(
            scope,
            HistoryScope {
                area: Some(Area::Tokens),
                ..HistoryScope::site(7)
            }
        );
        assert_eq!(filter.query(0), "");
    }

    #[test]
    fn dates_are_whole_utc_days_with_the_end_day_included() {
        let filter = HistoryFilter::from_query("from=2026-11-01&to=2026-11-30&user=abc-1&page=3");
        assert!(filter.is_valid());
        let scope = filter.scope(7, Area::DataSources);
        let at = |d: Date| d.midnight().assume_utc().unix_timestamp();
        assert_eq!(scope.from, Some(at(date!(2026 - 11 - 01))));
        assert_eq!(scope.until, Some(at(date!(2026 - 12 - 01))));
        assert_eq!(
            scope.involving.as_ref().map(AccountId::as_str),
            Some("abc-1")
        );
        assert_eq!(filter.page, 3);
        assert_eq!(
            filter.query(2),
            "user=abc-1&from=2026-11-01&to=2026-11-30&page=2"
        );
    }

    #[test]
    fn what_cannot_be_used_is_named_next_to_its_field() {
        let filter =
            HistoryFilter::from_query("user=%27%20OR%201%3D1&from=2026-13-01&to=yesterday");
        assert!(!filter.is_valid());
        assert_eq!(filter.user, "' OR 1=1");
        assert_eq!(filter.user_error, Some(USER_MESSAGE));
        assert_eq!(filter.from_error, Some(DATE_MESSAGE));
        assert_eq!(filter.to_error, Some(DATE_MESSAGE));
        let reversed = HistoryFilter::from_query("from=2026-11-30&to=2026-11-01");
        assert_eq!(reversed.to_error, Some(ORDER_MESSAGE));
        let long = format!("user={}", "a".repeat(129));
        assert_eq!(
            HistoryFilter::from_query(&long).user_error,
            Some(USER_MESSAGE)
        );
        for page in ["page=0", "page=-2", "page=x", "page=9999999999"] {
            assert_eq!(HistoryFilter::from_query(page).page, 1, "{page}");
        }
    }

    #[test]
    fn the_query_round_trips_through_the_parser() {
        let filter = HistoryFilter::from_query("user=a%3Ab&from=2026-01-02");
        let again = HistoryFilter::from_query(&filter.query(4));
        assert_eq!(
            (again.user.as_str(), again.from.as_str(), again.page),
            ("a:b", "2026-01-02", 4)
        );
    }
}
