use super::*;
use crate::audit::history::{HistoryScope, history};
use crate::datasources::domain::{
    DataSourceDefinition, DataSourceName, FieldIds, IssueSelection, Jql, TableSelection,
};
use crate::datasources::store::{CreateOutcome, UpdateOutcome, create, delete, update};
use crate::db::test_support::{install_tenant, test_dbs};
use crate::tokens::domain::FormId;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-12-03 10:00 UTC);
const DATA_TEAM: &str = "group-data-team";

fn actor(tenant_id: i64, account: &str) -> Actor {
    Actor {
        tenant_id,
        account_id: AccountId::parse(account).unwrap(),
        ip: None,
    }
}

fn definition(name: &str) -> DataSourceDefinition {
    DataSourceDefinition {
        name: DataSourceName::parse(name).unwrap(),
        issues: IssueSelection::Jql(Jql::parse("project = ALPHA").unwrap()),
        fields: FieldIds::parse(&["summary".to_owned()]).unwrap(),
        tables: TableSelection::default(),
    }
}

fn create_one(conn: &mut Conn, actor: &Actor, name: &str) -> DataSource {
    match create(
        conn,
        actor,
        &definition(name),
        &FormId::generate().unwrap(),
        NOW,
    )
    .unwrap()
    {
        CreateOutcome::Created(source) => source,
        other => panic!("not created: {other:?}"),
    }
}

fn person(id: &str, name: &str) -> Grant {
    Grant {
        kind: PrincipalKind::User,
        id: id.to_owned(),
        name: name.to_owned(),
    }
}

fn group(id: &str, name: &str) -> Grant {
    Grant {
        kind: PrincipalKind::Group,
        id: id.to_owned(),
        name: name.to_owned(),
    }
}

fn access(
    conn: &mut Conn,
    tenant_id: i64,
    account: &str,
    groups: &[&str],
    id: i64,
) -> Option<Access> {
    let groups: Vec<String> = groups.iter().map(|g| (*g).to_owned()).collect();
    find_readable(conn, tenant_id, account, &groups, id)
        .unwrap()
        .map(|readable| readable.access)
}

fn shared_by(name: &str) -> Option<Access> {
    Some(Access::Shared {
        owner_name: name.to_owned(),
    })
}

