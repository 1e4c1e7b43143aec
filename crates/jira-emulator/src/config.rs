//! Typed emulator configuration. The library takes it as a value (tests build it in code); the
//! binary reads it from `EMULATOR_*` environment variables through [`EmulatorConfig::from_lookup`].

use serde::{Deserialize, Serialize};

use crate::clock::Clock;

/// Everything needed to start an [`Emulator`](super::Emulator).
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Interface to bind, e.g. `127.0.0.1`. Site URLs use it too (`0.0.0.0` is shown as 127.0.0.1).
    pub bind_host: String,
    /// One port per site (0 = any free port). Site 0 is "alpha", site 1 "beta", and so on.
    pub site_ports: Vec<u16>,
    /// Where the app lives; the descriptor is fetched from `{app_url}/atlassian-connect.json`.
    pub app_url: String,
    pub dataset: DatasetConfig,
    pub faults: FaultConfig,
    /// actix worker threads per site.
    pub workers: usize,
    /// Source of `iat`/`exp` for the tokens the emulator signs.
    pub clock: Clock,
}

impl Default for EmulatorConfig {
    /// Two sites on free ports, 500 issues each, no faults: what integration tests want.
    fn default() -> Self {
        Self {
            bind_host: "127.0.0.1".to_owned(),
            site_ports: vec![0, 0],
            app_url: "http://127.0.0.1:8080".to_owned(),
            dataset: DatasetConfig::default(),
            faults: FaultConfig::default(),
            workers: 2,
            clock: Clock::system(),
        }
    }
}

/// Size and seed of the generated issues (the same on every run for the same values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatasetConfig {
    /// Issues per site.
    pub issues: usize,
    pub seed: u64,
}

impl Default for DatasetConfig {
    fn default() -> Self {
        Self {
            issues: 500,
            seed: 42,
        }
    }
}

/// Faults injected into `/rest/...` requests. "Every Nth" counts REST requests across all sites
/// since the faults were last set, so request N, 2N, 3N… get the fault. When several faults fall on
/// the same request, a dropped connection wins over an oversized body, that over a 5xx, and a 5xx
/// over a 429.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Added to every REST request before it is answered.
    pub latency_ms: u64,
    /// Every Nth REST request answers 429 with `Retry-After` and `X-RateLimit-*` headers.
    pub rate_limit_every: Option<u32>,
    /// Seconds sent in `Retry-After` on 429s and 503s.
    pub retry_after_secs: u64,
    /// Every Nth REST request answers `error_status`.
    pub error_5xx_every: Option<u32>,
    /// The status of injected server errors: 503 (sent with `Retry-After`) or 500.
    pub error_status: u16,
    /// Every Nth REST request sends the start of a body and then aborts the connection.
    pub drop_connection_every: Option<u32>,
    /// Every Nth REST request answers 200 with a chunked body of `oversized_body_bytes` bytes
    /// (whitespace, then `{}`), as a broken proxy or a runaway field might.
    pub oversized_body_every: Option<u32>,
    pub oversized_body_bytes: u64,
    /// REST requests are counted and then wait until the faults are set again without this
    /// (a Jira that hangs): holds the app's exports open for as long as a test needs.
    pub stall_requests: bool,
    /// Percent (0–100) of the issues in the data set that `issue/bulkfetch` answers under
    /// `issueErrors` (a retriable error, as the spec allows) instead of returning them. Which
    /// issues is fixed by their position in the data set, so a test can know them in advance.
    pub issue_errors_percent: u8,
    /// How many times each of those issues is answered as an issue error before it is returned
    /// normally; `None` = every time (the issue can never be fetched while the knob is on).
    pub issue_errors_times: Option<u32>,
    /// `changelog/bulkfetch` pages hold at most this many histories, still with a
    /// `nextPageToken` while more follow: pages that end early, which the spec allows.
    pub changelog_page_cap: Option<u32>,
    /// `GET /issue/{id}/worklog` pages hold at most this many worklogs although more follow
    /// (`total` says how many there are).
    pub worklog_page_cap: Option<u32>,
    /// Limits the "every Nth request" faults (and their count) to REST paths containing this
    /// text, e.g. `changelog/bulkfetch` or `/worklog`.
    pub fault_path_contains: Option<String>,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            rate_limit_every: None,
            retry_after_secs: 1,
            error_5xx_every: None,
            error_status: 503,
            drop_connection_every: None,
            oversized_body_every: None,
            oversized_body_bytes: 48 * 1024 * 1024,
            stall_requests: false,
            issue_errors_percent: 0,
            issue_errors_times: None,
            changelog_page_cap: None,
            worklog_page_cap: None,
            fault_path_contains: None,
        }
    }
}

