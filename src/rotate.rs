//! `rotate-key`: re-seals every tenant shared secret and saved Jira API token under a new master
//! key, one short transaction per row under that row's usual write lock, so instances keep
//! serving while it runs. A crash leaves each row either old or new, and both open while the
//! instances hold both keys (see [`crate::crypto::Keyring`]); running it again skips the rows
//! already under the new key, which finishes the job. Sessions and feed cursors are signed, not
//! stored: those signed with the old key are rejected once an instance signs with the new one.

use std::ops::ControlFlow;

use diesel::prelude::*;

use crate::crypto::{Keyring, MasterKey, Sealer};
use crate::db::schema::{jira_api_tokens, tenants};
use crate::db::{self, Conn, LockScope};
use crate::error::AppError;
use crate::jira::token_store;
use crate::state::{JIRA_TOKEN_PURPOSE, SHARED_SECRET_PURPOSE};

/// Rows read per query while walking a table (ids only; each row is then re-read under its lock).
const BATCH: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error(
        "the new key is not accepted by this configuration: give every instance \
         MASTER_KEY_DECRYPT_ONLY_FILE=<the new key file> (restart them), set it here too, and run \
         rotate-key again; otherwise instances could not open the rows it re-seals"
    )]
    NewKeyNotAccepted,
    #[error("{0}")]
    Store(#[from] AppError),
}

/// Which table a row belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Tenants,
    JiraApiTokens,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Self::Tenants => "tenants",
            Self::JiraApiTokens => "jira_api_tokens",
        }
    }
}

/// What happened to one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Resealed,
    AlreadyNew,
    /// No key this run knows opens it (left as it is; reported).
    Unreadable,
    /// Deleted since the walk listed it.
    Gone,
}

/// Counts for one table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub resealed: u64,
    pub already_new: u64,
    /// Ids of rows no known key opens.
    pub unreadable: Vec<i64>,
}

