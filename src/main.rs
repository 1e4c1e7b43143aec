//! The service binary: configuration from the environment, then the application. All logic
//! lives in the library so tests build the same `Application`. Two operator commands besides:
//! `generate-key <path>` writes a new master key file (mode 0600) for `MASTER_KEY_FILE`, and
//! `rotate-key --new-key-file <path>` re-seals stored secrets under a new key (`rotate`).

use jira_bi_connector::settings::Settings;
use jira_bi_connector::startup::Application;
use jira_bi_connector::telemetry;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(command) = args.first() {
        return match (command.as_str(), args.get(1)) {
            ("generate-key", Some(path)) if args.len() == 2 => generate_key(path),
            ("rotate-key", Some(flag)) if flag == "--new-key-file" && args.len() == 3 => {
                rotate_key(&args[2])
            }
            _ => {
                eprintln!(
                    "usage: jira-bi-connector                                  run the service (configured by environment)\n       jira-bi-connector generate-key <path>               write a new master key file for MASTER_KEY_FILE\n       jira-bi-connector rotate-key --new-key-file <path>  re-seal stored secrets under a new master key"
                );
                std::process::ExitCode::from(2)
            }
        };
    }
    telemetry::init();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("{err}");
            return std::process::ExitCode::from(1);
        }
    };
    let base_url = settings.base_url_str();
    let application = match Application::build(settings) {
        Ok(app) => app,
        Err(err) => {
            eprintln!("startup error: {err}");
            return std::process::ExitCode::from(1);
        }
    };
    tracing::info!(
        port = application.port(),
        descriptor = %format!("{base_url}/atlassian-connect.json"),
        "BI Connector for Jira is listening"
    );
    match application.run_until_stopped().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("server error: {err}");
            std::process::ExitCode::from(1)
        }
    }
}

/// Writes a fresh master key to `path` (never over an existing file).
fn generate_key(path: &str) -> std::process::ExitCode {
    match jira_bi_connector::crypto::MasterKey::create(std::path::Path::new(path)) {
        Ok(_) => {
            println!(
                "wrote a new master key to {path} (mode 0600); give every instance this file as MASTER_KEY_FILE"
            );
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("generate-key: {err}");
            std::process::ExitCode::from(1)
        }
    }
}

/// Re-seals every stored secret under the key in `new_key_file`, with the service's own
/// configuration (database, current and decrypt-only keys); prints counts, never a secret.
fn rotate_key(new_key_file: &str) -> std::process::ExitCode {
    use jira_bi_connector::crypto::{Keyring, MasterKey};
    use jira_bi_connector::rotate::{self, Outcome, Table};
    use std::ops::ControlFlow;

    telemetry::init();
    let fail = |message: String| {
        eprintln!("rotate-key: {message}");
        std::process::ExitCode::from(1)
    };
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(err) => return fail(err.to_string()),
    };
    // The current key must exist (never created here: a wrong DATA_DIR would otherwise get a
    // fresh key and an empty database), and so must a SQLite database.
    let current_file = settings
        .master_key_file
        .clone()
        .unwrap_or_else(|| MasterKey::data_dir_path(&settings.data_dir));
    let keys = match Keyring::load(
        Some(&current_file),
        &settings.data_dir,
        settings.master_key_decrypt_only_file.as_deref(),
    ) {
        Ok(keys) => keys,
        Err(err) => return fail(err.to_string()),
    };
    let new = match MasterKey::load(std::path::Path::new(new_key_file)) {
        Ok(key) => key,
        Err(err) => return fail(err.to_string()),
    };
    if !keys.accepts(&new) {
        return fail(rotate::RotateError::NewKeyNotAccepted.to_string());
    }
    if let jira_bi_connector::settings::DatabaseUrl::Sqlite(path) = &settings.database_url
        && !path.exists()
    {
        return fail(format!(
            "no database at {} (check DATA_DIR or DATABASE_URL)",
            path.display()
        ));
    }
    let pool = match jira_bi_connector::db::open(&settings.database_url, settings.database_pool) {
        Ok(pool) => pool,
        Err(err) => return fail(err.to_string()),
    };
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(err) => return fail(format!("database pool: {err}")),
    };
    let mut done = 0u64;
    let report = rotate::rotate(&mut conn, &keys, &new, |table: Table, id, outcome| {
        done += 1;
        if outcome == Outcome::Unreadable {
            eprintln!(
                "rotate-key: {} row {id}: no known key opens it; left as it is",
                table.name()
            );
        }
        if done.is_multiple_of(1000) {
            eprintln!("rotate-key: {done} rows done");
        }
        ControlFlow::Continue(())
    });
    match report {
        Ok(report) => {
            for (name, progress) in [
                ("tenant shared secrets", &report.tenants),
                ("Jira API tokens", &report.jira_tokens),
            ] {
                println!(
                    "{name}: {} re-sealed, {} already under the new key, {} unreadable",
                    progress.resealed,
                    progress.already_new,
                    progress.unreadable.len()
                );
            }
            if report.tenants.unreadable.is_empty() && report.jira_tokens.unreadable.is_empty() {
                println!("every stored secret is sealed under the new key");
                std::process::ExitCode::SUCCESS
            } else {
                fail("some rows could not be opened with any key (listed above)".into())
            }
        }
        Err(err) => fail(err.to_string()),
    }
}
