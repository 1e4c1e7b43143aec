//! Typed configuration, read from the environment only and validated once at start, so a bad
//! deployment fails in the first second with one line naming the variable instead of later.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

/// A configuration error: always names the variable and says what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {variable}: {reason}")]
pub struct SettingsError {
    pub variable: &'static str,
    pub reason: String,
}

fn invalid(variable: &'static str, reason: impl Into<String>) -> SettingsError {
    SettingsError {
        variable,
        reason: reason.into(),
    }
}

/// Which database to use: a SQLite file (the default, one instance) or PostgreSQL (any number
/// of instances sharing it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(PostgresUrl),
}

/// A `postgres://` URL. It may carry a password, so `Display` and `Debug` show it as `***`;
/// only the pool sees the real one.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl(Url);

impl PostgresUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = Url::parse(raw).map_err(|e| format!("not a URL ({e})"))?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err("expected postgres://user:password@host:port/database".into());
        }
        Ok(Self(url))
    }

    /// The URL with `name=value` added to its parameters unless the operator set it already.
    pub fn with_param(&self, name: &str, value: &str) -> String {
        let mut url = self.0.clone();
        if !url.query_pairs().any(|(key, _)| key == name) {
            url.query_pairs_mut().append_pair(name, value);
        }
        url.into()
    }

    /// The same server and credentials, another database (tests make one per test).
    pub fn with_database(&self, database: &str) -> Self {
        let mut url = self.0.clone();
        url.set_path(&format!("/{database}"));
        Self(url)
    }

    /// The URL as written, password included: for the connection only, never for a log.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
}

impl std::fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = self.0.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("***"));
        }
        let pairs: Vec<(String, String)> = shown
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "password" {
                    "***".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        if !pairs.is_empty() {
            shown.query_pairs_mut().clear().extend_pairs(pairs);
        }
        f.write_str(shown.as_str())
    }
}

impl std::fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PostgresUrl({self})")
    }
}

/// How the pool behaves; from `DATABASE_POOL_SIZE`, `DATABASE_CONNECT_TIMEOUT_SECONDS` and
/// `DATABASE_STATEMENT_TIMEOUT_SECONDS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolOptions {
    pub size: u32,
    /// How long opening a connection, or waiting for a free one, may take before the request
    /// gets a 503.
    pub connect_timeout: Duration,
    /// PostgreSQL cancels a statement that runs longer (SQLite has no equivalent).
    pub statement_timeout: Duration,
}

impl PoolOptions {
    /// Default timeouts (tests and tools).
    pub fn with_size(size: u32) -> Self {
        Self {
            size,
            connect_timeout: Duration::from_secs(30),
            statement_timeout: Duration::from_secs(30),
        }
    }
}

/// An `http(s)://host[:port]` origin, the unit in which Jira sites are allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    pub fn of(url: &Url) -> Option<Self> {
        match url.scheme() {
            "http" | "https" => Some(Self(url.origin().ascii_serialization())),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which Jira sites may install the app and be called. By default the production host
/// allow-list Atlassian's own framework applies; operators add exact origins (the emulator).
#[derive(Clone, Debug)]
pub struct AllowedJiraHosts {
    extra_origins: Vec<Origin>,
}

/// The domains Atlassian serves Jira Cloud sites under: the one host list (install allow-list,
/// CSP defaults, and which sites load `all.js` from Atlassian's CDN).
const ATLASSIAN_SUFFIXES: [&str; 3] = [".atlassian.net", ".jira.com", ".jira-dev.com"];

/// Whether `host` is a site under one of Atlassian's Jira domains (a name before the suffix).
pub fn is_atlassian_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    ATLASSIAN_SUFFIXES
        .iter()
        .any(|suffix| host.ends_with(suffix) && host.len() > suffix.len())
}

