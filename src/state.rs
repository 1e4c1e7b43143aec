//! Application state: what every handler and extractor shares. It sits below the handlers and
//! above the services it holds, so handlers import it from here and `startup` only builds it:
//! keeping it out of `startup` (which imports every route) is what keeps the layers acyclic.

use actix_web::{HttpRequest, web};

use crate::clock::Clock;
use crate::connect::app_jwt::APP_KEY;
use crate::connect::install_keys::InstallKeys;
use crate::crypto::{Keyring, Sealer};
use crate::db::Pool;
use crate::error::AppError;
use crate::jira::app::JiraApp;
use crate::jira::client::{BodyLimits, JiraClient, JiraClientConfig, Pause, RetryPolicy};
use crate::settings::Settings;

/// HKDF purpose of the key that signs in-app session tokens (never a tenant secret).
pub const SESSION_KEY_PURPOSE: &[u8] = b"session-token-v1";
/// HKDF purpose for sealing users' Jira API tokens.
pub const JIRA_TOKEN_PURPOSE: &[u8] = b"jira-api-token-v1";
/// HKDF purpose for sealing tenant shared secrets.
pub const SHARED_SECRET_PURPOSE: &[u8] = b"tenant-shared-secret-v1";
/// HKDF purpose of the key that signs feed paging cursors.
pub const CURSOR_KEY_PURPOSE: &[u8] = b"feed-cursor-v1";

/// Everything a handler needs, shared by all workers.
pub struct AppState {
    pub settings: Settings,
    pub pool: Pool,
    pub clock: Clock,
    pub tenant_secrets: Sealer,
    pub jira_tokens: Sealer,
    pub session_key: [u8; 32],
    pub install_keys: InstallKeys,
    /// Calls Jira sites as a user; never follows redirects, so a call cannot leave the tenant's
    /// origin.
    pub jira: JiraClient,
    /// Calls Jira sites as the app itself (app JWT): admin checks, groups, pickers.
    pub jira_app: JiraApp,
}

impl AppState {
    /// Derives every key from `master` for its purpose (sealers also open under its decrypt-only
    /// keys during a rotation; only the current key signs) and builds the outbound HTTP clients
    /// (no redirects, `OUTBOUND_TIMEOUT`); the Jira client's retries wait through `pause`.
    pub fn new(
        settings: Settings,
        pool: Pool,
        clock: Clock,
        master: &Keyring,
        pause: Pause,
    ) -> Result<Self, reqwest::Error> {
        let outbound = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.outbound_timeout)
            .timeout(settings.outbound_timeout)
            .user_agent(concat!("jira-bi-connector/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let jira = JiraClient::new(
            JiraClientConfig {
                connect_timeout: settings.outbound_timeout,
                request_timeout: settings.outbound_timeout,
                retry: RetryPolicy::default(),
                body_limits: BodyLimits::default(),
            },
            clock,
        )?
        .with_pause(pause);
        let tenant_secrets = master.sealer(SHARED_SECRET_PURPOSE);
        let jira_app = JiraApp::new(&jira, tenant_secrets.clone(), APP_KEY);
        Ok(Self {
            jira_app,
            install_keys: InstallKeys::new(settings.install_keys_url.clone(), outbound),
            tenant_secrets,
            jira_tokens: master.sealer(JIRA_TOKEN_PURPOSE),
            session_key: master.derive(SESSION_KEY_PURPOSE),
            jira,
            settings,
            pool,
            clock,
        })
    }
}

/// The shared application state, for extractors.
pub fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal("application state missing"))
}