impl Progress {
    fn record(&mut self, id: i64, outcome: Outcome) {
        match outcome {
            Outcome::Resealed => self.resealed += 1,
            Outcome::AlreadyNew => self.already_new += 1,
            Outcome::Unreadable => self.unreadable.push(id),
            Outcome::Gone => {}
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub tenants: Progress,
    pub jira_tokens: Progress,
    /// False when `after_row` stopped the walk early.
    pub complete: bool,
}

/// The sealer that writes under `new` and the one that opens under every key this run knows.
struct Keys {
    new_only: Sealer,
    any: Sealer,
}

impl Keys {
    fn for_purpose(keys: &Keyring, new: &MasterKey, purpose: &'static [u8]) -> Self {
        let new_only = new.sealer(purpose);
        Self {
            any: new_only.clone().opening_also(&[keys.sealer(purpose)]),
            new_only,
        }
    }

    /// The new sealed value, or `None` when `stored` is already under the new key.
    fn reseal(&self, stored: &str, associated: &str) -> Result<Option<String>, Outcome> {
        if self.new_only.open(stored, associated).is_ok() {
            return Ok(None);
        }
        let plain = self
            .any
            .open(stored, associated)
            .map_err(|_| Outcome::Unreadable)?;
        self.new_only
            .seal(plain.expose(), associated)
            .map(Some)
            .map_err(|_| Outcome::Unreadable)
    }
}

/// Re-seals every row under `new`, opening with `keys` (the instances' keyring) or `new`.
/// `after_row` sees each row's outcome and may stop the walk (the caller's progress report).
pub fn rotate(
    conn: &mut Conn,
    keys: &Keyring,
    new: &MasterKey,
    mut after_row: impl FnMut(Table, i64, Outcome) -> ControlFlow<()>,
) -> Result<Report, RotateError> {
    if !keys.accepts(new) {
        return Err(RotateError::NewKeyNotAccepted);
    }
    let mut report = Report::default();
    let secrets = Keys::for_purpose(keys, new, SHARED_SECRET_PURPOSE);
    let mut last = 0;
    loop {
        let batch: Vec<(i64, String)> = tenants::table
            .filter(tenants::id.gt(last))
            .order(tenants::id)
            .select((tenants::id, tenants::client_key))
            .limit(BATCH)
            .load(conn)
            .map_err(AppError::from)?;
        let Some((id, _)) = batch.last() else { break };
        last = *id;
        for (id, client_key) in batch {
            let outcome = reseal_tenant(conn, &secrets, id, &client_key)?;
            report.tenants.record(id, outcome);
            if after_row(Table::Tenants, id, outcome).is_break() {
                return Ok(report);
            }
        }
    }
    let tokens = Keys::for_purpose(keys, new, JIRA_TOKEN_PURPOSE);
    let mut last = 0;
    loop {
        let batch: Vec<(i64, i64, String)> = jira_api_tokens::table
            .filter(jira_api_tokens::id.gt(last))
            .order(jira_api_tokens::id)
            .select((
                jira_api_tokens::id,
                jira_api_tokens::tenant_id,
                jira_api_tokens::account_id,
            ))
            .limit(BATCH)
            .load(conn)
            .map_err(AppError::from)?;
        let Some((id, _, _)) = batch.last() else {
            break;
        };
        last = *id;
        for (id, tenant_id, account_id) in batch {
            let outcome = reseal_jira_token(conn, &tokens, id, tenant_id, &account_id)?;
            report.jira_tokens.record(id, outcome);
            if after_row(Table::JiraApiTokens, id, outcome).is_break() {
                return Ok(report);
            }
        }
    }
    report.complete = true;
    Ok(report)
}

/// One tenant in one transaction, under the lock installs take (so a re-install in between
/// is either seen or waits).
fn reseal_tenant(
    conn: &mut Conn,
    keys: &Keys,
    id: i64,
    client_key: &str,
) -> Result<Outcome, AppError> {
    db::write_transaction(conn, &LockScope::Site { client_key }, |conn| {
        let stored: Option<String> = tenants::table
            .filter(tenants::id.eq(id))
            .select(tenants::shared_secret_sealed)
            .first(conn)
            .optional()?;
        let Some(stored) = stored else {
            return Ok(Outcome::Gone);
        };
        // Bound to the clientKey, as `Tenant::shared_secret` opens it.
        match keys.reseal(&stored, client_key) {
            Err(outcome) => Ok(outcome),
            Ok(None) => Ok(Outcome::AlreadyNew),
            Ok(Some(sealed)) => {
                diesel::update(tenants::table.filter(tenants::id.eq(id)))
                    .set(tenants::shared_secret_sealed.eq(sealed))
                    .execute(conn)?;
                Ok(Outcome::Resealed)
            }
        }
    })
}

/// One saved Jira API token in one transaction, under its owner's lock (as saving takes).
fn reseal_jira_token(
    conn: &mut Conn,
    keys: &Keys,
    id: i64,
    tenant_id: i64,
    account_id: &str,
) -> Result<Outcome, AppError> {
    let scope = LockScope::Owner {
        tenant_id,
        account_id,
    };
    db::write_transaction(conn, &scope, |conn| {
        let stored: Option<String> = jira_api_tokens::table
            .filter(jira_api_tokens::id.eq(id))
            .select(jira_api_tokens::token_sealed)
            .first(conn)
            .optional()?;
        let Some(stored) = stored else {
            return Ok(Outcome::Gone);
        };
        let associated = token_store::associated_data(tenant_id, account_id);
        match keys.reseal(&stored, &associated) {
            Err(outcome) => Ok(outcome),
            Ok(None) => Ok(Outcome::AlreadyNew),
            Ok(Some(sealed)) => {
                diesel::update(jira_api_tokens::table.filter(jira_api_tokens::id.eq(id)))
                    .set(jira_api_tokens::token_sealed.eq(sealed))
                    .execute(conn)?;
                Ok(Outcome::Resealed)
            }
        }
    })
}

#[cfg(test)]
mod tests;
