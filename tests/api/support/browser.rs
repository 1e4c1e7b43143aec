//! A real browser for the UI tests: Debian's Chromium, headless, driven over WebDriver by
//! ChromeDriver. Each test gets a fresh profile; a failing test leaves a screenshot in
//! `target/screenshots/`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde_json::json;
use tokio::sync::{Semaphore, SemaphorePermit};

/// Two cores: one browser at a time keeps the suite steady.
static BROWSERS: Semaphore = Semaphore::const_new(1);

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    _permit: SemaphorePermit<'static>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The absolute path of the first of `names` that is installed.
fn executable(names: &[&str]) -> String {
    names
        .iter()
        .find_map(|candidate| {
            let output = Command::new("sh")
                .args(["-c", &format!("command -v {candidate}")])
                .output()
                .ok()?;
            let path = String::from_utf8(output.stdout).ok()?.trim().to_owned();
            (output.status.success() && !path.is_empty()).then_some(path)
        })
        .unwrap_or_else(|| {
            panic!(
                "{} is not installed: run tests/run, which installs it",
                names[0]
            )
        })
}

impl Browser {
    pub async fn start() -> Browser {
        let permit = BROWSERS.acquire().await.expect("browser semaphore");
        let port = free_port();
        let driver = Command::new(executable(&["chromedriver", "/usr/bin/chromedriver"]))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("a profile dir");
        let chromium = executable(&["chromium", "/usr/bin/chromium", "chromium-browser"]);
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-quic",
                    "--no-first-run",
                    "--window-size=1440,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let capabilities = match capabilities {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("an object literal"),
        };
        let mut last_error = None;
        for _ in 0..50 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => {
                    return Browser {
                        client,
                        driver,
                        _profile: profile,
                        _permit: permit,
                    };
                }
                Err(err) => {
                    last_error = Some(err.to_string());
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        panic!("chromedriver did not accept a session: {last_error:?}");
    }

    /// Runs `steps`; on failure saves a screenshot named after the test before failing.
    pub async fn run<F, Fut>(self, name: &str, steps: F)
    where
        F: FnOnce(Client) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let client = self.client.clone();
        let outcome = std::panic::AssertUnwindSafe(steps(client.clone()))
            .catch_unwind()
            .await;
        if let Err(panic) = outcome {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
            let _ = std::fs::create_dir_all(&dir);
            if let Ok(png) = client.screenshot().await {
                let path = dir.join(format!("{name}.png"));
                let _ = std::fs::write(&path, png);
                eprintln!("screenshot of the failure: {}", path.display());
            }
            let _ = client.close().await;
            std::panic::resume_unwind(panic);
        }
        let _ = client.close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Waits for an element (pages inside the iframe load asynchronously).
pub async fn find(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("element `{css}` did not appear: {e}"))
}

/// Waits for an element and clicks it.
pub async fn click(client: &Client, css: &str) {
    find(client, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click `{css}`: {e}"));
}

/// Switches into the app's iframe on the emulator's host page.
pub async fn enter_app_frame(client: &Client) {
    let frame = find(client, "iframe#app-frame").await;
    frame.enter_frame().await.expect("enter the app frame");
    find(client, "main#main").await;
}

/// Where screenshots go: `target/tmp/screenshots/<sub>/`.
pub fn screenshot_dir(sub: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("screenshots")
        .join(sub);
    std::fs::create_dir_all(&dir).expect("a screenshot directory");
    dir
}

/// Saves a PNG of the browser's viewport (the whole host page, even from inside the frame).
pub async fn save_screenshot(client: &Client, path: &std::path::Path) {
    let png = client.screenshot().await.expect("a screenshot");
    std::fs::write(path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Resizes the window so that the page's viewport is `width` × `height` CSS pixels.
pub async fn set_viewport(client: &Client, width: u32, height: u32) {
    client
        .set_window_size(width, height)
        .await
        .expect("resize the window");
    // Headless Chromium's window has no chrome, but correct for any difference all the same.
    let inner = client
        .execute(
            "return [window.top === window ? window.innerWidth : -1, window.top === window ? window.innerHeight : -1];",
            vec![],
        )
        .await
        .expect("read the viewport");
    if let Some([w, h]) = inner.as_array().map(|a| [a[0].as_i64(), a[1].as_i64()])
        && let (Some(w), Some(h)) = (w, h)
        && w > 0
        && (w != i64::from(width) || h != i64::from(height))
    {
        let fix = |want: u32, got: i64| (2 * i64::from(want) - got).max(200) as u32;
        client
            .set_window_size(fix(width, w), fix(height, h))
            .await
            .expect("resize the window");
    }
}

/// axe-core, installed by `tests/run` from the npm registry (`tests/e2e/package-lock.json`).
fn axe_source() -> &'static str {
    static AXE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    AXE.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/e2e/node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{} is missing ({e}): run tests/run, which installs it with npm ci",
                path.display()
            )
        })
    })
}

