//! Storage: an r2d2 pool of connections to SQLite (the embedded default) or PostgreSQL (several
//! instances on one database), embedded migrations for each applied before the port binds, and
//! the one write-transaction helper whose locking holds across instances. Store functions are
//! synchronous and take `&mut Conn`; handlers reach them only through [`run`], which moves the
//! work off the async executor.

mod connection;
mod manager;
mod postgres;
pub mod schema;
mod sqlite;
#[cfg(test)]
pub mod test_support;

use std::time::Duration;

use diesel::connection::{
    AnsiTransactionManager, Connection, SimpleConnection, TransactionManager,
};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

pub use connection::Conn;
pub use manager::Manager;
pub use postgres::MIGRATIONS as POSTGRES_MIGRATIONS;
pub use sqlite::MIGRATIONS;

use crate::error::AppError;
use crate::settings::DatabaseUrl;

/// The backend type of [`Conn`], for boxed queries that run on either database.
pub type Backend = connection::MultiBackend;
pub type Pool = r2d2::Pool<Manager>;

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
    pub fn with_size(size: u32) -> Self {
        Self {
            size,
            connect_timeout: Duration::from_secs(30),
            statement_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the database directory {path}: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot make the database file {path} private (mode 0600): {source}")]
    Permissions {
        path: String,
        source: std::io::Error,
    },
    /// One line, naming the variable and the URL with its password redacted.
    #[error("cannot reach the database at DATABASE_URL={url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("cannot open the database: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("cannot prepare the database: {0}")]
    Setup(String),
}

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

fn lock(conn: &mut Conn, scope: &LockScope<'_>) -> Result<(), AppError> {
    if let Conn::Postgres(inner) = conn {
        use diesel::RunQueryDsl;
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(scope.key())
            .execute(inner)?;
    }
    Ok(())
}

/// Whether a query failed because the database went away (server restarted, network cut), so
/// the request deserves a 503 and a retry rather than a 500.
pub fn is_connection_lost(err: &DieselError) -> bool {
    matches!(
        err,
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        ) | DieselError::BrokenTransactionManager
    )
}
