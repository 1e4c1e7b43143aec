//! What the running emulator remembers: per site its directory, data set, install state and
//! cached searches; across sites the faults, counters and the HTTP client for lifecycle calls.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::clock::Clock;
use crate::crypto::SecretString;

use super::dataset::Dataset;
use super::directory::SiteInfo;
use super::faults::FaultState;
use super::groups::{Group, default_groups};
use super::install::Descriptor;
use super::search::SearchCache;
use super::stats::StatsCounters;

pub(crate) struct Shared {
    pub sites: Vec<SiteRuntime>,
    pub faults: FaultState,
    pub stats: StatsCounters,
    /// Where the app lives; settable after start because tests bind the app after the sites.
    pub app_url: std::sync::RwLock<String>,
    pub clock: Clock,
    pub http: reqwest::Client,
}

pub(crate) struct SiteRuntime {
    pub info: SiteInfo,
    pub dataset: Dataset,
    pub install: Mutex<InstallState>,
    /// Serialises lifecycle flows of this site (install, uninstall…) across awaits.
    pub lifecycle: tokio::sync::Mutex<()>,
    /// One flag per user in `info.users`.
    pub captcha: Vec<AtomicBool>,
    pub searches: Mutex<SearchCache>,
    /// The site's groups, memberships and ADMINISTER grants.
    pub groups: Mutex<Vec<Group>>,
}

/// The app's installation on one site, as Jira would know it.
#[derive(Debug, Default)]
pub(crate) struct InstallState {
    pub installed: bool,
    pub enabled: bool,
    /// The secret sent in the last successful `installed` callback.
    pub shared_secret: Option<SecretString>,
    pub descriptor: Option<Descriptor>,
    /// One line about the last lifecycle attempt, shown on the host page.
    pub last_event: Option<String>,
}

impl SiteRuntime {
    pub(crate) fn new(info: SiteInfo, dataset: Dataset) -> Self {
        let captcha = info
            .users
            .iter()
            .map(|user| AtomicBool::new(user.captcha_locked))
            .collect();
        Self {
            dataset,
            install: Mutex::new(InstallState::default()),
            lifecycle: tokio::sync::Mutex::new(()),
            captcha,
            searches: Mutex::new(SearchCache::default()),
            groups: Mutex::new(default_groups(&info.name, info.users.len())),
            info,
        }
    }

    pub(crate) fn groups(&self) -> MutexGuard<'_, Vec<Group>> {
        self.groups.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn install_state(&self) -> MutexGuard<'_, InstallState> {
        self.install.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn searches(&self) -> MutexGuard<'_, SearchCache> {
        self.searches.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn captcha_locked(&self, user: usize) -> bool {
        self.captcha
            .get(user)
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    }

    pub(crate) fn set_captcha_locked(&self, user: usize, locked: bool) -> bool {
        match self.captcha.get(user) {
            Some(flag) => {
                flag.store(locked, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// The user named by `as` on the host page: an index or an accountId; default the first.
    pub(crate) fn user_by_handle(&self, handle: Option<&str>) -> usize {
        handle
            .and_then(|handle| {
                handle.parse::<usize>().ok().or_else(|| {
                    self.info
                        .users
                        .iter()
                        .position(|user| user.account_id == handle)
                })
            })
            .filter(|&user| user < self.info.users.len())
            .unwrap_or(0)
    }
}

/// Request-side handle: which site this server plays, plus everything shared.
#[derive(Clone)]
pub(crate) struct SiteCtx {
    pub shared: Arc<Shared>,
    pub index: usize,
}

impl SiteCtx {
    pub(crate) fn site(&self) -> &SiteRuntime {
        &self.shared.sites[self.index]
    }
}

impl Shared {
    /// The app's base URL (no trailing slash).
    pub(crate) fn app_url(&self) -> String {
        self.app_url
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
