//! Storage of saved Jira API tokens: one row per (tenant, account), replaced in one transaction
//! under the owner's lock so a reader sees either the old token or the new one, never a mix. The token is sealed with
//! AES-256-GCM bound to its row; the other columns are what the tab shows (never the email).

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::audit::{self, Actor, AuditAction};
use crate::crypto::{CryptoError, Sealer, constant_time_eq};
use crate::db::schema::jira_api_tokens;
use crate::db::{self, Conn, LockScope};
use crate::error::AppError;
use crate::ids::AccountId;
use crate::jira::api_token::{JiraApiToken, JiraEmail};
use crate::jira::client::JiraCredentials;

/// A token that Jira just accepted as the signed-in user's own, ready to be stored for them.
pub struct ValidatedToken<'a> {
    pub email: &'a JiraEmail,
    pub token: &'a JiraApiToken,
    pub display_name: &'a str,
    pub validated_at: OffsetDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = jira_api_tokens)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct Row {
    tenant_id: i64,
    account_id: String,
    email: String,
    display_name: String,
    token_sealed: String,
    validated_at: i64,
    rejected_at: Option<i64>,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = jira_api_tokens)]
#[diesel(treat_none_as_null = true)]
struct NewRow<'a> {
    tenant_id: i64,
    account_id: &'a str,
    email: &'a str,
    display_name: &'a str,
    token_sealed: &'a str,
    validated_at: i64,
    rejected_at: Option<i64>,
}

/// A saved token as read back, still sealed. `Debug` shows no email and no ciphertext.
pub struct SavedToken {
    pub display_name: String,
    pub validated_at: OffsetDateTime,
    /// When Jira answered 401 to this token after it was saved.
    pub rejected_at: Option<OffsetDateTime>,
    tenant_id: i64,
    account_id: String,
    email: String,
    token_sealed: String,
}

impl std::fmt::Debug for SavedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SavedToken")
            .field("display_name", &self.display_name)
            .field("validated_at", &self.validated_at)
            .field("rejected_at", &self.rejected_at)
            .finish_non_exhaustive()
    }
}

impl SavedToken {
    fn from_row(row: Row) -> Self {
        Self {
            display_name: row.display_name,
            validated_at: from_unix(row.validated_at),
            rejected_at: row.rejected_at.map(from_unix),
            tenant_id: row.tenant_id,
            account_id: row.account_id,
            email: row.email,
            token_sealed: row.token_sealed,
        }
    }

    /// Opens the sealed token. Fails if the ciphertext was altered or copied from another row.
    pub fn open(&self, sealer: &Sealer) -> Result<JiraCredentials, CryptoError> {
        let api_token = sealer.open(
            &self.token_sealed,
            &associated_data(self.tenant_id, &self.account_id),
        )?;
        Ok(JiraCredentials {
            email: self.email.clone(),
            api_token,
        })
    }
}

/// Binds a sealed token to its row: a ciphertext moved to another user or site does not open.
pub(crate) fn associated_data(tenant_id: i64, account_id: &str) -> String {
    format!("{tenant_id}:{account_id}")
}

fn from_unix(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Saves `token` as `owner`'s, replacing any previous token (and clearing a rejection) in one
/// transaction, recorded in the audit trail in the same transaction.
pub fn save(
    conn: &mut Conn,
    sealer: &Sealer,
    owner: &Actor,
    token: &ValidatedToken<'_>,
) -> Result<(), AppError> {
    let sealed = sealer.seal(
        token.token.secret().expose(),
        &associated_data(owner.tenant_id, owner.account_id.as_str()),
    )?;
    let row = NewRow {
        tenant_id: owner.tenant_id,
        account_id: owner.account_id.as_str(),
        email: token.email.as_str(),
        display_name: token.display_name,
        token_sealed: &sealed,
        validated_at: token.validated_at.unix_timestamp(),
        rejected_at: None,
    };
    db::write_transaction(
        conn,
        &LockScope::Owner {
            tenant_id: owner.tenant_id,
            account_id: owner.account_id.as_str(),
        },
        |conn| {
            // Update, else insert: under the owner's lock nothing can insert in between (and
            // diesel's upsert is not in the subset both backends share).
            let replaced = diesel::update(
                jira_api_tokens::table
                    .filter(jira_api_tokens::tenant_id.eq(owner.tenant_id))
                    .filter(jira_api_tokens::account_id.eq(owner.account_id.as_str())),
            )
            .set(&row)
            .execute(conn)?;
            if replaced == 0 {
                diesel::insert_into(jira_api_tokens::table)
                    .values(&row)
                    .execute(conn)?;
            }
            audit::record(
                conn,
                owner,
                AuditAction::JiraApiTokenSaved,
                token.display_name,
                token.validated_at,
            )
        },
    )
}

/// The user's saved token, if any.
pub fn find(
    conn: &mut Conn,
    tenant_id: i64,
    account_id: &AccountId,
) -> Result<Option<SavedToken>, AppError> {
    Ok(jira_api_tokens::table
        .filter(jira_api_tokens::tenant_id.eq(tenant_id))
        .filter(jira_api_tokens::account_id.eq(account_id.as_str()))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(SavedToken::from_row))
}

/// Deletes `owner`'s saved token (audited); true if there was one.
pub fn delete(conn: &mut Conn, owner: &Actor, now: OffsetDateTime) -> Result<bool, AppError> {
    db::write_transaction(
        conn,
        &LockScope::Owner {
            tenant_id: owner.tenant_id,
            account_id: owner.account_id.as_str(),
        },
        |conn| {
            let Some(saved) = find(conn, owner.tenant_id, &owner.account_id)? else {
                return Ok(false);
            };
            diesel::delete(
                jira_api_tokens::table
                    .filter(jira_api_tokens::tenant_id.eq(owner.tenant_id))
                    .filter(jira_api_tokens::account_id.eq(owner.account_id.as_str())),
            )
            .execute(conn)?;
            audit::record(
                conn,
                owner,
                AuditAction::JiraApiTokenRevoked,
                &saved.display_name,
                now,
            )?;
            Ok(true)
        },
    )
}

/// Records that Jira answered 401 to `rejected`, but only if those are still the saved
/// credentials (a token saved meanwhile is not marked) and not already marked. True if marked.
pub fn mark_rejected(
    conn: &mut Conn,
    sealer: &Sealer,
    tenant_id: i64,
    account_id: &AccountId,
    rejected: &JiraCredentials,
    now: OffsetDateTime,
) -> Result<bool, AppError> {
    db::write_transaction(
        conn,
        &LockScope::Owner {
            tenant_id,
            account_id: account_id.as_str(),
        },
        |conn| {
            let Some(saved) = find(conn, tenant_id, account_id)? else {
                return Ok(false);
            };
            if saved.rejected_at.is_some() {
                return Ok(false);
            }
            let Ok(current) = saved.open(sealer) else {
                return Ok(false);
            };
            let same = current.email == rejected.email
                && constant_time_eq(
                    current.api_token.expose().as_bytes(),
                    rejected.api_token.expose().as_bytes(),
                );
            if !same {
                return Ok(false);
            }
            diesel::update(
                jira_api_tokens::table
                    .filter(jira_api_tokens::tenant_id.eq(tenant_id))
                    .filter(jira_api_tokens::account_id.eq(account_id.as_str())),
            )
            .set(jira_api_tokens::rejected_at.eq(Some(now.unix_timestamp())))
            .execute(conn)?;
            Ok(true)
        },
    )
}

#[cfg(test)]
mod tests;
