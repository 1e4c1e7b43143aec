//! Storage: an r2d2 pool of connections to SQLite (the embedded default) or PostgreSQL (several
//! instances on one database), embedded migrations for each applied before the port binds, and
//! the one write-transaction helper whose locking holds across instances. Store functions are
//! synchronous and take `&mut Conn`; handlers reach them only through [`run`], which moves the
//! work off the async executor.

mod connection;
mod error;
mod manager;
mod postgres;
pub mod schema;
mod sqlite;
#[cfg(test)]
pub mod test_support;

use diesel::connection::{
    AnsiTransactionManager, Connection, SimpleConnection, TransactionManager,
};

pub use connection::Conn;
pub use error::DbError;
pub use manager::{Manager, Pool};
pub use postgres::MIGRATIONS as POSTGRES_MIGRATIONS;
pub use sqlite::MIGRATIONS;

use crate::error::AppError;
use crate::settings::DatabaseUrl;
pub use crate::settings::PoolOptions;

/// The backend type of [`Conn`], for boxed queries that run on either database.
pub type Backend = connection::MultiBackend;

/// Opens the pool with default timeouts (tests and tools).
pub fn connect(url: &DatabaseUrl, size: u32) -> Result<Pool, DbError> {
    open(url, PoolOptions::with_size(size))
}

/// Opens the pool and applies pending migrations.
pub fn open(url: &DatabaseUrl, options: PoolOptions) -> Result<Pool, DbError> {
    match url {
        DatabaseUrl::Sqlite(path) => sqlite::open(path, options),
        DatabaseUrl::Postgres(url) => postgres::open(url, options),
    }
}

/// Runs `work` with a pooled connection on the blocking thread pool.
pub async fn run<T, F>(pool: &Pool, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut Conn) -> Result<T, AppError> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await?
}

/// True when a trivial query succeeds; used by `/healthz`.
pub fn ping(conn: &mut Conn) -> bool {
    conn.batch_execute("SELECT 1;").is_ok()
}

/// Whose writes a [`write_transaction`] serializes with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LockScope<'a> {
    /// One user of one site: their tokens, data sources and saved Jira API token.
    Owner { tenant_id: i64, account_id: &'a str },
    /// One Jira site by clientKey (installs, which may create its row).
    Site { client_key: &'a str },
    /// One site's administrator settings (who may use the app, the maximum token lifetime): one
    /// administrator's change at a time, each with its audit record.
    Settings { tenant_id: i64 },
}

impl LockScope<'_> {
    /// The PostgreSQL advisory-lock key: the first 8 bytes of a SHA-256 of the scope's name.
    fn key(&self) -> i64 {
        let name = match self {
            Self::Owner {
                tenant_id,
                account_id,
            } => format!("jira-bi-connector:owner:{tenant_id}:{account_id}"),
            Self::Site { client_key } => format!("jira-bi-connector:site:{client_key}"),
            Self::Settings { tenant_id } => format!("jira-bi-connector:settings:{tenant_id}"),
        };
        let digest = crate::crypto::sha256(name.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        i64::from_be_bytes(first)
    }
}

/// Runs `work` in one transaction that no other writer for `scope` overlaps, on any instance:
/// SQLite takes its write lock up front (`BEGIN IMMEDIATE`; writers queue through
/// `busy_timeout` instead of failing a lock upgrade halfway), PostgreSQL takes a
/// transaction-scoped advisory lock for the scope. Checks such as "fewer than 25 tokens" or
/// "this form id is new" made inside `work` therefore still hold when it commits.
pub fn write_transaction<T>(
    conn: &mut Conn,
    scope: &LockScope<'_>,
    work: impl FnOnce(&mut Conn) -> Result<T, AppError>,
) -> Result<T, AppError> {
    match conn {
        Conn::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
        }
        Conn::Postgres(inner) => {
            AnsiTransactionManager::begin_transaction(inner)?;
        }
    }
    let result = lock(conn, scope).and_then(|()| work(conn));
    type Manager = <Conn as Connection>::TransactionManager;
    match result {
        Ok(value) => match Manager::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(err) => {
                let _ = Manager::rollback_transaction(conn);
                Err(err.into())
            }
        },
        Err(err) => {
            Manager::rollback_transaction(conn)?;
            Err(err)
        }
    }
}

/// Inside a [`write_transaction`], also holds `scope` until it ends, for work that must not
/// overlap two scopes' writers (creating a token reads the site's maximum lifetime). Take
/// scopes in the order owner, then settings, and two owners by account id (a data source's
/// handover), so two such transactions cannot deadlock.
pub fn also_lock(conn: &mut Conn, scope: &LockScope<'_>) -> Result<(), AppError> {
    lock(conn, scope)
}

fn lock(conn: &mut Conn, scope: &LockScope<'_>) -> Result<(), AppError> {
    if let Conn::Postgres(inner) = conn {
        use diesel::RunQueryDsl;
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(scope.key())
            .execute(inner)?;
    }
    Ok(())
}
