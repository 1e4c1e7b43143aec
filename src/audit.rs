//! The audit trail: an append-only record of security-relevant actions (who acted, what, on
//! whose object, when, from where). Writers insert inside the same transaction as the change they
//! describe, so a change is never without its record. [`history`] reads it back: a user's own
//! events (Tokens → History) and a site's, for its administrators.

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
    /// A Jira administrator revoked a user's token (the target); never a secret seen or made.
    AccessTokenRevokedByAdmin,
    JiraApiTokenSaved,
    JiraApiTokenRevoked,
    DataSourceCreated,
    DataSourceUpdated,
    DataSourceDeleted,
    /// The owner shared a data source with a person (the target) or a group.
    DataSourceShared,
    /// The owner stopped sharing a data source with a person (the target) or a group.
    DataSourceUnshared,
    /// The owner handed a data source to another person (the target).
    DataSourceOwnerChanged,
    /// A Jira administrator changed who may use the app (everyone, or chosen groups and people).
    AppAccessChanged,
    /// A Jira administrator set or removed the site's maximum access token lifetime.
    TokenLifetimeChanged,
    /// A new maximum lifetime shortened a user's token (the target); the subject has both dates.
    AccessTokenExpiryClamped,
    /// Never recorded: nobody acts when a token expires, so history derives it from the token's
    /// expiry date (see [`owner_history`]'s `derived`).
    AccessTokenExpired,
}

/// Which history an action belongs to: the admin page shows tokens and data sources apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// Access tokens and Jira API tokens.
    Tokens,
    DataSources,
}

const ALL_ACTIONS: [AuditAction; 15] = [
    AuditAction::AccessTokenCreated,
    AuditAction::AccessTokenRevoked,
    AuditAction::AccessTokenRevokedByAdmin,
    AuditAction::AccessTokenExpired,
    AuditAction::JiraApiTokenSaved,
    AuditAction::JiraApiTokenRevoked,
    AuditAction::DataSourceCreated,
    AuditAction::DataSourceUpdated,
    AuditAction::DataSourceDeleted,
    AuditAction::DataSourceShared,
    AuditAction::DataSourceUnshared,
    AuditAction::DataSourceOwnerChanged,
    AuditAction::AppAccessChanged,
    AuditAction::TokenLifetimeChanged,
    AuditAction::AccessTokenExpiryClamped,
];

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessTokenCreated => "access_token.created",
            Self::AccessTokenRevoked => "access_token.revoked",
            Self::AccessTokenRevokedByAdmin => "access_token.revoked_by_admin",
            Self::JiraApiTokenSaved => "jira_api_token.saved",
            Self::JiraApiTokenRevoked => "jira_api_token.revoked",
            Self::DataSourceCreated => "data_source.created",
            Self::DataSourceUpdated => "data_source.updated",
            Self::DataSourceDeleted => "data_source.deleted",
            Self::DataSourceShared => "data_source.shared",
            Self::DataSourceUnshared => "data_source.unshared",
            Self::DataSourceOwnerChanged => "data_source.owner_changed",
            Self::AccessTokenExpired => "access_token.expired",
            Self::AppAccessChanged => "app_access.changed",
            Self::TokenLifetimeChanged => "token_policy.changed",
            Self::AccessTokenExpiryClamped => "access_token.expiry_clamped",
        }
    }

    /// The action a stored name stands for; `None` for a name this version does not know.
    pub fn parse(stored: &str) -> Option<Self> {
        ALL_ACTIONS.into_iter().find(|a| a.as_str() == stored)
    }

    pub fn area(self) -> Area {
        match self {
            Self::AccessTokenCreated
            | Self::AccessTokenRevoked
            | Self::AccessTokenRevokedByAdmin
            | Self::AccessTokenExpired
            | Self::JiraApiTokenSaved
            | Self::JiraApiTokenRevoked
            // Who may use the app decides whose tokens work: it is read with the tokens.
            | Self::AppAccessChanged
            | Self::TokenLifetimeChanged
            | Self::AccessTokenExpiryClamped => Area::Tokens,
            Self::DataSourceCreated
            | Self::DataSourceUpdated
            | Self::DataSourceDeleted
            | Self::DataSourceShared
            | Self::DataSourceUnshared
            | Self::DataSourceOwnerChanged => Area::DataSources,
        }
    }

    /// The stored names of an area's actions.
    pub fn names_in(area: Area) -> Vec<&'static str> {
        ALL_ACTIONS
            .into_iter()
            .filter(|a| a.area() == area)
            .map(Self::as_str)
            .collect()
    }

    /// How a person reads it in a history list.
    pub fn describe(self) -> &'static str {
        match self {
            Self::AccessTokenCreated => "Access token created",
            Self::AccessTokenRevoked => "Access token revoked",
            Self::AccessTokenRevokedByAdmin => "Access token revoked by a Jira administrator",
            Self::AccessTokenExpired => "Access token expired",
            Self::JiraApiTokenSaved => "Jira API token saved",
            Self::JiraApiTokenRevoked => "Jira API token revoked",
            Self::DataSourceCreated => "Data source created",
            Self::DataSourceUpdated => "Data source updated",
            Self::DataSourceDeleted => "Data source deleted",
            Self::DataSourceShared => "Data source shared",
            Self::DataSourceUnshared => "Data source no longer shared",
            Self::DataSourceOwnerChanged => "Data source handed to a new owner",
            Self::AppAccessChanged => "Who may use BI Connector changed",
            Self::TokenLifetimeChanged => "Maximum access token lifetime changed",
            Self::AccessTokenExpiryClamped => {
                "Access token expiry shortened to the maximum lifetime"
            }
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
    /// Whose object it is (equal to `account_id` when people act on their own).
    pub target_account_id: String,
}

/// Appends an event about the actor's own object; call it inside the transaction that makes the
/// change.
pub fn record(
    conn: &mut Conn,
    actor: &Actor,
    action: AuditAction,
    subject: &str,
    at: OffsetDateTime,
) -> Result<(), AppError> {
    record_for(conn, actor, &actor.account_id, action, subject, at)
}

/// Appends an event about `target`'s object (an administrator revoking a user's token, an owner
/// handing a data source over): it shows in both people's histories.
pub fn record_for(
    conn: &mut Conn,
    actor: &Actor,
    target: &AccountId,
    action: AuditAction,
    subject: &str,
    at: OffsetDateTime,
) -> Result<(), AppError> {
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::tenant_id.eq(actor.tenant_id),
            audit_events::account_id.eq(actor.account_id.as_str()),
            audit_events::target_account_id.eq(target.as_str()),
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

pub mod history;

#[cfg(test)]
mod tests;
