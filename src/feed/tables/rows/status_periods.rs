//! `StatusPeriods` (one row per stay of an issue in a status) and `TimeInStatus` (the stays
//! summed per issue and status), computed from the change history and the issue's creation.
//!
//! Rules:
//! - The stays tile `[created, now]` without gaps: the first starts at the issue's `created` in
//!   the status the first status change came *from* (the current status if there is none); each
//!   `status` item ends the running stay and starts one in its `to` at the change's time; the
//!   last stay is current (`Left` null) and counts up to `now`.
//! - Changes are read in `IssueChanges` order (`created`, then change id numerically). Several
//!   changes at one instant make zero-second stays; they are kept, since each is a visit.
//! - The `to` sequence is trusted: a change whose `from` does not match the running status
//!   still ends the running stay and starts its `to`; an item without a `to` id is skipped.
//! - A change dated before `created` is clamped to `created`, and the current stay to zero
//!   when `now` is earlier than its start: seconds are never negative.
//! - Seconds are whole: each instant is cut to its second before subtracting, so the stays of an
//!   issue sum to exactly the seconds between `created` and `now`.
//! - Status renamed: stays are keyed by status *id*; the name and category are the catalogue's
//!   current ones (`GET /rest/api/3/status`), so a renamed status is one status throughout. An id
//!   the catalogue no longer has keeps the history's text (`fromString`/`toString`) and a null
//!   category, unless it is the issue's current status, whose own `status` object names it.
//! - Issue moved between projects: the history belongs to the issue id, so the stays go on
//!   across the move, under the current key; a `status` item written by the move (a status
//!   mapped to the new workflow) is an ordinary transition.

use std::collections::HashMap;

use serde_json::Value;
use time::OffsetDateTime;

use super::changes::{items, ordered};
use super::{ISSUE_ID, ISSUE_KEY, field, id_of, instant, issue_ident, string};
use crate::feed::columns::{CellValue, EdmType};
use crate::feed::export::Row;
use crate::feed::tables::column::TableColumn;

pub const PERIOD_COLUMNS: &[TableColumn] = &[
    ISSUE_ID,
    ISSUE_KEY,
    TableColumn::key("Period", EdmType::Int64),
    TableColumn::optional("StatusId", EdmType::String),
    TableColumn::optional("Status", EdmType::String),
    TableColumn::optional("StatusCategory", EdmType::String),
    TableColumn::required("Entered", EdmType::DateTimeOffset),
    TableColumn::optional("Left", EdmType::DateTimeOffset),
    TableColumn::required("Seconds", EdmType::Int64),
];

pub const TIME_COLUMNS: &[TableColumn] = &[
    ISSUE_ID,
    ISSUE_KEY,
    TableColumn::key("StatusId", EdmType::String),
    TableColumn::optional("Status", EdmType::String),
    TableColumn::optional("StatusCategory", EdmType::String),
    TableColumn::required("Seconds", EdmType::Int64),
    TableColumn::required("Visits", EdmType::Int64),
    TableColumn::required("Current", EdmType::Boolean),
];

/// The site's statuses by id: current name and category name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusCatalogue {
    statuses: HashMap<String, (Option<String>, Option<String>)>,
}

impl StatusCatalogue {
    /// From `GET /rest/api/3/status` (`StatusDetails` objects); entries without an id are skipped.
    pub fn from_statuses(statuses: &[Value]) -> Self {
        let statuses = statuses
            .iter()
            .filter_map(|status| {
                let id = id_of(status.get("id"))?;
                let name = string(status.get("name"));
                let category = string(status.get("statusCategory").and_then(|c| c.get("name")));
                Some((id, (name, category)))
            })
            .collect();
        Self { statuses }
    }

    fn get(&self, id: &str) -> Option<&(Option<String>, Option<String>)> {
        self.statuses.get(id)
    }
}

/// One stay of an issue in a status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    pub issue_id: String,
    pub issue_key: String,
    /// 1-based, in time order.
    pub period: i64,
    pub status_id: Option<String>,
    pub status: Option<String>,
    pub category: Option<String>,
    pub entered: OffsetDateTime,
    /// `None` while the issue is still in this status.
    pub left: Option<OffsetDateTime>,
    pub seconds: i64,
}

/// A status as the history or the issue names it, before the catalogue is consulted.
struct Seen {
    id: Option<String>,
    text: Option<String>,
    category: Option<String>,
}

impl Seen {
    /// The issue's own `status` object.
    fn current(issue: &Value) -> Self {
        let status = field(issue, "status");
        Self {
            id: id_of(status.and_then(|s| s.get("id"))),
            text: string(status.and_then(|s| s.get("name"))),
            category: string(
                status
                    .and_then(|s| s.get("statusCategory"))
                    .and_then(|c| c.get("name")),
            ),
        }
    }

