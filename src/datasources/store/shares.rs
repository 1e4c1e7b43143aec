//! Sharing and handing over data sources. The one access rule lives here: a person may read a
//! data source (its definition and its feeds) when they own it, when it is shared with them by
//! accountId, or when it is shared with one of the groups Jira says they are in *now* (the
//! caller asks Jira; see [`crate::datasources::access`]). Only the owner changes shares or hands
//! the data source over, each change in one transaction locked on the owner, with its audit
//! record; a handover locks both people, in a fixed order, so two handovers cannot deadlock.

use diesel::prelude::*;
use time::OffsetDateTime;

use super::{DataSource, Row, find_owned};
use crate::app_access::policy::{Grant, PrincipalKind};
use crate::audit::{self, Actor, AuditAction};
use crate::datasources::domain::MAX_DATA_SOURCES_PER_USER;
use crate::db::schema::{data_source_shares, data_sources};
use crate::db::{self, Conn, LockScope};
use crate::error::AppError;
use crate::ids::AccountId;

/// Most people and groups one data source is shared with (a larger audience is a Jira group).
pub const MAX_SHARES_PER_DATA_SOURCE: usize = 100;

/// How someone reaches a data source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// They own it: they edit, share, hand over and delete it.
    Owner,
    /// It is shared with them (by name or through a group): they view it and use its feeds.
    Shared { owner_name: String },
}

/// A data source someone may read, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readable {
    pub source: DataSource,
    pub access: Access,
}

/// A data source shared with someone, for "Shared with me".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedSource {
    pub source: DataSource,
    pub owner_name: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = data_source_shares)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct ShareRow {
    principal_kind: String,
    principal_id: String,
    principal_name: String,
}

impl ShareRow {
    fn into_grant(self) -> Result<Grant, AppError> {
        let kind = PrincipalKind::parse(&self.principal_kind).ok_or_else(|| {
            AppError::internal(format!("stored share kind {:?}", self.principal_kind))
        })?;
        Ok(Grant {
            kind,
            id: self.principal_id,
            name: self.principal_name,
        })
    }
}

/// The site's shares that name `account` or one of `group_ids`.
fn naming<'a>(
    tenant_id: i64,
    account: &'a str,
    group_ids: &'a [String],
) -> data_source_shares::BoxedQuery<'a, db::Backend> {
    let by_name = data_source_shares::principal_kind
        .eq(PrincipalKind::User.as_str())
        .and(data_source_shares::principal_id.eq(account));
    let by_group = data_source_shares::principal_kind
        .eq(PrincipalKind::Group.as_str())
        .and(data_source_shares::principal_id.eq_any(group_ids));
    data_source_shares::table
        .filter(data_source_shares::tenant_id.eq(tenant_id))
        .filter(by_name.or(by_group))
        .into_boxed()
}