impl AllowedJiraHosts {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut extra_origins = Vec::new();
        for item in raw
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            let url = Url::parse(item).map_err(|e| format!("`{item}` is not a URL ({e})"))?;
            if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
                return Err(format!(
                    "`{item}` must be an origin like http://127.0.0.1:9001 (no path)"
                ));
            }
            let origin =
                Origin::of(&url).ok_or_else(|| format!("`{item}` must use http or https"))?;
            extra_origins.push(origin);
        }
        Ok(Self { extra_origins })
    }

    /// True when `url` is an https URL on an Atlassian cloud domain or an explicitly allowed origin.
    pub fn allows(&self, url: &Url) -> bool {
        let Some(origin) = Origin::of(url) else {
            return false;
        };
        if self.extra_origins.contains(&origin) {
            return true;
        }
        url.scheme() == "https"
            && url.port().is_none()
            && url.host_str().is_some_and(is_atlassian_host)
    }

    /// CSP `frame-ancestors` sources for pages served before we know the tenant.
    pub fn frame_ancestor_sources(&self) -> Vec<String> {
        let mut sources: Vec<String> = ATLASSIAN_SUFFIXES
            .iter()
            .map(|suffix| format!("https://*{suffix}"))
            .collect();
        sources.extend(self.extra_origins.iter().map(|o| o.as_str().to_owned()));
        sources
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// The public URL Jira reaches; the descriptor's `baseUrl` (no trailing slash).
    pub base_url: Url,
    pub bind_address: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: DatabaseUrl,
    pub install_keys_url: Url,
    pub allowed_jira_hosts: AllowedJiraHosts,
    /// How long an in-app session token lives; pages refresh it on every render.
    pub session_ttl: time::Duration,
    /// How long a session lives in all, from the Jira page load that opened it, however often
    /// its token is renewed: a leaked session token (they travel in URLs) dies with it.
    pub session_max: time::Duration,
    /// Timeout for each call to Jira and to the install-keys server.
    pub outbound_timeout: std::time::Duration,
    /// Pool size and timeouts (`DATABASE_POOL_SIZE`, `DATABASE_CONNECT_TIMEOUT_SECONDS`,
    /// `DATABASE_STATEMENT_TIMEOUT_SECONDS`).
    pub database_pool: PoolOptions,
    /// `MASTER_KEY_FILE`: the at-rest key every instance shares. Unset = `DATA_DIR/at-rest.key`,
    /// created on first start (one instance only; required with PostgreSQL).
    pub master_key_file: Option<PathBuf>,
    /// `MASTER_KEY_DECRYPT_ONLY_FILE`: during a key rotation, the other key (the new one before
    /// the switch, the old one after it), accepted for opening sealed secrets, never for sealing
    /// or signing. Unset outside a rotation.
    pub master_key_decrypt_only_file: Option<PathBuf>,
    /// How many exports may stream at once (see `feed::limits`).
    pub export_limits: ExportLimitSettings,
}

/// `EXPORTS_PER_USER` (default 8: a BI tool refreshing a model runs several table queries in
/// parallel) and `EXPORTS_TOTAL` (default 32), the per-user one at most the total.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExportLimitSettings {
    pub per_user: usize,
    pub total: usize,
}

