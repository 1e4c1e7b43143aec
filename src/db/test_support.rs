//! Fixtures for store unit tests: a real SQLite file with migrations applied (never `:memory:`,
//! which a pool would split into separate databases) and, when the test run has a PostgreSQL
//! server (`TEST_POSTGRES_URL`, set by `tests/run`), a fresh database on it, so the store tests
//! run against both backends. An installed tenant owns the rows.

use std::path::PathBuf;

use diesel::RunQueryDsl;
use diesel::connection::Connection;

use crate::connect::tenants::{self, ClientKey, Installation};
use crate::db::{self, Conn, Pool};
use crate::settings::{DatabaseUrl, PostgresUrl};

pub struct TestDb {
    _dir: tempfile::TempDir,
    /// The SQLite file (for a PostgreSQL database, a path that does not exist).
    pub path: PathBuf,
    pub pool: Pool,
    /// `sqlite` or `postgres`, for assertion messages.
    pub backend: &'static str,
    postgres: Option<(PostgresUrl, String)>,
}

pub fn test_db() -> TestDb {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("test.sqlite3");
    let pool = db::connect(&DatabaseUrl::Sqlite(path.clone()), 8).expect("a test database");
    TestDb {
        _dir: dir,
        path,
        pool,
        backend: "sqlite",
        postgres: None,
    }
}

/// The server `tests/run` started, or `None` (with the reason printed once per test) when this
/// run has none. `TEST_POSTGRES_REQUIRED=1` (set by `.ci/run`) turns a missing server into a
/// failure, so CI cannot pass without running the PostgreSQL tests.
pub fn postgres_server() -> Option<PostgresUrl> {
    match std::env::var("TEST_POSTGRES_URL") {
        Ok(raw) if !raw.trim().is_empty() => {
            Some(PostgresUrl::parse(raw.trim()).expect("TEST_POSTGRES_URL is a postgres:// URL"))
        }
        _ => {
            assert!(
                std::env::var("TEST_POSTGRES_REQUIRED").as_deref() != Ok("1"),
                "TEST_POSTGRES_REQUIRED=1 but TEST_POSTGRES_URL is not set (tests/run starts the server)"
            );
            eprintln!(
                "skipping the PostgreSQL backend: TEST_POSTGRES_URL is not set (tests/run sets it when it can start PostgreSQL)"
            );
            None
        }
    }
}

/// A new, empty database on `server`, named uniquely for this test.
pub fn create_postgres_database(server: &PostgresUrl) -> (PostgresUrl, String) {
    let name = format!(
        "bi_test_{}",
        crate::crypto::random_token::<9>()
            .expect("random")
            .to_ascii_lowercase()
            .replace('-', "_")
    );
    let mut admin =
        diesel::pg::PgConnection::establish(server.expose()).expect("the test PostgreSQL server");
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .expect("a test database");
    (server.with_database(&name), name)
}

/// A fresh PostgreSQL database with migrations applied, when the run has a server.
pub fn postgres_test_db() -> Option<TestDb> {
    let server = postgres_server()?;
    let (url, name) = create_postgres_database(&server);
    let pool = db::connect(&DatabaseUrl::Postgres(url), 8).expect("the PostgreSQL test database");
    Some(TestDb {
        _dir: tempfile::tempdir().expect("a temp dir"),
        path: PathBuf::from("/nonexistent/postgres"),
        pool,
        backend: "postgres",
        postgres: Some((server, name)),
    })
}

/// SQLite, and PostgreSQL when the run has a server: each store test runs on both.
pub fn test_dbs() -> Vec<TestDb> {
    let mut dbs = vec![test_db()];
    dbs.extend(postgres_test_db());
    dbs
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.postgres
            && let Ok(mut admin) = diesel::pg::PgConnection::establish(server.expose())
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

/// Installs a tenant with `client_key` and returns its row id.
pub fn install_tenant(conn: &mut Conn, client_key: &str) -> i64 {
    let installation = Installation {
        client_key: ClientKey::parse(client_key).expect("a client key"),
        shared_secret_sealed: "sealed".into(),
        base_url: url::Url::parse("https://acme.atlassian.net").expect("a URL"),
        display_url: url::Url::parse("https://acme.atlassian.net").expect("a URL"),
        product_type: "jira".into(),
        oauth_client_id: None,
    };
    tenants::record_installation(conn, &installation, 0).expect("installed");
    tenants::find_by_client_key(conn, client_key)
        .expect("lookup")
        .expect("the tenant")
        .id
}