/// Whether data source `id` of the site is shared with any group: only then must Jira be asked
/// for a reader's groups.
pub fn shared_with_groups(conn: &mut Conn, tenant_id: i64, id: i64) -> Result<bool, AppError> {
    let count: i64 = data_source_shares::table
        .filter(data_source_shares::tenant_id.eq(tenant_id))
        .filter(data_source_shares::data_source_id.eq(id))
        .filter(data_source_shares::principal_kind.eq(PrincipalKind::Group.as_str()))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// Whether anything on the site is shared with a group ("Shared with me" then asks Jira).
pub fn site_shares_with_groups(conn: &mut Conn, tenant_id: i64) -> Result<bool, AppError> {
    let count: i64 = data_source_shares::table
        .filter(data_source_shares::tenant_id.eq(tenant_id))
        .filter(data_source_shares::principal_kind.eq(PrincipalKind::Group.as_str()))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// Data source `id` if `account` owns it or it is shared with them or one of `group_ids` (the
/// groups Jira lists for them now); `None` otherwise, exactly like an id that does not exist.
pub fn find_readable(
    conn: &mut Conn,
    tenant_id: i64,
    account: &str,
    group_ids: &[String],
    id: i64,
) -> Result<Option<Readable>, AppError> {
    if let Some(source) = find_owned(conn, tenant_id, account, id)? {
        return Ok(Some(Readable {
            source,
            access: Access::Owner,
        }));
    }
    let owner_name = naming(tenant_id, account, group_ids)
        .filter(data_source_shares::data_source_id.eq(id))
        .select(data_source_shares::owner_name)
        .first::<String>(conn)
        .optional()?;
    let Some(owner_name) = owner_name else {
        return Ok(None);
    };
    let row = data_sources::table
        .filter(data_sources::tenant_id.eq(tenant_id))
        .filter(data_sources::id.eq(id))
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    row.map(|row| {
        Ok(Readable {
            source: row.into_data_source()?,
            access: Access::Shared { owner_name },
        })
    })
    .transpose()
}

/// The data sources shared with `account` or one of `group_ids` that they do not own, by name.
pub fn shared_with(
    conn: &mut Conn,
    tenant_id: i64,
    account: &str,
    group_ids: &[String],
) -> Result<Vec<SharedSource>, AppError> {
    let shares: Vec<(i64, String)> = naming(tenant_id, account, group_ids)
        .select((
            data_source_shares::data_source_id,
            data_source_shares::owner_name,
        ))
        .load(conn)?;
    if shares.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = shares.iter().map(|(id, _)| *id).collect();
    data_sources::table
        .filter(data_sources::tenant_id.eq(tenant_id))
        .filter(data_sources::account_id.ne(account))
        .filter(data_sources::id.eq_any(&ids))
        .order((data_sources::name_normalized.asc(), data_sources::id.asc()))
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(|row| {
            let source = row.into_data_source()?;
            let owner_name = shares
                .iter()
                .find(|(id, _)| *id == source.id)
                .map(|(_, name)| name.clone())
                .unwrap_or_default();
            Ok(SharedSource { source, owner_name })
        })
        .collect()
}

/// Whom the owner's data source `id` is shared with (groups first, then people, by name);
/// `None` when it is not theirs.
pub fn shares_of(
    conn: &mut Conn,
    tenant_id: i64,
    owner: &str,
    id: i64,
) -> Result<Option<Vec<Grant>>, AppError> {
    if find_owned(conn, tenant_id, owner, id)?.is_none() {
        return Ok(None);
    }
    let rows: Vec<ShareRow> = data_source_shares::table
        .filter(data_source_shares::tenant_id.eq(tenant_id))
        .filter(data_source_shares::data_source_id.eq(id))
        .order((
            data_source_shares::principal_kind.asc(),
            data_source_shares::principal_name.asc(),
            data_source_shares::id.asc(),
        ))
        .select(ShareRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(ShareRow::into_grant)
        .collect::<Result<_, _>>()
        .map(Some)
}

/// "Report → Bob Brown", "Report → group data-team": what a share's audit record names.
fn subject(source: &DataSource, grant: &Grant) -> String {
    match grant.kind {
        PrincipalKind::User => format!("{} → {}", source.name, grant.name),
        PrincipalKind::Group => format!("{} → group {}", source.name, grant.name),
    }
}

/// Records a share change: a person shared with (or no longer) is the target, so it shows in
/// their history too; a group's is the owner's own record.
fn record_share(
    conn: &mut Conn,
    actor: &Actor,
    action: AuditAction,
    source: &DataSource,
    grant: &Grant,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let subject = subject(source, grant);
    match (grant.kind, AccountId::parse(&grant.id)) {
        (PrincipalKind::User, Ok(target)) => {
            audit::record_for(conn, actor, &target, action, &subject, now)
        }
        _ => audit::record(conn, actor, action, &subject, now),
    }
}

fn share_exists(
    conn: &mut Conn,
    id: i64,
    kind: PrincipalKind,
    principal: &str,
) -> QueryResult<bool> {
    let count: i64 = data_source_shares::table
        .filter(data_source_shares::data_source_id.eq(id))
        .filter(data_source_shares::principal_kind.eq(kind.as_str()))
        .filter(data_source_shares::principal_id.eq(principal))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

fn insert_share(
    conn: &mut Conn,
    tenant_id: i64,
    id: i64,
    grant: &Grant,
    owner_name: &str,
    now: OffsetDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(data_source_shares::table)
        .values((
            data_source_shares::tenant_id.eq(tenant_id),
            data_source_shares::data_source_id.eq(id),
            data_source_shares::principal_kind.eq(grant.kind.as_str()),
            data_source_shares::principal_id.eq(&grant.id),
            data_source_shares::principal_name.eq(&grant.name),
            data_source_shares::owner_name.eq(owner_name),
            data_source_shares::created_at.eq(now.unix_timestamp()),
        ))
        .execute(conn)
}

/// Keeps every share of `id` showing the current owner's name.
fn rename_owner(conn: &mut Conn, id: i64, owner_name: &str) -> QueryResult<usize> {
    diesel::update(data_source_shares::table.filter(data_source_shares::data_source_id.eq(id)))
        .set(data_source_shares::owner_name.eq(owner_name))
        .execute(conn)
}

/// How a share ended; everything but `Shared` changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareOutcome {
    Shared,
    AlreadyShared,
    /// Not the actor's data source (or no such id).
    NotFound,
    /// The owner named themselves.
    IsOwner,
    TooMany,
}

/// Shares the actor's data source `id` with `grant` (a person or group Jira knows; the caller
/// checked), and records it. `owner_name` is the actor's display name, shown to readers.
pub fn share(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    grant: &Grant,
    owner_name: &str,
    now: OffsetDateTime,
) -> Result<ShareOutcome, AppError> {
    let account = actor.account_id.as_str();
    db::write_transaction(
        conn,
        &LockScope::Owner {
            tenant_id: actor.tenant_id,
            account_id: account,
        },
        |conn| {
            let Some(source) = find_owned(conn, actor.tenant_id, account, id)? else {
                return Ok(ShareOutcome::NotFound);
            };
            if grant.kind == PrincipalKind::User && grant.id == account {
                return Ok(ShareOutcome::IsOwner);
            }
            if share_exists(conn, id, grant.kind, &grant.id)? {
                return Ok(ShareOutcome::AlreadyShared);
            }
            let held: i64 = data_source_shares::table
                .filter(data_source_shares::data_source_id.eq(id))
                .count()
                .get_result(conn)?;
            if usize::try_from(held).unwrap_or(usize::MAX) >= MAX_SHARES_PER_DATA_SOURCE {
                return Ok(ShareOutcome::TooMany);
            }
            insert_share(conn, actor.tenant_id, id, grant, owner_name, now)?;
            rename_owner(conn, id, owner_name)?;
            record_share(
                conn,
                actor,
                AuditAction::DataSourceShared,
                &source,
                grant,
                now,
            )?;
            Ok(ShareOutcome::Shared)
        },
    )
}

/// Stops sharing the actor's data source `id` with one person or group, and records it. `None`
/// when it is not the actor's or not shared with them; then nothing changes.
pub fn unshare(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    kind: PrincipalKind,
    principal: &str,
    now: OffsetDateTime,
) -> Result<Option<Grant>, AppError> {
    let account = actor.account_id.as_str();
    db::write_transaction(
        conn,
        &LockScope::Owner {
            tenant_id: actor.tenant_id,
            account_id: account,
        },
        |conn| {
            let Some(source) = find_owned(conn, actor.tenant_id, account, id)? else {
                return Ok(None);
            };
            let the_share = data_source_shares::table
                .filter(data_source_shares::data_source_id.eq(id))
                .filter(data_source_shares::principal_kind.eq(kind.as_str()))
                .filter(data_source_shares::principal_id.eq(principal));
            let Some(row) = the_share
                .select(ShareRow::as_select())
                .first(conn)
                .optional()?
            else {
                return Ok(None);
            };
            diesel::delete(the_share).execute(conn)?;
            let grant = row.into_grant()?;
            record_share(
                conn,
                actor,
                AuditAction::DataSourceUnshared,
                &source,
                &grant,
                now,
            )?;
            Ok(Some(grant))
        },
    )
}

/// The person a data source is handed to, as Jira named them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOwner {
    pub account_id: AccountId,
    pub name: String,
}

/// How a handover ended; everything but `HandedOver` changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandOverOutcome {
    HandedOver(DataSource),
    NotFound,
    /// The new owner is the owner already.
    SameOwner,
    /// The new owner has a data source of that name already.
    NameTaken,
    /// The new owner holds the most data sources a person may.
    LimitReached,
}

/// Hands the actor's data source `id` to `new_owner`. The actor keeps reading it (it is shared
/// with them by name), the new owner's own share goes (they own it now), and the event is in
/// both histories. `owner_name` is the actor's display name, for their share.
pub fn hand_over(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    new_owner: &NewOwner,
    owner_name: &str,
    now: OffsetDateTime,
) -> Result<HandOverOutcome, AppError> {
    let account = actor.account_id.as_str();
    let new_account = new_owner.account_id.as_str();
    if new_account == account {
        return Ok(HandOverOutcome::SameOwner);
    }
    let (first, second) = if account < new_account {
        (account, new_account)
    } else {
        (new_account, account)
    };
    let scope = |account_id| LockScope::Owner {
        tenant_id: actor.tenant_id,
        account_id,
    };
    db::write_transaction(conn, &scope(first), |conn| {
        db::also_lock(conn, &scope(second))?;
        let Some(source) = find_owned(conn, actor.tenant_id, account, id)? else {
            return Ok(HandOverOutcome::NotFound);
        };
        let theirs = data_sources::table
            .filter(data_sources::tenant_id.eq(actor.tenant_id))
            .filter(data_sources::account_id.eq(new_account));
        let held: i64 = theirs.count().get_result(conn)?;
        if usize::try_from(held).unwrap_or(usize::MAX) >= MAX_DATA_SOURCES_PER_USER {
            return Ok(HandOverOutcome::LimitReached);
        }
        let normalized: String = data_sources::table
            .filter(data_sources::id.eq(id))
            .select(data_sources::name_normalized)
            .first(conn)?;
        let clash: i64 = theirs
            .filter(data_sources::name_normalized.eq(&normalized))
            .count()
            .get_result(conn)?;
        if clash > 0 {
            return Ok(HandOverOutcome::NameTaken);
        }
        diesel::update(
            data_sources::table
                .filter(data_sources::id.eq(id))
                .filter(data_sources::tenant_id.eq(actor.tenant_id))
                .filter(data_sources::account_id.eq(account)),
        )
        .set((
            data_sources::account_id.eq(new_account),
            data_sources::updated_at.eq(now.unix_timestamp()),
        ))
        .execute(conn)?;
        diesel::delete(
            data_source_shares::table
                .filter(data_source_shares::data_source_id.eq(id))
                .filter(data_source_shares::principal_kind.eq(PrincipalKind::User.as_str()))
                .filter(data_source_shares::principal_id.eq(new_account)),
        )
        .execute(conn)?;
        if !share_exists(conn, id, PrincipalKind::User, account)? {
            let former = Grant {
                kind: PrincipalKind::User,
                id: account.to_owned(),
                name: owner_name.to_owned(),
            };
            insert_share(conn, actor.tenant_id, id, &former, &new_owner.name, now)?;
        }
        rename_owner(conn, id, &new_owner.name)?;
        audit::record_for(
            conn,
            actor,
            &new_owner.account_id,
            AuditAction::DataSourceOwnerChanged,
            &format!("{} → {}", source.name, new_owner.name),
            now,
        )?;
        let row = data_sources::table
            .filter(data_sources::id.eq(id))
            .select(Row::as_select())
            .first(conn)?;
        Ok(HandOverOutcome::HandedOver(row.into_data_source()?))
    })
}

#[cfg(test)]
mod tests;
