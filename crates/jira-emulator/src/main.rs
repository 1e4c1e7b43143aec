//! `jira-emulator`: plays local Jira Cloud sites for trying the app by hand. Configuration comes
//! from `EMULATOR_*` environment variables (see `jira_emulator`).

#![forbid(unsafe_code)]

use std::time::Duration;

use jira_emulator::{Emulator, EmulatorConfig, config::ENV_VARS};

const AUTO_INSTALL_ATTEMPTS: u32 = 60;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = match EmulatorConfig::from_lookup(|name| std::env::var(name).ok()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("jira-emulator: invalid configuration: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("Jira Cloud emulator configuration:");
    for (name, default) in ENV_VARS {
        let value = std::env::var(name).unwrap_or_else(|_| format!("{default} (default)"));
        println!("  {name}={value}");
    }
    let emulator = match Emulator::start(config.emulator.clone()).await {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("jira-emulator: could not start: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    print_sites(&emulator);
    if config.auto_install {
        let installs = (0..emulator.sites().len()).map(|site| auto_install(&emulator, site));
        futures_util::future::join_all(installs).await;
    }
    emulator.wait().await;
    std::process::ExitCode::SUCCESS
}

fn print_sites(emulator: &Emulator) {
    println!();
    for site in emulator.sites() {
        println!("Site \"{}\": {}/", site.name, site.base_url);
        println!("  clientKey {}", site.client_key);
        for user in &site.users {
            let mut notes = Vec::new();
            if !user.hidden_projects.is_empty() {
                notes.push(format!("cannot browse {}", user.hidden_projects.join(",")));
            }
            if user.captcha_locked {
                notes.push(format!(
                    "CAPTCHA-locked until you log in at {}/login.jsp",
                    site.base_url
                ));
            }
            println!(
                "  {:<16} {:<28} API token {}{}",
                user.display_name,
                user.email,
                user.api_token,
                if notes.is_empty() {
                    String::new()
                } else {
                    format!("  ({})", notes.join("; "))
                }
            );
        }
    }
    let hosts: Vec<&str> = emulator
        .sites()
        .iter()
        .map(|site| site.base_url.as_str())
        .collect();
    println!();
    println!("Give the app:");
    println!("  ALLOWED_JIRA_HOSTS={}", hosts.join(","));
    println!("  INSTALL_KEYS_URL={}", emulator.install_keys_url());
    println!();
}

/// Keeps trying while the app is not up yet (one attempt a second, for about a minute).
async fn auto_install(emulator: &Emulator, site: usize) {
    let name = emulator
        .sites()
        .get(site)
        .map(|site| site.name.clone())
        .unwrap_or_default();
    for attempt in 1..=AUTO_INSTALL_ATTEMPTS {
        match emulator.install(site).await {
            Ok(()) => {
                tracing::info!(site = %name, "app installed");
                return;
            }
            Err(error) if attempt == AUTO_INSTALL_ATTEMPTS => {
                tracing::warn!(site = %name, error = %error, "giving up auto-install; use the Install button on the host page");
            }
            Err(error) => {
                if attempt == 1 || attempt % 10 == 0 {
                    tracing::info!(site = %name, error = %error, "app not installable yet, retrying");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
