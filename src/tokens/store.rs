//! Storage of access tokens. Creating and revoking run inside one `BEGIN IMMEDIATE` transaction
//! with their audit record, so the 25-token limit, case-insensitive label uniqueness and one-time
//! form ids hold under concurrent requests (writers queue on SQLite's lock via `busy_timeout`
//! instead of failing a lock upgrade halfway through).

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::audit::{self, Actor, AuditAction};
use crate::db::Conn;
use crate::db::schema::{access_tokens, token_form_submissions};
use crate::error::AppError;
use crate::ids::AccountId;
use crate::tokens::domain::{
    ExpiryDate, FormId, MAX_TOKENS_PER_USER, NewAccessToken, TokenId, TokenLabel, is_expired_at,
};

/// "Last used" is written at most this often per token, not on every request.
pub const LAST_USED_RESOLUTION_SECONDS: i64 = 60;

#[derive(Queryable, Selectable)]
#[diesel(table_name = access_tokens)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite))]
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

fn owned_by(
    tenant_id: i64,
    account_id: &AccountId,
) -> access_tokens::BoxedQuery<'_, diesel::sqlite::Sqlite> {
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
}

/// Stores `token` for `actor` if the form is new, the user is below the limit and the label is
/// free, and records the audit event, all in one transaction.
pub fn create(
    conn: &mut Conn,
    actor: &Actor,
    token: &NewAccessToken,
    request: &CreateRequest,
    now: OffsetDateTime,
) -> Result<CreateOutcome, AppError> {
    conn.immediate_transaction(|conn| {
        let submitted = token_form_submissions::table
            .filter(token_form_submissions::form_id.eq(request.form_id.as_str()))
            .count()
            .get_result::<i64>(conn)?;
        if submitted > 0 {
            return Ok(CreateOutcome::AlreadySubmitted);
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
        let row = diesel::insert_into(access_tokens::table)
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
            .returning(TokenRow::as_returning())
            .get_result(conn)?;
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
    })
}

/// Deletes one of the actor's own tokens and records the audit event. `None` when the id is
/// unknown or belongs to someone else; then nothing changes.
pub fn revoke(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    now: OffsetDateTime,
) -> Result<Option<TokenSummary>, AppError> {
    conn.immediate_transaction(|conn| {
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
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::MIGRATIONS;
    use crate::db::test_support::{install_tenant, test_db};
    use crate::tokens::domain::PresentedToken;
    use diesel::connection::SimpleConnection;
    use diesel_migrations::MigrationHarness;
    use time::macros::{date, datetime};

    const NOW: OffsetDateTime = datetime!(2026-03-10 12:00 UTC);

    fn actor(tenant_id: i64, account: &str) -> Actor {
        Actor {
            tenant_id,
            account_id: AccountId::parse(account).unwrap(),
            ip: Some("192.0.2.7".parse().unwrap()),
        }
    }

    fn request(label: &str, expiry: Option<ExpiryDate>) -> CreateRequest {
        CreateRequest {
            label: TokenLabel::parse(label).unwrap(),
            expiry,
            form_id: FormId::generate().unwrap(),
        }
    }

    fn create_one(
        conn: &mut Conn,
        actor: &Actor,
        label: &str,
        now: OffsetDateTime,
    ) -> (NewAccessToken, CreateOutcome) {
        let token = NewAccessToken::generate().unwrap();
        let outcome = create(conn, actor, &token, &request(label, None), now).unwrap();
        (token, outcome)
    }

    #[test]
    fn created_token_is_listed_and_its_credential_matches() {
        let db = test_db();
        let mut conn = db.pool.get().unwrap();
        let alice = actor(install_tenant(&mut conn, "site-a"), "alice");
        let token = NewAccessToken::generate().unwrap();
        let expiry = ExpiryDate::parse("2026-12-31", NOW.date()).unwrap();

        let outcome = create(&mut conn, &alice, &token, &request("Power BI", expiry), NOW).unwrap();

        let CreateOutcome::Created(summary) = outcome else {
            panic!("not created: {outcome:?}");
        };
        assert_eq!(summary.label, "Power BI");
        assert_eq!(summary.created_at, Some(NOW));
        assert_eq!(
            summary.expires_on.map(|e| e.date()),
            Some(date!(2026 - 12 - 31))
        );
        assert_eq!(summary.last_used_at, None);
        assert_eq!(
            list(&mut conn, alice.tenant_id, &alice.account_id).unwrap(),
            vec![summary]
        );

        let presented = PresentedToken::parse(token.plaintext().expose()).unwrap();
        let credential = find_credential(&mut conn, presented.token_id())
            .unwrap()
            .unwrap();
        assert!(presented.matches(&credential.secret_hash));
        assert_eq!(credential.account_id, "alice");
        assert_eq!(credential.tenant_id, alice.tenant_id);
    }

    #[test]
    fn list_is_newest_first_and_only_the_owners() {
        let db = test_db();
        let mut conn = db.pool.get().unwrap();
        let site_a = install_tenant(&mut conn, "site-a");
        let site_b = install_tenant(&mut conn, "site-b");
        let alice = actor(site_a, "alice");
        create_one(&mut conn, &alice, "older", NOW);
        create_one(&mut conn, &alice, "newer", NOW + time::Duration::hours(1));
        create_one(&mut conn, &actor(site_a, "bob"), "bob's", NOW);
        create_one(
            &mut conn,
            &actor(site_b, "alice"),
            "same account, other site",
            NOW,
        );

        let labels: Vec<String> = list(&mut conn, site_a, &alice.account_id)
            .unwrap()
            .into_iter()
            .map(|t| t.label)
            .collect();

        assert_eq!(labels, ["newer", "older"]);
    }

    #[test]
    fn labels_are_unique_per_user_ignoring_case() {
        let db = test_db();
        let mut conn = db.pool.get().unwrap();
        let site = install_tenant(&mut conn, "site-a");
        let alice = actor(site, "alice");
        create_one(&mut conn, &alice, "Power BI", NOW);

        let (_, again) = create_one(&mut conn, &alice, "power bi", NOW);
        let (_, for_bob) = create_one(&mut conn, &actor(site, "bob"), "Power BI", NOW);

        assert_eq!(again, CreateOutcome::LabelTaken);
        assert!(matches!(for_bob, CreateOutcome::Created(_)));
        assert_eq!(list(&mut conn, site, &alice.account_id).unwrap().len(), 1);
    }

    #[test]
    fn a_form_id_mints_at_most_one_token() {
        let db = test_db();
        let mut conn = db.pool.get().unwrap();
        let alice = actor(install_tenant(&mut conn, "site-a"), "alice");
        let form = request("Excel", None);

        let first = create(
            &mut conn,
            &alice,
            &NewAccessToken::generate().unwrap(),
            &form,
            NOW,
        );
        let second = create(
            &mut conn,
            &alice,
            &NewAccessToken::generate().unwrap(),
            &form,
            NOW,
        );

        assert!(matches!(first.unwrap(), CreateOutcome::Created(_)));
        assert_eq!(second.unwrap(), CreateOutcome::AlreadySubmitted);
        assert_eq!(
            list(&mut conn, alice.tenant_id, &alice.account_id)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_rejected_form_can_be_corrected_and_resubmitted() {
        let db = test_db();
        let mut conn = db.pool.get().unwrap();
        let alice = actor(install_tenant(&mut conn, "site-a"), "alice");
        create_one(&mut conn, &alice, "Excel", NOW);
        let mut form = request("excel", None);

        let rejected = create(
            &mut conn,
            &alice,
            &NewAccessToken::generate().unwrap(),
            &form,
            NOW,
        );
        form.label = TokenLabel::parse("Excel 2").unwrap();
        let corrected = create(
            &mut conn,
            &alice,
            &NewAccessToken::generate().unwrap(),
            &form,
            NOW,
        );

        assert_eq!(rejected.unwrap(), CreateOutcome::LabelTaken);
        assert!(matches!(corrected.unwrap(), CreateOutcome::Created(_)));
    }

    #[test]
    fn the_26th_token_is_refused() {
        let db = test_db();
        let mut conn = db.pool.get().unwrap();
        let alice = actor(install_tenant(&mut conn, "site-a"), "alice");
        for n in 0..MAX_TOKENS_PER_USER {
            let (_, outcome) = create_one(&mut conn, &alice, &format!("token {n}"), NOW);
            assert!(matches!(outcome, CreateOutcome::Created(_)), "{n}");
        }

        let (_, outcome) = create_one(&mut conn, &alice, "one too many", NOW);

        assert_eq!(outcome, CreateOutcome::LimitReached);
        assert_eq!(
            list(&mut conn, alice.tenant_id, &alice.account_id)
                .unwrap()
                .len(),
            MAX_TOKENS_PER_USER
        );
    }

    #[test]
    fn fifty_concurrent_creates_yield_exactly_the_limit() {
        let db = test_db();
        let alice = actor(
            install_tenant(&mut db.pool.get().unwrap(), "site-a"),
            "alice",
        );

        let outcomes: Vec<CreateOutcome> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..50)
                .map(|n| {
                    let pool = db.pool.clone();
                    let alice = alice.clone();
                    scope.spawn(move || {
                        let mut conn = pool.get().unwrap();
                        let token = NewAccessToken::generate().unwrap();
                        create(
                            &mut conn,
                            &alice,
                            &token,
                            &request(&format!("t{n}"), None),
                            NOW,
                        )
                        .unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });

        let created = outcomes
            .iter()
            .filter(|o| matches!(o, CreateOutcome::Created(_)))
            .count();
        let refused = outcomes
            .iter()
            .filter(|o| **o == CreateOutcome::LimitReached)
            .count();
        assert_eq!(
            (created, refused),
            (MAX_TOKENS_PER_USER, 50 - MAX_TOKENS_PER_USER)
        );
        let mut conn = db.pool.get().unwrap();
        assert_eq!(
            list(&mut conn, alice.tenant_id, &alice.account_id)
                .unwrap()
                .len(),
            MAX_TOKENS_PER_USER
        );
    }

    #[test]
    fn revoke_deletes_only_the_owners_token_and_is_audited() {
        let db = test_db();
        let mut conn = db.pool.get().unwrap();
        let site_a = install_tenant(&mut conn, "site-a");
        let site_b = install_tenant(&mut conn, "site-b");
        let alice = actor(site_a, "alice");
        let (token, CreateOutcome::Created(summary)) = create_one(&mut conn, &alice, "BI", NOW)
        else {
            panic!("not created");
        };

        let by_bob = revoke(&mut conn, &actor(site_a, "bob"), summary.id, NOW).unwrap();
        let from_other_site = revoke(&mut conn, &actor(site_b, "alice"), summary.id, NOW).unwrap();
        let unknown = revoke(&mut conn, &alice, summary.id + 1000, NOW).unwrap();
        assert_eq!((by_bob, from_other_site, unknown), (None, None, None));
        assert_eq!(list(&mut conn, site_a, &alice.account_id).unwrap().len(), 1);

        let revoked = revoke(&mut conn, &alice, summary.id, NOW).unwrap();

        assert_eq!(revoked.map(|t| t.label), Some("BI".to_owned()));
        assert!(
            list(&mut conn, site_a, &alice.account_id)
                .unwrap()
                .is_empty()
        );
        assert!(
            find_credential(&mut conn, &token.token_id)
                .unwrap()
                .is_none()
        );
        let events = audit::for_tenant(&mut conn, site_a, 10).unwrap();
        let actions: Vec<(&str, &str, &str, Option<&str>)> = events
            .iter()
            .map(|e| {
                (
                    e.action.as_str(),
                    e.account_id.as_str(),
                    e.subject.as_str(),
                    e.ip.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            actions,
            [
                ("access_token.revoked", "alice", "BI", Some("192.0.2.7")),
                ("access_token.created", "alice", "BI", Some("192.0.2.7")),
            ]
        );
        assert!(audit::for_tenant(&mut conn, site_b, 10).unwrap().is_empty());
    }

    #[test]
    fn last_used_is_written_at_most_once_a_minute() {
        let db = test_db();
        let mut conn = db.pool.get().unwrap();
        let alice = actor(install_tenant(&mut conn, "site-a"), "alice");
        let (token, _) = create_one(&mut conn, &alice, "BI", NOW);
        let row_id = find_credential(&mut conn, &token.token_id)
            .unwrap()
            .unwrap()
            .row_id;
        let later = |s: i64| NOW + time::Duration::seconds(s);

        let writes = [0, 1, 59, 60, 61, 119, 120]
            .map(|s| touch_last_used(&mut conn, row_id, later(s)).unwrap());

        assert_eq!(writes, [true, false, false, true, false, false, true]);
        let stored = find_credential(&mut conn, &token.token_id)
            .unwrap()
            .unwrap();
        assert_eq!(stored.last_used_at, Some(later(120)));
        assert!(last_used_is_fresh(stored.last_used_at, later(179)));
        assert!(!last_used_is_fresh(stored.last_used_at, later(180)));
        assert!(!last_used_is_fresh(None, later(0)));
    }

    #[test]
    fn stored_hash_is_not_the_plaintext() {
        let db = test_db();
        let mut conn = db.pool.get().unwrap();
        let alice = actor(install_tenant(&mut conn, "site-a"), "alice");
        let (token, _) = create_one(&mut conn, &alice, "BI", NOW);
        drop(conn);

        let bytes = std::fs::read(&db.path).unwrap();
        let wal = std::fs::read(db.path.with_extension("sqlite3-wal")).unwrap_or_default();
        let secret = &token.plaintext().expose()[16..59];

        for file in [&bytes, &wal] {
            assert!(!file.windows(secret.len()).any(|w| w == secret.as_bytes()));
        }
    }

    /// Version of the migration that created the first-release `access_tokens` shape.
    const LEGACY_VERSION: &str = "20261123100000";

    #[test]
    fn first_release_rows_migrate_to_never_expiring_tokens_and_soft_deleted_rows_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("legacy.sqlite3");
        let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
        loop {
            let version = conn.run_next_migration(MIGRATIONS).unwrap();
            if version.to_string() == LEGACY_VERSION {
                break;
            }
        }
        let site = install_tenant(&mut conn, "site-a");
        let legacy = NewAccessToken::generate().unwrap();
        let soft_deleted = NewAccessToken::generate().unwrap();
        conn.batch_execute(&format!(
            "INSERT INTO access_tokens \
               (tenant_id, account_id, token_id, secret_hash, label, label_normalized, last_used_at, revoked_at) \
             VALUES ({site}, 'alice', '{}', x'{}', 'Old Excel', 'old excel', 1700000000, NULL), \
                    ({site}, 'alice', '{}', x'{}', 'Gone', 'gone', NULL, 1700000500);",
            legacy.token_id,
            hex(&legacy.secret_hash),
            soft_deleted.token_id,
            hex(&soft_deleted.secret_hash),
        ))
        .unwrap();

        conn.run_pending_migrations(MIGRATIONS).unwrap();

        let alice = actor(site, "alice");
        let (_, newer) = create_one(&mut conn, &alice, "New", NOW);
        assert!(matches!(newer, CreateOutcome::Created(_)));
        let tokens = list(&mut conn, site, &alice.account_id).unwrap();
        let labels: Vec<&str> = tokens.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["New", "Old Excel"], "legacy rows sort last");
        let old = &tokens[1];
        assert_eq!((old.created_at, old.expires_on), (None, None));
        assert_eq!(old.last_used_at, Some(datetime!(2023-11-14 22:13:20 UTC)));
        assert!(!old.is_expired_at(datetime!(9999-12-31 23:59:59 UTC)));
        let presented = PresentedToken::parse(legacy.plaintext().expose()).unwrap();
        let credential = find_credential(&mut conn, presented.token_id())
            .unwrap()
            .unwrap();
        assert!(presented.matches(&credential.secret_hash));
        assert_eq!(credential.expires_on, None);
        assert!(
            find_credential(&mut conn, &soft_deleted.token_id)
                .unwrap()
                .is_none()
        );
        let (_, duplicate) = create_one(&mut conn, &alice, "OLD EXCEL", NOW);
        assert_eq!(duplicate, CreateOutcome::LabelTaken);
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
