//! The admin page's Tokens history and Data sources history: a Jira administrator sees every
//! user's events of their site (who acted, whose object, when, from where), narrows them by user
//! and date, downloads exactly what the filter selects as CSV, and revokes any user's access
//! token, which the owner then sees in their own History. Non-administrators get 403 on every
//! route, and no route reaches another site.

use diesel::prelude::*;
use jira_bi_connector::db::schema::access_tokens;

use crate::support::feed::{
    access_token, create_data_source, labelled_access_token, reader, signed_in,
};
use crate::support::{Session, TestApp, spawn_app};

const TOKENS: &str = "/app/admin/history/tokens";
const DATA_SOURCES: &str = "/app/admin/history/data-sources";

/// Site 0's Jira administrator in the emulator, and two users who are not.
const ADMIN: (usize, usize) = (0, 0);
const BOB: (usize, usize) = (0, 1);

fn account(app: &TestApp, (site, user): (usize, usize)) -> String {
    app.emulator.sites()[site].users[user].account_id.clone()
}

async fn page(app: &TestApp, session: &Session, path: &str) -> (u16, String) {
    let response = app.get_page(path, session).await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The history table's rows as (action, cells), cells stripped of their tags' attributes; a
/// person's cell (their name over their account id) reads as the account id, which the trail
/// records.
fn history_rows(html: &str) -> Vec<(String, Vec<String>)> {
    let Some(table) = html.find(r#"id="history-table""#) else {
        return Vec::new();
    };
    let body = &html[table..];
    let body = &body[body.find("<tbody>").unwrap()..body.find("</tbody>").unwrap()];
    body.split(r#"<tr data-action=""#)
        .skip(1)
        .map(|row| {
            let action = row.split('"').next().unwrap().to_owned();
            let cells = row
                .split("<td")
                .skip(1)
                .map(|cell| {
                    let inner = &cell[cell.find('>').unwrap() + 1..];
                    let inner = inner.split("</td>").next().unwrap();
                    match inner.split_once(r#"class="mono account-id">"#) {
                        Some((_, id)) => id.split("</span>").next().unwrap().to_owned(),
                        None => inner.to_owned(),
                    }
                })
                .collect();
            (action, cells)
        })
        .collect()
}

#[tokio::test]
async fn an_admin_sees_every_users_events_and_narrows_them_by_user_and_date() {
    let app = spawn_app().await;
    let admin = signed_in(&app, ADMIN.0, ADMIN.1).await;
    let bob = signed_in(&app, BOB.0, BOB.1).await;
    access_token(&app, &bob).await;
    create_data_source(&app, &bob, "Bob's board", "project = ALPHA", &[]).await;
    let carol = signed_in(&app, 1, 0).await;
    access_token(&app, &carol).await;
    let bob_id = account(&app, BOB);

    let (status, html) = page(&app, &admin, TOKENS).await;

    assert_eq!(status, 200, "{html}");
    let rows = history_rows(&html);
    let bobs: Vec<&(String, Vec<String>)> = rows.iter().filter(|(_, c)| c[4] == bob_id).collect();
    let actions: Vec<&str> = bobs.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, ["access_token.created", "jira_api_token.saved"]);
    assert_eq!(bobs[0].1[2], "Power BI");
    assert_eq!(bobs[0].1[3], bob_id, "Bob acted on his own token");
    assert_eq!(bobs[0].1[5], "127.0.0.1");
    assert!(
        html.contains("Bob Brown<br>"),
        "people are named as Jira names them now"
    );
    assert!(
        rows.iter().all(|(a, _)| !a.starts_with("data_source.")),
        "data sources have their own tab"
    );
    let other_site = account(&app, (1, 0));
    assert!(
        !html.contains(&other_site),
        "another site's user never appears"
    );
    assert!(
        html.contains(r#"id="site-tokens-table""#),
        "the site's tokens are listed"
    );

    let (_, mine) = page(&app, &admin, &format!("{TOKENS}?user={bob_id}")).await;
    let only_bob = history_rows(&mine);
    assert_eq!(only_bob.len(), 2);
    assert!(only_bob.iter().all(|(_, cells)| cells[4] == bob_id));

    // Jira cannot name people now: the same rows, with their account ids only.
    app.emulator.set_faults(jira_emulator::FaultConfig {
        error_5xx_every: Some(1),
        error_status: 500,
        retry_after_secs: 0,
        fault_path_contains: Some("user/bulk".to_owned()),
        ..jira_emulator::FaultConfig::default()
    });
    let (status, unnamed) = page(&app, &admin, &format!("{TOKENS}?user={bob_id}")).await;
    app.emulator
        .set_faults(jira_emulator::FaultConfig::default());
    assert_eq!(status, 200);
    assert_eq!(history_rows(&unnamed), only_bob.clone());
    assert!(!unnamed.contains("Bob Brown<br>"));

    let (_, tomorrow) = page(&app, &admin, &format!("{TOKENS}?from=2999-01-01")).await;
    assert!(history_rows(&tomorrow).is_empty());
    let (status, bad) = page(
        &app,
        &admin,
        &format!("{TOKENS}?from=31.12.2026&user=%3Cx%3E"),
    )
    .await;
    assert_eq!(
        status, 200,
        "a filter that cannot be used is shown, not a failure"
    );
    assert!(bad.contains(r#"id="filter-from-error""#), "{bad}");
    assert!(bad.contains(r#"id="filter-user-error""#));
    assert!(history_rows(&bad).is_empty());

    let (status, ds) = page(&app, &admin, DATA_SOURCES).await;
    assert_eq!(status, 200);
    let ds_rows = history_rows(&ds);
    assert_eq!(ds_rows.len(), 1, "{ds_rows:?}");
    assert_eq!(ds_rows[0].0, "data_source.created");
    assert!(ds_rows[0].1[2].contains("Bob"));
    drop(carol);
}

#[tokio::test]
async fn the_csv_download_holds_exactly_what_the_filter_selects() {
    let app = spawn_app().await;
    let admin = signed_in(&app, ADMIN.0, ADMIN.1).await;
    let bob = signed_in(&app, BOB.0, BOB.1).await;
    for label in ["Power BI", "Excel", "Tableau"] {
        labelled_access_token(&app, &bob, label).await;
    }
    let bob_id = account(&app, BOB);
    let (_, html) = page(&app, &admin, &format!("{TOKENS}?user={bob_id}")).await;
    let on_screen = history_rows(&html);

    let response = app
        .get_page(&format!("{TOKENS}.csv?user={bob_id}"), &admin)
        .await;

    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"tokens-history-"),
        "{disposition}"
    );
    let body = response.text().await.unwrap();
    let lines: Vec<&str> = body
        .trim_start_matches('\u{feff}')
        .trim_end()
        .split("\r\n")
        .collect();
    assert_eq!(
        lines[0],
        "Time (UTC),Event,Name,By,By account id,User,User account id,IP address,Action"
    );
    assert_eq!(lines.len() - 1, on_screen.len(), "{body}");
    for (line, (action, cells)) in lines[1..].iter().zip(&on_screen) {
        assert!(
            line.ends_with(&format!(",Bob Brown,{bob_id},127.0.0.1,{action}")),
            "{line}"
        );
        assert!(line.starts_with(&cells[0]));
    }
    let bad = app
        .get_page(&format!("{TOKENS}.csv?to=never"), &admin)
        .await;
    assert_eq!(
        bad.status(),
        400,
        "an unusable filter is refused, never widened"
    );
}

#[tokio::test]
async fn an_admin_revokes_a_users_token_and_the_owner_sees_who_did() {
    let app = spawn_app().await;
    let admin = signed_in(&app, ADMIN.0, ADMIN.1).await;
    let bob = reader(&app, BOB.0, BOB.1).await;
    assert_eq!(
        bob.get(&app, "/feed/whoami").send().await.unwrap().status(),
        200
    );
    let id: i64 = access_tokens::table
        .select(access_tokens::id)
        .first(&mut app.db())
        .unwrap();

    let (status, confirm) = page(&app, &admin, &format!("/app/admin/tokens/{id}/revoke")).await;
    assert_eq!(status, 200);
    assert!(confirm.contains("Power BI") && confirm.contains(&account(&app, BOB)));
    assert!(!confirm.contains(&bob.access_token), "never the secret");
    let revoked = app
        .post_form(&format!("/app/admin/tokens/{id}/revoke"), &admin, &[])
        .await;

    assert_eq!(revoked.status(), 200);
    assert_eq!(
        bob.get(&app, "/feed/whoami").send().await.unwrap().status(),
        401
    );
    let (_, history) = page(&app, &bob.session, "/app/tokens/history").await;
    assert!(
        history.contains("Access token revoked by a Jira administrator"),
        "{history}"
    );
    assert!(
        history.contains(&account(&app, ADMIN)) && history.contains("Alice Anderson<br>"),
        "the owner sees who revoked it, by name: {history}"
    );
    let (_, admin_view) = page(&app, &admin, TOKENS).await;
    let rows = history_rows(&admin_view);
    assert_eq!(rows[0].0, "access_token.revoked_by_admin");
    assert_eq!(
        (rows[0].1[3].as_str(), rows[0].1[4].as_str()),
        (account(&app, ADMIN).as_str(), account(&app, BOB).as_str())
    );
    let again = app
        .post_form(&format!("/app/admin/tokens/{id}/revoke"), &admin, &[])
        .await;
    assert_eq!(again.status(), 404);
}

#[tokio::test]
async fn an_admin_cannot_touch_another_sites_tokens() {
    let app = spawn_app().await;
    let admin = signed_in(&app, ADMIN.0, ADMIN.1).await;
    let elsewhere = reader(&app, 1, 0).await;
    let id: i64 = access_tokens::table
        .select(access_tokens::id)
        .first(&mut app.db())
        .unwrap();

    let (status, _) = page(&app, &admin, &format!("/app/admin/tokens/{id}/revoke")).await;
    let posted = app
        .post_form(&format!("/app/admin/tokens/{id}/revoke"), &admin, &[])
        .await;

    assert_eq!(status, 404);
    assert_eq!(posted.status(), 404);
    let still = elsewhere.get(&app, "/feed/whoami").send().await.unwrap();
    assert_eq!(still.status(), 200, "the other site's token still works");
}

#[tokio::test]
async fn a_user_who_is_not_an_admin_gets_403_on_every_admin_history_route() {
    let app = spawn_app().await;
    let bob = signed_in(&app, BOB.0, BOB.1).await;
    access_token(&app, &bob).await;
    let id: i64 = access_tokens::table
        .select(access_tokens::id)
        .first(&mut app.db())
        .unwrap();

    for path in [
        TOKENS.to_owned(),
        format!("{TOKENS}.csv"),
        DATA_SOURCES.to_owned(),
        format!("{DATA_SOURCES}.csv"),
        format!("/app/admin/tokens/{id}/revoke"),
        format!("{TOKENS}?user_is_admin=true"),
    ] {
        let (status, html) = page(&app, &bob, &path).await;
        assert_eq!(status, 403, "{path}");
        assert!(
            !html.contains("Power BI"),
            "{path} shows nothing of the site"
        );
    }
    let posted = app
        .post_form(&format!("/app/admin/tokens/{id}/revoke"), &bob, &[])
        .await;
    assert_eq!(posted.status(), 403);
    assert_eq!(
        access_tokens::table
            .count()
            .get_result::<i64>(&mut app.db())
            .unwrap(),
        1
    );
}
