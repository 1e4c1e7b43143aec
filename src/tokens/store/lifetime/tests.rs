//! The clamp against a fixed clock: on, shortened, lengthened, off, legacy tokens, the
//! confirmation count, creation under the maximum, and the audit records for each owner.

use super::*;
use crate::audit::for_tenant;
use crate::db::test_support::{install_tenant, test_dbs};
use crate::tokens::domain::{FormId, NewAccessToken, TokenLabel};
use crate::tokens::store::{CreateOutcome, CreateRequest, create, list};
use time::macros::{date, datetime};
use time::{Date, Duration};

/// "Today" for every test here: 3 December 2026, 10:00 UTC.
const NOW: OffsetDateTime = datetime!(2026-12-03 10:00 UTC);

fn actor(tenant_id: i64, account: &str) -> Actor {
    Actor {
        tenant_id,
        account_id: AccountId::parse(account).unwrap(),
        ip: None,
    }
}

fn days(n: u16) -> Option<MaxLifetime> {
    Some(MaxLifetime::parse(&n.to_string()).unwrap())
}

fn expiry(d: Date) -> Option<ExpiryDate> {
    Some(ExpiryDate::from_stored(d))
}

/// Creates a token as `owner` at `created` (the clock of that day) with `expires`.
fn token_at(
    conn: &mut Conn,
    owner: &Actor,
    label: &str,
    created: OffsetDateTime,
    expires: Option<Date>,
) {
    let request = CreateRequest {
        label: TokenLabel::parse(label).unwrap(),
        expiry: expires.map(ExpiryDate::from_stored),
        form_id: FormId::generate().unwrap(),
    };
    let token = NewAccessToken::generate().unwrap();
    let outcome = create(conn, owner, &token, &request, created).unwrap();
    assert!(matches!(outcome, CreateOutcome::Created(_)), "{outcome:?}");
}

fn expiry_of(conn: &mut Conn, owner: &Actor, label: &str) -> Option<Date> {
    list(conn, owner.tenant_id, &owner.account_id)
        .unwrap()
        .into_iter()
        .find(|t| t.label == label)
        .unwrap()
        .expires_on
        .map(|e| e.date())
}

/// Saves `max`, confirming whatever it would clamp; returns how many it clamped.
fn save_confirmed(
    conn: &mut Conn,
    admin: &Actor,
    max: Option<MaxLifetime>,
    now: OffsetDateTime,
) -> usize {
    let plan = preview(conn, admin.tenant_id, max, now).unwrap();
    match save(conn, admin, max, Some(plan.len()), now).unwrap() {
        SaveOutcome::Saved { clamped } => {
            assert_eq!(clamped, plan);
            clamped.len()
        }
        other => panic!("not saved: {other:?}"),
    }
}

#[test]
fn turning_it_on_clamps_longer_and_never_expiring_tokens_to_created_plus_maximum() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let tenant = install_tenant(&mut conn, "site-a");
        let other_site = install_tenant(&mut conn, "site-b");
        let admin = actor(tenant, "admin");
        let alice = actor(tenant, "alice");
        let bob = actor(tenant, "bob");
        let carol = actor(other_site, "carol");
        let nov_20 = datetime!(2026-11-20 08:00 UTC);
        token_at(&mut conn, &alice, "never", nov_20, None);
        token_at(
            &mut conn,
            &alice,
            "long",
            nov_20,
            Some(date!(2027 - 06 - 01)),
        );
        token_at(
            &mut conn,
            &alice,
            "short",
            nov_20,
            Some(date!(2026 - 12 - 10)),
        );
        token_at(
            &mut conn,
            &bob,
            "old",
            datetime!(2026-01-05 08:00 UTC),
            None,
        );
        token_at(&mut conn, &carol, "elsewhere", nov_20, None);

        // Nothing changes until the administrator confirms the count they were shown.
        let first = save(&mut conn, &admin, days(30), None, NOW).unwrap();
        let SaveOutcome::NeedsConfirmation { plan } = first else {
            panic!("saved without confirmation: {first:?}");
        };
        assert_eq!(plan.len(), 3);
        assert_eq!(load_max(&mut conn, tenant).unwrap(), None);
        assert_eq!(expiry_of(&mut conn, &alice, "never"), None);
        let stale = save(&mut conn, &admin, days(30), Some(2), NOW).unwrap();
        assert!(matches!(stale, SaveOutcome::NeedsConfirmation { .. }));

        assert_eq!(save_confirmed(&mut conn, &admin, days(30), NOW), 3);

        assert_eq!(load_max(&mut conn, tenant).unwrap(), days(30));
        assert_eq!(
            expiry_of(&mut conn, &alice, "never"),
            Some(date!(2026 - 12 - 20))
        );
        assert_eq!(
            expiry_of(&mut conn, &alice, "long"),
            Some(date!(2026 - 12 - 20))
        );
        assert_eq!(
            expiry_of(&mut conn, &alice, "short"),
            Some(date!(2026 - 12 - 10))
        );
        // Older than the maximum: clamped into the past, so it stops working now.
        assert_eq!(
            expiry_of(&mut conn, &bob, "old"),
            Some(date!(2026 - 02 - 04))
        );
        // Another site's maximum is its own.
        assert_eq!(expiry_of(&mut conn, &carol, "elsewhere"), None);

        let events = for_tenant(&mut conn, tenant, 1000).unwrap();
        let clamps: Vec<(&str, &str, &str)> = events
            .iter()
            .filter(|e| e.action == "access_token.expiry_clamped")
            .map(|e| {
                (
                    e.account_id.as_str(),
                    e.target_account_id.as_str(),
                    e.subject.as_str(),
                )
            })
            .collect();
        assert_eq!(clamps.len(), 3);
        assert!(clamps.contains(&("admin", "alice", "never (expiry never → 2026-12-20)")));
        assert!(clamps.contains(&("admin", "alice", "long (expiry 2027-06-01 → 2026-12-20)")));
        assert!(clamps.contains(&("admin", "bob", "old (expiry never → 2026-02-04)")));
        assert!(events.iter().any(|e| e.action == "token_policy.changed"
            && e.account_id == "admin"
            && e.subject == "Maximum access token lifetime: 30 days"));
    }
}

