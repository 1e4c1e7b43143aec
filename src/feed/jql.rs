//! Turns a feed request into the JQL sent to Jira: the data source's own query, AND the part of
//! `$filter` Jira can evaluate, plus an `ORDER BY`. This is what makes incremental refresh cheap:
//! `Updated ge …` reaches Jira instead of being applied to a full export.
//!
//! What Jira returns is a *superset* of the answer, never a subset, and the exact predicate is
//! applied to every streamed row ([`super::filter::Predicate`]):
//! * JQL dates have minute precision and are read in the Jira user's time zone, which we do not
//!   know. Date bounds are therefore widened by [`TIMEZONE_SLACK`] (the largest UTC offset) and
//!   rounded outwards to the minute. A refresh window fetches up to 14 h more on each side.
//! * Jira compares names case-insensitively (`status = "done"` matches `Done`); OData `eq` does not.
//! * A clause that cannot be expressed (`ne` on a date, `contains`, `not`, other columns) is not
//!   pushed; inside an `or` that makes the whole `or` unpushed.
//!
//! Jira refuses a name it does not know (`status = "Nope"` is a 400, not an empty result). The
//! engine then retries with [`PushLevel::DatesOnly`], whose literals Jira always accepts.
//!
//! What a request adds to the data source's JQL is capped at [`MAX_PUSHED_JQL_CHARS`]: a long
//! `or` list would otherwise become a JQL Jira refuses or labours over. A pushdown that would be
//! longer falls back to the date bounds alone, then to nothing; since Jira's answer only has to
//! be a superset, results stay exact and only more issues are read.

use time::{Duration, OffsetDateTime, UtcOffset};

use super::filter::{CompareOp, Expr, Literal};

/// The most characters of JQL a `$filter` adds to the data source's own query (which the data
/// source form bounds separately). Room for about 150 `key = "…"` terms.
pub const MAX_PUSHED_JQL_CHARS: usize = 4_000;

/// The largest distance between UTC and a time zone Jira users can choose (UTC+14).
pub const TIMEZONE_SLACK: Duration = Duration::hours(14);

/// How much of the filter to push into JQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushLevel {
    /// Dates and names (project, status, issue type…).
    Full,
    /// Only date bounds: always valid JQL, whatever values the site has.
    DatesOnly,
}

/// The part of a filter Jira can evaluate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pushdown {
    /// `None`: no restriction could be pushed.
    pub jql: Option<String>,
    /// Whether Jira's matches are exactly the filter's matches (then ids alone can be counted).
    pub exact: bool,
}

impl Pushdown {
    fn none() -> Self {
        Self {
            jql: None,
            exact: false,
        }
    }

    fn exact(jql: String) -> Self {
        Self {
            jql: Some(jql),
            exact: true,
        }
    }

    fn superset(jql: String) -> Self {
        Self {
            jql: Some(jql),
            exact: false,
        }
    }
}

/// A sort key of `$orderby` (Key, Created, Updated).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortColumn {
    Key,
    Created,
    Updated,
}

impl SortColumn {
    pub fn parse(column: &str) -> Option<Self> {
        Some(match column {
            "Key" => Self::Key,
            "Created" => Self::Created,
            "Updated" => Self::Updated,
            _ => return None,
        })
    }

    fn jql(self) -> &'static str {
        match self {
            Self::Key => "key",
            Self::Created => "created",
            Self::Updated => "updated",
        }
    }
}

/// The JQL of a filter, as far as it can be expressed in at most [`MAX_PUSHED_JQL_CHARS`]:
/// at [`PushLevel::Full`], a pushdown that would be longer gives way to the date bounds alone,
/// and those to nothing.
pub fn push_down(expr: &Expr, level: PushLevel) -> Pushdown {
    let levels: &[PushLevel] = match level {
        PushLevel::Full => &[PushLevel::Full, PushLevel::DatesOnly],
        PushLevel::DatesOnly => &[PushLevel::DatesOnly],
    };
    for &level in levels {
        let pushed = push(expr, level);
        let fits = pushed
            .jql
            .as_ref()
            .is_none_or(|jql| jql.chars().count() <= MAX_PUSHED_JQL_CHARS);
        if fits {
            return pushed;
        }
    }
    Pushdown::none()
}

