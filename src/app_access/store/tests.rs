use super::*;
use crate::audit::for_tenant;
use crate::db::test_support::{install_tenant, test_dbs};
use crate::ids::AccountId;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-03-10 12:00 UTC);

fn admin(tenant_id: i64) -> Actor {
    Actor {
        tenant_id,
        account_id: AccountId::parse("admin-1").unwrap(),
        ip: None,
    }
}

fn group(id: &str, name: &str) -> Grant {
    Grant {
        kind: PrincipalKind::Group,
        id: id.into(),
        name: name.into(),
    }
}

#[test]
fn a_site_without_a_policy_admits_everyone() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let site = install_tenant(&mut conn, "site-a");
        assert_eq!(load(&mut conn, site).unwrap(), AccessPolicy::default());
    }
}

#[test]
fn changes_are_stored_per_site_and_each_is_recorded_once() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let site = install_tenant(&mut conn, "site-a");
        let other = install_tenant(&mut conn, "site-b");
        let actor = admin(site);
        let bi = group("g-1", "bi-viewers");
        assert_eq!(
            add_grant(&mut conn, &actor, &bi, NOW).unwrap(),
            AddOutcome::Added
        );
        assert_eq!(
            add_grant(&mut conn, &actor, &bi, NOW).unwrap(),
            AddOutcome::AlreadyThere
        );
        assert_eq!(
            set_restricted(&mut conn, &admin(other), true, NOW).unwrap(),
            SetOutcome::NobodyChosen
        );
        assert_eq!(
            set_restricted(&mut conn, &actor, true, NOW).unwrap(),
            SetOutcome::Changed
        );
        assert_eq!(
            set_restricted(&mut conn, &actor, true, NOW).unwrap(),
            SetOutcome::Unchanged
        );

        let policy = load(&mut conn, site).unwrap();
        assert!(policy.restricted, "{}", db.backend);
        assert_eq!(policy.grants, vec![bi.clone()]);
        assert_eq!(load(&mut conn, other).unwrap(), AccessPolicy::default());

        let subjects: Vec<String> = for_tenant(&mut conn, site, 10)
            .unwrap()
            .into_iter()
            .map(|e| format!("{} {}", e.action, e.subject))
            .collect();
        assert_eq!(
            subjects,
            [
                "app_access.changed Only chosen groups and people",
                "app_access.changed Allowed group bi-viewers",
            ]
        );

        assert_eq!(
            remove_grant(&mut conn, &actor, PrincipalKind::Group, "g-1", NOW).unwrap(),
            Some(bi)
        );
        assert_eq!(
            remove_grant(&mut conn, &actor, PrincipalKind::Group, "g-1", NOW).unwrap(),
            None
        );
        // Another site's administrator cannot remove this site's grants.
        add_grant(&mut conn, &actor, &group("g-2", "data"), NOW).unwrap();
        assert_eq!(
            remove_grant(&mut conn, &admin(other), PrincipalKind::Group, "g-2", NOW).unwrap(),
            None
        );
        assert_eq!(
            set_restricted(&mut conn, &actor, false, NOW).unwrap(),
            SetOutcome::Changed
        );
        assert!(!load(&mut conn, site).unwrap().restricted);
    }
}

#[test]
fn the_list_is_bounded() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let site = install_tenant(&mut conn, "site-a");
        for i in 0..MAX_GRANTS {
            let outcome = add_grant(&mut conn, &admin(site), &group(&format!("g{i}"), "g"), NOW);
            assert_eq!(outcome.unwrap(), AddOutcome::Added);
        }
        assert_eq!(
            add_grant(&mut conn, &admin(site), &group("one-more", "g"), NOW).unwrap(),
            AddOutcome::TooMany
        );
    }
}
