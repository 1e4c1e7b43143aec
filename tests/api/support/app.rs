//! Test harness: spawns the Jira emulator and the app wired to each other, and signs requests the
//! way Jira does.

use std::path::PathBuf;
use std::sync::OnceLock;

use jira_bi_connector::clock::Clock;
use jira_bi_connector::jira::client::Pause;
use jira_bi_connector::settings::Settings;
use jira_bi_connector::startup::Application;
use jira_emulator::{Emulator, EmulatorConfig};
use reqwest::redirect::Policy;

pub struct TestApp {
    /// `http://127.0.0.1:<port>`, also the app's BASE_URL.
    pub address: String,
    pub db_path: PathBuf,
    pub data_dir: tempfile::TempDir,
    pub emulator: Emulator,
    /// Follows no redirects, so tests see exactly what the app answered.
    pub client: reqwest::Client,
}

/// A signed-in Jira user inside the app: the session token from the real page-load flow.
#[derive(Clone, Debug)]
pub struct Session {
    pub token: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with_clock(Clock::system()).await
}

/// An app whose clock runs at `clock` (e.g. days ahead, to see tokens expire).
pub async fn spawn_app_with_clock(clock: Clock) -> TestApp {
    let app = spawn_app_without_installs(clock).await;
    for site in 0..app.emulator.sites().len() {
        app.emulator
            .install(site)
            .await
            .expect("the emulator installs the app");
    }
    app
}

/// An app and its Jira sites whose clocks both run `offset` ahead of real time (installs and
/// page JWTs stay fresh), e.g. to stand days before a token's expiry.
pub async fn spawn_app_shifted(offset: time::Duration) -> TestApp {
    let config = EmulatorConfig {
        site_ports: vec![0, 0],
        clock: jira_emulator::Clock::shifted(offset.whole_seconds()),
        ..EmulatorConfig::default()
    };
    let app = spawn_app_with_emulator(Clock::shifted(offset), config).await;
    for site in 0..app.emulator.sites().len() {
        app.emulator
            .install(site)
            .await
            .expect("the emulator installs the app");
    }
    app
}

/// An app installed in every site of an emulator started with `config` (e.g. a larger data set
/// or faults from the start).
pub async fn spawn_app_with(config: EmulatorConfig) -> TestApp {
    let app = spawn_app_with_emulator(Clock::system(), config).await;
    for site in 0..app.emulator.sites().len() {
        app.emulator
            .install(site)
            .await
            .expect("the emulator installs the app");
    }
    app
}

/// As [`spawn_app_with`], with the app's Jira retries waiting through `pause` (a recorder).
pub async fn spawn_app_with_pause(config: EmulatorConfig, pause: Pause) -> TestApp {
    let app = spawn_app_with_emulator_and_pause(Clock::system(), config, pause).await;
    for site in 0..app.emulator.sites().len() {
        app.emulator
            .install(site)
            .await
            .expect("the emulator installs the app");
    }
    app
}

/// An app and an emulator that know each other, with nothing installed yet.
pub async fn spawn_app_without_installs(clock: Clock) -> TestApp {
    spawn_app_with_emulator(
        clock,
        EmulatorConfig {
            site_ports: vec![0, 0],
            ..EmulatorConfig::default()
        },
    )
    .await
}

/// As [`spawn_app_with`], with extra app settings (`("EXPORTS_PER_USER", "2")`, …).
pub async fn spawn_app_with_settings(config: EmulatorConfig, extra: &[(&str, &str)]) -> TestApp {
    let app = spawn_app_with_env(Clock::system(), config, Pause::real(), extra).await;
    for site in 0..app.emulator.sites().len() {
        app.emulator
            .install(site)
            .await
            .expect("the emulator installs the app");
    }
    app
}

async fn spawn_app_with_emulator(clock: Clock, config: EmulatorConfig) -> TestApp {
    spawn_app_with_env(clock, config, Pause::real(), &[]).await
}

async fn spawn_app_with_emulator_and_pause(
    clock: Clock,
    config: EmulatorConfig,
    pause: Pause,
) -> TestApp {
    spawn_app_with_env(clock, config, pause, &[]).await
}

async fn spawn_app_with_env(
    clock: Clock,
    config: EmulatorConfig,
    pause: Pause,
    extra: &[(&str, &str)],
) -> TestApp {
    jira_bi_connector::telemetry::init();
    let emulator = Emulator::start(config).await.expect("the emulator starts");
    let data_dir = tempfile::tempdir().expect("a temp dir");
    let db_path = data_dir.path().join("app.sqlite3");
    let allowed = emulator
        .sites()
        .iter()
        .map(|site| site.base_url.clone())
        .collect::<Vec<_>>()
        .join(",");
    let mut vars = vec![
        ("BASE_URL", "http://127.0.0.1:0".to_owned()),
        ("BIND_ADDRESS", "127.0.0.1:0".to_owned()),
        ("DATA_DIR", data_dir.path().display().to_string()),
        ("INSTALL_KEYS_URL", emulator.install_keys_url()),
        ("ALLOWED_JIRA_HOSTS", allowed),
    ];
    vars.extend(
        extra
            .iter()
            .map(|(name, value)| (*name, (*value).to_owned())),
    );
    let settings = Settings::from_lookup(|name| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    })
    .expect("valid test settings");
    let application =
        Application::build_with_pause(settings, clock, pause).expect("the application builds");
    let address = application.base_url().to_owned();
    tokio::spawn(application.run_until_stopped());
    emulator.set_app_url(&address);
    TestApp {
        address,
        db_path,
        data_dir,
        emulator,
        client: reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("a reqwest client"),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Opens the app from Jira's Apps menu as `user` of `site` and returns the session it gets.
    pub async fn sign_in(&self, site: usize, user: usize) -> Session {
        let page_url = self
            .emulator
            .page_url(site, user)
            .expect("the emulator signs a page URL");
        let response = self
            .client
            .get(&page_url)
            .send()
            .await
            .expect("the page loads");
        assert_eq!(response.status(), 303, "page load is accepted");
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("a redirect into the app")
            .to_owned();
        let token =
            jira_emulator::qsh::parse_query(location.split_once('?').map_or("", |(_, q)| q))
                .into_iter()
                .find(|(name, _)| name == "session")
                .map(|(_, value)| value)
                .expect("the redirect carries a session token");
        Session { token }
    }

    fn with_session(&self, path: &str, session: &Session) -> String {
        let separator = if path.contains('?') { '&' } else { '?' };
        format!(
            "{}{}{}session={}",
            self.address, path, separator, session.token
        )
    }

    pub async fn get_page(&self, path: &str, session: &Session) -> reqwest::Response {
        self.client
            .get(self.with_session(path, session))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_form(
        &self,
        path: &str,
        session: &Session,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(self.with_session(path, session))
            .form(form)
            .send()
            .await
            .expect("request sent")
    }

    /// A direct connection to the app's SQLite file, for assertions on what is stored.
    pub fn db(&self) -> diesel::SqliteConnection {
        use diesel::Connection;
        diesel::SqliteConnection::establish(&self.db_path.display().to_string())
            .expect("open the test database")
    }
}

/// An RSA key that no key server knows, for forged installs (generated once: slow in debug).
pub fn other_rsa_key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(generate_rsa_pem)
}

fn generate_rsa_pem() -> String {
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA keygen");
    key.to_pkcs8_pem(LineEnding::LF)
        .expect("PEM encoding")
        .to_string()
}
