//! Builds the application: loads the master key (`MASTER_KEY_FILE`, shared by every instance, or
//! `DATA_DIR/at-rest.key`), opens the database (migrations run before the port binds), derives
//! keys, binds the listener (port 0 in tests) and wires the route registry.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};

use crate::clock::Clock;
use crate::crypto::{CryptoError, Keyring};
use crate::db::{self, DbError};
use crate::feed::FeedState;
use crate::feed::limits::ExportLimits;
use crate::jira::client::Pause;
use crate::settings::Settings;
use crate::state::{AppState, CURSOR_KEY_PURPOSE};
use crate::{private_files, routes, security, telemetry};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot create DATA_DIR {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Key(#[from] CryptoError),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(String),
    #[error("cannot bind {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
}

pub struct Application {
    port: u16,
    base_url: String,
    server: Server,
}

impl Application {
    pub fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Clock::system())
    }

    /// As [`Application::build`], with a clock tests can shift.
    ///
    /// A `BASE_URL` with port 0 (e.g. `http://127.0.0.1:0`, used by tests) follows the port the
    /// listener actually bound, so the descriptor and JWT audience name the real address.
    pub fn build_with_clock(settings: Settings, clock: Clock) -> Result<Self, StartupError> {
        Self::build_with_pause(settings, clock, Pause::real())
    }

    /// As [`Application::build_with_clock`], with the Jira client's retries waiting through
    /// `pause` (tests pass [`Pause::recording`] to see the waits without spending them).
    pub fn build_with_pause(
        mut settings: Settings,
        clock: Clock,
        pause: Pause,
    ) -> Result<Self, StartupError> {
        private_files::create_private_dir(&settings.data_dir).map_err(|source| {
            StartupError::DataDir {
                path: settings.data_dir.display().to_string(),
                source,
            }
        })?;
        let master = Keyring::load(
            settings.master_key_file.as_deref(),
            &settings.data_dir,
            settings.master_key_decrypt_only_file.as_deref(),
        )?;
        let pool = db::open(&settings.database_url, settings.database_pool)?;
        let listener =
            TcpListener::bind(settings.bind_address).map_err(|source| StartupError::Bind {
                address: settings.bind_address.to_string(),
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind {
                address: settings.bind_address.to_string(),
                source,
            })?
            .port();
        if settings.base_url.port() == Some(0) {
            // Setting a port on an http(s) URL cannot fail.
            let _ = settings.base_url.set_port(Some(port));
        }

        let base_url = settings.base_url_str();
        let feed = web::Data::new(FeedState::new(
            master.derive(CURSOR_KEY_PURPOSE),
            ExportLimits::new(
                settings.export_limits.per_user,
                settings.export_limits.total,
            ),
        ));
        let state = web::Data::new(
            AppState::new(settings, pool, clock, &master, pause)
                .map_err(|e| StartupError::HttpClient(e.to_string()))?,
        );
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(feed.clone())
                .app_data(web::FormConfig::default().limit(64 * 1024))
                .app_data(web::JsonConfig::default().limit(256 * 1024))
                .wrap(from_fn(security::default_csp))
                .wrap(
                    DefaultHeaders::new()
                        .add(("Referrer-Policy", "no-referrer"))
                        .add(("X-Content-Type-Options", "nosniff")),
                )
                .wrap(from_fn(telemetry::log_request))
                .configure(|cfg| routes::configure(cfg, &state))
        })
        .listen(listener)
        .map_err(|source| StartupError::Bind {
            address: format!("port {port}"),
            source,
        })?
        .run();
        Ok(Self {
            port,
            base_url,
            server,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The base URL the app serves under (after port-0 resolution).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
