//! A local Jira Cloud emulator: real HTTP servers on loopback that play one or more Jira Cloud
//! sites, so the app can be tried by hand and tested end to end with no Atlassian account.
//!
//! Each site has its own port (its own origin), stable `clientKey` and users, a generated issue
//! data set, the REST endpoints the app calls (with Jira's shapes, errors and limits), a host
//! page that frames the app the way Jira does, and the signed Connect lifecycle.
//!
//! # Library API (tests start it in-process on port 0)
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use jira_emulator::{Emulator, EmulatorConfig, FaultConfig};
//! let emulator = Emulator::start(EmulatorConfig {
//!     app_url: "http://127.0.0.1:8080".into(),
//!     ..EmulatorConfig::default()          // two sites on free ports, 500 issues each
//! })
//! .await?;
//! let alpha = &emulator.sites()[0];        // SiteInfo { name, base_url, client_key, users, .. }
//! let alice = &alpha.users[0];             // UserInfo { account_id, email, api_token, .. }
//! emulator.install(0).await?;              // descriptor → signed `installed` + `enabled`
//! let secret = emulator.shared_secret(0);  // what the last `installed` carried
//! let iframe = emulator.page_url(0, 1)?;   // Bob's signed page URL
//! emulator.set_faults(FaultConfig { rate_limit_every: Some(5), ..FaultConfig::default() });
//! let stats = emulator.stats();            // per-endpoint counts, 429s sent, concurrency…
//! let truth = emulator.dataset(0)?.issue(0); // ground truth to compare exports with
//! emulator.uninstall(0).await?;
//! # let _ = (alice, secret, iframe, stats, truth);
//! emulator.stop().await;
//! # Ok(()) }
//! ```
//!
//! Other calls: `enable`/`disable(site)`, `is_installed(site)`, `install_keys_url()`,
//! `faults()`, `reset_stats()`, `set_captcha_locked(site, user, locked)`,
//! `sign_install_claims(&claims)` (RS256 + `kid` with the emulator's key, for forged-install
//! tests), `stop()`. Page and lifecycle tokens can be forged with `shared_secret(site)` and
//! [`signing::sign_shared`], their qsh computed with [`qsh::hash`]; [`testing`] gives a site's
//! data set, the field catalogue and the JQL parser without starting a server.
//!
//! Tokens: `installed`/`uninstalled` carry `Authorization: JWT` RS256 with header `kid` and claims
//! `iss` = clientKey, `aud` = `[descriptor baseUrl]`, `sub` = "addon_installer", `qsh`, `iat`,
//! `exp` = iat + 180 s; `enabled`/`disabled` are HS256 with the shared secret (`iss`, `qsh`, no
//! `aud`); page tokens are HS256 with `iss`, `sub` = accountId, `qsh`, `context.user.accountId`.
//!
//! # Sites and users (identifiers are the same on every run)
//!
//! * site 0 "alpha": Alice Anderson; Bob Brown, who cannot browse project OPS (so per-user
//!   permissions show in exports); Dave Davis, whose account is CAPTCHA-locked: REST calls with
//!   his credentials answer `403` + `X-Authentication-Denied-Reason: CAPTCHA_CHALLENGE; login-url=…`
//!   until someone "logs in" at `<site>/login.jsp` (or a test calls `set_captcha_locked`).
//! * site 1 "beta": Carol Clark. Further sites: gamma (Erin Evans), then siteN.
//!
//! Emails are `<first>@<site>.example.com`; API tokens and accountIds are derived from site and
//! user names (the host page and the binary's log print them).
//!
//! # HTTP surface of a site
//!
//! * `GET /`: host page (`?as=<user index|accountId>`, `&app=1` shows the app in
//!   `<iframe id="app-frame">`); `GET /login.jsp`; `GET /atlassian-connect/all.js` (no-op `AP`).
//! * `GET /connect-install-keys/<kid>`: PEM public key of the install tokens.
//! * `/rest/api/{2,3}/`: `myself`, `search/jql` (GET, POST), `search/approximate-count`,
//!   `issue/bulkfetch`, `field`, `project/search`, `changelog/bulkfetch`,
//!   `issue/{idOrKey}/changelog`, `issue/{idOrKey}/worklog`, `worklog/updated`, `worklog/list`,
//!   `status`, `project/{key}/version` (paged) and `/versions`, `issueLinkType`; the removed
//!   `search` answers 410. Basic auth (`email:api_token`) is required; JQL support (including
//!   `worklogDate`) is described in `jql.rs` and `jql_eval.rs`. Issues carry generated change
//!   histories and worklogs (`dataset/history.rs`, `dataset/worklogs.rs`); the first user of each
//!   site (Alice, Carol, Erin) is its administrator and alone sees worklogs restricted to a group
//!   or role.
//! * `/rest/agile/1.0/`: `board`, `board/{id}`, `board/{id}/sprint`, `sprint/{id}`,
//!   `sprint/{id}/issue`, with the same auth. Boards, sprints, versions and links are described
//!   in `dataset/agile.rs`, `dataset/versions.rs` and `dataset/links.rs`; [`testing::SiteData`]
//!   gives their ground truth.
//! * `/_emulator/`: `POST install|uninstall|enable|disable` (form or `Accept: application/json`),
//!   `GET|POST faults` (partial [`FaultConfig`] JSON), `GET stats`, `POST stats/reset`.
//!
//! # The `jira-emulator` binary
//!
//! Configured from the environment ([`config::ENV_VARS`]): `EMULATOR_HOST` (127.0.0.1),
//! `EMULATOR_PORTS` (9001,9002), `EMULATOR_APP_URL` (http://localhost:8080), `EMULATOR_ISSUES`
//! (500), `EMULATOR_SEED` (42), `EMULATOR_LATENCY_MS` (0), `EMULATOR_AUTO_INSTALL` (true: retry
//! installing into every site for up to a minute), `EMULATOR_WORKERS` (2).

