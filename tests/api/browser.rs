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
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("element `{css}` did not appear: {e}"))
}

/// Switches into the app's iframe on the emulator's host page.
pub async fn enter_app_frame(client: &Client) {
    let frame = find(client, "iframe#app-frame").await;
    frame.enter_frame().await.expect("enter the app frame");
    find(client, "main#main").await;
}
