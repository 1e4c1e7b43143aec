//! Administration against the emulator: the app's own JWT is verified by Jira (signature, iss,
//! qsh of the request received, exp), the admin page is for Jira administrators only whatever
//! the request says, and "who may use the app" blocks pages and feeds of everyone else and lifts
//! cleanly.

use jira_emulator::qsh;
use jira_emulator::signing::sign_shared;
use serde_json::json;

use crate::support::feed::{access_token, signed_in};
use crate::support::{Session, TestApp, spawn_app};

const ALICE: usize = 0; // the alpha site's Jira administrator
const BOB: usize = 1; // in jira-users, bi-viewers and data-team

fn now() -> i64 {
    jira_bi_connector::clock::Clock::system()
        .now()
        .unix_timestamp()
}

/// An app JWT for `GET path?query` on site 0, with claims adjusted by `spoil`.
fn app_jwt(
    app: &TestApp,
    path: &str,
    query: &str,
    spoil: impl Fn(&mut serde_json::Value),
) -> String {
    let secret = app.emulator.shared_secret(0).expect("installed");
    let params = qsh::parse_query(query);
    let mut claims = json!({
        "iss": "jira-bi-connector",
        "iat": now(),
        "exp": now() + 180,
        "qsh": qsh::hash("GET", path, "", &params),
        "aud": [app.emulator.sites()[0].client_key],
    });
    spoil(&mut claims);
    sign_shared(&secret, &claims).unwrap()
}

#[tokio::test]
async fn jira_accepts_the_apps_own_jwt_only_when_signature_iss_qsh_and_exp_hold() {
    let app = spawn_app().await;
    let site = &app.emulator.sites()[0];
    let alice = &site.users[ALICE].account_id;
    let bob = &site.users[BOB].account_id;
    let path = "/rest/api/3/user/groups";
    let query = format!("accountId={alice}");
    let call = |token: String| {
        let url = format!("{}{path}?{query}", site.base_url);
        async move {
            reqwest::Client::new()
                .get(url)
                .header("Authorization", format!("JWT {token}"))
                .send()
                .await
                .unwrap()
        }
    };

    let valid = call(app_jwt(&app, path, &query, |_| {})).await;
    assert_eq!(valid.status(), 200);
    let groups: Vec<serde_json::Value> = valid.json().await.unwrap();
    let names: Vec<&str> = groups.iter().filter_map(|g| g["name"].as_str()).collect();
    assert!(names.contains(&"jira-administrators"), "{names:?}");

    let bob_query = format!("accountId={bob}");
    let refused = [
        (
            "qsh of another query",
            app_jwt(&app, path, &bob_query, |_| {}),
        ),
        (
            "qsh of another path",
            app_jwt(&app, "/rest/api/3/user", &query, |_| {}),
        ),
        (
            "expired",
            app_jwt(&app, path, &query, |c| {
                c["iat"] = json!(now() - 600);
                c["exp"] = json!(now() - 300);
            }),
        ),
        (
            "another app",
            app_jwt(&app, path, &query, |c| c["iss"] = json!("someone-else")),
        ),
        (
            "no qsh",
            app_jwt(&app, path, &query, |c| {
                c.as_object_mut().unwrap().remove("qsh");
            }),
        ),
        (
            "wrong secret",
            sign_shared(
                "not-the-secret",
                &json!({
                    "iss": "jira-bi-connector", "iat": now(), "exp": now() + 180,
                    "qsh": qsh::hash("GET", path, "", &qsh::parse_query(&query)),
                }),
            )
            .unwrap(),
        ),
    ];
    for (why, token) in refused {
        let response = call(token).await;
        assert_eq!(response.status(), 401, "{why}");
    }
}

/// Signs in `user` and returns the session (no Jira API token saved).
async fn session(app: &TestApp, user: usize) -> Session {
    app.sign_in(0, user).await
}