#![forbid(unsafe_code)]

mod admin;
mod app_jwt;
mod auth;
mod clock;
pub mod config;
mod crypto;
mod dataset;
mod directory;
mod error;
mod faults;
mod fields;
mod groups;
mod host_page;
mod install;
mod jql;
mod jql_eval;
pub mod qsh;
mod rest;
mod search;
mod server;
pub mod signing;
mod state;
mod stats;
pub mod testing;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use tokio::task::JoinHandle;

pub use clock::Clock;
pub use config::{BinaryConfig, ConfigError, DatasetConfig, EmulatorConfig, FaultConfig};
pub use dataset::{
    ApiVersion, BOARDS, BoardDef, Dataset, FIRST_ISSUE_ID, IssueLink, LINK_TYPES, LinkTypeDef,
    ProjectDef, Sprint, SprintState, Version,
};
pub use directory::{Person, SiteInfo, UserInfo};
pub use error::EmulatorError;
pub use jql::JqlError;
pub use jql_eval::Viewer;
pub use stats::Stats;

use faults::FaultState;
use state::{Shared, SiteCtx, SiteRuntime};
use stats::StatsCounters;

/// A running emulator: one HTTP server per site. Drop it (or call [`Emulator::stop`]) to stop.
pub struct Emulator {
    shared: Arc<Shared>,
    sites: Vec<SiteInfo>,
    handles: Vec<ServerHandle>,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
}

impl Emulator {
    /// Binds every site's port and starts serving on the current tokio runtime; returns at once.
    /// The RSA install key is generated in the background (once per process).
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        tokio::spawn(async {
            if let Err(error) = signing::install_key().await {
                tracing::error!(error = %error, "could not generate the emulator's install key");
            }
        });
        let public_host = match config.bind_host.as_str() {
            "0.0.0.0" | "" => "127.0.0.1",
            host => host,
        };
        let mut listeners = Vec::new();
        let mut runtimes = Vec::new();
        for (index, &port) in config.site_ports.iter().enumerate() {
            let listener = TcpListener::bind((config.bind_host.as_str(), port))?;
            let port = listener.local_addr()?.port();
            let info = directory::site(index, &format!("http://{public_host}:{port}"));
            let people = directory::people(index, &info);
            let dataset = Dataset::new(&config.dataset, index, &info.base_url, people);
            runtimes.push(SiteRuntime::new(info, dataset));
            listeners.push(listener);
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(std::io::Error::other)?;
        let shared = Arc::new(Shared {
            sites: runtimes,
            faults: FaultState::new(config.faults.clone()),
            stats: StatsCounters::default(),
            app_url: std::sync::RwLock::new(config.app_url.trim_end_matches('/').to_owned()),
            clock: config.clock,
            http,
        });
        let mut handles = Vec::new();
        let mut tasks = Vec::new();
        for (index, listener) in listeners.into_iter().enumerate() {
            let ctx = SiteCtx {
                shared: Arc::clone(&shared),
                index,
            };
            let (server, handle) = server::serve(ctx, listener, config.workers)?;
            handles.push(handle);
            tasks.push(tokio::spawn(server));
        }
        let sites = shared.sites.iter().map(|site| site.info.clone()).collect();
        Ok(Emulator {
            shared,
            sites,
            handles,
            tasks,
        })
    }

