//! Warnings before things stop working: access tokens in their last 7 days are marked "Expires
//! soon" and announced on every page; a Jira API token that Jira rejected or that has not been
//! validated for 30 days gets a banner with "Validate again"; and a BI tool presenting an expired
//! access token is told so, in each feed format's error shape.

use diesel::prelude::*;
use jira_bi_connector::clock::Clock;
use jira_bi_connector::db::schema::{access_tokens, jira_api_tokens};
use jira_emulator::FaultConfig;
use time::{Duration, OffsetDateTime, Time};

use crate::support::feed::{create_data_source, reader, signed_in};
use crate::support::{Session, TestApp, spawn_app, spawn_app_shifted};

const EXPIRED: &str = "This access token has expired. Create a new one in Jira under Apps → BI Connector → Tokens → Access Token, and enter it in your BI tool as the password.";
const UNKNOWN: &str = "Invalid or expired access token.";

/// An app whose clock stands `before_end` before the instant a token expiring on `last_day`
/// stops working (midnight UTC after it). The clock runs on, but by seconds, not hours.
async fn app_before_expiry(last_day: time::Date, before_end: Duration) -> TestApp {
    let ends = (last_day + Duration::days(1))
        .with_time(Time::MIDNIGHT)
        .assume_utc();
    let offset = (ends - before_end) - Clock::system().now();
    spawn_app_shifted(offset).await
}

async fn set_expiry(app: &TestApp, label: &str, last_day: &str) {
    diesel::update(access_tokens::table.filter(access_tokens::label.eq(label)))
        .set(access_tokens::expires_on.eq(Some(last_day)))
        .execute(&mut app.db())
        .unwrap();
}

async fn page(app: &TestApp, path: &str, session: &Session) -> String {
    let response = app.get_page(path, session).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

fn row_of<'a>(html: &'a str, label: &str) -> &'a str {
    let cell = html
        .find(&format!("<td>{label}</td>"))
        .unwrap_or_else(|| panic!("a row for {label:?}"));
    let start = html[..cell].rfind("<tr>").unwrap();
    let end = cell + html[cell..].find("</tr>").unwrap();
    &html[start..end]
}

