//! Every page and state of the app, visited in a real browser the way a user reaches it: for the
//! automatic accessibility audit (axe-core, WCAG 2 A/AA), the 1024/1440 px layout checks (in the
//! emulator's host page and standalone), and the documentation screenshots.

use std::path::PathBuf;

use diesel::prelude::*;
use diesel::sql_types::Text;
use fantoccini::Client;
use fantoccini::key::Key;
use jira_bi_connector::clock::Clock;
use jira_emulator::FaultConfig;

use crate::support::browser::{
    Browser, accessibility_violations, find, save_screenshot, screenshot_dir, set_viewport,
};
use crate::support::{TestApp, spawn_app};
use crate::ui::{
    click_link, create_tokens_over_http, expired_session, navigate_frame_to, open_app, text_of,
    wait_for_text,
};

/// How the app is shown.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// Inside the emulator's host page, opened from the Apps menu, as users see it in Jira.
    Framed,
    /// The app's URL opened on its own (the frame's document at the full window size).
    Standalone,
}

/// What each visited page is checked for, and where its screenshot goes.
#[derive(Default)]
pub struct Inspector {
    /// Directories each page's screenshot is saved into, as `<page>.png`.
    pub shots: Vec<PathBuf>,
    pub axe: bool,
    pub layout: bool,
    /// Pages inspected so far, in order.
    pub seen: Vec<String>,
    /// Accessibility reports, collected so one run shows every page's problems.
    pub violations: Vec<String>,
}

/// What a page must show: the app's layout with this menu item marked, or an error page.
#[derive(Clone, Copy)]
enum Shows {
    App { menu: &'static str },
    Error,
}

impl Inspector {
    async fn inspect(&mut self, client: &Client, page: &str, shows: Shows) {
        self.inspect_at(client, page, shows, None).await;
    }

