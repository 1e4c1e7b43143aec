//! The store against a real SQLite file (temp dir, pool with migrations), as the app opens it.

use diesel::connection::SimpleConnection;
use time::macros::datetime;

use super::*;
use crate::connect::tenants::{self, ClientKey, Installation};
use crate::crypto::MasterKey;
use crate::db::{self, Pool};
use crate::settings::DatabaseUrl;

const TOKEN: &str = "ATATT3xFfGF0-plaintext-marker-0123456789";

struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    pool: Pool,
    sealer: Sealer,
    tenant_a: i64,
    tenant_b: i64,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.sqlite3");
    let pool = db::connect(&DatabaseUrl::Sqlite(path.clone()), 2).unwrap();
    let mut conn = pool.get().unwrap();
    let mut install = |key: &str| {
        let installation = Installation {
            client_key: ClientKey::parse(key).unwrap(),
            shared_secret_sealed: "v1.unused".to_owned(),
            base_url: url::Url::parse(&format!("https://{key}.atlassian.net")).unwrap(),
            display_url: url::Url::parse(&format!("https://{key}.atlassian.net")).unwrap(),
            product_type: "jira".to_owned(),
            oauth_client_id: None,
        };
        tenants::record_installation(&mut conn, &installation, 1_700_000_000).unwrap();
        tenants::find_by_client_key(&mut conn, key)
            .unwrap()
            .unwrap()
            .id
    };
    let tenant_a = install("site-a");
    let tenant_b = install("site-b");
    drop(conn);
    Fixture {
        _dir: dir,
        path,
        pool,
        sealer: MasterKey::from_bytes([9u8; 32]).sealer(b"jira-api-token-v1"),
        tenant_a,
        tenant_b,
    }
}

fn alice() -> AccountId {
    AccountId::parse("712020:alice-0001").unwrap()
}

fn bob() -> AccountId {
    AccountId::parse("712020:bob-0002").unwrap()
}

fn owner(tenant_id: i64, account: &AccountId) -> Actor {
    Actor {
        tenant_id,
        account_id: account.clone(),
        ip: None,
    }
}

fn email(raw: &str) -> JiraEmail {
    JiraEmail::parse(raw).unwrap()
}

fn token(raw: &str) -> JiraApiToken {
    JiraApiToken::parse(raw).unwrap()
}

fn save_for(
    fx: &Fixture,
    tenant_id: i64,
    account: &AccountId,
    mail: &str,
    secret: &str,
    name: &str,
    at: OffsetDateTime,
) {
    let mut conn = fx.pool.get().unwrap();
    save(
        &mut conn,
        &fx.sealer,
        &owner(tenant_id, account),
        &ValidatedToken {
            email: &email(mail),
            token: &token(secret),
            display_name: name,
            validated_at: at,
        },
    )
    .unwrap();
}

const T0: OffsetDateTime = datetime!(2026-11-22 10:00 UTC);
const T1: OffsetDateTime = datetime!(2026-11-22 11:30 UTC);

#[test]
fn a_saved_token_reads_back_and_opens_to_the_same_credentials() {
    let fx = fixture();
    save_for(
        &fx,
        fx.tenant_a,
        &alice(),
        "alice@example.com",
        TOKEN,
        "Alice",
        T0,
    );

    let mut conn = fx.pool.get().unwrap();
    let saved = find(&mut conn, fx.tenant_a, &alice()).unwrap().unwrap();

    assert_eq!(saved.display_name, "Alice");
    assert_eq!(saved.validated_at, T0);
    assert_eq!(saved.rejected_at, None);
    let creds = saved.open(&fx.sealer).unwrap();
    assert_eq!(creds.email, "alice@example.com");
    assert_eq!(creds.api_token.expose(), TOKEN);
}

#[test]
fn saving_again_replaces_the_one_row_and_clears_a_rejection() {
    let fx = fixture();
    save_for(
        &fx,
        fx.tenant_a,
        &alice(),
        "alice@example.com",
        "old-token",
        "Alice",
        T0,
    );
    let mut conn = fx.pool.get().unwrap();
    let old = find(&mut conn, fx.tenant_a, &alice())
        .unwrap()
        .unwrap()
        .open(&fx.sealer)
        .unwrap();
    assert!(mark_rejected(&mut conn, &fx.sealer, fx.tenant_a, &alice(), &old, T0).unwrap());
    drop(conn);

    save_for(
        &fx,
        fx.tenant_a,
        &alice(),
        "alice@example.org",
        "new-token",
        "Alice A.",
        T1,
    );

    let mut conn = fx.pool.get().unwrap();
    let rows: i64 = jira_api_tokens::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(rows, 1);
    let saved = find(&mut conn, fx.tenant_a, &alice()).unwrap().unwrap();
    assert_eq!(saved.display_name, "Alice A.");
    assert_eq!(saved.validated_at, T1);
    assert_eq!(saved.rejected_at, None);
    let creds = saved.open(&fx.sealer).unwrap();
    assert_eq!(creds.email, "alice@example.org");
    assert_eq!(creds.api_token.expose(), "new-token");
}