impl ExportLimitSettings {
    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let per_user = parse_number("EXPORTS_PER_USER", get("EXPORTS_PER_USER"), 8, 1..=256)?;
        let total = parse_number("EXPORTS_TOTAL", get("EXPORTS_TOTAL"), 32, 1..=4096)?;
        if per_user > total {
            return Err(invalid(
                "EXPORTS_PER_USER",
                format!("{per_user} is more than EXPORTS_TOTAL ({total})"),
            ));
        }
        Ok(Self {
            per_user: per_user as usize,
            total: total as usize,
        })
    }
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests can pass their own variables.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

        let base_url = parse_base_url(
            "BASE_URL",
            &get("BASE_URL").unwrap_or_else(|| "http://localhost:8080".into()),
        )?;
        let bind_address = get("BIND_ADDRESS")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .trim()
            .parse::<SocketAddr>()
            .map_err(|_| invalid("BIND_ADDRESS", "expected host:port, e.g. 127.0.0.1:8080"))?;
        let data_dir = PathBuf::from(get("DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = match get("DATABASE_URL") {
            None => DatabaseUrl::Sqlite(data_dir.join("app.sqlite3")),
            Some(raw) => parse_database_url(raw.trim())?,
        };
        let install_keys_url = parse_http_url(
            "INSTALL_KEYS_URL",
            &get("INSTALL_KEYS_URL")
                .unwrap_or_else(|| "https://connect-install-keys.atlassian.com".into()),
        )?;
        let allowed_jira_hosts =
            AllowedJiraHosts::parse(&get("ALLOWED_JIRA_HOSTS").unwrap_or_default())
                .map_err(|reason| invalid("ALLOWED_JIRA_HOSTS", reason))?;
        let session_ttl = time::Duration::minutes(parse_number(
            "SESSION_TTL_MINUTES",
            get("SESSION_TTL_MINUTES"),
            30,
            1..=720,
        )?);
        let session_max = time::Duration::minutes(parse_number(
            "SESSION_MAX_MINUTES",
            get("SESSION_MAX_MINUTES"),
            480,
            1..=10_080,
        )?);
        if session_max < session_ttl {
            return Err(invalid(
                "SESSION_MAX_MINUTES",
                "must be at least SESSION_TTL_MINUTES",
            ));
        }
        let outbound_timeout = Duration::from_secs(parse_number(
            "OUTBOUND_TIMEOUT_SECONDS",
            get("OUTBOUND_TIMEOUT_SECONDS"),
            20,
            1..=300,
        )? as u64);
        let database_pool = PoolOptions {
            size: parse_number("DATABASE_POOL_SIZE", get("DATABASE_POOL_SIZE"), 8, 1..=64)? as u32,
            connect_timeout: Duration::from_secs(parse_number(
                "DATABASE_CONNECT_TIMEOUT_SECONDS",
                get("DATABASE_CONNECT_TIMEOUT_SECONDS"),
                5,
                1..=120,
            )? as u64),
            statement_timeout: Duration::from_secs(parse_number(
                "DATABASE_STATEMENT_TIMEOUT_SECONDS",
                get("DATABASE_STATEMENT_TIMEOUT_SECONDS"),
                30,
                1..=3600,
            )? as u64),
        };
        let master_key_file = get("MASTER_KEY_FILE").map(|raw| PathBuf::from(raw.trim()));
        if matches!(database_url, DatabaseUrl::Postgres(_)) && master_key_file.is_none() {
            return Err(invalid(
                "MASTER_KEY_FILE",
                "is required with a PostgreSQL DATABASE_URL, so every instance seals and signs \
                 with the same key; create one with `jira-bi-connector generate-key <path>`",
            ));
        }
        let master_key_decrypt_only_file =
            get("MASTER_KEY_DECRYPT_ONLY_FILE").map(|raw| PathBuf::from(raw.trim()));
        let export_limits = ExportLimitSettings::from_lookup(get)?;

        Ok(Self {
            base_url,
            bind_address,
            data_dir,
            database_url,
            install_keys_url,
            allowed_jira_hosts,
            session_ttl,
            session_max,
            outbound_timeout,
            database_pool,
            master_key_file,
            master_key_decrypt_only_file,
            export_limits,
        })
    }

    /// `BASE_URL` without a trailing slash, as served in the descriptor and expected as `aud`.
    pub fn base_url_str(&self) -> String {
        self.base_url.as_str().trim_end_matches('/').to_owned()
    }

    /// The path part of `BASE_URL` ("" at the root), stripped from paths before computing qsh.
    pub fn base_path(&self) -> &str {
        self.base_url.path().trim_end_matches('/')
    }
}

