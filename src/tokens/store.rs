//! Storage of access tokens. Creating and revoking run inside one write transaction locked on
//! the owner ([`db::write_transaction`]) with their audit record, so the 25-token limit,
//! case-insensitive label uniqueness and one-time form ids hold under concurrent requests, on
//! one instance or many sharing a PostgreSQL database. There is no token cache: every request
//! reads the row, so a token revoked on one instance is rejected by all on the next request.

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::audit::{self, Actor, AuditAction};
use crate::db::schema::{access_tokens, token_form_submissions};
use crate::db::{self, Conn, LockScope};
use crate::error::AppError;
use crate::ids::AccountId;
use crate::tokens::domain::{
    ExpiryDate, FormId, MAX_TOKENS_PER_USER, NewAccessToken, TokenId, TokenLabel, is_expired_at,
};
use crate::tokens::lifetime::MaxLifetime;

/// "Last used" is written at most this often per token, not on every request.
pub const LAST_USED_RESOLUTION_SECONDS: i64 = 60;

#[derive(Queryable, Selectable)]
#[diesel(table_name = access_tokens)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct TokenRow {
    id: i64,
    tenant_id: i64,
    account_id: String,
    token_id: String,
    secret_hash: Vec<u8>,
    label: String,
    last_used_at: Option<i64>,
    created_at: Option<i64>,
    expires_on: Option<String>,
}

/// A token as its owner sees it in the list (never the secret or its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSummary {
    pub id: i64,
    pub token_id: String,
    pub label: String,
    /// `None` for tokens from before creation dates were recorded.
    pub created_at: Option<OffsetDateTime>,
    /// `None` = never expires.
    pub expires_on: Option<ExpiryDate>,
    pub last_used_at: Option<OffsetDateTime>,
}

impl TokenSummary {
    pub fn is_expired_at(&self, now: OffsetDateTime) -> bool {
        is_expired_at(self.expires_on.map(|e| e.date()), now)
    }
}

/// What BI authentication needs to check a presented token.
#[derive(Debug, Clone)]
pub struct StoredCredential {
    pub row_id: i64,
    pub tenant_id: i64,
    pub account_id: String,
    pub secret_hash: Vec<u8>,
    pub expires_on: Option<ExpiryDate>,
    pub last_used_at: Option<OffsetDateTime>,
}

fn timestamp(seconds: i64) -> Result<OffsetDateTime, AppError> {
    OffsetDateTime::from_unix_timestamp(seconds)
        .map_err(|e| AppError::internal(format!("stored access token time: {e}")))
}

fn expiry(stored: Option<&str>) -> Result<Option<ExpiryDate>, AppError> {
    stored
        .map(|raw| {
            ExpiryDate::parse_stored(raw)
                .map_err(|e| AppError::internal(format!("stored access token expiry: {e}")))
        })
        .transpose()
}

impl TokenRow {
    fn summary(&self) -> Result<TokenSummary, AppError> {
        Ok(TokenSummary {
            id: self.id,
            token_id: self.token_id.clone(),
            label: self.label.clone(),
            created_at: self.created_at.map(timestamp).transpose()?,
            expires_on: expiry(self.expires_on.as_deref())?,
            last_used_at: self.last_used_at.map(timestamp).transpose()?,
        })
    }

    fn credential(self) -> Result<StoredCredential, AppError> {
        Ok(StoredCredential {
            row_id: self.id,
            tenant_id: self.tenant_id,
            expires_on: expiry(self.expires_on.as_deref())?,
            last_used_at: self.last_used_at.map(timestamp).transpose()?,
            account_id: self.account_id,
            secret_hash: self.secret_hash,
        })
    }
}

fn owned_by(tenant_id: i64, account_id: &AccountId) -> access_tokens::BoxedQuery<'_, db::Backend> {
    access_tokens::table
        .filter(access_tokens::tenant_id.eq(tenant_id))
        .filter(access_tokens::account_id.eq(account_id.as_str()))
        .into_boxed()
}

/// The user's tokens, newest first; tokens without a creation date come last.
pub fn list(
    conn: &mut Conn,
    tenant_id: i64,
    account_id: &AccountId,
) -> Result<Vec<TokenSummary>, AppError> {
    owned_by(tenant_id, account_id)
        .order((
            access_tokens::created_at.is_null().asc(),
            access_tokens::created_at.desc(),
            access_tokens::id.desc(),
        ))
        .select(TokenRow::as_select())
        .load(conn)?
        .iter()
        .map(TokenRow::summary)
        .collect()
}

/// One of the user's own tokens; `None` when the id is unknown or someone else's.
pub fn find_owned(
    conn: &mut Conn,
    tenant_id: i64,
    account_id: &AccountId,
    id: i64,
) -> Result<Option<TokenSummary>, AppError> {
    owned_by(tenant_id, account_id)
        .filter(access_tokens::id.eq(id))
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?
        .as_ref()
        .map(TokenRow::summary)
        .transpose()
}

/// A validated "Create token" form.
#[derive(Debug, Clone)]
pub struct CreateRequest {
    pub label: TokenLabel,
    pub expiry: Option<ExpiryDate>,
    pub form_id: FormId,
}

/// How a create ended; everything but `Created` changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    Created(TokenSummary),
    /// This form was submitted before (reload, double click).
    AlreadySubmitted,
    LimitReached,
    LabelTaken,
    /// The site's maximum lifetime does not allow this expiry (or "never").
    BeyondMaxLifetime(MaxLifetime),
}

