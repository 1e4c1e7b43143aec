//! Storage of who may use the app. Every change runs in one write transaction locked on the
//! site's settings, with its audit record (actor = the administrator), so two administrators
//! editing at once never lose a change or leave it unrecorded.

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::app_access::policy::{AccessPolicy, Grant, PrincipalKind};
use crate::audit::{self, Actor, AuditAction};
use crate::db::schema::{app_access_grants, app_access_policies};
use crate::db::{self, Conn, LockScope};
use crate::error::AppError;

/// Most groups and people a site may list: a policy is read on every request of a restricted
/// site, and beyond this a group is the right tool.
pub const MAX_GRANTS: usize = 200;

/// The site's policy (everyone, when none was saved). Grants are ordered groups first, by name.
pub fn load(conn: &mut Conn, tenant_id: i64) -> Result<AccessPolicy, AppError> {
    let restricted = app_access_policies::table
        .filter(app_access_policies::tenant_id.eq(tenant_id))
        .select(app_access_policies::restricted)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false);
    let rows: Vec<(String, String, String)> = app_access_grants::table
        .filter(app_access_grants::tenant_id.eq(tenant_id))
        .order((
            app_access_grants::principal_kind.asc(),
            app_access_grants::principal_name.asc(),
            app_access_grants::id.asc(),
        ))
        .select((
            app_access_grants::principal_kind,
            app_access_grants::principal_id,
            app_access_grants::principal_name,
        ))
        .load(conn)?;
    let grants = rows
        .into_iter()
        .map(|(kind, id, name)| {
            let kind = PrincipalKind::parse(&kind)
                .ok_or_else(|| AppError::internal(format!("stored grant kind {kind:?}")))?;
            Ok(Grant { kind, id, name })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(AccessPolicy { restricted, grants })
}

fn subject_of(restricted: bool) -> &'static str {
    if restricted {
        "Only chosen groups and people"
    } else {
        "Everyone on the site"
    }
}

fn grant_subject(verb: &str, grant: &Grant) -> String {
    let kind = match grant.kind {
        PrincipalKind::Group => "group",
        PrincipalKind::User => "person",
    };
    format!("{verb} {kind} {}", grant.name)
}

/// What [`set_restricted`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOutcome {
    Changed,
    /// It was already so (nothing recorded).
    Unchanged,
    /// Restricting with nobody chosen is refused: it would leave the app to Jira administrators
    /// alone, which is rarely meant (checked under the lock, against a concurrent Remove).
    NobodyChosen,
}

/// Sets everyone / only the chosen.
pub fn set_restricted(
    conn: &mut Conn,
    actor: &Actor,
    restricted: bool,
    now: OffsetDateTime,
) -> Result<SetOutcome, AppError> {
    let tenant_id = actor.tenant_id;
    db::write_transaction(conn, &LockScope::Settings { tenant_id }, |conn| {
        let current = load(conn, tenant_id)?;
        if current.restricted == restricted {
            return Ok(SetOutcome::Unchanged);
        }
        if restricted && current.grants.is_empty() {
            return Ok(SetOutcome::NobodyChosen);
        }
        let at = now.unix_timestamp();
        let updated = diesel::update(
            app_access_policies::table.filter(app_access_policies::tenant_id.eq(tenant_id)),
        )
        .set((
            app_access_policies::restricted.eq(restricted),
            app_access_policies::updated_at.eq(at),
            app_access_policies::updated_by.eq(actor.account_id.as_str()),
        ))
        .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(app_access_policies::table)
                .values((
                    app_access_policies::tenant_id.eq(tenant_id),
                    app_access_policies::restricted.eq(restricted),
                    app_access_policies::updated_at.eq(at),
                    app_access_policies::updated_by.eq(actor.account_id.as_str()),
                ))
                .execute(conn)?;
        }
        audit::record(
            conn,
            actor,
            AuditAction::AppAccessChanged,
            subject_of(restricted),
            now,
        )?;
        Ok(SetOutcome::Changed)
    })
}

/// Why a grant was not added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddOutcome {
    Added,
    AlreadyThere,
    TooMany,
}

/// Lets a group or person in (when the policy is restricted).
pub fn add_grant(
    conn: &mut Conn,
    actor: &Actor,
    grant: &Grant,
    now: OffsetDateTime,
) -> Result<AddOutcome, AppError> {
    let tenant_id = actor.tenant_id;
    db::write_transaction(conn, &LockScope::Settings { tenant_id }, |conn| {
        let current = load(conn, tenant_id)?;
        if current
            .grants
            .iter()
            .any(|g| g.kind == grant.kind && g.id == grant.id)
        {
            return Ok(AddOutcome::AlreadyThere);
        }
        if current.grants.len() >= MAX_GRANTS {
            return Ok(AddOutcome::TooMany);
        }
        diesel::insert_into(app_access_grants::table)
            .values((
                app_access_grants::tenant_id.eq(tenant_id),
                app_access_grants::principal_kind.eq(grant.kind.as_str()),
                app_access_grants::principal_id.eq(&grant.id),
                app_access_grants::principal_name.eq(&grant.name),
                app_access_grants::created_at.eq(now.unix_timestamp()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            AuditAction::AppAccessChanged,
            &grant_subject("Allowed", grant),
            now,
        )?;
        Ok(AddOutcome::Added)
    })
}

/// Takes a group or person off the list; the removed grant, or `None` when it was not there.
pub fn remove_grant(
    conn: &mut Conn,
    actor: &Actor,
    kind: PrincipalKind,
    id: &str,
    now: OffsetDateTime,
) -> Result<Option<Grant>, AppError> {
    let tenant_id = actor.tenant_id;
    db::write_transaction(conn, &LockScope::Settings { tenant_id }, |conn| {
        let Some(grant) = load(conn, tenant_id)?
            .grants
            .into_iter()
            .find(|g| g.kind == kind && g.id == id)
        else {
            return Ok(None);
        };
        diesel::delete(
            app_access_grants::table
                .filter(app_access_grants::tenant_id.eq(tenant_id))
                .filter(app_access_grants::principal_kind.eq(kind.as_str()))
                .filter(app_access_grants::principal_id.eq(id)),
        )
        .execute(conn)?;
        audit::record(
            conn,
            actor,
            AuditAction::AppAccessChanged,
            &grant_subject("Removed", &grant),
            now,
        )?;
        Ok(Some(grant))
    })
}

#[cfg(test)]
mod tests;
