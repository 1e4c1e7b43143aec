use super::*;
use crate::datasources::domain::{DataSourceName, FieldIds, IssueSelection, Jql, TableSelection};
use crate::db::test_support::{install_tenant, test_dbs};
use crate::ids::AccountId;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-03-10 12:00 UTC);

fn actor(tenant_id: i64, account: &str) -> Actor {
    Actor {
        tenant_id,
        account_id: AccountId::parse(account).unwrap(),
        ip: None,
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

fn by_jql(name: &str, jql: &str) -> DataSourceDefinition {
    DataSourceDefinition {
        name: DataSourceName::parse(name).unwrap(),
        issues: IssueSelection::Jql(Jql::parse(jql).unwrap()),
        fields: FieldIds::parse(&strings(&["summary", "status"])).unwrap(),
        tables: TableSelection::default(),
    }
}

fn by_projects(name: &str, keys: &[&str]) -> DataSourceDefinition {
    DataSourceDefinition {
        name: DataSourceName::parse(name).unwrap(),
        issues: IssueSelection::projects(&strings(keys)).unwrap(),
        fields: FieldIds::parse(&strings(&["customfield_10020", "summary"])).unwrap(),
        tables: TableSelection::parse(&["Worklogs", "IssueChanges", "Worklogs"]).unwrap(),
    }
}

fn create_one(conn: &mut Conn, actor: &Actor, definition: &DataSourceDefinition) -> DataSource {
    match create(conn, actor, definition, &FormId::generate().unwrap(), NOW).unwrap() {
        CreateOutcome::Created(source) => source,
        other => panic!("not created: {other:?}"),
    }
}

#[test]
fn a_created_data_source_is_found_by_its_owner_as_stored() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let alice = actor(install_tenant(&mut conn, "site-a"), "alice");

        let source = create_one(
            &mut conn,
            &alice,
            &by_projects("Sprints", &["ALPHA", "OPS"]),
        );

        assert_eq!(source.name, "Sprints");
        assert_eq!(source.jql, r#"project in ("ALPHA", "OPS")"#);
        assert_eq!(source.mode, IssueMode::Projects);
        assert_eq!(source.project_keys, strings(&["ALPHA", "OPS"]));
        assert_eq!(source.fields, strings(&["customfield_10020", "summary"]));
        // Distinct, in the order forms list them.
        assert_eq!(
            source.tables.names(),
            strings(&["IssueChanges", "Worklogs"])
        );
        assert_eq!(source.created_at, NOW.unix_timestamp());
        assert_eq!(source.updated_at, NOW.unix_timestamp());
        assert_eq!(
            find_owned(&mut conn, alice.tenant_id, "alice", source.id).unwrap(),
            Some(source.clone())
        );
        assert_eq!(
            list(&mut conn, alice.tenant_id, "alice").unwrap(),
            vec![source]
        );
    }
}

#[test]
fn other_users_and_other_sites_cannot_find_update_or_delete_it() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let site_a = install_tenant(&mut conn, "site-a");
        let site_b = install_tenant(&mut conn, "site-b");
        let alice = actor(site_a, "alice");
        let source = create_one(&mut conn, &alice, &by_jql("Mine", "project = ALPHA"));
        let bob = actor(site_a, "bob");
        let alice_elsewhere = actor(site_b, "alice");

        for intruder in [&bob, &alice_elsewhere] {
            let account = intruder.account_id.as_str();
            assert_eq!(
                find_owned(&mut conn, intruder.tenant_id, account, source.id).unwrap(),
                None
            );
            assert!(
                list(&mut conn, intruder.tenant_id, account)
                    .unwrap()
                    .is_empty()
            );
            assert_eq!(
                update(
                    &mut conn,
                    intruder,
                    source.id,
                    &by_jql("Stolen", "project = OPS"),
                    NOW
                )
                .unwrap(),
                UpdateOutcome::NotFound
            );
            assert_eq!(delete(&mut conn, intruder, source.id, NOW).unwrap(), None);
        }

        assert_eq!(
            find_owned(&mut conn, site_a, "alice", source.id).unwrap(),
            Some(source)
        );
        let actions: Vec<String> = audit::for_tenant(&mut conn, site_a, 10)
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions, ["data_source.created"]);
    }
}

#[test]
fn names_are_unique_per_user_ignoring_case() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let site = install_tenant(&mut conn, "site-a");
        let alice = actor(site, "alice");
        create_one(
            &mut conn,
            &alice,
            &by_jql("Sprint report", "project = ALPHA"),
        );

        let again = create(
            &mut conn,
            &alice,
            &by_jql("SPRINT REPORT", "project = OPS"),
            &FormId::generate().unwrap(),
            NOW,
        )
        .unwrap();
        create_one(
            &mut conn,
            &actor(site, "bob"),
            &by_jql("Sprint report", "project = OPS"),
        );

        assert_eq!(again, CreateOutcome::NameTaken);
        assert_eq!(list(&mut conn, site, "alice").unwrap().len(), 1);
    }
}