fn parse_http_url(variable: &'static str, raw: &str) -> Result<Url, SettingsError> {
    let url = Url::parse(raw.trim())
        .map_err(|e| invalid(variable, format!("`{}` is not a URL ({e})", raw.trim())))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid(variable, "must be an http:// or https:// URL"));
    }
    Ok(url)
}

fn parse_base_url(variable: &'static str, raw: &str) -> Result<Url, SettingsError> {
    let url = parse_http_url(variable, raw)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(variable, "must not contain a query or fragment"));
    }
    Ok(url)
}

fn parse_database_url(raw: &str) -> Result<DatabaseUrl, SettingsError> {
    if let Some(path) = raw.strip_prefix("sqlite://") {
        if path.is_empty() || path == ":memory:" {
            return Err(invalid(
                "DATABASE_URL",
                "needs a file path, e.g. sqlite://./data/app.sqlite3",
            ));
        }
        return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
    }
    if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
        return PostgresUrl::parse(raw)
            .map(DatabaseUrl::Postgres)
            .map_err(|reason| invalid("DATABASE_URL", reason));
    }
    Err(invalid(
        "DATABASE_URL",
        "expected sqlite://<path> or postgres://user:password@host/database",
    ))
}

fn parse_number(
    variable: &'static str,
    raw: Option<String>,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, SettingsError> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    let value = raw
        .trim()
        .parse::<i64>()
        .map_err(|_| invalid(variable, format!("`{}` is not a whole number", raw.trim())))?;
    if !range.contains(&value) {
        return Err(invalid(
            variable,
            format!(
                "{value} is out of range ({}..={})",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_match_the_documented_values() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.base_url_str(), "http://localhost:8080");
        assert_eq!(s.bind_address.to_string(), "127.0.0.1:8080");
        assert_eq!(
            s.database_url,
            DatabaseUrl::Sqlite(PathBuf::from("./data/app.sqlite3"))
        );
        assert_eq!(
            s.install_keys_url.as_str(),
            "https://connect-install-keys.atlassian.com/"
        );
    }

    #[test]
    fn database_defaults_to_a_file_in_the_data_dir() {
        let s = settings(&[("DATA_DIR", "/var/lib/bi")]).unwrap();
        assert_eq!(
            s.database_url,
            DatabaseUrl::Sqlite(PathBuf::from("/var/lib/bi/app.sqlite3"))
        );
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        for (name, value) in [
            ("BASE_URL", "not a url"),
            ("BASE_URL", "ftp://x"),
            ("BIND_ADDRESS", "localhost"),
            ("DATABASE_URL", "mysql://x"),
            ("DATABASE_URL", "postgresql://[bad"),
            ("DATABASE_CONNECT_TIMEOUT_SECONDS", "0"),
            ("DATABASE_STATEMENT_TIMEOUT_SECONDS", "forever"),
            ("INSTALL_KEYS_URL", "::"),
            ("ALLOWED_JIRA_HOSTS", "http://127.0.0.1:9001/path"),
            ("SESSION_TTL_MINUTES", "0"),
            ("SESSION_MAX_MINUTES", "0"),
            ("SESSION_MAX_MINUTES", "10081"),
            ("OUTBOUND_TIMEOUT_SECONDS", "soon"),
            ("EXPORTS_PER_USER", "0"),
            ("EXPORTS_TOTAL", "many"),
        ] {
            let err = settings(&[(name, value)]).unwrap_err();
            assert_eq!(err.variable, name, "{value}");
            assert!(err.to_string().starts_with("configuration error: "));
        }
    }

    #[test]
    fn sessions_last_480_minutes_in_all_by_default_and_never_less_than_one_token() {
        assert_eq!(
            settings(&[]).unwrap().session_max,
            time::Duration::minutes(480)
        );
        let err =
            settings(&[("SESSION_TTL_MINUTES", "60"), ("SESSION_MAX_MINUTES", "59")]).unwrap_err();
        assert_eq!(err.variable, "SESSION_MAX_MINUTES");
        assert!(err.to_string().contains("SESSION_TTL_MINUTES"), "{err}");
    }

    #[test]
    fn export_limits_default_to_eight_per_user_and_32_in_total_and_must_nest() {
        let defaults = settings(&[]).unwrap().export_limits;
        assert_eq!(
            defaults,
            ExportLimitSettings {
                per_user: 8,
                total: 32
            }
        );
        let set = settings(&[("EXPORTS_PER_USER", "3"), ("EXPORTS_TOTAL", "3")]).unwrap();
        assert_eq!(set.export_limits.per_user, 3);
        let err = settings(&[("EXPORTS_PER_USER", "9"), ("EXPORTS_TOTAL", "4")]).unwrap_err();
        assert_eq!(err.variable, "EXPORTS_PER_USER");
        assert!(err.reason.contains("EXPORTS_TOTAL"), "{}", err.reason);
    }

    #[test]
    fn a_postgres_url_is_accepted_with_a_shared_key_and_never_shows_its_password() {
        let s = settings(&[
            (
                "DATABASE_URL",
                "postgres://bi:s3cret@db.internal:5432/bi?sslmode=require",
            ),
            ("MASTER_KEY_FILE", "/etc/bi/master.key"),
        ])
        .unwrap();
        let DatabaseUrl::Postgres(url) = &s.database_url else {
            panic!("{:?}", s.database_url)
        };
        assert_eq!(
            url.to_string(),
            "postgres://bi:***@db.internal:5432/bi?sslmode=require"
        );
        assert!(!format!("{s:?}").contains("s3cret"));
        assert!(
            url.with_param("connect_timeout", "5")
                .ends_with("&connect_timeout=5")
        );
        assert_eq!(s.master_key_file, Some(PathBuf::from("/etc/bi/master.key")));
        assert_eq!(s.master_key_decrypt_only_file, None);
        let query_password = PostgresUrl::parse("postgresql:///bi?host=/run&password=hunter2")
            .unwrap()
            .to_string();
        assert!(!query_password.contains("hunter2"), "{query_password}");
    }

    #[test]
    fn postgres_without_a_shared_master_key_is_refused() {
        let err = settings(&[("DATABASE_URL", "postgres://db/bi")]).unwrap_err();
        assert_eq!(err.variable, "MASTER_KEY_FILE");
    }

    #[test]
    fn database_timeouts_default_to_five_and_thirty_seconds() {
        let pool = settings(&[]).unwrap().database_pool;
        assert_eq!(pool.size, 8);
        assert_eq!(pool.connect_timeout, std::time::Duration::from_secs(5));
        assert_eq!(pool.statement_timeout, std::time::Duration::from_secs(30));
    }

    #[test]
    fn atlassian_hosts_are_allowed_only_over_https() {
        let hosts = AllowedJiraHosts::parse("").unwrap();
        let allows = |u: &str| hosts.allows(&Url::parse(u).unwrap());
        assert!(allows("https://acme.atlassian.net"));
        assert!(allows("https://acme.jira-dev.com/"));
        assert!(!allows("http://acme.atlassian.net"));
        assert!(!allows("https://atlassian.net.evil.com"));
        assert!(!allows("https://evilatlassian.net"));
        assert!(!allows("https://.atlassian.net"));
        assert!(!allows("http://127.0.0.1:9001"));
    }

    #[test]
    fn extra_origins_are_matched_exactly() {
        let hosts =
            AllowedJiraHosts::parse("http://127.0.0.1:9001, http://127.0.0.1:9002").unwrap();
        let allows = |u: &str| hosts.allows(&Url::parse(u).unwrap());
        assert!(allows("http://127.0.0.1:9001"));
        assert!(allows("http://127.0.0.1:9002/"));
        assert!(!allows("http://127.0.0.1:9003"));
        assert!(!allows("https://127.0.0.1:9001"));
    }
}
