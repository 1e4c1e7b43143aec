//! The Access Token tab and BI client authentication: create (shown once), list, revoke, the
//! 25-token limit, bad input, and tokens used as the password against `/feed/whoami`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use diesel::prelude::*;
use jira_bi_connector::clock::Clock;
use jira_bi_connector::crypto::MasterKey;
use jira_bi_connector::db::schema::{access_tokens, audit_events, tenants};
use jira_bi_connector::pages::session_token;
use jira_bi_connector::state::SESSION_KEY_PURPOSE;
use jira_bi_connector::tokens::domain::NewAccessToken;
use time::Duration;

use crate::support::{Session, TestApp, spawn_app};

const TAB: &str = "/app/tokens/access";
const CHALLENGE: &str = r#"Basic realm="BI Connector for Jira", charset="UTF-8""#;
const INVALID: &str = "Invalid or expired access token.\n";

// ---------------------------------------------------------------------------------------------
// Helpers that read like the product: open the tab, fill in the form, use the token.

/// The one-time id of the create form on the tab as `session` sees it now.
async fn fresh_form_id(app: &TestApp, session: &Session) -> String {
    let html = app.get_page(TAB, session).await.text().await.unwrap();
    form_id_in(&html)
}

fn form_id_in(html: &str) -> String {
    let start = html
        .find(r#"name="form_id" value=""#)
        .expect("the page has a create form")
        + r#"name="form_id" value=""#.len();
    html[start..]
        .split('"')
        .next()
        .expect("the form id ends")
        .to_owned()
}

/// Fills in and submits the create form as a user would.
async fn create_token(
    app: &TestApp,
    session: &Session,
    label: &str,
    expires_on: &str,
) -> reqwest::Response {
    let form_id = fresh_form_id(app, session).await;
    app.post_form(
        TAB,
        session,
        &[
            ("form_id", &form_id),
            ("label", label),
            ("expires_on", expires_on),
        ],
    )
    .await
}

/// The token shown on the page, if any: `jbc_` followed by 61 letters and digits.
fn token_in(html: &str) -> Option<String> {
    html.match_indices("jbc_").find_map(|(start, _)| {
        let candidate = html.get(start..start + 65)?;
        candidate[4..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
            .then(|| candidate.to_owned())
    })
}

/// Creates a token and returns it as shown once on the page.
async fn new_token(app: &TestApp, session: &Session, label: &str, expires_on: &str) -> String {
    let response = create_token(app, session, label, expires_on).await;
    assert_eq!(response.status(), 201, "token {label:?} is created");
    token_in(&response.text().await.unwrap()).expect("the new token is shown")
}

/// The table row (`<tr>…</tr>`) that shows `label`.
fn row_of<'a>(html: &'a str, label: &str) -> &'a str {
    let cell = html
        .find(&format!("<td>{label}</td>"))
        .unwrap_or_else(|| panic!("a row for {label:?}"));
    let start = html[..cell].rfind("<tr>").expect("the row starts");
    let end = cell + html[cell..].find("</tr>").expect("the row ends");
    &html[start..end]
}

/// `text` as HTML-escaped by the templates (either entity style counts).
fn contains_escaped(html: &str, text: &str) -> bool {
    let numeric = text
        .replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;");
    let named = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;");
    html.contains(&numeric) || html.contains(&named)
}

fn basic(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{username}:{password}"))
    )
}

async fn whoami(app: &TestApp, authorization: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url("/feed/whoami"));
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    request.send().await.unwrap()
}

fn token_count(app: &TestApp) -> i64 {
    access_tokens::table
        .count()
        .get_result(&mut app.db())
        .unwrap()
}

fn row_id(app: &TestApp, label: &str) -> i64 {
    access_tokens::table
        .filter(access_tokens::label.eq(label))
        .select(access_tokens::id)
        .first(&mut app.db())
        .unwrap()
}

fn today_utc() -> String {
    Clock::system().now().date().to_string()
}

async fn assert_rejected_without_a_hint(response: reqwest::Response, case: &str) {
    assert_eq!(response.status(), 401, "{case}");
    assert_eq!(
        response.headers()["www-authenticate"].to_str().unwrap(),
        CHALLENGE,
        "{case}"
    );
    let body = response.text().await.unwrap();
    assert_eq!(body.lines().count(), 1, "{case}: one line: {body:?}");
}

