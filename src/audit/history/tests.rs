use super::*;
use crate::audit::{Actor, record, record_for};
use crate::db::test_support::{install_tenant, test_dbs};
use time::OffsetDateTime;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-03-10 12:00 UTC);

fn actor(tenant_id: i64, account: &str) -> Actor {
    Actor {
        tenant_id,
        account_id: AccountId::parse(account).unwrap(),
        ip: Some("192.0.2.7".parse().unwrap()),
    }
}

fn at(minutes: i64) -> OffsetDateTime {
    T0 + time::Duration::minutes(minutes)
}

fn subjects(page: &HistoryPage) -> Vec<&str> {
    page.entries.iter().map(|e| e.subject.as_str()).collect()
}

fn expired(subject: &str, minutes: i64) -> HistoryEntry {
    HistoryEntry {
        action: AuditAction::AccessTokenExpired.as_str().to_owned(),
        subject: subject.to_owned(),
        actor: None,
        target: "alice".to_owned(),
        ip: None,
        at: at(minutes).unix_timestamp(),
    }
}

#[test]
fn a_users_history_is_their_own_newest_first_and_paged() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let site_a = install_tenant(&mut conn, "site-a");
        let site_b = install_tenant(&mut conn, "site-b");
        let alice = actor(site_a, "alice");
        let bob = actor(site_a, "bob");
        let alice_elsewhere = actor(site_b, "alice");
        for minute in 0..5 {
            let label = format!("a{minute}");
            record(
                &mut conn,
                &alice,
                AuditAction::AccessTokenCreated,
                &label,
                at(minute),
            )
            .unwrap();
        }
        record(
            &mut conn,
            &bob,
            AuditAction::AccessTokenCreated,
            "bob's",
            at(10),
        )
        .unwrap();
        let other = AuditAction::DataSourceCreated;
        record(&mut conn, &alice_elsewhere, other, "other site", at(11)).unwrap();

        let first = owner_history(&mut conn, site_a, &alice.account_id, &[], 1, 2).unwrap();
        let last = owner_history(&mut conn, site_a, &alice.account_id, &[], 3, 2).unwrap();
        let beyond = owner_history(&mut conn, site_a, &alice.account_id, &[], 99, 2).unwrap();

        assert_eq!(subjects(&first), ["a4", "a3"], "{}", db.backend);
        assert_eq!((first.page, first.pages, first.total), (1, 3, 5));
        assert_eq!(first.entries[0].ip.as_deref(), Some("192.0.2.7"));
        assert_eq!(first.entries[0].at, at(4).unix_timestamp());
        assert_eq!(subjects(&last), ["a0"]);
        assert_eq!(beyond, last, "a page past the end shows the last one");
        let bobs = owner_history(&mut conn, site_a, &bob.account_id, &[], 1, 50).unwrap();
        assert_eq!(subjects(&bobs), ["bob's"]);
        let b = owner_history(&mut conn, site_b, &alice.account_id, &[], 1, 50).unwrap();
        assert_eq!(subjects(&b), ["other site"]);
    }
}

#[test]
fn an_empty_history_is_one_empty_page() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let site = install_tenant(&mut conn, "site-a");
        let alice = AccountId::parse("alice").unwrap();
        let page = owner_history(&mut conn, site, &alice, &[], 0, 50).unwrap();
        assert_eq!(
            (page.entries.len(), page.page, page.pages, page.total),
            (0, 1, 1, 0)
        );
    }
}

#[test]
fn derived_entries_take_their_place_in_time_on_every_page() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let site = install_tenant(&mut conn, "site-a");
        let alice = actor(site, "alice");
        for minute in [0, 2, 4, 6] {
            let label = format!("r{minute}");
            record(
                &mut conn,
                &alice,
                AuditAction::AccessTokenCreated,
                &label,
                at(minute),
            )
            .unwrap();
        }
        // Out of order on purpose; "tie" shares a second with r4 and comes after it.
        let derived = [expired("x3", 3), expired("x7", 7), expired("tie", 4)];
        let all: Vec<Vec<String>> = (1..=3)
            .map(|page| {
                let page =
                    owner_history(&mut conn, site, &alice.account_id, &derived, page, 3).unwrap();
                assert_eq!((page.pages, page.total), (3, 7), "{}", db.backend);
                page.entries.into_iter().map(|e| e.subject).collect()
            })
            .collect();
        assert_eq!(
            all,
            [vec!["x7", "r6", "r4"], vec!["tie", "x3", "r2"], vec!["r0"]]
        );
    }
}

