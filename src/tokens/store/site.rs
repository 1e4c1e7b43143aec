//! A site's access tokens as its Jira administrators see them: every user's, with owner, label
//! and dates, never a secret or a hash. Administrators may revoke any of them (recorded with the
//! administrator as actor and the owner as target); nothing here creates one.

use diesel::prelude::*;
use time::OffsetDateTime;

use super::{TokenRow, TokenSummary};
use crate::audit::{self, Actor, AuditAction};
use crate::db::schema::access_tokens;
use crate::db::{self, Conn, LockScope};
use crate::error::AppError;
use crate::ids::AccountId;

/// A token and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteToken {
    pub owner: String,
    pub token: TokenSummary,
}

/// One page of a site's tokens, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteTokenPage {
    pub tokens: Vec<SiteToken>,
    /// 1-based, within `1..=pages`.
    pub page: i64,
    pub pages: i64,
    pub total: i64,
}

fn of_site<'a>(
    tenant_id: i64,
    owner: Option<&'a AccountId>,
) -> access_tokens::BoxedQuery<'a, db::Backend> {
    let query = access_tokens::table
        .filter(access_tokens::tenant_id.eq(tenant_id))
        .into_boxed();
    match owner {
        Some(owner) => query.filter(access_tokens::account_id.eq(owner.as_str())),
        None => query,
    }
}

fn site_token(row: &TokenRow) -> Result<SiteToken, AppError> {
    Ok(SiteToken {
        owner: row.account_id.clone(),
        token: row.summary()?,
    })
}

/// Page `page` (1-based, clamped to the last) of `page_size` of the site's tokens, or of one
/// owner's; newest first, tokens without a creation date last.
pub fn list_site(
    conn: &mut Conn,
    tenant_id: i64,
    owner: Option<&AccountId>,
    page: i64,
    page_size: i64,
) -> Result<SiteTokenPage, AppError> {
    let page_size = page_size.max(1);
    let total: i64 = of_site(tenant_id, owner).count().get_result(conn)?;
    let pages = ((total + page_size - 1) / page_size).max(1);
    let page = page.clamp(1, pages);
    let tokens = of_site(tenant_id, owner)
        .order((
            access_tokens::created_at.is_null().asc(),
            access_tokens::created_at.desc(),
            access_tokens::id.desc(),
        ))
        .offset((page - 1) * page_size)
        .limit(page_size)
        .select(TokenRow::as_select())
        .load(conn)?
        .iter()
        .map(site_token)
        .collect::<Result<_, _>>()?;
    Ok(SiteTokenPage {
        tokens,
        page,
        pages,
        total,
    })
}

/// The site's tokens (of one owner, if given) whose expiry day is over at `now`: the expiries a
/// history derives, since nobody records them.
pub fn expired_on_site(
    conn: &mut Conn,
    tenant_id: i64,
    owner: Option<&AccountId>,
    now: OffsetDateTime,
) -> Result<Vec<SiteToken>, AppError> {
    // Stored as YYYY-MM-DD, so text order is date order.
    let today = now.to_offset(time::UtcOffset::UTC).date().to_string();
    of_site(tenant_id, owner)
        .filter(access_tokens::expires_on.lt(today))
        .select(TokenRow::as_select())
        .load(conn)?
        .iter()
        .map(site_token)
        .collect()
}

/// One token of the site by row id, whoever owns it; `None` when unknown on this site.
pub fn find_on_site(
    conn: &mut Conn,
    tenant_id: i64,
    id: i64,
) -> Result<Option<SiteToken>, AppError> {
    of_site(tenant_id, None)
        .filter(access_tokens::id.eq(id))
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?
        .as_ref()
        .map(site_token)
        .transpose()
}

/// An administrator revokes a token of their own site, whoever owns it. `None` when the id is
/// unknown on this site (another site's token is unknown here); then nothing changes.
pub fn revoke_as_admin(
    conn: &mut Conn,
    admin: &Actor,
    id: i64,
    now: OffsetDateTime,
) -> Result<Option<SiteToken>, AppError> {
    let find = |conn: &mut Conn| find_on_site(conn, admin.tenant_id, id);
    let Some(found) = find(conn)? else {
        return Ok(None);
    };
    // The owner's lock, as their own create and revoke take it, so the 25-token count and this
    // delete never interleave.
    db::write_transaction(
        conn,
        &LockScope::Owner {
            tenant_id: admin.tenant_id,
            account_id: &found.owner,
        },
        |conn| {
            let Some(token) = find(conn)?.filter(|again| again.owner == found.owner) else {
                return Ok(None);
            };
            diesel::delete(
                access_tokens::table
                    .filter(access_tokens::id.eq(id))
                    .filter(access_tokens::tenant_id.eq(admin.tenant_id)),
            )
            .execute(conn)?;
            let owner = AccountId::parse(&token.owner)
                .map_err(|e| AppError::internal(format!("stored token owner: {e}")))?;
            audit::record_for(
                conn,
                admin,
                &owner,
                AuditAction::AccessTokenRevokedByAdmin,
                &token.token.label,
                now,
            )?;
            Ok(Some(token))
        },
    )
}

#[cfg(test)]
mod tests;
