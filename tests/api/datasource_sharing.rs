//! Sharing a data source without sharing data, end to end against the emulator: Alice (who sees
//! every project) shares one definition with Bob (who cannot browse OPS); each reads the same
//! feed URL with their own access token and gets exactly the issues Jira shows *them*. Only the
//! owner edits, shares or deletes; losing access (unshared, out of the group in Jira) is a 404
//! on the next request; a handover moves ownership and is in both histories.

use std::collections::BTreeSet;

use jira_emulator::FaultConfig;

use crate::support::TestApp;
use crate::support::feed::{ALICE, ALPHA, BOB, Reader, create_data_source, feed_app, reader};

const DAVE: usize = 2; // on alpha, in no group but jira-users

// Names only projects both can see: Jira refuses a query naming a project the reader cannot
// browse, so a definition to share names what its readers have in common.
const JQL: &str = "project != DATA";

fn keys_of_truth(app: &TestApp, who: &Reader) -> BTreeSet<String> {
    who.truth(app, JQL)
        .iter()
        .map(|issue| issue["key"].as_str().unwrap().to_owned())
        .collect()
}

async fn feed_keys(app: &TestApp, who: &Reader, id: i64) -> BTreeSet<String> {
    who.json_rows(app, &format!("/feed/{id}/json?limit=500"))
        .await
        .iter()
        .map(|row| row["Key"].as_str().unwrap().to_owned())
        .collect()
}