/// What the `jira-emulator` binary reads from the environment, beyond [`EmulatorConfig`].
#[derive(Clone, Debug)]
pub struct BinaryConfig {
    pub emulator: EmulatorConfig,
    /// Keep trying to install the app into every site at start (for up to a minute).
    pub auto_install: bool,
}

/// A configuration variable that could not be parsed; the message names the variable.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

/// The environment variables the binary understands, with their defaults (for docs and logs).
pub const ENV_VARS: &[(&str, &str)] = &[
    ("EMULATOR_HOST", "127.0.0.1"),
    ("EMULATOR_PORTS", "9001,9002"),
    ("EMULATOR_APP_URL", "http://localhost:8080"),
    ("EMULATOR_ISSUES", "500"),
    ("EMULATOR_SEED", "42"),
    ("EMULATOR_LATENCY_MS", "0"),
    ("EMULATOR_AUTO_INSTALL", "true"),
    ("EMULATOR_WORKERS", "2"),
];

impl EmulatorConfig {
    /// Reads the binary's configuration through `lookup` (normally `std::env::var(..).ok()`).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<BinaryConfig, ConfigError> {
        let get = |name: &'static str| -> String {
            lookup(name)
                .filter(|value| !value.trim().is_empty())
                .unwrap_or_else(|| default_of(name).to_owned())
        };
        let ports = get("EMULATOR_PORTS")
            .split(',')
            .map(|part| {
                part.trim().parse::<u16>().map_err(|_| ConfigError {
                    name: "EMULATOR_PORTS",
                    reason: format!("'{part}' is not a port number"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if ports.is_empty() {
            return Err(ConfigError {
                name: "EMULATOR_PORTS",
                reason: "at least one port is needed".to_owned(),
            });
        }
        let app_url = get("EMULATOR_APP_URL");
        url::Url::parse(&app_url).map_err(|error| ConfigError {
            name: "EMULATOR_APP_URL",
            reason: error.to_string(),
        })?;
        let faults = FaultConfig {
            latency_ms: parse_number("EMULATOR_LATENCY_MS", &get("EMULATOR_LATENCY_MS"))?,
            ..FaultConfig::default()
        };
        let emulator = EmulatorConfig {
            bind_host: get("EMULATOR_HOST"),
            site_ports: ports,
            app_url: app_url.trim_end_matches('/').to_owned(),
            dataset: DatasetConfig {
                issues: parse_number("EMULATOR_ISSUES", &get("EMULATOR_ISSUES"))?,
                seed: parse_number("EMULATOR_SEED", &get("EMULATOR_SEED"))?,
            },
            faults,
            workers: parse_number("EMULATOR_WORKERS", &get("EMULATOR_WORKERS"))?,
            clock: Clock::system(),
        };
        let auto_install = match get("EMULATOR_AUTO_INSTALL").to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => true,
            "0" | "false" | "no" | "off" => false,
            other => {
                return Err(ConfigError {
                    name: "EMULATOR_AUTO_INSTALL",
                    reason: format!("'{other}' is not true or false"),
                });
            }
        };
        Ok(BinaryConfig {
            emulator,
            auto_install,
        })
    }
}

fn default_of(name: &str) -> &'static str {
    ENV_VARS
        .iter()
        .find(|(candidate, _)| *candidate == name)
        .map_or("", |(_, default)| *default)
}

fn parse_number<T: std::str::FromStr>(name: &'static str, raw: &str) -> Result<T, ConfigError> {
    raw.trim().parse().map_err(|_| ConfigError {
        name,
        reason: format!("'{raw}' is not a valid number"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let config = EmulatorConfig::from_lookup(|_| None).expect("defaults parse");
        assert_eq!(config.emulator.site_ports, vec![9001, 9002]);
        assert_eq!(config.emulator.app_url, "http://localhost:8080");
        assert_eq!(config.emulator.dataset.issues, 500);
        assert!(config.auto_install);
    }

    #[test]
    fn a_bad_port_list_names_the_variable() {
        let error = EmulatorConfig::from_lookup(|name| {
            (name == "EMULATOR_PORTS").then(|| "9001,x".to_owned())
        })
        .expect_err("bad port rejected");
        assert_eq!(error.name, "EMULATOR_PORTS");
    }

    #[test]
    fn fault_config_accepts_partial_json() {
        let faults: FaultConfig =
            serde_json::from_str(r#"{"rate_limit_every":3}"#).expect("partial json parses");
        assert_eq!(faults.rate_limit_every, Some(3));
        assert_eq!(faults.retry_after_secs, 1);
        assert!(serde_json::from_str::<FaultConfig>(r#"{"bogus":1}"#).is_err());
    }
}
