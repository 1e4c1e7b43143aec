//! The app as its own process (the `jira-bi-connector` binary, configured by environment the way
//! an operator runs it), for what an in-process app cannot show: its real log output and
//! surviving a SIGKILL. Its log goes to a file in the test's temp directory, so a test reads
//! exactly what the binary wrote. [`spawn_app_process`] puts one behind a [`TestApp`], so a test
//! can drive it with the same helpers as an in-process app and still read its log.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use jira_emulator::{Emulator, EmulatorConfig};
use reqwest::redirect::Policy;

use crate::support::TestApp;

pub struct AppProcess {
    child: Child,
    /// `http://127.0.0.1:<port>`, where this process listens (its BASE_URL unless shared).
    pub base_url: String,
    pub log_path: PathBuf,
}

impl AppProcess {
    /// Starts the binary on a free port with `data_dir`, allowing the emulator's sites, logging
    /// (without colours) to `<log_dir>/<log_name>`, and points the emulator at it. Returns when
    /// `/healthz` answers.
    pub async fn start(
        data_dir: &Path,
        log_dir: &Path,
        log_name: &str,
        emulator: &Emulator,
    ) -> AppProcess {
        Self::start_with(data_dir, log_dir, log_name, emulator, None, &[]).await
    }

    /// As [`AppProcess::start`], with extra environment (`DATABASE_URL`, `MASTER_KEY_FILE`) and,
    /// for instances behind one public address, the `BASE_URL` they share (`None`: its own).
    pub async fn start_with(
        data_dir: &Path,
        log_dir: &Path,
        log_name: &str,
        emulator: &Emulator,
        shared_base_url: Option<&str>,
        extra: &[(&str, &str)],
    ) -> AppProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let own_url = format!("http://127.0.0.1:{port}");
        let base_url = shared_base_url.map_or_else(|| own_url.clone(), str::to_owned);
        let log_path = log_dir.join(log_name);
        let log = std::fs::File::create(&log_path).expect("a log file");
        let allowed = emulator
            .sites()
            .iter()
            .map(|site| site.base_url.clone())
            .collect::<Vec<_>>()
            .join(",");
        let child = Command::new(env!("CARGO_BIN_EXE_jira-bi-connector"))
            .env_clear()
            .env("BASE_URL", &base_url)
            .env("BIND_ADDRESS", format!("127.0.0.1:{port}"))
            .env("DATA_DIR", data_dir)
            .env("INSTALL_KEYS_URL", emulator.install_keys_url())
            .env("ALLOWED_JIRA_HOSTS", allowed)
            .env("RUST_LOG", "info,actix_server=warn")
            .env("NO_COLOR", "1")
            .envs(extra.iter().copied())
            .stdout(Stdio::from(log.try_clone().expect("the log file")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("the app binary starts");
        let app = AppProcess {
            child,
            base_url: own_url,
            log_path,
        };
        if shared_base_url.is_none() {
            emulator.set_app_url(&app.base_url);
        }
        app.wait_ready().await;
        app
    }

    /// Polls `/healthz` (a start-up wait, not a timing assertion: the loop is bounded only so a
    /// binary that never starts fails the test instead of hanging it).
    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        for _ in 0..1200 {
            if client
                .get(format!("{}/healthz", self.base_url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the app did not start; log:\n{}", self.log());
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// SIGKILL (what `Child::kill` sends on unix): no shutdown code runs, as in a power cut of
    /// the process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Everything the process logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The first log line containing `needle`, waiting for it: some lines are written after the
    /// response (an export logs when its task ends). The wait is bounded only so a line that
    /// never comes fails the test instead of hanging it.
    pub async fn log_line(&self, needle: &str) -> String {
        for _ in 0..600 {
            if let Some(line) = self.log().lines().find(|line| line.contains(needle)) {
                return line.to_owned();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no log line with {needle:?}; log:\n{}", self.log());
    }
}

/// The app as its own process in front of an emulator started with `config`, installed in every
/// site, as a [`TestApp`] (for the usual helpers) and the [`AppProcess`] (for its log).
pub async fn spawn_app_process(config: EmulatorConfig) -> (TestApp, AppProcess) {
    let emulator = Emulator::start(config).await.expect("the emulator starts");
    let dir = tempfile::tempdir().expect("a temp dir");
    let data_dir = dir.path().join("data");
    let process = AppProcess::start(&data_dir, dir.path(), "app.log", &emulator).await;
    for site in 0..emulator.sites().len() {
        emulator
            .install(site)
            .await
            .expect("the emulator installs the app");
    }
    let app = TestApp {
        address: process.base_url.clone(),
        db_path: data_dir.join("app.sqlite3"),
        data_dir: dir,
        emulator,
        client: reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("a reqwest client"),
    };
    (app, process)
}

impl Drop for AppProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