#[test]
fn shortening_clamps_again_lengthening_and_turning_off_change_nothing() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let tenant = install_tenant(&mut conn, "site-a");
        let admin = actor(tenant, "admin");
        let alice = actor(tenant, "alice");
        let dec_1 = datetime!(2026-12-01 09:00 UTC);
        token_at(&mut conn, &alice, "a", dec_1, Some(date!(2027 - 02 - 01)));
        assert_eq!(save_confirmed(&mut conn, &admin, days(90), NOW), 0);
        assert_eq!(
            expiry_of(&mut conn, &alice, "a"),
            Some(date!(2027 - 02 - 01))
        );

        assert_eq!(save_confirmed(&mut conn, &admin, days(10), NOW), 1);
        assert_eq!(
            expiry_of(&mut conn, &alice, "a"),
            Some(date!(2026 - 12 - 11))
        );

        // Lengthening: the token keeps its clamped expiry; nothing asks for confirmation.
        let later = NOW + Duration::days(2);
        assert!(matches!(
            save(&mut conn, &admin, days(365), None, later).unwrap(),
            SaveOutcome::Saved { clamped } if clamped.is_empty()
        ));
        assert_eq!(
            expiry_of(&mut conn, &alice, "a"),
            Some(date!(2026 - 12 - 11))
        );
        // Saving the same again records nothing.
        assert_eq!(
            save(&mut conn, &admin, days(365), None, later).unwrap(),
            SaveOutcome::Unchanged
        );

        // Off: nothing changes either, and a never-expiring token may be created again.
        assert!(matches!(
            save(&mut conn, &admin, None, None, later).unwrap(),
            SaveOutcome::Saved { clamped } if clamped.is_empty()
        ));
        assert_eq!(
            expiry_of(&mut conn, &alice, "a"),
            Some(date!(2026 - 12 - 11))
        );
        token_at(&mut conn, &alice, "b", later, None);
        let changes = for_tenant(&mut conn, tenant, 1000)
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "token_policy.changed")
            .count();
        assert_eq!(
            changes, 4,
            "90, 10, 365 and off; the repeat is not recorded"
        );
    }
}

#[test]
fn legacy_tokens_without_a_creation_date_are_clamped_to_now_plus_maximum() {
    use crate::db::schema::access_tokens;
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let tenant = install_tenant(&mut conn, "site-a");
        let admin = actor(tenant, "admin");
        let alice = actor(tenant, "alice");
        token_at(&mut conn, &alice, "from 2024", NOW, None);
        diesel::update(access_tokens::table)
            .set(access_tokens::created_at.eq(None::<i64>))
            .execute(&mut conn)
            .unwrap();

        assert_eq!(save_confirmed(&mut conn, &admin, days(30), NOW), 1);

        assert_eq!(
            expiry_of(&mut conn, &alice, "from 2024"),
            Some(date!(2027 - 01 - 02))
        );
    }
}

#[test]
fn under_a_maximum_new_tokens_need_an_expiry_within_it() {
    for db in test_dbs() {
        let mut conn = db.pool.get().unwrap();
        let tenant = install_tenant(&mut conn, "site-a");
        let admin = actor(tenant, "admin");
        let alice = actor(tenant, "alice");
        save_confirmed(&mut conn, &admin, days(30), NOW);
        for (label, expires, allowed) in [
            ("never", None, false),
            ("too late", expiry(date!(2027 - 01 - 03)), false),
            ("last day", expiry(date!(2027 - 01 - 02)), true),
        ] {
            let request = CreateRequest {
                label: TokenLabel::parse(label).unwrap(),
                expiry: expires,
                form_id: FormId::generate().unwrap(),
            };
            let token = NewAccessToken::generate().unwrap();
            let outcome = create(&mut conn, &alice, &token, &request, NOW).unwrap();
            if allowed {
                assert!(
                    matches!(outcome, CreateOutcome::Created(_)),
                    "{label}: {outcome:?}"
                );
            } else {
                assert_eq!(
                    outcome,
                    CreateOutcome::BeyondMaxLifetime(days(30).unwrap()),
                    "{label}"
                );
            }
        }
        assert_eq!(list(&mut conn, tenant, &alice.account_id).unwrap().len(), 1);
    }
}
