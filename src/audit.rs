//! The audit trail: an append-only record of security-relevant actions (who, what, which object,
//! when, from where) that admins will be able to read. Writers insert inside the same transaction
//! as the change they describe, so a change is never without its record.

use std::net::IpAddr;

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::db::Conn;
use crate::db::schema::audit_events;
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
}

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
