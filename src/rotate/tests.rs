//! Re-sealing on both backends: secrets written the way the app writes them (install, save a
//! Jira token), rotated, then opened the way the app opens them.

use std::ops::ControlFlow;

use time::macros::datetime;

use super::*;
use crate::audit::Actor;
use crate::connect::tenants::{self, ClientKey, Installation};
use crate::db::test_support::{TestDb, test_dbs};
use crate::ids::AccountId;
use crate::jira::api_token::{JiraApiToken, JiraEmail};
use crate::jira::token_store::ValidatedToken;

const SITES: [&str; 3] = ["site-a", "site-b", "site-c"];

fn old_key() -> MasterKey {
    MasterKey::from_bytes([1u8; 32])
}

fn new_key() -> MasterKey {
    MasterKey::from_bytes([2u8; 32])
}

fn secret_of(site: &str) -> String {
    format!("shared-secret-of-{site}")
}

fn token_of(site: &str) -> String {
    format!("ATATT-token-of-{site}")
}

fn alice() -> AccountId {
    AccountId::parse("712020:alice-0001").unwrap()
}

/// Installs every site and saves one Jira token per site, sealed under `keys`.
fn populate(db: &TestDb, keys: &Keyring) -> Vec<i64> {
    let mut conn = db.pool.get().unwrap();
    let secrets = keys.sealer(SHARED_SECRET_PURPOSE);
    let tokens = keys.sealer(JIRA_TOKEN_PURPOSE);
    SITES
        .iter()
        .map(|site| {
            let installation = Installation {
                client_key: ClientKey::parse(site).unwrap(),
                shared_secret_sealed: secrets.seal(&secret_of(site), site).unwrap(),
                base_url: url::Url::parse(&format!("https://{site}.atlassian.net")).unwrap(),
                display_url: url::Url::parse(&format!("https://{site}.atlassian.net")).unwrap(),
                product_type: "jira".into(),
                oauth_client_id: None,
            };
            tenants::record_installation(&mut conn, &installation, 0).unwrap();
            let tenant = tenants::find_by_client_key(&mut conn, site)
                .unwrap()
                .unwrap();
            token_store::save(
                &mut conn,
                &tokens,
                &Actor {
                    tenant_id: tenant.id,
                    account_id: alice(),
                    ip: None,
                },
                &ValidatedToken {
                    email: &JiraEmail::parse("alice@example.com").unwrap(),
                    token: &JiraApiToken::parse(&token_of(site)).unwrap(),
                    display_name: "Alice",
                    validated_at: datetime!(2026-01-01 0:00 UTC),
                },
            )
            .unwrap();
            tenant.id
        })
        .collect()
}

/// Asserts every site's secret and token open under `sealers` (as the app opens them).
fn assert_all_open(db: &TestDb, tenant_ids: &[i64], keys: &Keyring) {
    let mut conn = db.pool.get().unwrap();
    for (site, id) in SITES.iter().zip(tenant_ids) {
        let tenant = tenants::find_by_id(&mut conn, *id).unwrap().unwrap();
        let secret = tenant
            .shared_secret(&keys.sealer(SHARED_SECRET_PURPOSE))
            .unwrap_or_else(|e| panic!("{}: {site}'s secret: {e}", db.backend));
        assert_eq!(secret.expose(), secret_of(site));
        let saved = token_store::find(&mut conn, *id, &alice())
            .unwrap()
            .unwrap();
        let credentials = saved
            .open(&keys.sealer(JIRA_TOKEN_PURPOSE))
            .unwrap_or_else(|e| panic!("{}: {site}'s token: {e}", db.backend));
        assert_eq!(credentials.api_token.expose(), token_of(site));
    }
}