    /// The sites, in `site_ports` order.
    pub fn sites(&self) -> &[SiteInfo] {
        &self.sites
    }

    /// Where apps fetch install-token public keys: `{site 0}/connect-install-keys` (+ `/<kid>`).
    pub fn install_keys_url(&self) -> String {
        let first = self.sites.first().map(|site| site.base_url.as_str());
        format!("{}/connect-install-keys", first.unwrap_or_default())
    }

    /// Fetches the descriptor and sends a signed `installed` (with a fresh shared secret, so a
    /// repeat install rotates it), then `enabled`.
    pub async fn install(&self, site: usize) -> Result<(), EmulatorError> {
        install::install(&self.shared, site).await
    }

    /// Sends a signed `uninstalled`; the site forgets the app either way.
    pub async fn uninstall(&self, site: usize) -> Result<(), EmulatorError> {
        install::uninstall(&self.shared, site).await
    }

    /// Sends `enabled` (HS256 with the shared secret).
    pub async fn enable(&self, site: usize) -> Result<(), EmulatorError> {
        install::set_enabled(&self.shared, site, true).await
    }

    /// Sends `disabled` (HS256 with the shared secret).
    pub async fn disable(&self, site: usize) -> Result<(), EmulatorError> {
        install::set_enabled(&self.shared, site, false).await
    }

    pub fn is_installed(&self, site: usize) -> bool {
        self.shared
            .sites
            .get(site)
            .is_some_and(|site| site.install_state().installed)
    }

    /// The shared secret sent in the site's last successful `installed` callback.
    pub fn shared_secret(&self, site: usize) -> Option<String> {
        let site = self.shared.sites.get(site)?;
        let state = site.install_state();
        state
            .shared_secret
            .as_ref()
            .map(|secret| secret.expose().to_owned())
    }

    /// The signed iframe URL of the app's first general page, for `user` of `site`, exactly as
    /// the host page embeds it (fresh `iat`, valid three minutes).
    pub fn page_url(&self, site: usize, user: usize) -> Result<String, EmulatorError> {
        install::page_url(&self.shared, site, user)
    }

    /// The signed iframe URL of the app's admin page (`adminPages[0]`) for `user`, as Jira
    /// renders it from Manage apps; `extra` query parameters are signed in (a forged query).
    pub fn admin_page_url(
        &self,
        site: usize,
        user: usize,
        extra: &[(&str, &str)],
    ) -> Result<String, EmulatorError> {
        let extra: Vec<(String, String)> = extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        install::module_url(&self.shared, site, user, true, &extra)
    }

    /// Makes `user` a Jira administrator of `site` or not (membership of `jira-administrators`,
    /// the group that holds ADMINISTER).
    pub fn set_admin(&self, site: usize, user: usize, admin: bool) -> Result<(), EmulatorError> {
        if admin {
            self.add_to_group(site, user, groups::ADMINS_GROUP)
        } else {
            self.remove_from_group(site, user, groups::ADMINS_GROUP)
        }
    }

    /// Adds `user` to the group called `name` (created, without permissions, if new).
    pub fn add_to_group(&self, site: usize, user: usize, name: &str) -> Result<(), EmulatorError> {
        let runtime = self.site_runtime(site, user)?;
        let mut groups = runtime.groups();
        if let Some(group) = groups.iter_mut().find(|g| g.name == name) {
            group.members.insert(user);
        } else {
            groups.push(groups::Group {
                id: groups::group_id(&runtime.info.name, name),
                name: name.to_owned(),
                members: [user].into(),
                administer: false,
            });
        }
        Ok(())
    }