/// Runs axe-core's WCAG 2.x A and AA rules on the current document (inside the app's frame when
/// the client is in it) and fails with a readable list of the violations.
pub async fn assert_accessible(client: &Client, page: &str) {
    if let Some(report) = accessibility_violations(client, page).await {
        panic!("{report}");
    }
}

/// axe-core's WCAG 2.x A and AA violations on the current document, as a readable report.
pub async fn accessibility_violations(client: &Client, page: &str) -> Option<String> {
    client
        .execute(
            &format!("if (!window.axe) {{ {} }} return true;", axe_source()),
            vec![],
        )
        .await
        .expect("inject axe-core");
    let result = client
        .execute_async(
            r"const done = arguments[arguments.length - 1];
               axe.run(document, {
                 runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
                 resultTypes: ['violations']
               }).then(r => done(r.violations.map(v => ({
                 id: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.map(n => ({ target: n.target.join(' '), summary: n.failureSummary }))
               }))), e => done([{ id: 'axe-error', help: String(e), nodes: [] }]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    let violations = result.as_array().cloned().unwrap_or_default();
    (!violations.is_empty()).then(|| {
        let report = serde_json::to_string_pretty(&violations).unwrap_or_default();
        format!(
            "{page}: {} accessibility violation(s):\n{report}",
            violations.len()
        )
    })
}

/// Presses each key (down and up) on whatever has the keyboard focus, as a person would.
pub async fn press(client: &Client, keys: &[char]) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let mut actions = KeyActions::new("keyboard".to_owned());
    for key in keys {
        actions = actions
            .then(KeyAction::Down { value: *key })
            .then(KeyAction::Up { value: *key });
    }
    client
        .perform_actions(actions)
        .await
        .expect("keyboard input");
}

/// Types `text` on the keyboard into whatever has the focus.
pub async fn type_keys(client: &Client, text: &str) {
    press(client, &text.chars().collect::<Vec<_>>()).await;
}

/// Whether the keyboard focus is in the current document (the frame, when in it) on `css`.
pub async fn focus_is_on(client: &Client, css: &str) -> bool {
    client
        .execute(
            "return document.hasFocus() && !!document.activeElement && document.activeElement.matches(arguments[0]);",
            vec![json!(css)],
        )
        .await
        .expect("read the focus")
        == json!(true)
}

/// Whether the focus reaches `css` within a few seconds: pages move the focus from deferred
/// scripts after they load, so a check right after navigation would race them.
pub async fn wait_for_focus(client: &Client, css: &str) -> bool {
    for _ in 0..100 {
        if focus_is_on(client, css).await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Presses Tab until the element matching `css` has the focus (at most 200 times).
pub async fn tab_to(client: &Client, css: &str) {
    let tab: char = fantoccini::key::Key::Tab.into();
    for _ in 0..200 {
        if focus_is_on(client, css).await {
            return;
        }
        press(client, &[tab]).await;
    }
    panic!("Tab never reached `{css}`");
}