#[test]
fn only_the_owner_and_those_it_is_shared_with_read_a_data_source() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let tenant = install_tenant(&mut conn, "site-a");
        let other_site = install_tenant(&mut conn, "site-b");
        let alice = actor(tenant, "alice");
        let source = create_one(&mut conn, &alice, "Sprints");
        let id = source.id;

        assert_eq!(
            access(&mut conn, tenant, "alice", &[], id),
            Some(Access::Owner)
        );
        assert_eq!(access(&mut conn, tenant, "bob", &[DATA_TEAM], id), None);

        let bob = person("bob", "Bob Brown");
        assert_eq!(
            share(&mut conn, &alice, id, &bob, "Alice Anderson", NOW).unwrap(),
            ShareOutcome::Shared
        );
        assert_eq!(
            share(
                &mut conn,
                &alice,
                id,
                &group(DATA_TEAM, "data-team"),
                "Alice Anderson",
                NOW
            )
            .unwrap(),
            ShareOutcome::Shared
        );
        assert_eq!(
            access(&mut conn, tenant, "bob", &[], id),
            shared_by("Alice Anderson")
        );
        let readable = find_readable(&mut conn, tenant, "bob", &[], id)
            .unwrap()
            .unwrap();
        assert_eq!(
            readable.source, source,
            "the same definition, whoever reads it"
        );
        // Carol only through the group, and only while Jira lists her in it.
        assert_eq!(
            access(&mut conn, tenant, "carol", &["other", DATA_TEAM], id),
            shared_by("Alice Anderson")
        );
        assert_eq!(access(&mut conn, tenant, "carol", &["other"], id), None);
        // A group id that is a person's id, or a person's id given as a group, is nothing.
        assert_eq!(access(&mut conn, tenant, "carol", &["bob"], id), None);
        assert_eq!(access(&mut conn, tenant, DATA_TEAM, &[], id), None);
        // The same account and group on another site see nothing of this site.
        assert_eq!(access(&mut conn, other_site, "bob", &[DATA_TEAM], id), None);
        assert!(shared_with_groups(&mut conn, tenant, id).unwrap());
        assert!(!shared_with_groups(&mut conn, other_site, id).unwrap());
        assert!(site_shares_with_groups(&mut conn, tenant).unwrap());
        assert!(!site_shares_with_groups(&mut conn, other_site).unwrap());

        let shared = shared_with(&mut conn, tenant, "bob", &[]).unwrap();
        assert_eq!(shared.len(), 1);
        assert_eq!(shared[0].owner_name, "Alice Anderson");
        assert!(
            shared_with(&mut conn, tenant, "alice", &[DATA_TEAM.to_owned()])
                .unwrap()
                .is_empty(),
            "not her own"
        );
        assert!(
            shared_with(&mut conn, other_site, "bob", &[])
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            shares_of(&mut conn, tenant, "alice", id).unwrap(),
            Some(vec![group(DATA_TEAM, "data-team"), bob.clone()])
        );
        assert_eq!(
            shares_of(&mut conn, tenant, "bob", id).unwrap(),
            None,
            "only the owner lists shares"
        );

        // Unshared: gone on the next read; unsharing again finds nothing.
        assert_eq!(
            unshare(&mut conn, &alice, id, PrincipalKind::User, "bob", NOW).unwrap(),
            Some(bob.clone())
        );
        assert_eq!(access(&mut conn, tenant, "bob", &[], id), None);
        assert_eq!(
            unshare(&mut conn, &alice, id, PrincipalKind::User, "bob", NOW).unwrap(),
            None
        );
    }
}

#[test]
fn only_the_owner_shares_and_the_rules_hold() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let tenant = install_tenant(&mut conn, "site-a");
        let alice = actor(tenant, "alice");
        let bob = actor(tenant, "bob");
        let id = create_one(&mut conn, &alice, "Sprints").id;
        let carol = person("carol", "Carol");
        share(&mut conn, &alice, id, &person("bob", "Bob"), "Alice", NOW).unwrap();

        // Bob reads it but cannot share, unshare, hand over, edit or delete it.
        assert_eq!(
            share(&mut conn, &bob, id, &carol, "Bob", NOW).unwrap(),
            ShareOutcome::NotFound
        );
        assert_eq!(
            unshare(&mut conn, &bob, id, PrincipalKind::User, "bob", NOW).unwrap(),
            None
        );
        let to_carol = NewOwner {
            account_id: AccountId::parse("carol").unwrap(),
            name: "Carol".into(),
        };
        assert_eq!(
            hand_over(&mut conn, &bob, id, &to_carol, "Bob", NOW).unwrap(),
            HandOverOutcome::NotFound
        );
        assert_eq!(
            update(&mut conn, &bob, id, &definition("Mine"), NOW).unwrap(),
            UpdateOutcome::NotFound
        );
        assert_eq!(delete(&mut conn, &bob, id, NOW).unwrap(), None);

        assert_eq!(
            share(
                &mut conn,
                &alice,
                id,
                &person("alice", "Alice"),
                "Alice",
                NOW
            )
            .unwrap(),
            ShareOutcome::IsOwner
        );
        assert_eq!(
            share(&mut conn, &alice, id, &person("bob", "Bob"), "Alice", NOW).unwrap(),
            ShareOutcome::AlreadyShared
        );
        for n in 1..MAX_SHARES_PER_DATA_SOURCE {
            let outcome = share(
                &mut conn,
                &alice,
                id,
                &person(&format!("p{n}"), "P"),
                "Alice",
                NOW,
            )
            .unwrap();
            assert_eq!(outcome, ShareOutcome::Shared);
        }
        assert_eq!(
            share(&mut conn, &alice, id, &carol, "Alice", NOW).unwrap(),
            ShareOutcome::TooMany
        );

        // Deleting the data source deletes its shares.
        assert!(delete(&mut conn, &alice, id, NOW).unwrap().is_some());
        let left: i64 = data_source_shares::table
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(left, 0);
        assert!(
            shared_with(&mut conn, tenant, "bob", &[])
                .unwrap()
                .is_empty()
        );
    }
}