async fn feed_status(app: &TestApp, who: &Reader, id: i64) -> u16 {
    who.get(app, &format!("/feed/{id}/csv"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Jira's groupId of alpha's data-team (Alice and Bob).
fn data_team(app: &TestApp) -> String {
    let groups = app.emulator.groups(ALPHA).unwrap();
    let (id, _) = groups
        .into_iter()
        .find(|(_, name)| name == "data-team")
        .unwrap();
    id
}

fn account(app: &TestApp, user: usize) -> String {
    app.emulator.sites()[ALPHA].users[user].account_id.clone()
}

async fn page(app: &TestApp, who: &Reader, path: &str) -> (u16, String) {
    let response = app.get_page(path, &who.session).await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn a_shared_data_source_gives_each_reader_only_the_issues_jira_shows_them() {
    let app = feed_app(300).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let bob = reader(&app, ALPHA, BOB).await;
    let id = create_data_source(&app, &alice.session, "Delivery", JQL, &["summary"]).await;
    let sharing = format!("/app/datasources/{id}/sharing");

    // Not shared yet: Bob's feed, page and the sharing page say "not found".
    assert_eq!(feed_status(&app, &bob, id).await, 404);
    assert_eq!(
        page(&app, &bob, &format!("/app/datasources/{id}")).await.0,
        404
    );
    assert_eq!(page(&app, &bob, &sharing).await.0, 404);

    // Alice finds Bob with Jira's picker and shares it with him.
    let (status, found) = page(&app, &alice, &format!("{sharing}?find_user=Bob")).await;
    assert_eq!(status, 200);
    assert!(found.contains("Bob Brown"), "{found}");
    let bob_id = account(&app, BOB);
    let shared = app
        .post_form(
            &format!("{sharing}/add"),
            &alice.session,
            &[("kind", "user"), ("id", &bob_id)],
        )
        .await;
    assert_eq!(shared.status(), 200);
    let html = shared.text().await.unwrap();
    assert!(html.contains("is shared with Bob Brown"), "{html}");
    assert!(html.contains(r#"id="shares-table""#));
    // A forged person is checked with Jira and refused; so is sharing with herself.
    let forged = app
        .post_form(
            &format!("{sharing}/add"),
            &alice.session,
            &[("kind", "user"), ("id", "557058:nobody")],
        )
        .await;
    assert_eq!(forged.status(), 422);
    let herself = app
        .post_form(
            &format!("{sharing}/add"),
            &alice.session,
            &[("kind", "user"), ("id", &account(&app, ALICE))],
        )
        .await;
    assert_eq!(herself.status(), 422);
    // Hostile or broken input: a readable refusal, never a 500.
    let no_kind = app
        .post_form(
            &format!("{sharing}/add"),
            &alice.session,
            &[("id", &bob_id)],
        )
        .await;
    assert_eq!(no_kind.status(), 422);
    assert!(
        no_kind
            .text()
            .await
            .unwrap()
            .contains("Choose a group or a person")
    );
    let long = "x".repeat(101);
    let (status, html) = page(&app, &alice, &format!("{sharing}?find_user={long}")).await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="find-user-error""#));
    let bad_owner = app
        .post_form(
            &format!("/app/datasources/{id}/owner"),
            &alice.session,
            &[("id", "<x>")],
        )
        .await;
    assert_eq!(bad_owner.status(), 422);
    assert!(bad_owner.text().await.unwrap().contains("Choose a person"));
    let bad_remove = app
        .post_form(
            &format!("{sharing}/remove"),
            &alice.session,
            &[("kind", "role"), ("id", "x")],
        )
        .await;
    assert_eq!(bad_remove.status(), 404);
    let not_an_id = app
        .get_page("/app/datasources/1e3/sharing", &alice.session)
        .await;
    assert_eq!(not_an_id.status(), 404);

    // The same feed URL: each gets their own visible issues, and OPS only reaches Alice.
    let alice_keys = feed_keys(&app, &alice, id).await;
    let bob_keys = feed_keys(&app, &bob, id).await;
    assert_eq!(alice_keys, keys_of_truth(&app, &alice));
    assert_eq!(bob_keys, keys_of_truth(&app, &bob));
    assert!(
        alice_keys.iter().any(|k| k.starts_with("OPS-")),
        "Alice sees OPS"
    );
    assert!(
        !bob_keys.iter().any(|k| k.starts_with("OPS-")),
        "Bob never gets OPS"
    );
    assert!(bob_keys.iter().any(|k| k.starts_with("ALPHA-")));
    assert!(bob_keys.is_subset(&alice_keys));
    // The connectors' list offers it to Bob, marked as shared.
    let listed: serde_json::Value = bob
        .get(&app, "/api/datasources")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entry = &listed["dataSources"][0];
    assert_eq!(entry["id"], id);
    assert_eq!(entry["sharedBy"], "Alice Anderson");

    // Bob sees it under "Shared with me" and on its page, without Edit, Share or Delete.
    let (_, list) = page(&app, &bob, "/app/datasources").await;
    assert!(list.contains(r#"id="shared-sources""#), "{list}");
    assert!(list.contains("Delivery") && list.contains("Alice Anderson"));
    let (status, show) = page(&app, &bob, &format!("/app/datasources/{id}")).await;
    assert_eq!(status, 200);
    assert!(show.contains(r#"id="shared-notice""#));
    assert!(!show.contains(r#"id="share-link""#) && !show.contains("delete-dialog"));
    // Only the owner edits, shares or deletes.
    assert_eq!(
        page(&app, &bob, &format!("/app/datasources/{id}/edit"))
            .await
            .0,
        404
    );
    assert_eq!(page(&app, &bob, &sharing).await.0, 404);
    let delete = app
        .post_form(&format!("/app/datasources/{id}/delete"), &bob.session, &[])
        .await;
    assert_eq!(delete.status(), 404);
    let reshare = app
        .post_form(
            &format!("{sharing}/add"),
            &bob.session,
            &[("kind", "user"), ("id", &bob_id)],
        )
        .await;
    assert_eq!(reshare.status(), 404);

    // Unshared: 404 on Bob's next request.
    let removed = app
        .post_form(
            &format!("{sharing}/remove"),
            &alice.session,
            &[("kind", "user"), ("id", &bob_id)],
        )
        .await;
    assert_eq!(removed.status(), 200);
    assert_eq!(feed_status(&app, &bob, id).await, 404);
    assert_eq!(feed_status(&app, &alice, id).await, 200);

    // Shared with data-team: Bob reads it while Jira lists him in the group, not after.
    let (_, groups) = page(&app, &alice, &format!("{sharing}?find_group=data")).await;
    let group_id = data_team(&app);
    assert!(groups.contains(&group_id), "the picker offers data-team");
    let to_group = app
        .post_form(
            &format!("{sharing}/add"),
            &alice.session,
            &[("kind", "group"), ("id", &group_id), ("name", "data-team")],
        )
        .await;
    assert_eq!(to_group.status(), 200);
    assert_eq!(feed_keys(&app, &bob, id).await, keys_of_truth(&app, &bob));
    app.emulator
        .remove_from_group(ALPHA, BOB, "data-team")
        .unwrap();
    assert_eq!(feed_status(&app, &bob, id).await, 404);
    assert_eq!(
        page(&app, &bob, &format!("/app/datasources/{id}")).await.0,
        404
    );
    app.emulator.add_to_group(ALPHA, BOB, "data-team").unwrap();
    assert_eq!(feed_status(&app, &bob, id).await, 200);

    // The history has every share and unshare, by Alice; Bob's own history has his.
    let (_, admin_history) = page(&app, &alice, "/app/admin/history/data-sources").await;
    assert_eq!(
        admin_history.matches("Data source shared").count(),
        2,
        "{admin_history}"
    );
    assert_eq!(
        admin_history
            .matches("Data source no longer shared")
            .count(),
        1
    );
    assert!(admin_history.contains("Delivery → group data-team"));
    let (_, bob_history) = page(&app, &bob, "/app/tokens/history").await;
    assert!(
        bob_history.contains("Delivery → Bob Brown"),
        "{bob_history}"
    );
}

#[tokio::test]
async fn a_handover_needs_confirmation_moves_ownership_and_keeps_the_former_owner_reading() {
    let app = feed_app(50).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let bob = reader(&app, ALPHA, BOB).await;
    let id = create_data_source(&app, &alice.session, "Delivery", JQL, &["summary"]).await;
    let owner = format!("/app/datasources/{id}/owner");
    let bob_id = account(&app, BOB);

    // The app is limited to data-team: Dave, outside it, cannot be made the owner.
    let group_id = data_team(&app);
    let grant = [
        ("kind", "group"),
        ("id", group_id.as_str()),
        ("name", "data-team"),
    ];
    let added = app
        .post_form("/app/admin/access/add", &alice.session, &grant)
        .await;
    assert_eq!(added.status(), 200);
    let limited = app
        .post_form(
            "/app/admin/access/mode",
            &alice.session,
            &[("mode", "chosen")],
        )
        .await;
    assert_eq!(limited.status(), 200);
    let to_dave = app
        .post_form(&owner, &alice.session, &[("id", &account(&app, DAVE))])
        .await;
    assert_eq!(to_dave.status(), 422);
    assert!(
        to_dave
            .text()
            .await
            .unwrap()
            .contains("may not use BI Connector")
    );

    // Bob has a data source of that name: confirmed, but refused, nothing changes.
    let bobs = create_data_source(
        &app,
        &bob.session,
        "delivery",
        "project = ALPHA",
        &["summary"],
    )
    .await;
    let asked = app
        .post_form(&owner, &alice.session, &[("id", &bob_id)])
        .await;
    assert_eq!(asked.status(), 200);
    assert!(
        asked
            .text()
            .await
            .unwrap()
            .contains(r#"id="owner-confirmation""#)
    );
    assert_eq!(
        feed_status(&app, &bob, id).await,
        404,
        "asking changes nothing"
    );
    let clash = app
        .post_form(
            &owner,
            &alice.session,
            &[("id", &bob_id), ("confirm", "yes")],
        )
        .await;
    assert_eq!(clash.status(), 409);
    assert!(
        clash
            .text()
            .await
            .unwrap()
            .contains("already has a data source named")
    );
    let gone = app
        .post_form(
            &format!("/app/datasources/{bobs}/delete"),
            &bob.session,
            &[],
        )
        .await;
    assert_eq!(gone.status(), 200);

    let handed = app
        .post_form(
            &owner,
            &alice.session,
            &[("id", &bob_id), ("confirm", "yes")],
        )
        .await;
    assert_eq!(handed.status(), 303);
    // Bob owns it now; Alice keeps reading it, shared with her, and can no longer edit it.
    assert_eq!(
        page(&app, &bob, &format!("/app/datasources/{id}/edit"))
            .await
            .0,
        200
    );
    assert_eq!(
        page(&app, &alice, &format!("/app/datasources/{id}/edit"))
            .await
            .0,
        404
    );
    let (_, show) = page(&app, &alice, &format!("/app/datasources/{id}")).await;
    assert!(
        show.contains("Bob Brown shares this data source with you"),
        "{show}"
    );
    assert_eq!(
        feed_keys(&app, &alice, id).await,
        keys_of_truth(&app, &alice)
    );
    assert_eq!(feed_keys(&app, &bob, id).await, keys_of_truth(&app, &bob));
    let (_, sharing) = page(&app, &bob, &format!("/app/datasources/{id}/sharing")).await;
    assert!(sharing.contains("Alice Anderson"), "{sharing}");

    // In both histories.
    for who in [&alice, &bob] {
        let (_, history) = page(&app, who, "/app/tokens/history").await;
        assert!(
            history.contains("Data source handed to a new owner"),
            "{history}"
        );
        assert!(history.contains("Delivery → Bob Brown"));
    }
}

#[tokio::test]
async fn a_jira_that_cannot_tell_a_readers_groups_is_an_error_never_a_404_or_the_data() {
    let app = feed_app(50).await;
    let alice = reader(&app, ALPHA, ALICE).await;
    let bob = reader(&app, ALPHA, BOB).await;
    let id = create_data_source(&app, &alice.session, "Delivery", JQL, &["summary"]).await;
    let group_id = data_team(&app);
    let shared = app
        .post_form(
            &format!("/app/datasources/{id}/sharing/add"),
            &alice.session,
            &[("kind", "group"), ("id", &group_id), ("name", "data-team")],
        )
        .await;
    assert_eq!(shared.status(), 200);
    assert_eq!(feed_status(&app, &bob, id).await, 200);

    // Jira's user/groups fails: Bob's feed is a 503 saying so, not a 404 and not the rows;
    // Alice, the owner, needs no group and reads on.
    app.emulator.set_faults(FaultConfig {
        error_5xx_every: Some(1),
        error_status: 500,
        retry_after_secs: 0,
        fault_path_contains: Some("user/groups".to_owned()),
        ..FaultConfig::default()
    });
    let failed = bob
        .get(&app, &format!("/feed/{id}/csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 503);
    assert!(
        failed
            .text()
            .await
            .unwrap()
            .contains("could not check your access")
    );
    assert_eq!(feed_status(&app, &alice, id).await, 200);
    let (status, list) = page(&app, &bob, "/app/datasources").await;
    assert_eq!(status, 200, "the list opens, saying what it cannot show");
    assert!(list.contains("could not check your access"), "{list}");
    assert!(!list.contains(r#"id="shared-sources""#));

    app.emulator.set_faults(FaultConfig::default());
    assert_eq!(feed_status(&app, &bob, id).await, 200);
}