#[tokio::test]
async fn a_non_admin_gets_403_on_the_admin_page_even_with_a_forged_query() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let admin = client
        .get(app.emulator.admin_page_url(0, ALICE, &[]).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 303);
    let location = admin.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.contains("/app/admin/access?session="),
        "{location}"
    );

    let forged = app
        .emulator
        .admin_page_url(0, BOB, &[("user_is_admin", "true"), ("admin", "1")])
        .unwrap();
    let refused = client.get(forged).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Only Jira administrators")
    );

    let bob = session(&app, BOB).await;
    for path in [
        "/app/admin/access",
        "/app/admin/access?user_is_admin=true",
        "/app/admin/history/tokens",
    ] {
        assert_eq!(app.get_page(path, &bob).await.status(), 403, "{path}");
    }
    let post = app
        .post_form("/app/admin/access/mode", &bob, &[("mode", "chosen")])
        .await;
    assert_eq!(post.status(), 403);

    // Made an administrator in Jira, Bob is let in on his next request; and out again.
    app.emulator.set_admin(0, BOB, true).unwrap();
    assert_eq!(app.get_page("/app/admin/access", &bob).await.status(), 200);
    app.emulator.set_admin(0, BOB, false).unwrap();
    assert_eq!(app.get_page("/app/admin/access", &bob).await.status(), 403);
}

fn input_after(html: &str, marker: &str, name: &str) -> String {
    let from = html.find(marker).expect("marker on the page");
    let needle = format!("name=\"{name}\" value=\"");
    let start = html[from..].find(&needle).expect("input") + from + needle.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn restricting_to_a_group_blocks_pages_and_feeds_and_lifts_cleanly() {
    let app = spawn_app().await;
    let alice = session(&app, ALICE).await;
    let bob = signed_in(&app, 0, BOB).await;
    let token = access_token(&app, &bob).await;
    let whoami = || {
        reqwest::Client::new()
            .get(app.url("/feed/whoami"))
            .basic_auth("bob", Some(&token))
            .send()
    };
    assert_eq!(whoami().await.unwrap().status(), 200);

    // Nobody chosen yet: restricting is refused next to the choice.
    let refused = app
        .post_form("/app/admin/access/mode", &alice, &[("mode", "chosen")])
        .await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Add at least one group or person")
    );

    // Alice finds data-team with Jira's picker and adds it, then restricts the app to it.
    let found = app
        .get_page("/app/admin/access?find_group=data", &alice)
        .await
        .text()
        .await
        .unwrap();
    let group_id = input_after(&found, "group-results", "id");
    let (expected_id, _) = app
        .emulator
        .groups(0)
        .unwrap()
        .into_iter()
        .find(|(_, name)| name == "data-team")
        .unwrap();
    assert_eq!(group_id, expected_id);
    let added = app
        .post_form(
            "/app/admin/access/add",
            &alice,
            &[("kind", "group"), ("id", &group_id), ("name", "data-team")],
        )
        .await;
    assert_eq!(added.status(), 200);
    // A forged group id is checked with Jira and refused.
    let forged = app
        .post_form(
            "/app/admin/access/add",
            &alice,
            &[
                ("kind", "group"),
                ("id", "not-a-group"),
                ("name", "data-team"),
            ],
        )
        .await;
    assert_eq!(forged.status(), 422);
    let saved = app
        .post_form("/app/admin/access/mode", &alice, &[("mode", "chosen")])
        .await;
    assert_eq!(saved.status(), 200);

    // Bob is in data-team: nothing changes for him.
    assert_eq!(app.get_page("/app/datasources", &bob).await.status(), 200);
    assert_eq!(whoami().await.unwrap().status(), 200);

    // Out of the group in Jira: blocked on the next request, pages and feeds.
    app.emulator.remove_from_group(0, BOB, "data-team").unwrap();
    let page = app.get_page("/app/datasources", &bob).await;
    assert_eq!(page.status(), 403);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Ask your Jira administrator")
    );
    let feed = whoami().await.unwrap();
    assert_eq!(feed.status(), 401);
    assert!(
        feed.text()
            .await
            .unwrap()
            .contains("Ask your Jira administrator")
    );
    // Alice, an administrator outside the list, still uses the app.
    assert_eq!(app.get_page("/app/datasources", &alice).await.status(), 200);

    // Back in the group: the same token works again (it was never deleted).
    app.emulator.add_to_group(0, BOB, "data-team").unwrap();
    assert_eq!(whoami().await.unwrap().status(), 200);
    // Everyone again: Bob, out of the group, is let in.
    app.emulator.remove_from_group(0, BOB, "data-team").unwrap();
    let lifted = app
        .post_form("/app/admin/access/mode", &alice, &[("mode", "everyone")])
        .await;
    assert_eq!(lifted.status(), 200);
    assert_eq!(whoami().await.unwrap().status(), 200);
    assert_eq!(app.get_page("/app/datasources", &bob).await.status(), 200);

    // Every change is in the tokens history, by Alice.
    let history = app
        .get_page("/app/admin/history/tokens", &alice)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        history.matches("Who may use BI Connector changed").count(),
        3,
        "{history}"
    );
}