// ---------------------------------------------------------------------------------------------
// The tab.

#[tokio::test]
async fn the_tab_explains_tokens_and_offers_a_labelled_create_form() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;

    let response = app.get_page(TAB, &alice).await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    for tool in [
        "Power BI",
        "Excel",
        "Tableau",
        "Looker Studio",
        "Google Sheets",
    ] {
        assert!(html.contains(tool), "mentions {tool}");
    }
    assert!(html.contains("Keep your tokens secret"));
    assert!(html.contains(r#"aria-current="page">Access Token</a>"#));
    assert!(html.contains("No access tokens yet"));
    assert!(html.contains(r#"<label for="token-label">Label"#));
    assert!(html.contains("Select a label that is short, memorable, and easy to remember."));
    assert!(html.contains(r#"<label for="token-expiry">Expiry date (UTC)</label>"#));
    assert!(html.contains(r#"type="date""#));
    assert!(html.contains(&format!(r#"min="{}""#, today_utc())));
    assert!(html.contains(r#"action="/app/tokens/access?session="#));
    assert_eq!(form_id_in(&html).len(), 22);
}

#[tokio::test]
async fn a_new_token_is_shown_once_with_copy_and_a_warning_and_then_listed_without_it() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;

    // Act
    let response = create_token(&app, &alice, "  Power BI laptop ", "").await;

    // Assert
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    let token = token_in(&html).expect("the token is shown");
    assert!(html.contains("You won't be able to see this token again."));
    assert!(html.contains(r#"id="new-token-value">"#));
    assert!(html.contains(r#"data-copy-target="new-token-value""#));
    assert!(html.contains(r#"data-copy-status="new-token-copied""#));
    assert!(html.contains("Your new access token “Power BI laptop”"));

    let list = app.get_page(TAB, &alice).await.text().await.unwrap();
    assert!(!list.contains(&token), "the token is never shown again");
    assert!(token_in(&list).is_none());
    let row = row_of(&list, "Power BI laptop");
    assert!(row.contains("<td>Never</td>"), "{row}");
    assert!(
        row.contains(&format!("<td>{} ", today_utc())),
        "created today (UTC): {row}"
    );
    assert!(row.contains("Active"), "{row}");
    assert!(row.contains("Not used yet"), "{row}");
    assert!(list.contains("1 of 25 tokens."));
}

#[tokio::test]
async fn the_database_file_never_holds_the_plaintext_token() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let token = new_token(&app, &alice, "Excel", "").await;

    let mut stored = std::fs::read(&app.db_path).unwrap();
    let wal = app.db_path.with_file_name(format!(
        "{}-wal",
        app.db_path.file_name().unwrap().to_string_lossy()
    ));
    stored.extend(std::fs::read(wal).unwrap_or_default());

    let secret_part = &token[16..59];
    for needle in [token.as_str(), secret_part] {
        assert!(
            !stored
                .windows(needle.len())
                .any(|window| window == needle.as_bytes()),
            "the database holds {} bytes of plaintext",
            needle.len()
        );
    }
}

#[tokio::test]
async fn tokens_are_listed_newest_first_and_only_to_their_owner() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let bob = app.sign_in(0, 1).await;
    let carol = app.sign_in(1, 0).await;
    new_token(&app, &alice, "first", "").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    new_token(&app, &alice, "second", "").await;

    let alices = app.get_page(TAB, &alice).await.text().await.unwrap();
    let bobs = app.get_page(TAB, &bob).await.text().await.unwrap();
    let carols = app.get_page(TAB, &carol).await.text().await.unwrap();

    let second = alices.find("<td>second</td>").unwrap();
    let first = alices.find("<td>first</td>").unwrap();
    assert!(second < first, "newest first");
    for other in [bobs, carols] {
        assert!(!other.contains("<td>first</td>"));
        assert!(other.contains("No access tokens yet"));
    }
}

// ---------------------------------------------------------------------------------------------
// Bad input on the create form.

#[tokio::test]
async fn bad_labels_are_refused_next_to_the_field_keeping_what_was_typed() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let long = "x".repeat(10_000);

    for (case, label, reason) in [
        ("empty", "", "Enter a label"),
        ("blank", "   ", "Enter a label"),
        (
            "10,000 characters",
            long.as_str(),
            "The label must be at most 100 characters",
        ),
        (
            "line break",
            "two\nlines",
            "must not contain control characters",
        ),
    ] {
        let response = create_token(&app, &alice, label, "").await;

        assert_eq!(response.status(), 422, "{case}");
        let html = response.text().await.unwrap();
        assert!(html.contains(reason), "{case}");
        assert!(
            html.contains(r#"aria-describedby="token-label-error token-label-help""#),
            "{case}: the error is announced with the field"
        );
        assert!(html.contains(r#"aria-invalid="true""#), "{case}");
        if case == "10,000 characters" {
            assert!(html.contains(&format!(r#"value="{long}""#)), "{case}: kept");
        }
        assert!(token_in(&html).is_none(), "{case}");
    }
    assert_eq!(token_count(&app), 0);
}

#[tokio::test]
async fn a_label_with_html_is_stored_verbatim_and_rendered_escaped() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let label = r#"<script>alert("x")</script><img src=x onerror=alert(1)>"#;

    let created = create_token(&app, &alice, label, "")
        .await
        .text()
        .await
        .unwrap();
    let list = app.get_page(TAB, &alice).await.text().await.unwrap();

    for html in [&created, &list] {
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<img src=x"));
        assert!(contains_escaped(html, label));
    }
    let stored: String = access_tokens::table
        .select(access_tokens::label)
        .first(&mut app.db())
        .unwrap();
    assert_eq!(stored, label);
}

#[tokio::test]
async fn a_label_that_differs_only_in_case_is_refused() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    new_token(&app, &alice, "Tableau", "").await;

    let response = create_token(&app, &alice, "TABLEAU", "").await;

    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("You already have a token with this label"));
    assert!(html.contains(r#"value="TABLEAU""#));
    assert_eq!(token_count(&app), 1);
}

#[tokio::test]
async fn non_utf8_bytes_are_a_clear_400_and_create_nothing() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let form_id = fresh_form_id(&app, &alice).await;
    let url = app.url(&format!("{TAB}?session={}", alice.token));

    for body in [
        format!("form_id={form_id}&label=caf%E9").into_bytes(),
        [
            format!("form_id={form_id}&label=raw").as_bytes(),
            &[0xff, 0xfe],
        ]
        .concat(),
        format!("form_id={form_id}&label=ok&expires_on=%C3%28").into_bytes(),
    ] {
        let response = app
            .client
            .post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), 400, "{body:?}");
        let html = response.text().await.unwrap();
        assert!(html.contains("could not be read"), "{body:?}");
        assert!(html.contains(r#"class="field__error""#), "{body:?}");
    }
    assert_eq!(token_count(&app), 0);
}

#[tokio::test]
async fn expiry_dates_in_the_past_or_malformed_are_refused_keeping_the_value() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let yesterday = (Clock::system().now().date() - Duration::days(1)).to_string();

    for (value, reason) in [
        (yesterday.as_str(), "The expiry date must be today or later"),
        ("2001-01-01", "The expiry date must be today or later"),
        ("tomorrow", "Enter the expiry date as YYYY-MM-DD"),
        ("2030/01/31", "Enter the expiry date as YYYY-MM-DD"),
        ("2030-02-30", "That date does not exist"),
        ("2030-13-01", "That date does not exist"),
    ] {
        let response = create_token(&app, &alice, "Looker Studio", value).await;

        assert_eq!(response.status(), 422, "{value}");
        let html = response.text().await.unwrap();
        assert!(html.contains(reason), "{value}");
        assert!(html.contains(&format!(r#"value="{value}""#)), "{value}");
        assert!(html.contains(r#"value="Looker Studio""#), "{value}");
        assert!(html.contains(r#"aria-describedby="token-expiry-error token-expiry-help""#));
    }
    assert_eq!(token_count(&app), 0);
}

#[tokio::test]
async fn broken_form_submissions_get_a_readable_answer_not_a_raw_error() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let url = app.url(&format!("{TAB}?session={}", alice.token));
    let huge = format!("label={}", "a".repeat(200 * 1024));

    let cases = [
        (
            "over the size limit",
            app.client
                .post(&url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(huge),
            413,
            "too large",
        ),
        (
            "multipart",
            app.client
                .post(&url)
                .header("Content-Type", "multipart/form-data; boundary=x")
                .body("--x--"),
            415,
            "unexpected format",
        ),
        (
            "no form id",
            app.client
                .post(&url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("label=Excel"),
            400,
            "out of date",
        ),
        (
            "empty body",
            app.client
                .post(&url)
                .header("Content-Type", "application/x-www-form-urlencoded"),
            400,
            "Enter a label",
        ),
    ];
    for (case, request, status, text) in cases {
        let response = request.send().await.unwrap();

        assert_eq!(response.status(), status, "{case}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{case}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains(text), "{case}");
        assert!(
            html.contains(r#"name="form_id""#),
            "{case}: the form is offered again"
        );
    }
    assert_eq!(token_count(&app), 0);
}

#[tokio::test]
async fn a_reload_or_double_submit_of_the_form_does_not_mint_a_second_token() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let form_id = fresh_form_id(&app, &alice).await;
    let form = [("form_id", form_id.as_str()), ("label", "Google Sheets")];

    let first = app.post_form(TAB, &alice, &form).await;
    let again = app.post_form(TAB, &alice, &form).await;

    assert_eq!(first.status(), 201);
    assert_eq!(again.status(), 409);
    let html = again.text().await.unwrap();
    assert!(html.contains("already submitted"));
    assert!(token_in(&html).is_none(), "no token is shown a second time");
    assert_eq!(token_count(&app), 1);
}

// ---------------------------------------------------------------------------------------------
// The 25-token limit.

#[tokio::test]
async fn at_25_tokens_the_create_button_is_disabled_and_a_26th_is_refused() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    for n in 1..=25 {
        new_token(&app, &alice, &format!("token {n}"), "").await;
    }

    let list = app.get_page(TAB, &alice).await.text().await.unwrap();
    let response = create_token(&app, &alice, "token 26", "").await;

    assert!(list.contains(r#"disabled aria-describedby="token-limit-reason">Create</button>"#));
    assert!(list.contains("You have 25 tokens, the maximum."));
    assert!(list.contains("25 of 25 tokens."));
    assert_eq!(response.status(), 409);
    let html = response.text().await.unwrap();
    assert!(html.contains("no token was created"));
    assert!(token_in(&html).is_none());
    assert_eq!(token_count(&app), 25);
}

#[tokio::test]
async fn fifty_concurrent_creates_produce_exactly_25_tokens_and_clear_refusals() {
    // Arrange: 50 filled-in forms, each with its own one-time id.
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let mut form_ids = Vec::new();
    for _ in 0..50 {
        form_ids.push(fresh_form_id(&app, &alice).await);
    }

    // Act
    let responses =
        futures_util::future::join_all(form_ids.iter().enumerate().map(|(n, form_id)| {
            let label = format!("parallel {n}");
            let app = &app;
            let alice = &alice;
            async move {
                let response = app
                    .post_form(TAB, alice, &[("form_id", form_id), ("label", &label)])
                    .await;
                let status = response.status().as_u16();
                (status, response.text().await.unwrap())
            }
        }))
        .await;

    // Assert
    let created = responses.iter().filter(|(s, _)| *s == 201).count();
    let refused: Vec<&String> = responses
        .iter()
        .filter(|(s, _)| *s == 409)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(created, 25);
    assert_eq!(refused.len(), 25, "every other request is a clear refusal");
    assert!(refused.iter().all(|body| body.contains("the maximum")));
    assert!(responses.iter().all(|(_, body)| !body.contains("locked")));
    assert_eq!(token_count(&app), 25);
}

// ---------------------------------------------------------------------------------------------
// Sessions.

fn expired_session(app: &TestApp) -> String {
    let site = &app.emulator.sites()[0];
    let key = MasterKey::load_or_create(app.data_dir.path())
        .unwrap()
        .derive(SESSION_KEY_PURPOSE);
    session_token::sign_session_token(
        &key,
        &site.client_key,
        &site.users[0].account_id,
        Clock::system().now() - Duration::hours(3),
        Duration::minutes(30),
    )
    .unwrap()
}

#[tokio::test]
async fn every_token_page_needs_a_live_session() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    new_token(&app, &alice, "mine", "").await;
    let id = row_id(&app, "mine");
    let form_id = fresh_form_id(&app, &alice).await;
    let expired = expired_session(&app);
    let revoke = format!("{TAB}/{id}/revoke");

    for session in ["", "not-a-token", expired.as_str()] {
        let query = if session.is_empty() {
            String::new()
        } else {
            format!("?session={session}")
        };
        let list = app.client.get(app.url(&format!("{TAB}{query}")));
        let create = app
            .client
            .post(app.url(&format!("{TAB}{query}")))
            .form(&[("form_id", form_id.as_str()), ("label", "sneaky")]);
        let confirm = app.client.get(app.url(&format!("{revoke}{query}")));
        let revoke = app.client.post(app.url(&format!("{revoke}{query}")));
        for request in [list, create, confirm, revoke] {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "session {session:?}");
            let html = response.text().await.unwrap();
            assert!(html.contains("<html"), "an HTML page");
            assert!(token_in(&html).is_none());
        }
    }
    assert_eq!(token_count(&app), 1, "nothing was created or revoked");
}

// ---------------------------------------------------------------------------------------------
// Revoking.

#[tokio::test]
async fn revoking_asks_for_confirmation_naming_the_label() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    new_token(&app, &alice, "Tableau <prod>", "").await;
    let id = row_id(&app, "Tableau <prod>");

    let list = app.get_page(TAB, &alice).await.text().await.unwrap();
    let confirm = app.get_page(&format!("{TAB}/{id}/revoke"), &alice).await;

    assert!(list.contains(&format!(r#"data-dialog="revoke-dialog-{id}""#)));
    assert!(list.contains(&format!(
        r#"<dialog class="modal modal--danger" id="revoke-dialog-{id}""#
    )));
    assert!(contains_escaped(&list, "Revoke “Tableau <prod>”?"));
    assert_eq!(confirm.status(), 200);
    let html = confirm.text().await.unwrap();
    assert!(contains_escaped(&html, "Revoke “Tableau <prod>”?"));
    assert!(html.contains(&format!(
        r#"<form method="post" action="/app/tokens/access/{id}/revoke?session="#
    )));
    assert_eq!(token_count(&app), 1, "asking changes nothing");
}

#[tokio::test]
async fn a_revoked_token_disappears_and_stops_authenticating_at_once() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let token = new_token(&app, &alice, "Power BI", "").await;
    new_token(&app, &alice, "Excel", "").await;
    let auth = basic("alice@example.com", &token);
    assert_eq!(whoami(&app, Some(&auth)).await.status(), 200);
    let id = row_id(&app, "Power BI");

    // Act
    let response = app
        .post_form(&format!("{TAB}/{id}/revoke"), &alice, &[])
        .await;

    // Assert
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Token “Power BI” was revoked."));
    assert!(!html.contains("<td>Power BI</td>"));
    assert!(html.contains("<td>Excel</td>"));
    assert_rejected_without_a_hint(whoami(&app, Some(&auth)).await, "revoked").await;
    let again = app
        .post_form(&format!("{TAB}/{id}/revoke"), &alice, &[])
        .await;
    assert_eq!(again.status(), 404, "a second revoke finds nothing");
}

#[tokio::test]
async fn revoking_an_unknown_or_someone_elses_token_is_404_and_changes_nothing() {
    // Arrange
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let bob = app.sign_in(0, 1).await;
    let carol = app.sign_in(1, 0).await;
    let token = new_token(&app, &alice, "Alice's", "").await;
    let id = row_id(&app, "Alice's");

    // Act / Assert
    for (who, session, path) in [
        ("bob, same site", &bob, format!("{TAB}/{id}/revoke")),
        ("carol, other site", &carol, format!("{TAB}/{id}/revoke")),
        ("unknown id", &alice, format!("{TAB}/{}/revoke", id + 1000)),
        ("not a number", &alice, format!("{TAB}/abc/revoke")),
        ("negative", &alice, format!("{TAB}/-1/revoke")),
        ("huge", &alice, format!("{TAB}/99999999999999999999/revoke")),
    ] {
        let confirm = app.get_page(&path, session).await;
        let revoke = app.post_form(&path, session, &[]).await;
        for response in [confirm, revoke] {
            assert_eq!(response.status(), 404, "{who}");
            let html = response.text().await.unwrap();
            assert!(html.contains("Not found"), "{who}");
            assert!(!html.contains("Alice"), "{who}: the label is not revealed");
        }
    }
    assert_eq!(token_count(&app), 1);
    assert_eq!(
        whoami(&app, Some(&format!("Bearer {token}")))
            .await
            .status(),
        200
    );
    let revocations: i64 = audit_events::table
        .filter(audit_events::action.eq("access_token.revoked"))
        .count()
        .get_result(&mut app.db())
        .unwrap();
    assert_eq!(revocations, 0);
}

// ---------------------------------------------------------------------------------------------
// BI clients.

#[tokio::test]
async fn a_bi_tool_signs_in_with_the_token_as_basic_password_or_bearer() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let token = new_token(&app, &alice, "Power BI", "").await;
    let site = &app.emulator.sites()[0];

    for (case, header) in [
        ("Basic with her email", basic(&site.users[0].email, &token)),
        ("Basic with any user name", basic("whatever", &token)),
        ("Basic with the token as user name", basic(&token, "")),
        ("Bearer", format!("Bearer {token}")),
    ] {
        let response = whoami(&app, Some(&header)).await;

        assert_eq!(response.status(), 200, "{case}");
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "site": site.base_url.trim_end_matches('/'),
                "accountId": site.users[0].account_id,
            }),
            "{case}"
        );
    }
    let list = app.get_page(TAB, &alice).await.text().await.unwrap();
    let row = row_of(&list, "Power BI");
    assert!(
        !row.contains("Not used yet"),
        "last used is recorded: {row}"
    );
    assert!(row.contains(&format!("<td>{} ", today_utc())), "{row}");
}

#[tokio::test]
async fn bad_credentials_are_401_with_a_basic_challenge_that_reveals_nothing() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let token = new_token(&app, &alice, "Power BI", "").await;
    let mut wrong_checksum = token.clone().into_bytes();
    wrong_checksum[64] = if wrong_checksum[64] == b'a' {
        b'b'
    } else {
        b'a'
    };
    let wrong_checksum = String::from_utf8(wrong_checksum).unwrap();
    let never_stored = NewAccessToken::generate().unwrap();
    let never_stored = never_stored.plaintext().expose().to_owned();

    let cases = [
        ("no header", None),
        (
            "Basic not base64",
            Some("Basic ***not-base64***".to_owned()),
        ),
        (
            "Basic without a colon",
            Some(format!("Basic {}", STANDARD.encode(&token))),
        ),
        ("unknown scheme", Some(format!("Token {token}"))),
        ("wrong checksum", Some(basic("alice", &wrong_checksum))),
        ("truncated", Some(basic("alice", &token[..40]))),
        ("a Jira API token", Some(basic("alice", "ATATT3xFfGF0abc"))),
        (
            "well-formed but unknown",
            Some(basic("alice", &never_stored)),
        ),
        ("Bearer unknown", Some(format!("Bearer {never_stored}"))),
    ];
    for (case, header) in cases {
        let response = whoami(&app, header.as_deref()).await;
        assert_rejected_without_a_hint(response, case).await;
    }
    let unknown = whoami(&app, Some(&basic("alice", &never_stored))).await;
    assert_eq!(unknown.text().await.unwrap(), INVALID);
    let garbled = whoami(&app, Some(&basic("alice", &wrong_checksum))).await;
    assert!(garbled.text().await.unwrap().contains("mistyped"));
}

#[tokio::test]
async fn a_token_works_through_its_expiry_day_and_is_refused_after_it() {
    // Arrange: a token that expires today (UTC) works today.
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let token = new_token(&app, &alice, "short-lived", &today_utc()).await;
    let auth = format!("Bearer {token}");
    assert_eq!(whoami(&app, Some(&auth)).await.status(), 200);

    // Act: a day passes (the stored expiry date moves one day into the past).
    let yesterday = (Clock::system().now().date() - Duration::days(1)).to_string();
    diesel::update(access_tokens::table)
        .set(access_tokens::expires_on.eq(Some(&yesterday)))
        .execute(&mut app.db())
        .unwrap();

    // Assert
    let response = whoami(&app, Some(&auth)).await;
    let list = app.get_page(TAB, &alice).await.text().await.unwrap();
    assert_rejected_without_a_hint(response, "expired").await;
    // The holder of the right secret is told it expired and where to create a new one (the
    // three feed formats are in token_expiry.rs).
    let told = whoami(&app, Some(&auth)).await.text().await.unwrap();
    assert_ne!(told, INVALID, "expired reads unlike unknown");
    assert!(
        told.contains("has expired") && told.contains("Tokens → Access Token"),
        "{told}"
    );
    let row = row_of(&list, "short-lived");
    assert!(row.contains("Expired"), "{row}");
    assert!(row.contains(&format!("<td>{yesterday}</td>")), "{row}");
}

#[tokio::test]
async fn tokens_of_a_disabled_or_uninstalled_site_are_refused() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let carol = app.sign_in(1, 0).await;
    let alices = new_token(&app, &alice, "Power BI", "").await;
    let carols = new_token(&app, &carol, "Power BI", "").await;

    app.emulator.disable(0).await.unwrap();
    app.emulator.uninstall(1).await.unwrap();

    for (case, token) in [("disabled", alices), ("uninstalled", carols)] {
        let response = whoami(&app, Some(&basic("x", &token))).await;
        assert_rejected_without_a_hint(response, case).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens from the first release, and the audit trail.

#[tokio::test]
async fn tokens_from_before_expiry_dates_show_a_dash_and_never_and_keep_working() {
    // Arrange: a row as the first release wrote it, without creation or expiry date.
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let site = &app.emulator.sites()[0];
    let tenant_id: i64 = tenants::table
        .filter(tenants::client_key.eq(&site.client_key))
        .select(tenants::id)
        .first(&mut app.db())
        .unwrap();
    let legacy = NewAccessToken::generate().unwrap();
    diesel::insert_into(access_tokens::table)
        .values((
            access_tokens::tenant_id.eq(tenant_id),
            access_tokens::account_id.eq(&site.users[0].account_id),
            access_tokens::token_id.eq(legacy.token_id.as_str()),
            access_tokens::secret_hash.eq(legacy.secret_hash.as_slice()),
            access_tokens::label.eq("From 2024"),
            access_tokens::label_normalized.eq("from 2024"),
            access_tokens::created_at.eq(None::<i64>),
            access_tokens::expires_on.eq(None::<String>),
        ))
        .execute(&mut app.db())
        .unwrap();
    new_token(&app, &alice, "Recent", "").await;

    // Act
    let list = app.get_page(TAB, &alice).await.text().await.unwrap();
    let response = whoami(&app, Some(&basic("alice", legacy.plaintext().expose()))).await;

    // Assert
    let legacy_row = row_of(&list, "From 2024");
    assert!(legacy_row.contains("<td>—</td>"), "{legacy_row}");
    assert!(legacy_row.contains("<td>Never</td>"), "{legacy_row}");
    assert!(legacy_row.contains("Active"), "{legacy_row}");
    assert!(
        list.find("<td>Recent</td>").unwrap() < list.find("<td>From 2024</td>").unwrap(),
        "undated tokens come last"
    );
    assert_eq!(
        response.status(),
        200,
        "a token without expiry never expires"
    );
}

#[tokio::test]
async fn creating_and_revoking_are_recorded_with_who_what_when_and_where() {
    let app = spawn_app().await;
    let alice = app.sign_in(0, 0).await;
    let started = Clock::system().now().unix_timestamp();
    new_token(&app, &alice, "Audited", "").await;
    let id = row_id(&app, "Audited");
    app.post_form(&format!("{TAB}/{id}/revoke"), &alice, &[])
        .await;

    let events: Vec<(String, String, String, Option<String>, i64)> = audit_events::table
        .order(audit_events::id.asc())
        .select((
            audit_events::action,
            audit_events::account_id,
            audit_events::subject,
            audit_events::ip,
            audit_events::created_at,
        ))
        .load(&mut app.db())
        .unwrap();

    let account = &app.emulator.sites()[0].users[0].account_id;
    let actions: Vec<&str> = events.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(actions, ["access_token.created", "access_token.revoked"]);
    for (_, who, label, ip, at) in &events {
        assert_eq!(who, account);
        assert_eq!(label, "Audited");
        assert_eq!(ip.as_deref(), Some("127.0.0.1"));
        assert!((started - 5..=started + 60).contains(at));
    }
}
