//! The service binary: configuration from the environment, then the application. All logic
//! lives in the library so tests build the same `Application`. One operator command besides:
//! `generate-key <path>` writes a new master key file (mode 0600) for `MASTER_KEY_FILE`.

use jira_bi_connector::settings::Settings;
use jira_bi_connector::startup::Application;
use jira_bi_connector::telemetry;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(command) = args.first() {
        return match (command.as_str(), args.get(1)) {
            ("generate-key", Some(path)) if args.len() == 2 => generate_key(path),
            _ => {
                eprintln!(
                    "usage: jira-bi-connector                       run the service (configured by environment)\n       jira-bi-connector generate-key <path>    write a new master key file for MASTER_KEY_FILE"
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