/// The uncapped pushdown. It recurses as deep as the filter is nested, which [`Expr::parse`]
/// bounds; a chain of terms is joined in one flat list.
fn push(expr: &Expr, level: PushLevel) -> Pushdown {
    match expr {
        Expr::And(terms) => {
            let pushed: Vec<Pushdown> = terms.iter().map(|term| push(term, level)).collect();
            let exact = pushed.iter().all(|p| p.exact);
            let mut parts: Vec<String> = pushed.into_iter().filter_map(|p| p.jql).collect();
            let jql = match parts.len() {
                0 => None,
                1 => parts.pop(),
                _ => Some(join(&parts, " AND ")),
            };
            Pushdown { jql, exact }
        }
        Expr::Or(terms) => {
            let mut parts = Vec::with_capacity(terms.len());
            let mut exact = true;
            for term in terms {
                let pushed = push(term, level);
                let Some(jql) = pushed.jql else {
                    return Pushdown::none();
                };
                exact &= pushed.exact;
                parts.push(jql);
            }
            Pushdown {
                jql: Some(join(&parts, " OR ")),
                exact,
            }
        }
        // JQL's NOT over empty fields is not documented precisely enough to rely on.
        Expr::Not(_) | Expr::Text { .. } => Pushdown::none(),
        Expr::Compare { column, op, value } => compare(column, *op, value, level),
    }
}

/// `(a) AND (b) AND (c)`.
fn join(parts: &[String], operator: &str) -> String {
    parts
        .iter()
        .map(|part| format!("({part})"))
        .collect::<Vec<_>>()
        .join(operator)
}

fn compare(column: &str, op: CompareOp, value: &Literal, level: PushLevel) -> Pushdown {
    if let Some(field) = date_field(column) {
        return compare_date(field, column == "Resolved", op, value);
    }
    if level == PushLevel::DatesOnly {
        return Pushdown::none();
    }
    let Some((field, nullable, case_exact)) = name_field(column) else {
        return Pushdown::none();
    };
    match (op, value) {
        (CompareOp::Eq, Literal::Null) if nullable => Pushdown::exact(format!("{field} IS EMPTY")),
        (CompareOp::Ne, Literal::Null) if nullable => {
            Pushdown::exact(format!("{field} IS NOT EMPTY"))
        }
        (CompareOp::Eq, Literal::Text(text)) => Pushdown {
            jql: Some(format!("{field} = {}", quote(text))),
            exact: case_exact,
        },
        (CompareOp::Ne, Literal::Text(text)) => {
            // OData's `ne` keeps rows where the column is null; JQL's `!=` drops empty fields.
            let jql = if nullable {
                format!("{field} != {q} OR {field} IS EMPTY", q = quote(text))
            } else {
                format!("{field} != {}", quote(text))
            };
            Pushdown {
                jql: Some(jql),
                exact: case_exact,
            }
        }
        _ => Pushdown::none(),
    }
}

/// JQL field of a date column.
fn date_field(column: &str) -> Option<&'static str> {
    Some(match column {
        "Created" => "created",
        "Updated" => "updated",
        "Resolved" => "resolved",
        _ => return None,
    })
}

/// JQL field of a name column, whether Jira can leave it empty, and whether Jira compares its
/// values exactly as OData does (account ids are; names are case-insensitive in JQL).
fn name_field(column: &str) -> Option<(&'static str, bool, bool)> {
    Some(match column {
        "Key" => ("key", false, false),
        "ProjectKey" => ("project", false, false),
        "Status" => ("status", false, false),
        "StatusCategory" => ("statusCategory", false, false),
        "IssueType" => ("issuetype", false, false),
        "Priority" => ("priority", true, false),
        "AssigneeAccountId" => ("assignee", true, true),
        "ReporterAccountId" => ("reporter", true, true),
        _ => return None,
    })
}