    /// Name and category: the catalogue's; else the issue's current status object when it is
    /// this status; else the history's text and no category.
    fn named(
        &self,
        catalogue: &StatusCatalogue,
        current: &Seen,
    ) -> (Option<String>, Option<String>) {
        match self.id.as_deref().and_then(|id| catalogue.get(id)) {
            Some((name, category)) => {
                (name.clone().or_else(|| self.text.clone()), category.clone())
            }
            None if self.id.is_some() && self.id == current.id => (
                current.text.clone().or_else(|| self.text.clone()),
                current.category.clone(),
            ),
            None => (self.text.clone(), None),
        }
    }
}

/// The stays of one issue, oldest first; empty without an id, key or readable `created`.
pub fn periods(
    issue: &Value,
    histories: &[Value],
    catalogue: &StatusCatalogue,
    now: OffsetDateTime,
) -> Vec<Period> {
    let Some((issue_id, issue_key)) = issue_ident(issue) else {
        return Vec::new();
    };
    let Some(created) = instant(field(issue, "created")) else {
        return Vec::new();
    };
    let transitions: Vec<(OffsetDateTime, &Value)> = ordered(histories)
        .into_iter()
        .flat_map(|dated| {
            items(dated.history)
                .iter()
                .filter(|item| is_status(item) && id_of(item.get("to")).is_some())
                .map(move |item| (dated.at.max(created), item))
        })
        .collect();

    let first = match transitions.first() {
        Some((_, item)) => Seen {
            id: id_of(item.get("from")),
            text: string(item.get("fromString")),
            category: None,
        },
        None => Seen::current(issue),
    };
    let current = Seen::current(issue);
    let mut stays: Vec<(Seen, OffsetDateTime)> = vec![(first, created)];
    for (at, item) in transitions {
        let seen = Seen {
            id: id_of(item.get("to")),
            text: string(item.get("toString")),
            category: None,
        };
        stays.push((seen, at));
    }

    let count = stays.len();
    let mut periods = Vec::with_capacity(count);
    for (index, (seen, entered)) in stays.iter().enumerate() {
        let left = stays.get(index + 1).map(|(_, at)| *at);
        let end = left.unwrap_or(now);
        let seconds = (end.unix_timestamp() - entered.unix_timestamp()).max(0);
        let (status, category) = seen.named(catalogue, &current);
        periods.push(Period {
            issue_id: issue_id.clone(),
            issue_key: issue_key.clone(),
            period: i64::try_from(index + 1).unwrap_or(i64::MAX),
            status_id: seen.id.clone(),
            status,
            category,
            entered: *entered,
            left,
            seconds,
        });
    }
    periods
}

/// A `status` item (by `fieldId`; older histories name only the `field`).
fn is_status(item: &Value) -> bool {
    match item.get("fieldId").and_then(Value::as_str) {
        Some(id) => id == "status",
        None => {
            item.get("field").and_then(Value::as_str) == Some("status")
                && item.get("fieldtype").and_then(Value::as_str) != Some("custom")
        }
    }
}

fn opt(value: Option<&String>) -> CellValue {
    value.map_or(CellValue::Null, |text| CellValue::String(text.clone()))
}

/// `StatusPeriods` rows, one per stay.
pub fn period_rows(periods: &[Period]) -> Vec<Row> {
    periods
        .iter()
        .map(|p| {
            vec![
                CellValue::String(p.issue_id.clone()),
                CellValue::String(p.issue_key.clone()),
                CellValue::Int64(p.period),
                opt(p.status_id.as_ref()),
                opt(p.status.as_ref()),
                opt(p.category.as_ref()),
                CellValue::DateTimeOffset(p.entered),
                p.left.map_or(CellValue::Null, CellValue::DateTimeOffset),
                CellValue::Int64(p.seconds),
            ]
        })
        .collect()
}

/// `TimeInStatus` rows: the stays of one issue summed per status id, in the order the statuses
/// were first entered; the name is the latest stay's. Stays without a status id have no row.
pub fn time_rows(periods: &[Period]) -> Vec<Row> {
    struct Total<'a> {
        last: &'a Period,
        seconds: i64,
        visits: i64,
        current: bool,
    }
    let mut order: Vec<&str> = Vec::new();
    let mut totals: HashMap<&str, Total<'_>> = HashMap::new();
    let current = periods.iter().rposition(|p| p.left.is_none());
    for (index, period) in periods.iter().enumerate() {
        let Some(id) = period.status_id.as_deref() else {
            continue;
        };
        let total = totals.entry(id).or_insert_with(|| {
            order.push(id);
            Total {
                last: period,
                seconds: 0,
                visits: 0,
                current: false,
            }
        });
        total.last = period;
        total.seconds = total.seconds.saturating_add(period.seconds);
        total.visits += 1;
        total.current |= current == Some(index);
    }
    order
        .iter()
        .filter_map(|id| totals.get(id))
        .map(|total| {
            let p = total.last;
            vec![
                CellValue::String(p.issue_id.clone()),
                CellValue::String(p.issue_key.clone()),
                CellValue::String(p.status_id.clone().unwrap_or_default()),
                opt(p.status.as_ref()),
                opt(p.category.as_ref()),
                CellValue::Int64(total.seconds),
                CellValue::Int64(total.visits),
                CellValue::Boolean(total.current),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests;
