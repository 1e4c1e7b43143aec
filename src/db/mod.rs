//! Storage: an r2d2 pool of SQLite connections, each with the pragmas that make SQLite safe for a
//! concurrent web server (foreign keys, busy timeout), WAL, and embedded migrations applied
//! before the port binds. Store functions are synchronous and take `&mut Conn`; handlers reach
//! them only through [`run`], which moves the work off the async executor.

pub mod schema;
#[cfg(test)]
pub mod test_support;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::AppError;
use crate::settings::DatabaseUrl;

pub type Pool = r2d2::Pool<ConnectionManager<SqliteConnection>>;
/// What store functions take: a plain connection (pooled ones deref to it).
pub type Conn = SqliteConnection;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// How long a writer waits for SQLite's lock before giving up.
const BUSY_TIMEOUT_MS: u32 = 10_000;

#[derive(Debug)]
struct Pragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&format!(
            "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; PRAGMA synchronous = NORMAL;"
        ))
        .map_err(diesel::r2d2::Error::QueryError)
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
    #[error("cannot open the database: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("cannot prepare the database: {0}")]
    Setup(String),
}

/// Opens the pool, switches the file to WAL and applies pending migrations.
pub fn connect(url: &DatabaseUrl, size: u32) -> Result<Pool, DbError> {
    let DatabaseUrl::Sqlite(path) = url;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::private_files::create_private_dir(parent).map_err(|source| DbError::Directory {
            path: parent.display().to_string(),
            source,
        })?;
    }
    crate::private_files::ensure_private_file(path).map_err(|source| DbError::Permissions {
        path: path.display().to_string(),
        source,
    })?;
    let manager = ConnectionManager::<SqliteConnection>::new(path.to_string_lossy());
    let pool = r2d2::Pool::builder()
        .max_size(size)
        .connection_timeout(Duration::from_secs(30))
        .connection_customizer(Box::new(Pragmas))
        .build(manager)?;
    let mut conn = pool.get()?;
    conn.batch_execute("PRAGMA journal_mode = WAL;")
        .map_err(|e| DbError::Setup(e.to_string()))?;
    conn.run_pending_migrations(MIGRATIONS)
        .map_err(|e| DbError::Setup(e.to_string()))?;
    // SQLite copies the database file's mode to the -wal/-shm files it creates; files left by an
    // older version (or a looser umask) are tightened too.
    for suffix in ["-wal", "-shm"] {
        let mut side = path.clone().into_os_string();
        side.push(suffix);
        let side = std::path::PathBuf::from(side);
        crate::private_files::restrict_if_present(&side).map_err(|source| {
            DbError::Permissions {
                path: side.display().to_string(),
                source,
            }
        })?;
    }
    Ok(pool)
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