fn run(db: &TestDb, keys: &Keyring, stop_after: Option<usize>) -> Report {
    let mut conn = db.pool.get().unwrap();
    let mut seen = 0;
    rotate(&mut conn, keys, &new_key(), |_, _, _| {
        seen += 1;
        if stop_after == Some(seen) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .unwrap()
}

#[test]
fn rotation_reseals_every_secret_and_token_so_the_new_key_alone_opens_them() {
    for db in test_dbs() {
        let ids = populate(&db, &old_key().into());
        let during = Keyring::new(old_key(), vec![new_key()]);

        let report = run(&db, &during, None);

        assert!(report.complete, "{}", db.backend);
        assert_eq!(report.tenants.resealed, 3, "{}", db.backend);
        assert_eq!(report.jira_tokens.resealed, 3, "{}", db.backend);
        assert!(report.tenants.unreadable.is_empty() && report.jira_tokens.unreadable.is_empty());
        assert_all_open(&db, &ids, &new_key().into());
        let old_alone: Keyring = old_key().into();
        let mut conn = db.pool.get().unwrap();
        let tenant = tenants::find_by_id(&mut conn, ids[0]).unwrap().unwrap();
        assert!(
            tenant
                .shared_secret(&old_alone.sealer(SHARED_SECRET_PURPOSE))
                .is_err(),
            "{}: the old key no longer opens a re-sealed secret",
            db.backend
        );
    }
}

#[test]
fn a_rotation_stopped_halfway_leaves_every_row_readable_and_a_second_run_finishes_it() {
    for db in test_dbs() {
        let ids = populate(&db, &old_key().into());
        let before_switch = Keyring::new(old_key(), vec![new_key()]);

        // Killed after four rows: three tenants and one Jira token are new, two tokens old.
        let partial = run(&db, &before_switch, Some(4));
        assert!(!partial.complete);
        assert_eq!(partial.tenants.resealed + partial.jira_tokens.resealed, 4);

        // Readable by instances before the switch and after it (old key then decrypt-only).
        assert_all_open(&db, &ids, &before_switch);
        let after_switch = Keyring::new(new_key(), vec![old_key()]);
        assert_all_open(&db, &ids, &after_switch);

        // Run again, now from the switched configuration: only the rest is re-sealed.
        let rest = run(&db, &after_switch, None);
        assert!(rest.complete);
        assert_eq!(rest.tenants.already_new, 3, "{}", db.backend);
        assert_eq!(
            (rest.jira_tokens.resealed, rest.jira_tokens.already_new),
            (2, 1),
            "{}",
            db.backend
        );
        assert_all_open(&db, &ids, &new_key().into());
        let again = run(&db, &after_switch, None);
        assert_eq!(again.tenants.resealed + again.jira_tokens.resealed, 0);
    }
}

#[test]
fn a_new_key_the_instances_do_not_accept_is_refused_before_any_row_changes() {
    for db in test_dbs() {
        let ids = populate(&db, &old_key().into());
        let mut conn = db.pool.get().unwrap();

        let err = rotate(&mut conn, &old_key().into(), &new_key(), |_, _, _| {
            ControlFlow::Continue(())
        })
        .unwrap_err();

        assert!(matches!(err, RotateError::NewKeyNotAccepted), "{err}");
        assert!(err.to_string().contains("MASTER_KEY_DECRYPT_ONLY_FILE"));
        drop(conn);
        assert_all_open(&db, &ids, &old_key().into());
    }
}

#[test]
fn a_row_no_key_opens_is_reported_by_id_and_left_alone() {
    for db in test_dbs() {
        let stranger: Keyring = MasterKey::from_bytes([9u8; 32]).into();
        let ids = populate(&db, &stranger);
        let during = Keyring::new(old_key(), vec![new_key()]);

        let report = run(&db, &during, None);

        assert!(report.complete);
        assert_eq!(report.tenants.unreadable, ids, "{}", db.backend);
        assert_eq!(report.jira_tokens.unreadable.len(), 3);
        assert_eq!(report.tenants.resealed + report.jira_tokens.resealed, 0);
        assert_all_open(&db, &ids, &stranger);
    }
}
