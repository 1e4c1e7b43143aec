use super::*;
use crate::db::MIGRATIONS;
use crate::db::test_support::{install_tenant, test_db, test_dbs};
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
    for db in test_dbs() {
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
}

#[test]
fn list_is_newest_first_and_only_the_owners() {
    for db in test_dbs() {
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
}

#[test]
fn labels_are_unique_per_user_ignoring_case() {
    for db in test_dbs() {
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
}

#[test]
fn a_form_id_mints_at_most_one_token() {
    for db in test_dbs() {
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
}

#[test]
fn a_rejected_form_can_be_corrected_and_resubmitted() {
    for db in test_dbs() {
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
}

#[test]
fn the_26th_token_is_refused() {
    for db in test_dbs() {
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
}

#[test]
fn fifty_concurrent_creates_yield_exactly_the_limit() {
    for db in test_dbs() {
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
}

#[test]
fn revoke_deletes_only_the_owners_token_and_is_audited() {
    for db in test_dbs() {
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
}

#[test]
fn last_used_is_written_at_most_once_a_minute() {
    for db in test_dbs() {
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
    let mut conn =
        crate::db::Conn::Sqlite(SqliteConnection::establish(&path.to_string_lossy()).unwrap());
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