#[test]
fn a_handover_moves_ownership_keeps_the_former_owner_reading_and_refuses_a_name_clash() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let tenant = install_tenant(&mut conn, "site-a");
        let alice = actor(tenant, "alice");
        let bob = actor(tenant, "bob");
        let id = create_one(&mut conn, &alice, "Sprints").id;
        share(
            &mut conn,
            &alice,
            id,
            &person("bob", "Bob Brown"),
            "Alice Anderson",
            NOW,
        )
        .unwrap();
        let to_bob = NewOwner {
            account_id: AccountId::parse("bob").unwrap(),
            name: "Bob Brown".into(),
        };

        // Bob has a "SPRINTS" already: refused, nothing changes.
        let bobs = create_one(&mut conn, &bob, "SPRINTS");
        assert_eq!(
            hand_over(&mut conn, &alice, id, &to_bob, "Alice Anderson", NOW).unwrap(),
            HandOverOutcome::NameTaken
        );
        assert_eq!(
            access(&mut conn, tenant, "alice", &[], id),
            Some(Access::Owner)
        );
        assert!(delete(&mut conn, &bob, bobs.id, NOW).unwrap().is_some());
        let to_alice = NewOwner {
            account_id: AccountId::parse("alice").unwrap(),
            name: "Alice".into(),
        };
        assert_eq!(
            hand_over(&mut conn, &alice, id, &to_alice, "Alice", NOW).unwrap(),
            HandOverOutcome::SameOwner
        );

        let later = NOW + time::Duration::hours(1);
        let HandOverOutcome::HandedOver(handed) =
            hand_over(&mut conn, &alice, id, &to_bob, "Alice Anderson", later).unwrap()
        else {
            panic!("not handed over");
        };
        assert_eq!(handed.updated_at, later.unix_timestamp());
        assert_eq!(
            access(&mut conn, tenant, "bob", &[], id),
            Some(Access::Owner)
        );
        assert_eq!(
            access(&mut conn, tenant, "alice", &[], id),
            shared_by("Bob Brown")
        );
        assert_eq!(
            shares_of(&mut conn, tenant, "bob", id).unwrap(),
            Some(vec![person("alice", "Alice Anderson")]),
            "Bob's own share went; Alice's came"
        );
        // Now only Bob edits it; Alice's update is refused.
        assert_eq!(
            update(&mut conn, &alice, id, &definition("Mine"), later).unwrap(),
            UpdateOutcome::NotFound
        );
        assert!(matches!(
            update(&mut conn, &bob, id, &definition("Bob's"), later).unwrap(),
            UpdateOutcome::Updated(_)
        ));

        // Both see the handover in their history; Bob also sees that it was shared with him.
        let events = |who: &str| -> Vec<(String, String, String)> {
            let mut conn = db.pool.get().unwrap();
            let scope = HistoryScope::own(tenant, &AccountId::parse(who).unwrap());
            history(&mut conn, &scope, &[], 1, 50)
                .unwrap()
                .entries
                .into_iter()
                .map(|e| (e.action, e.actor.unwrap_or_default(), e.subject))
                .collect()
        };
        let change = (
            "data_source.owner_changed".to_owned(),
            "alice".to_owned(),
            "Sprints → Bob Brown".to_owned(),
        );
        assert!(events("alice").contains(&change));
        assert!(events("bob").contains(&change));
        assert!(events("bob").contains(&(
            "data_source.shared".to_owned(),
            "alice".to_owned(),
            "Sprints → Bob Brown".to_owned()
        )));
        assert!(
            !events("carol")
                .iter()
                .any(|e| e.0.starts_with("data_source."))
        );
    }
}
