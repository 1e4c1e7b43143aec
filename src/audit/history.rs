//! Reading the trail back, newest first and paged: one user's events (those they made and those
//! made on their objects) or a whole site's, narrowed by area, user and time. The tenant filter
//! is in every query, so no scope can reach another site's events. Derived entries (a token's
//! expiry, which nobody records) are merged in at their times.

use diesel::prelude::*;

use crate::audit::{Area, AuditAction, AuditEvent};
use crate::db::schema::audit_events;
use crate::db::{self, Conn};
use crate::error::AppError;
use crate::ids::AccountId;

/// Which events a history shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryScope {
    pub tenant_id: i64,
    /// Only events this user made or that were about their objects.
    pub involving: Option<AccountId>,
    pub area: Option<Area>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub until: Option<i64>,
    /// Only events recorded up to this one (ids only grow): a download that reads in several
    /// queries sees neither duplicates nor gaps when events are recorded meanwhile.
    pub up_to_id: Option<i64>,
}

impl HistoryScope {
    /// A user's own history: everything they did, and everything done to their objects.
    pub fn own(tenant_id: i64, account_id: &AccountId) -> Self {
        Self {
            involving: Some(account_id.clone()),
            ..Self::site(tenant_id)
        }
    }

    /// Every event of a site.
    pub fn site(tenant_id: i64) -> Self {
        Self {
            tenant_id,
            involving: None,
            area: None,
            from: None,
            until: None,
            up_to_id: None,
        }
    }

    /// Whether a derived entry falls in the scope (the same rules the queries apply).
    pub fn admits(&self, entry: &HistoryEntry) -> bool {
        let involved = self.involving.as_ref().is_none_or(|user| {
            entry.target == user.as_str() || entry.actor.as_deref() == Some(user.as_str())
        });
        let in_area = self
            .area
            .is_none_or(|area| AuditAction::parse(&entry.action).is_some_and(|a| a.area() == area));
        involved
            && in_area
            && self.from.is_none_or(|from| entry.at >= from)
            && self.until.is_none_or(|until| entry.at < until)
    }

    fn query(&self) -> audit_events::BoxedQuery<'_, db::Backend> {
        let mut query = audit_events::table
            .filter(audit_events::tenant_id.eq(self.tenant_id))
            .into_boxed();
        if let Some(user) = &self.involving {
            query = query.filter(
                audit_events::account_id
                    .eq(user.as_str())
                    .or(audit_events::target_account_id.eq(user.as_str())),
            );
        }
        if let Some(area) = self.area {
            query = query.filter(audit_events::action.eq_any(AuditAction::names_in(area)));
        }
        if let Some(from) = self.from {
            query = query.filter(audit_events::created_at.ge(from));
        }
        if let Some(until) = self.until {
            query = query.filter(audit_events::created_at.lt(until));
        }
        if let Some(last) = self.up_to_id {
            query = query.filter(audit_events::id.le(last));
        }
        query
    }
}

/// One line of a history: a recorded event, or one derived from what is stored (a token's
/// expiry). `at` is unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub action: String,
    pub subject: String,
    /// Who acted; `None` for a derived entry (nobody acted).
    pub actor: Option<String>,
    /// Whose object it was.
    pub target: String,
    pub ip: Option<String>,
    pub at: i64,
}

impl From<AuditEvent> for HistoryEntry {
    fn from(event: AuditEvent) -> Self {
        Self {
            action: event.action,
            subject: event.subject,
            actor: Some(event.account_id),
            target: event.target_account_id,
            ip: event.ip,
            at: event.created_at,
        }
    }
}

/// One page of a history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    /// 1-based, within `1..=pages`.
    pub page: i64,
    /// At least 1 (an empty history is one empty page).
    pub pages: i64,
    pub total: i64,
}

/// `account_id`'s own history on `tenant_id` (see [`HistoryScope::own`]).
pub fn owner_history(
    conn: &mut Conn,
    tenant_id: i64,
    account_id: &AccountId,
    derived: &[HistoryEntry],
    page: i64,
    page_size: i64,
) -> Result<HistoryPage, AppError> {
    history(
        conn,
        &HistoryScope::own(tenant_id, account_id),
        derived,
        page,
        page_size,
    )
}

/// The events in `scope`, newest first: page `page` (1-based; a page past the end shows the last
/// one) of `page_size`. Those `derived` entries the scope admits are merged in at their times,
/// after recorded events of the same second. Each derived entry costs one indexed count, so
/// callers pass only what can fall in the scope (a site's expired tokens, not its history).
pub fn history(
    conn: &mut Conn,
    scope: &HistoryScope,
    derived: &[HistoryEntry],
    page: i64,
    page_size: i64,
) -> Result<HistoryPage, AppError> {
    let page_size = page_size.max(1);
    let mut derived: Vec<HistoryEntry> = derived
        .iter()
        .filter(|e| scope.admits(e))
        .cloned()
        .collect();
    derived.sort_by_key(|e| std::cmp::Reverse(e.at));
    let recorded_total: i64 = scope.query().count().get_result(conn)?;
    // Where each derived entry falls in the merged list: after every recorded event at or after
    // its time, and after the derived entries before it.
    let mut positions = Vec::with_capacity(derived.len());
    for (i, entry) in (0_i64..).zip(&derived) {
        let newer: i64 = scope
            .query()
            .filter(audit_events::created_at.ge(entry.at))
            .count()
            .get_result(conn)?;
        positions.push(newer + i);
    }
    let total = recorded_total + i64::try_from(derived.len()).unwrap_or(i64::MAX);
    let pages = ((total + page_size - 1) / page_size).max(1);
    let page = page.clamp(1, pages);
    let start = (page - 1) * page_size;
    let end = (start + page_size).min(total);
    let (offset, count) = recorded_window(&positions, start, end);
    let recorded: Vec<HistoryEntry> = scope
        .query()
        .order((audit_events::created_at.desc(), audit_events::id.desc()))
        .offset(offset)
        .limit(count)
        .select(AuditEvent::as_select())
        .load(conn)?
        .into_iter()
        .map(HistoryEntry::from)
        .collect();
    let mut recorded = recorded.into_iter();
    let mut derived = positions.into_iter().zip(derived).peekable();
    let mut entries = Vec::new();
    for position in start..end {
        while derived.next_if(|(p, _)| *p < position).is_some() {}
        let next = match derived.next_if(|(p, _)| *p == position) {
            Some((_, entry)) => Some(entry),
            None => recorded.next(),
        };
        entries.extend(next);
    }
    Ok(HistoryPage {
        entries,
        page,
        pages,
        total,
    })
}

/// The id of the newest event recorded so far on the site (0 for none), to fix a scope's end.
pub fn last_id(conn: &mut Conn, tenant_id: i64) -> Result<i64, AppError> {
    Ok(audit_events::table
        .filter(audit_events::tenant_id.eq(tenant_id))
        .select(diesel::dsl::max(audit_events::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// Which recorded events fill the merged positions `start..end`, given the positions the derived
/// entries take: the offset of the first one and how many.
fn recorded_window(derived_positions: &[i64], start: i64, end: i64) -> (i64, i64) {
    let count_in = |range: std::ops::Range<i64>| {
        let n = derived_positions
            .iter()
            .filter(|p| range.contains(p))
            .count();
        i64::try_from(n).unwrap_or(i64::MAX)
    };
    let before = count_in(0..start);
    let within = count_in(start..end);
    (start - before, (end - start - within).max(0))
}

#[cfg(test)]
mod tests;