#[test]
fn the_recorded_window_skips_the_positions_derived_entries_take() {
    assert_eq!(recorded_window(&[], 0, 3), (0, 3));
    assert_eq!(recorded_window(&[0, 4], 3, 6), (2, 2));
    assert_eq!(recorded_window(&[0, 1, 2], 0, 3), (0, 0));
    assert_eq!(recorded_window(&[1], 3, 3), (2, 0));
}

#[test]
fn an_event_about_someone_elses_object_is_in_both_histories_and_no_third() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let site = install_tenant(&mut conn, "site-a");
        let admin = actor(site, "admin");
        let alice = AccountId::parse("alice").unwrap();
        let carol = AccountId::parse("carol").unwrap();
        let revoked = AuditAction::AccessTokenRevoked;
        record_for(&mut conn, &admin, &alice, revoked, "alice's", at(1)).unwrap();

        let mine = owner_history(&mut conn, site, &alice, &[], 1, 50).unwrap();
        let admins = owner_history(&mut conn, site, &admin.account_id, &[], 1, 50).unwrap();
        let carols = owner_history(&mut conn, site, &carol, &[], 1, 50).unwrap();

        assert_eq!(subjects(&mine), ["alice's"], "{}", db.backend);
        assert_eq!(mine.entries[0].actor.as_deref(), Some("admin"));
        assert_eq!(mine.entries[0].target, "alice");
        assert_eq!(subjects(&admins), ["alice's"]);
        assert!(carols.entries.is_empty());
    }
}

#[test]
fn a_site_history_narrows_by_area_user_and_time_and_never_leaves_the_site() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let site = install_tenant(&mut conn, "site-a");
        let other = install_tenant(&mut conn, "site-b");
        let alice = actor(site, "alice");
        let bob = actor(site, "bob");
        let created = AuditAction::AccessTokenCreated;
        record(&mut conn, &alice, created, "t-alice", at(0)).unwrap();
        record(&mut conn, &bob, created, "t-bob", at(1)).unwrap();
        let ds = AuditAction::DataSourceCreated;
        record(&mut conn, &alice, ds, "ds-alice", at(2)).unwrap();
        record(
            &mut conn,
            &actor(other, "alice"),
            created,
            "elsewhere",
            at(3),
        )
        .unwrap();
        let all = |conn: &mut Conn, scope: &HistoryScope| {
            history(conn, scope, &[expired("x-alice", 5)], 1, 50)
                .unwrap()
                .entries
                .into_iter()
                .map(|e| e.subject)
                .collect::<Vec<_>>()
        };

        let mut scope = HistoryScope::site(site);
        assert_eq!(
            all(&mut conn, &scope),
            ["x-alice", "ds-alice", "t-bob", "t-alice"],
            "{}",
            db.backend
        );
        scope.area = Some(Area::Tokens);
        assert_eq!(all(&mut conn, &scope), ["x-alice", "t-bob", "t-alice"]);
        scope.involving = Some(bob.account_id.clone());
        assert_eq!(all(&mut conn, &scope), ["t-bob"]);
        scope.involving = None;
        scope.from = Some(at(1).unix_timestamp());
        scope.until = Some(at(5).unix_timestamp());
        assert_eq!(all(&mut conn, &scope), ["t-bob"], "until is exclusive");
        scope.area = Some(Area::DataSources);
        scope.from = None;
        scope.until = None;
        assert_eq!(all(&mut conn, &scope), ["ds-alice"]);
        let last = last_id(&mut conn, site).unwrap();
        record(&mut conn, &alice, ds, "later", at(9)).unwrap();
        scope.up_to_id = Some(last);
        assert_eq!(
            all(&mut conn, &scope),
            ["ds-alice"],
            "events after the end stay out"
        );
        let empty = install_tenant(&mut conn, "empty");
        assert_eq!(last_id(&mut conn, empty).unwrap(), 0);
    }
}