    /// As [`Inspector::inspect`], with the screenshot scrolled to the element with id `at`.
    async fn inspect_at(&mut self, client: &Client, page: &str, shows: Shows, at: Option<&str>) {
        find(client, "main#main h1").await;
        // The frame's own title (WebDriver's title is the host page's).
        let title = client
            .execute("return document.title;", vec![])
            .await
            .expect("a document title");
        let title = title.as_str().unwrap_or_default();
        assert!(
            title.ends_with("BI Connector for Jira") && title.len() > 25,
            "{page}: title {title:?}"
        );
        if let Shows::App { menu } = shows {
            let current = find(client, ".sidebar a[aria-current='page']").await;
            assert_eq!(current.text().await.unwrap(), menu, "{page}: menu item");
        }
        // Colour is never the only signal: every lozenge, status and message says it in words.
        let wordless = client
            .execute(
                "return [...document.querySelectorAll('.lozenge, .status, .banner, .field__error')] \
                   .filter(e => e.innerText.trim().length < 2).map(e => e.className);",
                vec![],
            )
            .await
            .expect("read the signals");
        assert_eq!(
            wordless,
            serde_json::json!([]),
            "{page}: signals without words"
        );
        if self.layout {
            let overflow = client
                .execute(
                    "const e = document.documentElement; return [e.scrollWidth, e.clientWidth];",
                    vec![],
                )
                .await
                .expect("measure the page");
            let (scroll, client_width) = (overflow[0].as_i64(), overflow[1].as_i64());
            assert!(
                scroll <= client_width,
                "{page}: scrolls sideways ({scroll:?} > {client_width:?})"
            );
            if let Shows::App { .. } = shows {
                let visible = client
                    .execute(
                        "const r = document.querySelector('.sidebar').getBoundingClientRect(); \
                         const m = document.querySelector('main').getBoundingClientRect(); \
                         return r.width > 0 && m.left >= r.right - 1 && m.width >= 480;",
                        vec![],
                    )
                    .await
                    .expect("measure the layout");
                assert_eq!(
                    visible,
                    serde_json::json!(true),
                    "{page}: menu beside the content"
                );
            }
        }
        if self.axe
            && let Some(report) = accessibility_violations(client, page).await
        {
            self.violations.push(report);
        }
        if let Some(id) = at {
            client
                .execute(
                    "document.getElementById(arguments[0]).scrollIntoView();",
                    vec![serde_json::json!(id)],
                )
                .await
                .expect("scroll");
        }
        for dir in &self.shots {
            save_screenshot(client, &dir.join(format!("{page}.png"))).await;
        }
        if at.is_some() {
            client
                .execute("window.scrollTo(0, 0);", vec![])
                .await
                .expect("scroll back");
        }
        self.seen.push(page.to_owned());
    }
}

/// Opens the app as Alice (site 0, user 0) in `mode`, on the Data sources page.
async fn open(client: &Client, app: &TestApp, mode: Mode) {
    match mode {
        Mode::Framed => open_app(client, app, 0, 0).await,
        Mode::Standalone => {
            let session = app.sign_in(0, 0).await;
            client
                .goto(&app.url(&format!("/app/datasources?session={}", session.token)))
                .await
                .expect("the app loads");
            find(client, "main#main").await;
        }
    }
}

async fn submit(client: &Client, css: &str) {
    find(client, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("submit `{css}`: {e}"));
}

async fn type_into(client: &Client, css: &str, text: &str) {
    let field = find(client, css).await;
    field.clear().await.expect("clear the field");
    field.send_keys(text).await.expect("type");
}

/// Visits every page and state, calling the inspector on each. Leaves Alice with 25 tokens.
pub async fn tour(client: &Client, app: &TestApp, mode: Mode, inspector: &mut Inspector) {
    let site = &app.emulator.sites()[0];
    let alice = &site.users[0];
    let tokens = Shows::App { menu: "Tokens" };
    open(client, app, mode).await;
    let data_sources = Shows::App {
        menu: "Data sources",
    };
    inspector
        .inspect(client, "data-sources-needs-jira-token", data_sources)
        .await;

    // Access tokens: empty, created (shown once), a refused label, a list, revoke.
    click_link(client, "Tokens").await;
    find(client, "#token-label").await;
    inspector
        .inspect(client, "access-tokens-empty", tokens)
        .await;
    type_into(client, "#token-label", "Power BI – sales report").await;
    client
        .execute(
            "document.getElementById('token-expiry').value = arguments[0];",
            vec![serde_json::json!("2099-12-31")],
        )
        .await
        .unwrap();
    submit(client, "form.form button[type=submit]").await;
    find(client, "#new-token-value").await;
    inspector
        .inspect(client, "access-token-created", tokens)
        .await;
    type_into(client, "#token-label", "Power BI – sales report").await;
    submit(client, "form.form button[type=submit]").await;
    find(client, "#token-label-error").await;
    inspector
        .inspect(client, "access-token-label-refused", tokens)
        .await;

    let session = app.sign_in(0, 0).await;
    create_tokens_over_http(app, &session, &["Excel – weekly", "Tableau (old)"]).await;
    diesel::sql_query("UPDATE access_tokens SET expires_on = '2020-01-31' WHERE label = ?")
        .bind::<Text, _>("Tableau (old)")
        .execute(&mut app.db())
        .expect("expire a token");
    click_link(client, "Access Token").await;
    wait_for_text(client, "Tableau (old)").await;
    inspector.inspect(client, "access-tokens", tokens).await;

    // A token in its last days: marked in the list and announced by the banner; the History tab
    // lists the token events (the expired one included). Then the token is made long-lived again.
    let soon = (Clock::system().now() + time::Duration::days(3))
        .date()
        .to_string();
    set_token_expiry(app, "Excel – weekly", Some(&soon));
    click_link(client, "Access Token").await;
    find(client, "#expiry-banner").await;
    wait_for_text(client, "Expires soon").await;
    inspector
        .inspect(client, "access-tokens-expiring", tokens)
        .await;
    click_link(client, "History").await;
    find(client, "#history-table").await;
    inspector.inspect(client, "token-history", tokens).await;
    set_token_expiry(app, "Excel – weekly", None);
    click_link(client, "Access Token").await;
    wait_for_text(client, "Tableau (old)").await;

    find(client, "[data-dialog^=revoke-dialog]")
        .await
        .click()
        .await
        .unwrap();
    find(client, "dialog[open]").await;
    inspector
        .inspect(client, "access-token-revoke-dialog", tokens)
        .await;
    client
        .active_element()
        .await
        .unwrap()
        .send_keys(&Key::Escape.to_string())
        .await
        .unwrap();
    let href = find(client, "[data-dialog^=revoke-dialog]")
        .await
        .attr("href")
        .await
        .unwrap()
        .expect("a revoke link");
    navigate_frame_to(client, &href).await;
    find(client, "#revoke-title").await;
    inspector
        .inspect(client, "access-token-revoke-page", tokens)
        .await;
    click_link(client, "Cancel").await;
    find(client, "#token-label").await;

    // Jira API token: not saved, refused, invalid input, unreachable site, saved, revoke.
    click_link(client, "Jira API Token").await;
    find(client, "#jira-token-status[data-state='not-saved']").await;
    inspector
        .inspect(client, "jira-token-not-saved", tokens)
        .await;
    type_into(client, "#jira-email", &alice.email).await;
    type_into(client, "#jira-api-token", "ATATT-not-the-right-one").await;
    submit(client, "form.form button[type=submit]").await;
    find(client, "#jira-token-error").await;
    inspector
        .inspect(client, "jira-token-rejected", tokens)
        .await;
    type_into(client, "#jira-email", "alice-at-example").await;
    submit(client, "form.form button[type=submit]").await;
    find(client, "#jira-email-error").await;
    inspector
        .inspect(client, "jira-token-invalid", tokens)
        .await;
    app.emulator.set_faults(FaultConfig {
        drop_connection_every: Some(1),
        ..FaultConfig::default()
    });
    type_into(client, "#jira-email", &alice.email).await;
    type_into(client, "#jira-api-token", &alice.api_token).await;
    submit(client, "form.form button[type=submit]").await;
    find(client, "#jira-token-error").await;
    app.emulator.set_faults(FaultConfig::default());
    inspector.inspect(client, "jira-unreachable", tokens).await;
    type_into(client, "#jira-api-token", &alice.api_token).await;
    submit(client, "form.form button[type=submit]").await;
    find(client, "#jira-token-status[data-state='saved']").await;
    inspector.inspect(client, "jira-token-saved", tokens).await;
    find(client, "[data-dialog=revoke-jira-token]")
        .await
        .click()
        .await
        .unwrap();
    find(client, "dialog[open]").await;
    inspector
        .inspect(client, "jira-token-revoke-dialog", tokens)
        .await;
    client
        .active_element()
        .await
        .unwrap()
        .send_keys(&Key::Escape.to_string())
        .await
        .unwrap();
    let href = find(client, "[data-dialog=revoke-jira-token]")
        .await
        .attr("href")
        .await
        .unwrap()
        .expect("a revoke link");
    navigate_frame_to(client, &href).await;
    find(client, "form button.button--danger").await;
    inspector
        .inspect(client, "jira-token-revoke-page", tokens)
        .await;
    click_link(client, "Cancel").await;
    find(client, "#jira-token-status[data-state='saved']").await;

    // Not validated for 30 days: a short banner elsewhere, Validate again on the tab.
    diesel::sql_query("UPDATE jira_api_tokens SET validated_at = validated_at - 31 * 86400")
        .execute(&mut app.db())
        .expect("age the Jira API token");
    click_link(client, "Access Token").await;
    find(client, "#jira-token-banner").await;
    click_link(client, "Go to Jira API Token").await;
    find(client, "#jira-token-revalidate").await;
    inspector
        .inspect(client, "jira-token-validate-again", tokens)
        .await;
    submit(client, "#jira-token-revalidate button[type=submit]").await;
    wait_for_text(client, "Jira accepted your saved Jira API token again.").await;

    // Data sources (now that a Jira API token is saved): empty, create, refused, show, list.
    click_link(client, "Data sources").await;
    find(client, ".empty-state a.button--primary").await;
    inspector
        .inspect(client, "data-sources-empty", data_sources)
        .await;
    submit(client, ".empty-state a.button--primary").await;
    find(client, "#data-source-form").await;
    inspector
        .inspect(client, "data-source-new", data_sources)
        .await;
    inspector
        .inspect_at(
            client,
            "data-source-new-tables",
            data_sources,
            Some("ds-tables"),
        )
        .await;
    type_into(client, "#ds-name", "Alpha severity").await;
    submit(client, "input[name=issue_mode][value=jql]").await;
    type_into(client, "#ds-jql", "order by created").await;
    submit(client, "#data-source-form button[type=submit]").await;
    find(client, "#ds-jql-error").await;
    inspector
        .inspect_at(
            client,
            "data-source-jql-refused",
            data_sources,
            Some("ds-mode-help"),
        )
        .await;
    find(client, "#ds-jql").await.clear().await.unwrap();
    type_into(client, "#ds-jql", "project = ALPHA ORDER BY created DESC").await;
    submit(client, "input[name=fields][value=customfield_10030]").await;
    submit(client, "input[name=tables][value=StatusPeriods]").await;
    submit(client, "input[name=tables][value=Worklogs]").await;
    submit(client, "#data-source-form button[type=submit]").await;
    find(client, "#ds-preview").await;
    inspector.inspect(client, "data-source", data_sources).await;
    inspector
        .inspect_at(
            client,
            "data-source-feeds",
            data_sources,
            Some("feeds-title"),
        )
        .await;
    inspector
        .inspect_at(
            client,
            "data-source-tables",
            data_sources,
            Some("feed-tables-title"),
        )
        .await;
    let edit = find(client, ".page-header a[href*='/edit']")
        .await
        .attr("href")
        .await
        .unwrap()
        .expect("an Edit link");
    navigate_frame_to(client, &edit).await;
    find(client, "#data-source-form").await;
    inspector
        .inspect(client, "data-source-edit", data_sources)
        .await;
    click_link(client, "Cancel").await;
    find(client, "#ds-preview").await;
    submit(client, "#share-link").await;
    find(client, "#shares-empty").await;
    type_into(client, "#find-user", "Bob").await;
    submit(client, "#find-user-form button[type=submit]").await;
    find(client, "#user-results").await;
    inspector
        .inspect(client, "data-source-sharing", data_sources)
        .await;
    submit(client, ".breadcrumbs a").await;
    find(client, "#data-sources").await;
    inspector
        .inspect(client, "data-sources", data_sources)
        .await;
    submit(client, "[data-dialog^=delete-dialog]").await;
    find(client, "dialog[open]").await;
    inspector
        .inspect(client, "data-source-delete-dialog", data_sources)
        .await;
    client
        .active_element()
        .await
        .unwrap()
        .send_keys(&Key::Escape.to_string())
        .await
        .unwrap();
    let href = find(client, "[data-dialog^=delete-dialog]")
        .await
        .attr("href")
        .await
        .unwrap()
        .expect("a delete link");
    navigate_frame_to(client, &href).await;
    find(client, "form button.button--danger").await;
    inspector
        .inspect(client, "data-source-delete-page", data_sources)
        .await;
    click_link(client, "Tokens").await;
    find(client, "#token-label").await;

    // The token limit.
    let labels: Vec<String> = (1..=22).map(|n| format!("Report {n:02}")).collect();
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    create_tokens_over_http(app, &session, &labels).await;
    click_link(client, "Access Token").await;
    find(client, "#token-limit-reason").await;
    inspector
        .inspect(client, "access-tokens-at-limit", tokens)
        .await;

    // Administration (Alice administers site alpha): every tab.
    let admin = Shows::App {
        menu: "Administration",
    };
    navigate_frame_to(
        client,
        &format!("/app/admin/access?session={}", session.token),
    )
    .await;
    find(client, "#access-mode-form").await;
    inspector.inspect(client, "admin-access", admin).await;
    click_link(client, "Token lifetime").await;
    find(client, "#lifetime-form").await;
    inspector.inspect(client, "admin-lifetime", admin).await;
    click_link(client, "Tokens history").await;
    find(client, "#site-tokens-title").await;
    inspector
        .inspect(client, "admin-history-tokens", admin)
        .await;
    click_link(client, "Data sources history").await;
    wait_for_text(client, "Data sources history").await;
    find(client, "#history-title").await;
    inspector
        .inspect(client, "admin-history-data-sources", admin)
        .await;
    click_link(client, "Tokens").await;
    find(client, "[data-dialog^=revoke-dialog]").await;

    // Errors: something that is not there (with the menu), and an expired session.
    let missing = find(client, "[data-dialog^=revoke-dialog]")
        .await
        .attr("href")
        .await
        .unwrap()
        .expect("a revoke link");
    let missing = regex_free_replace_id(&missing, "999999");
    navigate_frame_to(client, &missing).await;
    inspector.inspect(client, "error-not-found", tokens).await;
    navigate_frame_to(
        client,
        &format!("/app/tokens/access?session={}", expired_session(app)),
    )
    .await;
    assert_eq!(
        text_of(client, "#error-title").await,
        "Your session has expired"
    );
    inspector
        .inspect(client, "error-session-expired", Shows::Error)
        .await;
}

/// Sets the last day of the token labelled `label` (`None`: never expires).
fn set_token_expiry(app: &TestApp, label: &str, last_day: Option<&str>) {
    diesel::sql_query("UPDATE access_tokens SET expires_on = ? WHERE label = ?")
        .bind::<diesel::sql_types::Nullable<Text>, _>(last_day)
        .bind::<Text, _>(label)
        .execute(&mut app.db())
        .expect("set a token's expiry");
}

/// `/app/tokens/access/12/revoke?…` with the id replaced.
fn regex_free_replace_id(href: &str, id: &str) -> String {
    let (path, query) = href.split_once('?').unwrap_or((href, ""));
    let mut parts: Vec<&str> = path.split('/').collect();
    let at = parts.len() - 2;
    parts[at] = id;
    format!("{}?{}", parts.join("/"), query)
}

#[tokio::test]
async fn every_page_meets_wcag_2_aa_according_to_axe() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    browser
        .run("axe_every_page", |client| async move {
            let mut inspector = Inspector {
                axe: true,
                ..Inspector::default()
            };
            tour(&client, &app, Mode::Framed, &mut inspector).await;
            assert!(inspector.seen.len() >= 26, "{:?}", inspector.seen);
            assert!(
                inspector.violations.is_empty(),
                "{}",
                inspector.violations.join("\n")
            );
        })
        .await;
}

