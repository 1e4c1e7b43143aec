//! Storage of a site's maximum token lifetime, and the clamp that turning it on or shortening it
//! applies to the tokens already issued. Saving runs in one write transaction locked on the
//! site's settings, which token creation also takes, so no token created meanwhile escapes the
//! new maximum; every clamped token is recorded for its owner, who sees the new expiry.

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::audit::{self, Actor, AuditAction};
use crate::db::schema::{access_tokens, token_lifetime_policies};
use crate::db::{self, Conn, LockScope};
use crate::error::AppError;
use crate::ids::AccountId;
use crate::tokens::domain::ExpiryDate;
use crate::tokens::lifetime::{MaxLifetime, change_clamps};

/// The site's maximum, `None` when there is none (the default).
pub fn load_max(conn: &mut Conn, tenant_id: i64) -> Result<Option<MaxLifetime>, AppError> {
    let stored: Option<Option<i64>> = token_lifetime_policies::table
        .filter(token_lifetime_policies::tenant_id.eq(tenant_id))
        .select(token_lifetime_policies::max_days)
        .first(conn)
        .optional()?;
    match stored.flatten() {
        None => Ok(None),
        Some(days) => MaxLifetime::from_stored(days)
            .map(Some)
            .ok_or_else(|| AppError::internal(format!("stored maximum token lifetime {days}"))),
    }
}

/// One token a new maximum shortens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedClamp {
    pub row_id: i64,
    pub owner: String,
    pub label: String,
    /// `None` = it never expired.
    pub from: Option<ExpiryDate>,
    pub to: ExpiryDate,
}

/// How many people own the tokens of `plan`.
pub fn owners_in(plan: &[PlannedClamp]) -> usize {
    let mut owners: Vec<&str> = plan.iter().map(|c| c.owner.as_str()).collect();
    owners.sort_unstable();
    owners.dedup();
    owners.len()
}

/// A token's row: id, owner, label, created at (Unix seconds), expiry (`YYYY-MM-DD`).
type StoredToken = (i64, String, String, Option<i64>, Option<String>);

/// The tokens of the site that going from `old` to `new` would clamp, oldest first.
fn plan_change(
    conn: &mut Conn,
    tenant_id: i64,
    old: Option<MaxLifetime>,
    new: Option<MaxLifetime>,
    now: OffsetDateTime,
) -> Result<Vec<PlannedClamp>, AppError> {
    let Some(max) = new.filter(|_| change_clamps(old, new)) else {
        return Ok(Vec::new());
    };
    // Read here rather than through the parent's row type: the parent calls [`load_max`], and
    // files do not import each other both ways.
    let rows: Vec<StoredToken> = access_tokens::table
        .filter(access_tokens::tenant_id.eq(tenant_id))
        .order(access_tokens::id.asc())
        .select((
            access_tokens::id,
            access_tokens::account_id,
            access_tokens::label,
            access_tokens::created_at,
            access_tokens::expires_on,
        ))
        .load(conn)?;
    let mut plan = Vec::new();
    for (row_id, owner, label, created_at, expires_on) in rows {
        let created_at = created_at
            .map(OffsetDateTime::from_unix_timestamp)
            .transpose()
            .map_err(|e| AppError::internal(format!("stored access token time: {e}")))?;
        let from = expires_on
            .as_deref()
            .map(ExpiryDate::parse_stored)
            .transpose()
            .map_err(|e| AppError::internal(format!("stored access token expiry: {e}")))?;
        if let Some(to) = max.clamp(created_at, from, now) {
            plan.push(PlannedClamp {
                row_id,
                owner,
                label,
                from,
                to,
            });
        }
    }
    Ok(plan)
}

/// What saving `new` would clamp, read without changing anything (the admin page's preview).
pub fn preview(
    conn: &mut Conn,
    tenant_id: i64,
    new: Option<MaxLifetime>,
    now: OffsetDateTime,
) -> Result<Vec<PlannedClamp>, AppError> {
    let old = load_max(conn, tenant_id)?;
    plan_change(conn, tenant_id, old, new, now)
}

/// How a save ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    /// The maximum was already so; nothing recorded.
    Unchanged,
    Saved {
        clamped: Vec<PlannedClamp>,
    },
    /// Saving would clamp tokens, and the administrator has not confirmed this many (they
    /// confirmed none, or the tokens changed since their preview): nothing changed.
    NeedsConfirmation {
        plan: Vec<PlannedClamp>,
    },
}

fn describe(max: Option<MaxLifetime>) -> String {
    match max {
        None => "Maximum access token lifetime: none".to_owned(),
        Some(max) => format!("Maximum access token lifetime: {max}"),
    }
}

fn clamp_subject(clamp: &PlannedClamp) -> String {
    let from = clamp
        .from
        .map_or_else(|| "never".to_owned(), |e| e.to_string());
    format!("{} (expiry {from} → {})", clamp.label, clamp.to)
}

/// Sets the site's maximum. When that clamps tokens, `confirmed` must be the number of tokens
/// the administrator was shown; the clamp and its audit records commit with the setting.
pub fn save(
    conn: &mut Conn,
    actor: &Actor,
    new: Option<MaxLifetime>,
    confirmed: Option<usize>,
    now: OffsetDateTime,
) -> Result<SaveOutcome, AppError> {
    let tenant_id = actor.tenant_id;
    db::write_transaction(conn, &LockScope::Settings { tenant_id }, |conn| {
        let old = load_max(conn, tenant_id)?;
        if old == new {
            return Ok(SaveOutcome::Unchanged);
        }
        let plan = plan_change(conn, tenant_id, old, new, now)?;
        if !plan.is_empty() && confirmed != Some(plan.len()) {
            return Ok(SaveOutcome::NeedsConfirmation { plan });
        }
        let at = now.unix_timestamp();
        let max_days = new.map(|m| i64::from(m.days()));
        let updated = diesel::update(
            token_lifetime_policies::table.filter(token_lifetime_policies::tenant_id.eq(tenant_id)),
        )
        .set((
            token_lifetime_policies::max_days.eq(max_days),
            token_lifetime_policies::updated_at.eq(at),
            token_lifetime_policies::updated_by.eq(actor.account_id.as_str()),
        ))
        .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(token_lifetime_policies::table)
                .values((
                    token_lifetime_policies::tenant_id.eq(tenant_id),
                    token_lifetime_policies::max_days.eq(max_days),
                    token_lifetime_policies::updated_at.eq(at),
                    token_lifetime_policies::updated_by.eq(actor.account_id.as_str()),
                ))
                .execute(conn)?;
        }
        audit::record(
            conn,
            actor,
            AuditAction::TokenLifetimeChanged,
            &describe(new),
            now,
        )?;
        for clamp in &plan {
            diesel::update(
                access_tokens::table
                    .filter(access_tokens::id.eq(clamp.row_id))
                    .filter(access_tokens::tenant_id.eq(tenant_id)),
            )
            .set(access_tokens::expires_on.eq(Some(clamp.to.to_string())))
            .execute(conn)?;
            let owner = AccountId::parse(&clamp.owner)
                .map_err(|_| AppError::internal("stored access token owner"))?;
            audit::record_for(
                conn,
                actor,
                &owner,
                AuditAction::AccessTokenExpiryClamped,
                &clamp_subject(clamp),
                now,
            )?;
        }
        Ok(SaveOutcome::Saved { clamped: plan })
    })
}

#[cfg(test)]
mod tests;