#[test]
fn users_and_sites_each_have_their_own_token() {
    let fx = fixture();
    save_for(
        &fx,
        fx.tenant_a,
        &alice(),
        "a@example.com",
        "token-a",
        "Alice",
        T0,
    );
    save_for(
        &fx,
        fx.tenant_a,
        &bob(),
        "b@example.com",
        "token-b",
        "Bob",
        T0,
    );
    save_for(
        &fx,
        fx.tenant_b,
        &alice(),
        "a2@example.com",
        "token-a2",
        "Alice 2",
        T0,
    );
    let mut conn = fx.pool.get().unwrap();

    assert!(delete(&mut conn, &owner(fx.tenant_a, &alice()), T1).unwrap());

    assert!(find(&mut conn, fx.tenant_a, &alice()).unwrap().is_none());
    let bob_token = find(&mut conn, fx.tenant_a, &bob()).unwrap().unwrap();
    assert_eq!(
        bob_token.open(&fx.sealer).unwrap().api_token.expose(),
        "token-b"
    );
    let other_site = find(&mut conn, fx.tenant_b, &alice()).unwrap().unwrap();
    assert_eq!(
        other_site.open(&fx.sealer).unwrap().api_token.expose(),
        "token-a2"
    );
    assert!(
        !delete(&mut conn, &owner(fx.tenant_a, &alice()), T1).unwrap(),
        "already gone"
    );
}

#[test]
fn the_database_file_never_holds_the_plaintext_token() {
    let fx = fixture();
    save_for(
        &fx,
        fx.tenant_a,
        &alice(),
        "alice@example.com",
        TOKEN,
        "Alice",
        T0,
    );
    save_for(
        &fx,
        fx.tenant_a,
        &alice(),
        "alice@example.com",
        TOKEN,
        "Alice",
        T1,
    );

    let mut bytes = std::fs::read(&fx.path).unwrap();
    let wal = fx.path.with_extension("sqlite3-wal");
    bytes.extend(std::fs::read(&wal).unwrap_or_default());

    let needle = TOKEN.as_bytes();
    assert!(!bytes.windows(needle.len()).any(|w| w == needle));
    let mut conn = fx.pool.get().unwrap();
    let sealed: String = jira_api_tokens::table
        .select(jira_api_tokens::token_sealed)
        .first(&mut conn)
        .unwrap();
    assert!(sealed.starts_with("v1."));
}

#[test]
fn every_save_uses_a_fresh_nonce() {
    let fx = fixture();
    let sealed = |fx: &Fixture| -> String {
        let mut conn = fx.pool.get().unwrap();
        jira_api_tokens::table
            .select(jira_api_tokens::token_sealed)
            .first(&mut conn)
            .unwrap()
    };
    save_for(
        &fx,
        fx.tenant_a,
        &alice(),
        "alice@example.com",
        TOKEN,
        "Alice",
        T0,
    );
    let first = sealed(&fx);
    save_for(
        &fx,
        fx.tenant_a,
        &alice(),
        "alice@example.com",
        TOKEN,
        "Alice",
        T0,
    );

    assert_ne!(first, sealed(&fx));
}

#[test]
fn a_tampered_ciphertext_does_not_open() {
    let fx = fixture();
    save_for(
        &fx,
        fx.tenant_a,
        &alice(),
        "alice@example.com",
        TOKEN,
        "Alice",
        T0,
    );
    let mut conn = fx.pool.get().unwrap();
    let sealed: String = jira_api_tokens::table
        .select(jira_api_tokens::token_sealed)
        .first(&mut conn)
        .unwrap();
    // Flip one base64 character in the middle of the ciphertext.
    let mut chars: Vec<char> = sealed.chars().collect();
    let middle = chars.len() / 2;
    chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    diesel::update(jira_api_tokens::table)
        .set(jira_api_tokens::token_sealed.eq(&tampered))
        .execute(&mut conn)
        .unwrap();

    let saved = find(&mut conn, fx.tenant_a, &alice()).unwrap().unwrap();

    assert!(matches!(saved.open(&fx.sealer), Err(CryptoError::Decrypt)));
}

