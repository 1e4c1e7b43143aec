//! The service binary: configuration from the environment, then the application. All logic
//! lives in the library so tests build the same `Application`.

use jira_bi_connector::settings::Settings;
use jira_bi_connector::startup::Application;
use jira_bi_connector::telemetry;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
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
