//! The audit trail: an append-only record of security-relevant actions (who, what, which object,
//! when, from where). Writers insert inside the same transaction as the change they describe, so
//! a change is never without its record. Readers page through one user's own events, newest
//! first (the Tokens → History tab); the admins' history will read the same table.

use std::net::IpAddr;

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::db::schema::audit_events;
use crate::db::{self, Conn};
use crate::error::AppError;
use crate::ids::AccountId;

/// What happened. Stored as a stable dotted name, so renaming a variant never rewrites history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditAction {
    AccessTokenCreated,
    AccessTokenRevoked,
    JiraApiTokenSaved,
    JiraApiTokenRevoked,
    DataSourceCreated,
    DataSourceUpdated,
    DataSourceDeleted,
    /// Never recorded: nobody acts when a token expires, so history derives it from the token's
    /// expiry date (see [`owner_history`]'s `derived`).
    AccessTokenExpired,
}

const ALL_ACTIONS: [AuditAction; 8] = [
    AuditAction::AccessTokenCreated,
    AuditAction::AccessTokenRevoked,
    AuditAction::AccessTokenExpired,
    AuditAction::JiraApiTokenSaved,
    AuditAction::JiraApiTokenRevoked,
    AuditAction::DataSourceCreated,
    AuditAction::DataSourceUpdated,
    AuditAction::DataSourceDeleted,
];

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessTokenCreated => "access_token.created",
            Self::AccessTokenRevoked => "access_token.revoked",
            Self::JiraApiTokenSaved => "jira_api_token.saved",
            Self::JiraApiTokenRevoked => "jira_api_token.revoked",
            Self::DataSourceCreated => "data_source.created",
            Self::DataSourceUpdated => "data_source.updated",
            Self::DataSourceDeleted => "data_source.deleted",
            Self::AccessTokenExpired => "access_token.expired",
        }
    }

    /// The action a stored name stands for; `None` for a name this version does not know.
    pub fn parse(stored: &str) -> Option<Self> {
        ALL_ACTIONS.into_iter().find(|a| a.as_str() == stored)
    }

    /// How a person reads it in a history list.
    pub fn describe(self) -> &'static str {
        match self {
            Self::AccessTokenCreated => "Access token created",
            Self::AccessTokenRevoked => "Access token revoked",
            Self::AccessTokenExpired => "Access token expired",
            Self::JiraApiTokenSaved => "Jira API token saved",
            Self::JiraApiTokenRevoked => "Jira API token revoked",
            Self::DataSourceCreated => "Data source created",
            Self::DataSourceUpdated => "Data source updated",
            Self::DataSourceDeleted => "Data source deleted",
        }
    }
}

/// Who acted and from where; built once per request by the handler.
#[derive(Clone, Debug)]
pub struct Actor {
    pub tenant_id: i64,
    pub account_id: AccountId,
    /// The TCP peer address. Forwarding headers are not trusted (anyone can send them); behind a
    /// reverse proxy this is the proxy's address.
    pub ip: Option<IpAddr>,
}

/// One recorded event, as read back.
#[derive(Queryable, Selectable, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = audit_events)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct AuditEvent {
    pub id: i64,
    pub tenant_id: i64,
    pub account_id: String,
    pub action: String,
    pub subject: String,
    pub ip: Option<String>,
    pub created_at: i64,
}

/// Appends an event; call it inside the transaction that makes the change.
pub fn record(
    conn: &mut Conn,
    actor: &Actor,
    action: AuditAction,
    subject: &str,
    at: OffsetDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::tenant_id.eq(actor.tenant_id),
            audit_events::account_id.eq(actor.account_id.as_str()),
            audit_events::action.eq(action.as_str()),
            audit_events::subject.eq(subject),
            audit_events::ip.eq(actor.ip.map(|ip| ip.to_string())),
            audit_events::created_at.eq(at.unix_timestamp()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A site's events, newest first.
pub fn for_tenant(
    conn: &mut Conn,
    tenant_id: i64,
    limit: i64,
) -> Result<Vec<AuditEvent>, AppError> {
    Ok(audit_events::table
        .filter(audit_events::tenant_id.eq(tenant_id))
        .order((audit_events::created_at.desc(), audit_events::id.desc()))
        .limit(limit)
        .select(AuditEvent::as_select())
        .load(conn)?)
}

/// One line of a user's history: a recorded event, or one derived from what is stored (a token's
/// expiry). `at` is unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub action: String,
    pub subject: String,
    pub ip: Option<String>,
    pub at: i64,
}

impl From<AuditEvent> for HistoryEntry {
    fn from(event: AuditEvent) -> Self {
        Self {
            action: event.action,
            subject: event.subject,
            ip: event.ip,
            at: event.created_at,
        }
    }
}

/// One page of a user's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    /// 1-based, within `1..=pages`.
    pub page: i64,
    /// At least 1 (an empty history is one empty page).
    pub pages: i64,
    pub total: i64,
}

fn owned_by<'a>(
    tenant_id: i64,
    account_id: &'a AccountId,
) -> audit_events::BoxedQuery<'a, db::Backend> {
    audit_events::table
        .filter(audit_events::tenant_id.eq(tenant_id))
        .filter(audit_events::account_id.eq(account_id.as_str()))
        .into_boxed()
}

/// `account_id`'s own events on `tenant_id`, newest first: page `page` (1-based; a page past the
/// end shows the last one) of `page_size`. `derived` entries (at most a few: one per expired
/// token) are merged in at their times, after recorded events of the same second. Nobody else's
/// events, and no other site's, can appear: both filters are in every query.
pub fn owner_history(
    conn: &mut Conn,
    tenant_id: i64,
    account_id: &AccountId,
    derived: &[HistoryEntry],
    page: i64,
    page_size: i64,
) -> Result<HistoryPage, AppError> {
    let page_size = page_size.max(1);
    let mut derived = derived.to_vec();
    derived.sort_by_key(|e| std::cmp::Reverse(e.at));
    let recorded_total: i64 = owned_by(tenant_id, account_id).count().get_result(conn)?;
    // Where each derived entry falls in the merged list: after every recorded event at or after
    // its time, and after the derived entries before it.
    let mut positions = Vec::with_capacity(derived.len());
    for (i, entry) in (0_i64..).zip(&derived) {
        let newer: i64 = owned_by(tenant_id, account_id)
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
    let recorded: Vec<HistoryEntry> = owned_by(tenant_id, account_id)
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