fn compare_date(field: &str, nullable: bool, op: CompareOp, value: &Literal) -> Pushdown {
    let at = match value {
        Literal::DateTime(at) => *at,
        Literal::Date(date) => date.midnight().assume_utc(),
        Literal::Null => {
            return match op {
                CompareOp::Eq if nullable => Pushdown::exact(format!("{field} IS EMPTY")),
                CompareOp::Ne if nullable => Pushdown::exact(format!("{field} IS NOT EMPTY")),
                _ => Pushdown::none(),
            };
        }
        _ => return Pushdown::none(),
    };
    let low = || {
        format!(
            "{field} >= {}",
            quote(&jql_minute(floor_minute(at - TIMEZONE_SLACK)))
        )
    };
    let high = || {
        format!(
            "{field} <= {}",
            quote(&jql_minute(ceil_minute(at + TIMEZONE_SLACK)))
        )
    };
    match op {
        CompareOp::Gt | CompareOp::Ge => Pushdown::superset(low()),
        CompareOp::Lt | CompareOp::Le => Pushdown::superset(high()),
        CompareOp::Eq => Pushdown::superset(format!("{} AND {}", low(), high())),
        CompareOp::Ne => Pushdown::none(),
    }
}

fn floor_minute(at: OffsetDateTime) -> OffsetDateTime {
    let at = at.to_offset(UtcOffset::UTC);
    at.replace_second(0)
        .and_then(|at| at.replace_nanosecond(0))
        .unwrap_or(at)
}

fn ceil_minute(at: OffsetDateTime) -> OffsetDateTime {
    let floor = floor_minute(at);
    if floor == at.to_offset(UtcOffset::UTC) {
        floor
    } else {
        floor + Duration::minutes(1)
    }
}

/// JQL's date-time literal: `2024-01-05 10:15`.
fn jql_minute(at: OffsetDateTime) -> String {
    format!(
        "{} {:02}:{:02}",
        super::columns::format_date(at.date()),
        at.hour(),
        at.minute()
    )
}

/// A JQL string literal: double quotes, with `"`, `\` and control characters escaped.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// Splits `project = X ORDER BY key` into the condition and the `ORDER BY` clause's keys
/// (`key`), ignoring `order by` inside quoted strings.
pub fn split_order_by(jql: &str) -> (&str, Option<&str>) {
    let bytes = jql.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    let mut found = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None => {
                let boundary_before = i == 0 || !is_word_byte(bytes[i - 1]);
                if boundary_before
                    && jql
                        .get(i..i + 5)
                        .is_some_and(|w| w.eq_ignore_ascii_case("order"))
                {
                    let rest = &jql[i + 5..];
                    let trimmed = rest.trim_start();
                    if rest.len() > trimmed.len()
                        && trimmed
                            .get(..2)
                            .is_some_and(|w| w.eq_ignore_ascii_case("by"))
                        && trimmed.as_bytes().get(2).is_none_or(|b| !is_word_byte(*b))
                    {
                        let keys_at = jql.len() - trimmed.len() + 2;
                        found = Some((i, keys_at));
                    }
                }
            }
        }
        i += 1;
    }
    match found {
        Some((at, keys_at)) => (jql[..at].trim(), Some(jql[keys_at..].trim())),
        None => (jql.trim(), None),
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// The full JQL for one export: `(<source condition>) AND (<pushed filter>) ORDER BY <order>`.
/// The order is `$orderby` if given, else the data source's own `ORDER BY`, else `key ASC`
/// (stable, so paging never depends on Jira's default).
pub fn compose(source_jql: &str, pushed: Option<&str>, order_by: &[(SortColumn, bool)]) -> String {
    let (condition, source_order) = split_order_by(source_jql);
    let mut jql = match (condition.is_empty(), pushed) {
        (false, Some(pushed)) => format!("({condition}) AND ({pushed})"),
        (false, None) => condition.to_owned(),
        (true, Some(pushed)) => pushed.to_owned(),
        (true, None) => String::new(),
    };
    let order = if order_by.is_empty() {
        source_order
            .filter(|order| !order.is_empty())
            .map_or_else(|| "key ASC".to_owned(), str::to_owned)
    } else {
        order_by
            .iter()
            .map(|(column, descending)| {
                format!(
                    "{} {}",
                    column.jql(),
                    if *descending { "DESC" } else { "ASC" }
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !jql.is_empty() {
        jql.push(' ');
    }
    jql.push_str("ORDER BY ");
    jql.push_str(&order);
    jql
}

#[cfg(test)]
mod tests;
