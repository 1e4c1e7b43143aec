//! Tokens → History: a user sees their own token events and the changes to their data sources,
//! newest first, with time, name and IP as recorded, 50 a page; never another user's events, nor
//! another site's.

use diesel::prelude::*;
use jira_bi_connector::clock::Clock;
use jira_bi_connector::db::schema::{access_tokens, audit_events};
use time::Duration;

use crate::support::feed::{access_token, create_data_source, signed_in};
use crate::support::{Session, TestApp, spawn_app};

const HISTORY: &str = "/app/tokens/history";

async fn history(app: &TestApp, session: &Session, query: &str) -> String {
    let response = app.get_page(&format!("{HISTORY}{query}"), session).await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// The history table's rows as (action, cells).
fn rows(html: &str) -> Vec<(String, Vec<String>)> {
    let Some(start) = html.find("<tbody>") else {
        return Vec::new();
    };
    let body = &html[start..html[start..].find("</tbody>").unwrap() + start];
    body.split(r#"<tr data-action=""#)
        .skip(1)
        .map(|row| {
            let action = row.split('"').next().unwrap().to_owned();
            let cells = row
                .split("<td>")
                .skip(1)
                .map(|cell| cell.split("</td>").next().unwrap().to_owned())
                .collect();
            (action, cells)
        })
        .collect()
}

#[tokio::test]
async fn a_user_sees_their_own_token_and_data_source_events_newest_first() {
    // Arrange: Alice saves her Jira token, creates an access token and a data source and
    // deletes it; Bob (same site) and Carol (another site) act too.
    let app = spawn_app().await;
    let alice = signed_in(&app, 0, 0).await;
    access_token(&app, &alice).await;
    let id = create_data_source(&app, &alice, "Alice's source", "project = ALPHA", &[]).await;
    let deleted = app
        .post_form(&format!("/app/datasources/{id}/delete"), &alice, &[])
        .await;
    assert!(deleted.status().is_redirection() || deleted.status().is_success());
    let bob = signed_in(&app, 0, 1).await;
    create_data_source(&app, &bob, "Bob's source", "project = ALPHA", &[]).await;
    let carol = signed_in(&app, 1, 0).await;
    create_data_source(&app, &carol, "Carol's source", "project = ALPHA", &[]).await;

    // Act
    let html = history(&app, &alice, "").await;

    // Assert
    let rows = rows(&html);
    let actions: Vec<&str> = rows.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "data_source.deleted",
            "data_source.created",
            "access_token.created",
            "jira_api_token.saved"
        ],
        "newest first (same-second events by insertion)"
    );
    let (_, deleted) = &rows[0];
    assert_eq!(deleted[1], "Data source deleted");
    assert!(deleted[2].contains("Alice"), "{deleted:?}");
    assert_eq!(deleted[3], "You");
    assert_eq!(deleted[4], "127.0.0.1", "the IP as recorded");
    assert!(deleted[0].ends_with(" UTC"), "{deleted:?}");
    assert_eq!(rows[2].1[2], "Power BI");
    assert!(!html.contains("Bob&#39;s source") && !html.contains("Bob's source"));
    assert!(
        !html.contains("Carol"),
        "another site's events never appear"
    );
    assert!(html.contains(r#"aria-current="page">History</a>"#));
    let bobs = rows_of(&app, &bob).await;
    assert_eq!(bobs, ["data_source.created", "jira_api_token.saved"]);
}

async fn rows_of(app: &TestApp, session: &Session) -> Vec<String> {
    rows(&history(app, session, "").await)
        .into_iter()
        .map(|(action, _)| action)
        .collect()
}

#[tokio::test]
async fn the_history_is_paged_50_at_a_time_with_links_between_pages() {
    // Arrange: 120 recorded events of Alice's, one a minute.
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let (tenant_id, account_id) = {
        // The tenant and account as the app recorded them for a first event.
        access_token(&app, &alice).await;
        audit_events::table
            .select((audit_events::tenant_id, audit_events::account_id))
            .first::<(i64, String)>(&mut app.db())
            .unwrap()
    };
    let start = Clock::system().now() - Duration::days(3);
    let events: Vec<_> = (0..119)
        .map(|i| {
            (
                audit_events::tenant_id.eq(tenant_id),
                audit_events::account_id.eq(account_id.clone()),
                audit_events::action.eq("data_source.updated"),
                audit_events::subject.eq(format!("source {i:03}")),
                audit_events::ip.eq(Some("192.0.2.9")),
                audit_events::created_at.eq((start + Duration::minutes(i)).unix_timestamp()),
            )
        })
        .collect();
    diesel::insert_into(audit_events::table)
        .values(&events)
        .execute(&mut app.db())
        .unwrap();

    // Act
    let first = history(&app, &alice, "").await;
    let third = history(&app, &alice, "?page=3").await;
    let beyond = history(&app, &alice, "?page=999").await;

    // Assert
    assert_eq!(rows(&first).len(), 50);
    assert_eq!(
        rows(&first)[0].0,
        "access_token.created",
        "the newest first"
    );
    assert_eq!(rows(&first)[1].1[2], "source 118");
    assert!(first.contains("Page 1 of 3"));
    assert!(first.contains(r#"rel="next""#) && !first.contains(r#"rel="prev""#));
    assert!(first.contains("120 events."));
    let third_rows = rows(&third);
    assert_eq!(third_rows.len(), 20);
    assert_eq!(third_rows.last().unwrap().1[2], "source 000");
    assert!(third.contains(r#"rel="prev""#) && !third.contains(r#"rel="next""#));
    assert_eq!(
        rows(&beyond),
        third_rows,
        "past the end shows the last page"
    );
}

#[tokio::test]
async fn an_expired_token_appears_as_expired_at_the_midnight_it_stopped() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    access_token(&app, &alice).await;
    let last_day = (Clock::system().now() - Duration::days(2)).date();
    diesel::update(access_tokens::table)
        .set(access_tokens::expires_on.eq(Some(last_day.to_string())))
        .execute(&mut app.db())
        .unwrap();

    let rows = rows(&history(&app, &alice, "").await);

    let expired = rows
        .iter()
        .find(|(action, _)| action == "access_token.expired")
        .expect("an expired entry");
    let day_after = last_day + Duration::days(1);
    assert_eq!(expired.1[0], format!("{day_after} 00:00 UTC"));
    assert_eq!(expired.1[1], "Access token expired");
    assert_eq!(expired.1[2], "Power BI");
    assert_eq!(expired.1[3], "—", "nobody acted");
    assert_eq!(expired.1[4], "—");
    assert_eq!(rows[0].0, "access_token.created", "created today, so newer");
}

#[tokio::test]
async fn a_user_with_no_events_sees_an_empty_history() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let html = history(&app, &alice, "?page=abc").await;
    assert!(html.contains(r#"id="history-empty""#));
    assert!(rows(&html).is_empty());
}
