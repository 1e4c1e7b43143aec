//! Start-up behaviour an operator relies on: clear configuration errors, a private key file,
//! a health endpoint and safe response headers.

use std::process::Command;

use crate::support::spawn_app;

#[test]
fn bad_configuration_exits_with_code_1_and_one_line_naming_the_variable() {
    for (name, value) in [
        ("BIND_ADDRESS", "not-an-address"),
        ("BASE_URL", "ftp://example.com"),
        ("ALLOWED_JIRA_HOSTS", "http://127.0.0.1:9001/some/path"),
        ("DATABASE_URL", "mysql://nope"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_jira-bi-connector"))
            .env_clear()
            .env("DATA_DIR", dir.path())
            .env(name, value)
            .output()
            .expect("the binary runs");
        assert_eq!(output.status.code(), Some(1), "{name}={value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line for {name}: {stderr}");
        assert!(lines[0].contains(name), "{stderr}");
    }
}

#[tokio::test]
async fn a_fresh_data_dir_gets_a_private_key_file_and_a_database() {
    let app = spawn_app().await;
    let key = app.data_dir.path().join("at-rest.key");
    let metadata = std::fs::metadata(&key).expect("the key file exists");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    }
    assert!(metadata.len() > 0);
    assert!(app.db_path.exists());
}

#[tokio::test]
async fn healthz_answers_ok_when_the_database_is_reachable() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn responses_carry_referrer_policy_nosniff_and_a_frame_ancestors_csp() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("referrer-policy"), "no-referrer");
    assert_eq!(header("x-content-type-options"), "nosniff");
    let csp = header("content-security-policy");
    assert!(csp.contains("frame-ancestors"), "{csp}");
    assert!(csp.contains("https://*.atlassian.net"), "{csp}");
    assert!(csp.contains(&app.emulator.sites()[0].base_url), "{csp}");
}

#[tokio::test]
async fn static_assets_are_served_locally() {
    let app = spawn_app().await;
    let css = app
        .client
        .get(app.url("/static/css/app.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let missing = app
        .client
        .get(app.url("/static/../Cargo.toml"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_data_dir_is_0700_and_the_sqlite_files_are_0600() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    // spawn_app's DATA_DIR exists already (a temp dir); one the app creates itself:
    let root = tempfile::tempdir().unwrap();
    let data_dir = root.path().join("new").join("data");
    let vars = [
        ("BIND_ADDRESS", "127.0.0.1:0".to_owned()),
        ("DATA_DIR", data_dir.display().to_string()),
    ];
    let settings = jira_bi_connector::settings::Settings::from_lookup(|name| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    })
    .unwrap();
    let _built = jira_bi_connector::startup::Application::build(settings).unwrap();

    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&data_dir), 0o700);
    for dir in [data_dir.as_path(), app.data_dir.path()] {
        for file in [
            "app.sqlite3",
            "app.sqlite3-wal",
            "app.sqlite3-shm",
            "at-rest.key",
        ] {
            assert_eq!(mode(&dir.join(file)), 0o600, "{file} in {}", dir.display());
        }
    }
}

#[cfg(unix)]
#[test]
fn an_at_rest_key_others_can_read_stops_the_start_with_one_line_saying_how_to_fix_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("at-rest.key");
    std::fs::write(&key, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_jira-bi-connector"))
        .env_clear()
        .env("DATA_DIR", dir.path())
        .env("BIND_ADDRESS", "127.0.0.1:0")
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains(&key.display().to_string()), "{stderr}");
    assert!(
        lines[0].contains(&format!("chmod 600 {}", key.display())),
        "{stderr}"
    );
    assert!(
        !dir.path().join("app.sqlite3").exists(),
        "nothing starts on a readable key"
    );
}
