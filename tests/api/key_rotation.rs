//! Master key rotation as an operator does it (README "Running several instances"): generate a
//! new key, restart the instances with it as `MASTER_KEY_DECRYPT_ONLY_FILE`, run `rotate-key`
//! while they serve, switch `MASTER_KEY_FILE` to the new key (the old one decrypt-only), and the
//! installed site's page loads and a feed on its saved Jira API token keep working. On SQLite
//! with one app process, and on PostgreSQL with two when the run has a server.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jira_emulator::Emulator;
use reqwest::redirect::Policy;

use crate::postgres::{fresh_database, postgres_server};
use crate::support::app_process::AppProcess;
use crate::support::feed::{access_token, create_data_source, feed_emulator, signed_in};
use crate::support::{Session, TestApp};

const JQL: &str = "project in (ALPHA, BETA, OPS, DATA)";

/// The instances of one deployment and what they share (database, data dirs, base env).
struct Deployment {
    app: TestApp,
    env: Vec<(String, String)>,
    count: usize,
    instances: Vec<AppProcess>,
    /// The first instance's first address: the public `BASE_URL` every later start shares, as a
    /// load balancer's address stays the same while the instances behind it restart.
    public: Option<String>,
}

fn generate_key(path: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_jira-bi-connector"))
        .arg("generate-key")
        .arg(path)
        .output()
        .expect("generate-key runs");
    assert!(out.status.success(), "{out:?}");
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

impl Deployment {
    /// `database_url` unset: SQLite in the first instance's data dir.
    async fn new(count: usize, database_url: Option<String>) -> Self {
        let emulator = Emulator::start(feed_emulator(30))
            .await
            .expect("the emulator starts");
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut env = vec![];
        if let Some(url) = database_url {
            env.push(("DATABASE_URL".to_owned(), url));
        }
        let app = TestApp {
            address: String::new(),
            db_path: dir.path().join("data-0").join("app.sqlite3"),
            data_dir: dir,
            emulator,
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("a client"),
        };
        Self {
            app,
            env,
            count,
            instances: Vec::new(),
            public: None,
        }
    }

    fn key(&self, name: &str) -> PathBuf {
        self.app.data_dir.path().join(name)
    }

    fn with_keys(&self, keys: &[(&str, &Path)]) -> Vec<(String, String)> {
        let mut env = self.env.clone();
        env.extend(
            keys.iter()
                .map(|(name, path)| ((*name).to_owned(), path.display().to_string())),
        );
        env
    }

    /// Stops every instance and starts them again with the base env plus `keys`; the first is
    /// the public address the others share.
    async fn restart(&mut self, keys: &[(&str, &Path)]) {
        self.instances.clear();
        let env = self.with_keys(keys);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        for index in 0..self.count {
            let shared = self.public.clone();
            let root = self.app.data_dir.path().to_owned();
            let process = AppProcess::start_with(
                &root.join(format!("data-{index}")),
                &root,
                &format!("app-{index}-{}.log", self.instances.len()),
                &self.app.emulator,
                shared.as_deref(),
                &env,
            )
            .await;
            self.public.get_or_insert_with(|| process.base_url.clone());
            self.instances.push(process);
        }
        self.app.address = self.instances[0].base_url.clone();
    }

    /// `rotate-key --new-key-file <new>` with the instances' configuration plus `keys`.
    fn rotate(&self, keys: &[(&str, &Path)], new: &Path) -> Output {
        Command::new(env!("CARGO_BIN_EXE_jira-bi-connector"))
            .env_clear()
            .env("DATA_DIR", self.app.data_dir.path().join("data-0"))
            .env("NO_COLOR", "1")
            .envs(self.with_keys(keys))
            .arg("rotate-key")
            .arg("--new-key-file")
            .arg(new)
            .output()
            .expect("rotate-key runs")
    }

    /// A page load on every instance, a session page, and an OData page fetched from Jira with
    /// the saved Jira API token, on every instance.
    async fn assert_serves(&self, email: &str, token: &str, source: i64, moment: &str) {
        for instance in &self.instances {
            let page = self.app.emulator.page_url(0, 0).expect("a page URL");
            let public = self.public.as_deref().expect("started");
            let page = page.replacen(public, &instance.base_url, 1);
            let loaded = self
                .app
                .client
                .get(&page)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{moment}: {} {e}", instance.base_url));
            assert_eq!(
                loaded.status(),
                303,
                "{moment}: page load on {}",
                instance.base_url
            );
            let feed = self
                .app
                .client
                .get(instance.url(&format!("/feed/{source}/odata/Issues")))
                .basic_auth(email, Some(token))
                .header("Prefer", "odata.maxpagesize=10")
                .send()
                .await
                .unwrap();
            assert_eq!(
                feed.status(),
                200,
                "{moment}: feed on {}",
                instance.base_url
            );
            let body: serde_json::Value = feed.json().await.unwrap();
            assert_eq!(body["value"].as_array().map(Vec::len), Some(10), "{moment}");
        }
    }
}

async fn rotate_while_serving(mut deployment: Deployment) {
    let old = deployment.key("old.key");
    let new = deployment.key("new.key");
    generate_key(&old);
    deployment.restart(&[("MASTER_KEY_FILE", &old)]).await;
    for site in 0..deployment.app.emulator.sites().len() {
        deployment
            .app
            .emulator
            .install(site)
            .await
            .expect("installed");
    }
    let app = &deployment.app;
    let person = app.emulator.sites()[0].users[0].clone();
    let session: Session = signed_in(app, 0, 0).await;
    let token = access_token(app, &session).await;
    let source = create_data_source(app, &session, "All", JQL, &["summary"]).await;
    deployment
        .assert_serves(&person.email, &token, source, "before")
        .await;

    // 1. A new key; rotate-key refuses it while the instances would not accept it.
    generate_key(&new);
    let refused = deployment.rotate(&[("MASTER_KEY_FILE", &old)], &new);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("MASTER_KEY_DECRYPT_ONLY_FILE"));

    // 2. Every instance accepts the new key for decryption; 3. rotate while they serve.
    let during = [
        ("MASTER_KEY_FILE", old.as_path()),
        ("MASTER_KEY_DECRYPT_ONLY_FILE", new.as_path()),
    ];
    deployment.restart(&during).await;
    let rotated = deployment.rotate(&during, &new);
    let output = text(&rotated);
    assert!(rotated.status.success(), "{output}");
    assert!(
        output.contains("tenant shared secrets: 2 re-sealed"),
        "{output}"
    );
    assert!(output.contains("Jira API tokens: 1 re-sealed"), "{output}");
    assert!(!output.contains(&person.api_token), "no secret printed");
    deployment
        .assert_serves(&person.email, &token, source, "rotated, before the switch")
        .await;

    // 4. Switch: the new key seals and signs, the old one stays decrypt-only.
    let after = [
        ("MASTER_KEY_FILE", new.as_path()),
        ("MASTER_KEY_DECRYPT_ONLY_FILE", old.as_path()),
    ];
    deployment.restart(&after).await;
    deployment
        .assert_serves(&person.email, &token, source, "after the switch")
        .await;
    let old_session = deployment
        .app
        .get_page("/app/tokens/access", &session)
        .await;
    assert_eq!(
        old_session.status(),
        401,
        "a session signed with the old key expires"
    );

    // 5. Running it again finds nothing left; 6. the new key alone serves.
    let again = deployment.rotate(&after, &new);
    let output = text(&again);
    assert!(again.status.success(), "{output}");
    assert!(
        output.contains("0 re-sealed, 2 already under the new key"),
        "{output}"
    );
    deployment.restart(&[("MASTER_KEY_FILE", &new)]).await;
    deployment
        .assert_serves(&person.email, &token, source, "new key alone")
        .await;
    for instance in &deployment.instances {
        assert!(
            !instance.log().contains(&person.api_token),
            "no secret logged"
        );
    }
}

#[tokio::test]
async fn after_a_key_rotation_the_site_loads_and_the_feed_works_on_the_new_key_sqlite() {
    rotate_while_serving(Deployment::new(1, None).await).await;
}

#[tokio::test]
async fn after_a_key_rotation_two_instances_on_postgres_serve_the_site_and_the_feed() {
    let Some(server) = postgres_server() else {
        return;
    };
    let database = fresh_database(&server);
    rotate_while_serving(Deployment::new(2, Some(database.expose().to_owned())).await).await;
}

#[test]
fn rotate_key_in_a_data_dir_without_a_key_or_database_changes_nothing_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let new = dir.path().join("new.key");
    generate_key(&new);

    let out = Command::new(env!("CARGO_BIN_EXE_jira-bi-connector"))
        .env_clear()
        .env("DATA_DIR", &data)
        .env("MASTER_KEY_DECRYPT_ONLY_FILE", &new)
        .args(["rotate-key", "--new-key-file"])
        .arg(&new)
        .output()
        .unwrap();

    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("at-rest.key"), "{}", text(&out));
    assert_eq!(
        std::fs::read_dir(&data).unwrap().count(),
        0,
        "nothing created"
    );
}