#[test]
fn a_ciphertext_copied_to_another_users_row_does_not_open() {
    let fx = fixture();
    save_for(
        &fx,
        fx.tenant_a,
        &alice(),
        "alice@example.com",
        TOKEN,
        "Alice",
        T0,
    );
    save_for(
        &fx,
        fx.tenant_a,
        &bob(),
        "bob@example.com",
        "bobs-token",
        "Bob",
        T0,
    );
    let mut conn = fx.pool.get().unwrap();
    conn.batch_execute(
        "UPDATE jira_api_tokens SET token_sealed = \
         (SELECT token_sealed FROM jira_api_tokens WHERE account_id = '712020:alice-0001') \
         WHERE account_id = '712020:bob-0002';",
    )
    .unwrap();

    let bob_row = find(&mut conn, fx.tenant_a, &bob()).unwrap().unwrap();

    assert!(bob_row.open(&fx.sealer).is_err());
}

#[test]
fn marking_rejected_applies_only_to_the_credentials_still_saved() {
    let fx = fixture();
    save_for(
        &fx,
        fx.tenant_a,
        &alice(),
        "alice@example.com",
        "old-token",
        "Alice",
        T0,
    );
    let mut conn = fx.pool.get().unwrap();
    let old = find(&mut conn, fx.tenant_a, &alice())
        .unwrap()
        .unwrap()
        .open(&fx.sealer)
        .unwrap();
    drop(conn);
    // The user saves a new token while a feed still holds the old one.
    save_for(
        &fx,
        fx.tenant_a,
        &alice(),
        "alice@example.com",
        "new-token",
        "Alice",
        T1,
    );
    let mut conn = fx.pool.get().unwrap();

    let marked = mark_rejected(&mut conn, &fx.sealer, fx.tenant_a, &alice(), &old, T1).unwrap();

    assert!(!marked);
    let saved = find(&mut conn, fx.tenant_a, &alice()).unwrap().unwrap();
    assert_eq!(saved.rejected_at, None);

    let current = saved.open(&fx.sealer).unwrap();
    assert!(mark_rejected(&mut conn, &fx.sealer, fx.tenant_a, &alice(), &current, T1).unwrap());
    assert!(
        !mark_rejected(&mut conn, &fx.sealer, fx.tenant_a, &alice(), &current, T1).unwrap(),
        "already marked"
    );
    let saved = find(&mut conn, fx.tenant_a, &alice()).unwrap().unwrap();
    assert_eq!(saved.rejected_at, Some(T1));
}

#[test]
fn marking_rejected_without_a_saved_token_does_nothing() {
    let fx = fixture();
    let mut conn = fx.pool.get().unwrap();
    let creds = token("x").credentials(&email("a@example.com"));

    assert!(!mark_rejected(&mut conn, &fx.sealer, fx.tenant_a, &alice(), &creds, T0).unwrap());
}

#[test]
fn debug_output_shows_neither_email_nor_ciphertext() {
    let fx = fixture();
    save_for(
        &fx,
        fx.tenant_a,
        &alice(),
        "alice@example.com",
        TOKEN,
        "Alice",
        T0,
    );
    let mut conn = fx.pool.get().unwrap();
    let saved = find(&mut conn, fx.tenant_a, &alice()).unwrap().unwrap();

    let shown = format!("{saved:?}");

    assert!(!shown.contains("alice@example.com"));
    assert!(!shown.contains("v1."));
    assert!(shown.contains("Alice"));
}

#[test]
fn saving_and_revoking_are_audited_with_the_account_name() {
    let fx = fixture();
    save_for(
        &fx,
        fx.tenant_a,
        &alice(),
        "alice@example.com",
        TOKEN,
        "Alice",
        T0,
    );
    let mut conn = fx.pool.get().unwrap();
    delete(&mut conn, &owner(fx.tenant_a, &alice()), T1).unwrap();

    let events = audit::for_tenant(&mut conn, fx.tenant_a, 10).unwrap();

    let seen: Vec<(&str, &str, &str, i64)> = events
        .iter()
        .map(|e| {
            (
                e.action.as_str(),
                e.account_id.as_str(),
                e.subject.as_str(),
                e.created_at,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "jira_api_token.revoked",
                "712020:alice-0001",
                "Alice",
                T1.unix_timestamp()
            ),
            (
                "jira_api_token.saved",
                "712020:alice-0001",
                "Alice",
                T0.unix_timestamp()
            ),
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| !e.subject.contains("alice@example.com"))
    );
}