#[test]
fn a_form_id_creates_at_most_one_data_source() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let alice = actor(install_tenant(&mut conn, "site-a"), "alice");
        let form_id = FormId::generate().unwrap();
        let definition = by_jql("Once", "project = ALPHA");

        let first = create(&mut conn, &alice, &definition, &form_id, NOW).unwrap();
        let second = create(&mut conn, &alice, &definition, &form_id, NOW).unwrap();

        let CreateOutcome::Created(source) = first else {
            panic!("not created: {first:?}");
        };
        assert_eq!(second, CreateOutcome::AlreadySubmitted(source.id));
        assert_eq!(list(&mut conn, alice.tenant_id, "alice").unwrap().len(), 1);
    }
}

#[test]
fn the_limit_is_per_user() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let site = install_tenant(&mut conn, "site-a");
        let alice = actor(site, "alice");
        for n in 0..MAX_DATA_SOURCES_PER_USER {
            create_one(
                &mut conn,
                &alice,
                &by_jql(&format!("DS {n}"), "project = ALPHA"),
            );
        }

        let over = create(
            &mut conn,
            &alice,
            &by_jql("One more", "project = ALPHA"),
            &FormId::generate().unwrap(),
            NOW,
        )
        .unwrap();

        assert_eq!(over, CreateOutcome::LimitReached);
        create_one(
            &mut conn,
            &actor(site, "bob"),
            &by_jql("One more", "project = ALPHA"),
        );
    }
}

#[test]
fn update_replaces_the_definition_and_keeps_the_creation_time() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let site = install_tenant(&mut conn, "site-a");
        let alice = actor(site, "alice");
        let source = create_one(&mut conn, &alice, &by_projects("Report", &["ALPHA"]));
        let other = create_one(&mut conn, &alice, &by_jql("Other", "project = OPS"));
        let later = NOW + time::Duration::hours(2);

        let taken = update(
            &mut conn,
            &alice,
            source.id,
            &by_jql("OTHER", "x = 1"),
            later,
        )
        .unwrap();
        let renamed_case = update(
            &mut conn,
            &alice,
            source.id,
            &by_jql("REPORT", "project = DATA ORDER BY key"),
            later,
        )
        .unwrap();

        assert_eq!(taken, UpdateOutcome::NameTaken);
        let UpdateOutcome::Updated(updated) = renamed_case else {
            panic!("not updated: {renamed_case:?}");
        };
        assert_eq!(updated.id, source.id);
        assert_eq!(updated.name, "REPORT");
        assert_eq!(updated.mode, IssueMode::Jql);
        assert_eq!(updated.jql, "project = DATA ORDER BY key");
        assert!(updated.project_keys.is_empty());
        assert_eq!(updated.fields, strings(&["summary", "status"]));
        assert_eq!(updated.created_at, NOW.unix_timestamp());
        assert_eq!(updated.updated_at, later.unix_timestamp());
        assert_eq!(
            find_owned(&mut conn, site, "alice", other.id).unwrap(),
            Some(other)
        );
    }
}

#[test]
fn delete_removes_only_that_data_source_and_is_audited() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let site = install_tenant(&mut conn, "site-a");
        let alice = actor(site, "alice");
        let doomed = create_one(&mut conn, &alice, &by_jql("Doomed", "project = ALPHA"));
        let kept = create_one(&mut conn, &alice, &by_jql("Kept", "project = ALPHA"));

        let deleted = delete(&mut conn, &alice, doomed.id, NOW).unwrap();
        let again = delete(&mut conn, &alice, doomed.id, NOW).unwrap();

        assert_eq!(deleted, Some(doomed));
        assert_eq!(again, None);
        assert_eq!(list(&mut conn, site, "alice").unwrap(), vec![kept]);
        let last = audit::for_tenant(&mut conn, site, 1).unwrap();
        assert_eq!(last[0].action, "data_source.deleted");
        assert_eq!(last[0].subject, "Doomed");
    }
}

#[test]
fn the_list_is_sorted_by_name_ignoring_case() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let alice = actor(install_tenant(&mut conn, "site-a"), "alice");
        for name in ["beta", "Alpha", "gamma"] {
            create_one(&mut conn, &alice, &by_jql(name, "project = ALPHA"));
        }

        let names: Vec<String> = list(&mut conn, alice.tenant_id, "alice")
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();

        assert_eq!(names, ["Alpha", "beta", "gamma"]);
    }
}