#[tokio::test]
async fn a_token_6_days_23_hours_from_expiry_is_marked_and_announced_on_every_page() {
    // Arrange: "Power BI" (from the helper) stops working 6 days 23 hours from the app's now.
    let last_day = Clock::system().now().date() + Duration::days(30);
    let app = app_before_expiry(last_day, Duration::days(6) + Duration::hours(23)).await;
    let alice = reader(&app, 0, 0).await;
    set_expiry(&app, "Power BI", &last_day.to_string()).await;

    // Act
    let tokens = page(&app, "/app/tokens/access", &alice.session).await;
    let sources = page(&app, "/app/datasources", &alice.session).await;

    // Assert: the row is marked with its date; the banner names it and links to the tab.
    let row = row_of(&tokens, "Power BI");
    assert!(row.contains("Expires soon"), "{row}");
    assert!(row.contains(&format!("<td>{last_day}</td>")), "{row}");
    for html in [&tokens, &sources] {
        assert!(
            html.contains(r#"id="expiry-banner""#),
            "the banner is shown"
        );
        assert!(
            html.contains(&format!("Power BI” expires on {last_day} (UTC)")),
            "the banner names the token and its date"
        );
        assert!(html.contains("Go to Access Token"));
    }
}

#[tokio::test]
async fn a_token_7_days_1_hour_from_expiry_is_not_marked_and_revoking_one_clears_the_banner() {
    let last_day = Clock::system().now().date() + Duration::days(30);
    let app = app_before_expiry(last_day, Duration::days(7) + Duration::hours(1)).await;
    let alice = reader(&app, 0, 0).await;
    set_expiry(&app, "Power BI", &last_day.to_string()).await;

    let tokens = page(&app, "/app/tokens/access", &alice.session).await;
    let sources = page(&app, "/app/datasources", &alice.session).await;

    let row = row_of(&tokens, "Power BI");
    assert!(
        !row.contains("Expires soon") && row.contains("Active"),
        "{row}"
    );
    assert!(!tokens.contains("expiry-banner") && !sources.contains("expiry-banner"));

    // A token due tomorrow is announced, and no longer once it is revoked.
    let tomorrow = (Clock::system().now() + Duration::days(23))
        .date()
        .to_string();
    set_expiry(&app, "Power BI", &tomorrow).await;
    assert!(
        page(&app, "/app/datasources", &alice.session)
            .await
            .contains("expiry-banner")
    );
    let id: i64 = access_tokens::table
        .select(access_tokens::id)
        .first(&mut app.db())
        .unwrap();
    let revoked = app
        .post_form(
            &format!("/app/tokens/access/{id}/revoke"),
            &alice.session,
            &[],
        )
        .await;
    assert_eq!(revoked.status(), 200);
    let html = revoked.text().await.unwrap();
    assert!(html.contains("was revoked"));
    assert!(
        !html.contains("expiry-banner"),
        "the revoke's own page agrees"
    );
}

#[tokio::test]
async fn an_expired_token_gets_a_401_saying_so_in_every_feed_format() {
    // Arrange: a data source, and a token whose last day was yesterday.
    let app = spawn_app().await;
    let alice = reader(&app, 0, 0).await;
    let id = create_data_source(&app, &alice.session, "Expiry", "project = ALPHA", &[]).await;
    let yesterday = (Clock::system().now() - Duration::days(1))
        .date()
        .to_string();
    set_expiry(&app, "Power BI", &yesterday).await;
    let unknown = format!(
        "{}{}",
        &alice.access_token[..alice.access_token.len() - 20],
        "A".repeat(20)
    );

    for (format, path) in [
        ("odata", format!("/feed/{id}/odata/Issues")),
        ("csv", format!("/feed/{id}/csv")),
        ("json", format!("/feed/{id}/json")),
    ] {
        // Act
        let get = |token: &str| {
            app.client
                .get(app.url(&path))
                .basic_auth(&alice.email, Some(token))
                .send()
        };
        let expired = get(&alice.access_token).await.unwrap();

        // Assert: 401 with the challenge, in the format's own error shape.
        assert_eq!(expired.status(), 401, "{format}");
        assert!(
            expired.headers().get("www-authenticate").is_some(),
            "{format}"
        );
        let odata_version = expired.headers().get("odata-version").cloned();
        let body = expired.text().await.unwrap();
        let message = if format == "csv" {
            body.trim_end().to_owned()
        } else {
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(json["error"]["code"], "Unauthorized", "{format}");
            json["error"]["message"].as_str().unwrap().to_owned()
        };
        assert_eq!(message, EXPIRED, "{format}");
        assert_eq!(odata_version.is_some(), format == "odata", "{format}");
        let other = get(&unknown).await.unwrap();
        assert_eq!(other.status(), 401, "{format}");
        let other = other.text().await.unwrap();
        assert!(
            other.contains(UNKNOWN) || other.contains("mistyped"),
            "{format}: {other}"
        );
        assert!(
            !other.contains("has expired"),
            "{format}: an unknown token is not told"
        );
    }
}

fn age_jira_token(app: &TestApp, validated: OffsetDateTime, rejected: Option<i64>) {
    diesel::update(jira_api_tokens::table)
        .set((
            jira_api_tokens::validated_at.eq(validated.unix_timestamp()),
            jira_api_tokens::rejected_at.eq(rejected),
        ))
        .execute(&mut app.db())
        .unwrap();
}

#[tokio::test]
async fn a_jira_token_not_validated_for_30_days_gets_a_banner_and_validates_again() {
    // Arrange: the token was last validated 30 days and a minute ago.
    let app = spawn_app().await;
    let alice = signed_in(&app, 0, 0).await;
    let now = Clock::system().now();
    age_jira_token(&app, now - Duration::days(30) - Duration::minutes(1), None);

    // Act
    let sources = page(&app, "/app/datasources", &alice).await;
    let tab = page(&app, "/app/tokens/jira", &alice).await;

    // Assert: a short banner elsewhere, the full one with its button on the tab.
    assert!(sources.contains(r#"id="jira-token-banner""#), "{sources}");
    assert!(sources.contains("has not been validated for 30 days"));
    assert!(
        !tab.contains(r#"id="jira-token-banner""#),
        "not twice on the tab"
    );
    assert!(tab.contains(r#"id="jira-token-revalidate""#));
    assert!(tab.contains(">Validate again</button>"));

    // Act: Validate again checks the stored token with Jira.
    let response = app
        .post_form("/app/tokens/jira/validate", &alice, &[])
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("validated=1"), "{location}");
    let tab = page(&app, "/app/tokens/jira?validated=1", &alice).await;
    let sources = page(&app, "/app/datasources", &alice).await;

    // Assert: validated now, the banners are gone.
    assert!(tab.contains("Jira accepted your saved Jira API token again."));
    assert!(!tab.contains("jira-token-revalidate"));
    assert!(!sources.contains("jira-token-banner"));
    let validated_at: i64 = jira_api_tokens::table
        .select(jira_api_tokens::validated_at)
        .first(&mut app.db())
        .unwrap();
    assert!(
        validated_at >= now.unix_timestamp(),
        "the validation time moved on"
    );
}

#[tokio::test]
async fn a_jira_token_that_jira_rejected_gets_a_banner_until_a_validation_succeeds() {
    let app = spawn_app().await;
    let alice = signed_in(&app, 0, 0).await;
    let now = Clock::system().now();
    age_jira_token(&app, now - Duration::days(1), Some(now.unix_timestamp()));
    let fresh = now - Duration::days(29);

    let sources = page(&app, "/app/datasources", &alice).await;
    let tab = page(&app, "/app/tokens/jira", &alice).await;

    assert!(
        sources.contains("Jira rejected your saved Jira API token"),
        "{sources}"
    );
    assert!(tab.contains("Jira rejected your Jira API token"));
    assert!(tab.contains(">Validate again</button>"));

    // A token validated 29 days ago and never rejected needs nothing.
    age_jira_token(&app, fresh, None);
    let sources = page(&app, "/app/datasources", &alice).await;
    assert!(!sources.contains("jira-token-banner"));
}

#[tokio::test]
async fn validating_again_a_token_jira_now_refuses_marks_it_rejected() {
    let app = spawn_app().await;
    let alice = signed_in(&app, 0, 0).await;
    age_jira_token(&app, Clock::system().now() - Duration::days(40), None);
    // Jira now answers 401 to everything (as to a token revoked in the Atlassian account).
    app.emulator.set_faults(FaultConfig {
        error_5xx_every: Some(1),
        error_status: 401,
        ..FaultConfig::default()
    });

    let response = app
        .post_form("/app/tokens/jira/validate", &alice, &[])
        .await;

    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Validating your saved token again failed."),
        "{html}"
    );
    assert!(
        html.contains("Jira rejected your Jira API token"),
        "now marked rejected"
    );
    let rejected: Option<i64> = jira_api_tokens::table
        .select(jira_api_tokens::rejected_at)
        .first(&mut app.db())
        .unwrap();
    assert!(rejected.is_some());
}
