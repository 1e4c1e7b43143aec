use super::*;
use crate::audit::history::owner_history;
use crate::db::test_support::{install_tenant, test_dbs};
use crate::tokens::domain::{ExpiryDate, FormId, NewAccessToken, TokenLabel};
use crate::tokens::store::{CreateOutcome, CreateRequest, create, list};
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-03-10 12:00 UTC);

fn actor(tenant_id: i64, account: &str) -> Actor {
    Actor {
        tenant_id,
        account_id: AccountId::parse(account).unwrap(),
        ip: Some("192.0.2.9".parse().unwrap()),
    }
}

fn make(conn: &mut Conn, owner: &Actor, label: &str, expiry: Option<&str>) -> i64 {
    let request = CreateRequest {
        label: TokenLabel::parse(label).unwrap(),
        expiry: expiry.map(|raw| ExpiryDate::parse_stored(raw).unwrap()),
        form_id: FormId::generate().unwrap(),
    };
    let token = NewAccessToken::generate().unwrap();
    match create(conn, owner, &token, &request, NOW).unwrap() {
        CreateOutcome::Created(summary) => summary.id,
        other => panic!("not created: {other:?}"),
    }
}

#[test]
fn an_admin_lists_every_users_tokens_of_their_site_only() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let site = install_tenant(&mut conn, "site-a");
        let other = install_tenant(&mut conn, "site-b");
        let (alice, bob) = (actor(site, "alice"), actor(site, "bob"));
        make(&mut conn, &alice, "a1", None);
        make(&mut conn, &bob, "b1", Some("2026-03-01"));
        make(&mut conn, &actor(other, "carol"), "elsewhere", None);

        let all = list_site(&mut conn, site, None, 1, 50).unwrap();
        let mut owners: Vec<&str> = all.tokens.iter().map(|t| t.owner.as_str()).collect();
        owners.sort_unstable();
        assert_eq!(owners, ["alice", "bob"], "{}", db.backend);
        assert_eq!((all.total, all.pages), (2, 1));
        let bobs = list_site(&mut conn, site, Some(&bob.account_id), 9, 1).unwrap();
        assert_eq!((bobs.page, bobs.tokens[0].token.label.as_str()), (1, "b1"));
        let expired = expired_on_site(&mut conn, site, None, NOW).unwrap();
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].owner, "bob");
    }
}

#[test]
fn an_admin_revokes_a_users_token_and_both_histories_say_so() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let site = install_tenant(&mut conn, "site-a");
        let alice = actor(site, "alice");
        let admin = actor(site, "admin");
        let id = make(&mut conn, &alice, "Power BI", None);

        let revoked = revoke_as_admin(&mut conn, &admin, id, NOW)
            .unwrap()
            .unwrap();

        assert_eq!(
            (revoked.owner.as_str(), revoked.token.label.as_str()),
            ("alice", "Power BI")
        );
        assert!(list(&mut conn, site, &alice.account_id).unwrap().is_empty());
        let history = owner_history(&mut conn, site, &alice.account_id, &[], 1, 50).unwrap();
        let last = &history.entries[0];
        assert_eq!(
            last.action, "access_token.revoked_by_admin",
            "{}",
            db.backend
        );
        assert_eq!(
            (last.actor.as_deref(), last.target.as_str()),
            (Some("admin"), "alice")
        );
        assert_eq!(last.ip.as_deref(), Some("192.0.2.9"));
        assert_eq!(revoke_as_admin(&mut conn, &admin, id, NOW).unwrap(), None);
    }
}

#[test]
fn an_admin_cannot_revoke_another_sites_token() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let site = install_tenant(&mut conn, "site-a");
        let other = install_tenant(&mut conn, "site-b");
        let carol = actor(other, "carol");
        let id = make(&mut conn, &carol, "theirs", None);

        let outcome = revoke_as_admin(&mut conn, &actor(site, "admin"), id, NOW).unwrap();

        assert_eq!(outcome, None, "{}", db.backend);
        assert_eq!(list(&mut conn, other, &carol.account_id).unwrap().len(), 1);
    }
}