/// Stores `token` for `actor` if the form is new, its expiry is within the site's maximum
/// lifetime, the user is below the limit and the label is free, and records the audit event, all in one transaction.
pub fn create(
    conn: &mut Conn,
    actor: &Actor,
    token: &NewAccessToken,
    request: &CreateRequest,
    now: OffsetDateTime,
) -> Result<CreateOutcome, AppError> {
    db::write_transaction(
        conn,
        &LockScope::Owner {
            tenant_id: actor.tenant_id,
            account_id: actor.account_id.as_str(),
        },
        |conn| {
            // Held until commit, so an administrator's new maximum cannot miss this token.
            db::also_lock(
                conn,
                &LockScope::Settings {
                    tenant_id: actor.tenant_id,
                },
            )?;
            let submitted = token_form_submissions::table
                .filter(token_form_submissions::form_id.eq(request.form_id.as_str()))
                .count()
                .get_result::<i64>(conn)?;
            if submitted > 0 {
                return Ok(CreateOutcome::AlreadySubmitted);
            }
            if let Some(max) = lifetime::load_max(conn, actor.tenant_id)?
                && !max.allows_new(request.expiry, now)
            {
                return Ok(CreateOutcome::BeyondMaxLifetime(max));
            }
            let held = owned_by(actor.tenant_id, &actor.account_id)
                .count()
                .get_result::<i64>(conn)?;
            if usize::try_from(held).unwrap_or(usize::MAX) >= MAX_TOKENS_PER_USER {
                return Ok(CreateOutcome::LimitReached);
            }
            let normalized = request.label.normalized();
            let same_label = owned_by(actor.tenant_id, &actor.account_id)
                .filter(access_tokens::label_normalized.eq(&normalized))
                .count()
                .get_result::<i64>(conn)?;
            if same_label > 0 {
                return Ok(CreateOutcome::LabelTaken);
            }
            let created_at = now.unix_timestamp();
            diesel::insert_into(access_tokens::table)
                .values((
                    access_tokens::tenant_id.eq(actor.tenant_id),
                    access_tokens::account_id.eq(actor.account_id.as_str()),
                    access_tokens::token_id.eq(token.token_id.as_str()),
                    access_tokens::secret_hash.eq(token.secret_hash.as_slice()),
                    access_tokens::label.eq(request.label.as_str()),
                    access_tokens::label_normalized.eq(&normalized),
                    access_tokens::created_at.eq(Some(created_at)),
                    access_tokens::expires_on.eq(request.expiry.map(|e| e.to_string())),
                ))
                .execute(conn)?;
            // Read back by the unique public id (the returning clause is not in the subset both
            // backends share through `MultiConnection`).
            let row = access_tokens::table
                .filter(access_tokens::token_id.eq(token.token_id.as_str()))
                .select(TokenRow::as_select())
                .first(conn)?;
            diesel::insert_into(token_form_submissions::table)
                .values((
                    token_form_submissions::form_id.eq(request.form_id.as_str()),
                    token_form_submissions::tenant_id.eq(actor.tenant_id),
                    token_form_submissions::account_id.eq(actor.account_id.as_str()),
                    token_form_submissions::submitted_at.eq(created_at),
                ))
                .execute(conn)?;
            audit::record(
                conn,
                actor,
                AuditAction::AccessTokenCreated,
                request.label.as_str(),
                now,
            )?;
            Ok(CreateOutcome::Created(row.summary()?))
        },
    )
}

/// Deletes one of the actor's own tokens and records the audit event. `None` when the id is
/// unknown or belongs to someone else; then nothing changes.
pub fn revoke(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    now: OffsetDateTime,
) -> Result<Option<TokenSummary>, AppError> {
    db::write_transaction(
        conn,
        &LockScope::Owner {
            tenant_id: actor.tenant_id,
            account_id: actor.account_id.as_str(),
        },
        |conn| {
            let Some(token) = find_owned(conn, actor.tenant_id, &actor.account_id, id)? else {
                return Ok(None);
            };
            diesel::delete(
                access_tokens::table
                    .filter(access_tokens::id.eq(id))
                    .filter(access_tokens::tenant_id.eq(actor.tenant_id))
                    .filter(access_tokens::account_id.eq(actor.account_id.as_str())),
            )
            .execute(conn)?;
            audit::record(
                conn,
                actor,
                AuditAction::AccessTokenRevoked,
                &token.label,
                now,
            )?;
            Ok(Some(token))
        },
    )
}

/// The stored credential for a presented token's public id (an indexed lookup).
pub fn find_credential(
    conn: &mut Conn,
    token_id: &TokenId,
) -> Result<Option<StoredCredential>, AppError> {
    access_tokens::table
        .filter(access_tokens::token_id.eq(token_id.as_str()))
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?
        .map(TokenRow::credential)
        .transpose()
}

/// Records a use of the token unless one was recorded less than a minute ago; the condition is
/// in the UPDATE itself, so concurrent requests write at most once. Returns whether it wrote.
pub fn touch_last_used(
    conn: &mut Conn,
    row_id: i64,
    now: OffsetDateTime,
) -> Result<bool, AppError> {
    let now = now.unix_timestamp();
    let updated = diesel::update(
        access_tokens::table
            .filter(access_tokens::id.eq(row_id))
            .filter(
                access_tokens::last_used_at
                    .is_null()
                    .or(access_tokens::last_used_at.le(now - LAST_USED_RESOLUTION_SECONDS)),
            ),
    )
    .set(access_tokens::last_used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(updated > 0)
}

/// Whether a stored "last used" is recent enough that [`touch_last_used`] would not write.
pub fn last_used_is_fresh(last_used_at: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    last_used_at
        .is_some_and(|at| now.unix_timestamp() - at.unix_timestamp() < LAST_USED_RESOLUTION_SECONDS)
}

pub mod lifetime;
pub mod site;

#[cfg(test)]
mod tests;