    /// Takes `user` out of the group called `name` (nothing if they were not in it).
    pub fn remove_from_group(
        &self,
        site: usize,
        user: usize,
        name: &str,
    ) -> Result<(), EmulatorError> {
        let runtime = self.site_runtime(site, user)?;
        if let Some(group) = runtime.groups().iter_mut().find(|g| g.name == name) {
            group.members.remove(&user);
        }
        Ok(())
    }

    /// The site's groups as `(groupId, name)`.
    pub fn groups(&self, site: usize) -> Result<Vec<(String, String)>, EmulatorError> {
        let runtime = self
            .shared
            .sites
            .get(site)
            .ok_or(EmulatorError::NoSuchSite(site))?;
        Ok(runtime
            .groups()
            .iter()
            .map(|g| (g.id.clone(), g.name.clone()))
            .collect())
    }

    fn site_runtime(&self, site: usize, user: usize) -> Result<&state::SiteRuntime, EmulatorError> {
        let runtime = self
            .shared
            .sites
            .get(site)
            .ok_or(EmulatorError::NoSuchSite(site))?;
        if user >= runtime.info.users.len() {
            return Err(EmulatorError::NoSuchUser { site, user });
        }
        Ok(runtime)
    }

    /// Points the emulator at the app (tests start the app after the sites, to know their URLs).
    pub fn set_app_url(&self, app_url: &str) {
        let mut current = self
            .shared
            .app_url
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *current = app_url.trim_end_matches('/').to_owned();
    }

    /// The `kid` of the install-signing key (generated on first use).
    pub async fn install_kid(&self) -> Result<String, EmulatorError> {
        Ok(signing::install_key().await?.kid.clone())
    }

    /// The install key's public half, as the key server serves it.
    pub async fn install_public_key_pem(&self) -> Result<String, EmulatorError> {
        Ok(signing::install_key().await?.public_pem.clone())
    }

    /// Signs arbitrary claims with the emulator's install key (RS256, `kid` header), so tests can
    /// forge install callbacks that are validly signed but wrong in one claim (aud, qsh, exp…).
    pub async fn sign_install_claims(
        &self,
        claims: &serde_json::Value,
    ) -> Result<String, EmulatorError> {
        let key = signing::install_key().await?;
        signing::sign_install(&key, claims)
    }

    /// Replaces the faults (and restarts the "every Nth request" count).
    pub fn set_faults(&self, faults: FaultConfig) {
        self.shared.faults.set(faults);
    }

    pub fn faults(&self) -> FaultConfig {
        self.shared.faults.current()
    }

    pub fn stats(&self) -> Stats {
        self.shared.stats.snapshot()
    }

    pub fn reset_stats(&self) {
        self.shared.stats.reset();
    }

    /// The ground truth of `site`'s issues.
    pub fn dataset(&self, site: usize) -> Result<&Dataset, EmulatorError> {
        self.shared
            .sites
            .get(site)
            .map(|site| &site.dataset)
            .ok_or(EmulatorError::NoSuchSite(site))
    }

    /// Locks or unlocks a user's REST access behind a CAPTCHA challenge.
    pub fn set_captcha_locked(
        &self,
        site: usize,
        user: usize,
        locked: bool,
    ) -> Result<(), EmulatorError> {
        let runtime = self
            .shared
            .sites
            .get(site)
            .ok_or(EmulatorError::NoSuchSite(site))?;
        if runtime.set_captcha_locked(user, locked) {
            Ok(())
        } else {
            Err(EmulatorError::NoSuchUser { site, user })
        }
    }

    /// Stops every site's server and waits for them.
    pub async fn stop(mut self) {
        for handle in std::mem::take(&mut self.handles) {
            handle.stop(false).await;
        }
        for task in std::mem::take(&mut self.tasks) {
            // A server that failed or panicked is stopped all the same.
            let _ = task.await;
        }
    }

    /// Serves until the servers stop (the binary uses this).
    pub async fn wait(mut self) {
        for task in std::mem::take(&mut self.tasks) {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!(error = %error, "emulator server failed"),
                Err(error) => tracing::error!(error = %error, "emulator server task failed"),
            }
        }
    }
}

impl Drop for Emulator {
    /// Asks the servers to stop, so a test that forgets [`Emulator::stop`] frees its ports.
    fn drop(&mut self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        for handle in self.handles.drain(..) {
            runtime.spawn(async move { handle.stop(false).await });
        }
    }
}