#[tokio::test]
async fn every_page_fits_1024_and_1440_pixel_screens_in_jira_and_standalone() {
    let browser = Browser::start().await;
    browser
        .run("layout_every_page", |client| async move {
            for (mode, width) in [
                (Mode::Framed, 1024),
                (Mode::Framed, 1440),
                (Mode::Standalone, 1024),
                (Mode::Standalone, 1440),
            ] {
                let app = spawn_app().await;
                set_viewport(&client, width, 900).await;
                let name = format!("{mode:?}-{width}").to_lowercase();
                let mut inspector = Inspector {
                    layout: true,
                    shots: vec![screenshot_dir(&format!("review/{name}"))],
                    ..Inspector::default()
                };
                tour(&client, &app, mode, &mut inspector).await;
                client.enter_parent_frame().await.ok();
            }
        })
        .await;
}

/// The documentation run: a screenshot of every page at 1440 px in the Jira host page, into
/// `target/tmp/screenshots/docs/`, and with `UPDATE_DOC_SCREENSHOTS=1` into `docs/screenshots/`.
#[tokio::test]
async fn documentation_screenshots_of_every_page() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    let mut shots = vec![screenshot_dir("docs")];
    if std::env::var("UPDATE_DOC_SCREENSHOTS").as_deref() == Ok("1") {
        let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        std::fs::create_dir_all(&docs).expect("docs/screenshots");
        shots.push(docs);
    }
    let dirs = shots.clone();
    browser
        .run("documentation_screenshots", |client| async move {
            set_viewport(&client, 1440, 900).await;
            let mut inspector = Inspector {
                shots,
                ..Inspector::default()
            };
            tour(&client, &app, Mode::Framed, &mut inspector).await;
            for dir in &dirs {
                for page in &inspector.seen {
                    let png = std::fs::read(dir.join(format!("{page}.png"))).expect("saved");
                    assert!(png.starts_with(b"\x89PNG"), "{page}: a PNG");
                    assert!(png.len() > 10_000, "{page}: rendered something");
                }
            }
        })
        .await;
}
