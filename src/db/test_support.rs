//! Fixtures for store unit tests: a real SQLite file with migrations applied (never `:memory:`,
//! which a pool would split into separate databases) and an installed tenant to own rows.

use std::path::PathBuf;

use crate::connect::tenants::{self, ClientKey, Installation};
use crate::db::{self, Conn, Pool};
use crate::settings::DatabaseUrl;

pub struct TestDb {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub pool: Pool,
}

pub fn test_db() -> TestDb {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("test.sqlite3");
    let pool = db::connect(&DatabaseUrl::Sqlite(path.clone()), 8).expect("a test database");
    TestDb {
        _dir: dir,
        path,
        pool,
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
