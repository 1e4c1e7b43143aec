//! Opening the SQLite database: a private file in its directory, WAL, migrations from
//! `migrations/sqlite`.

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::db::connection::Conn;
use crate::db::error::DbError;
use crate::db::manager::{Manager, Pool};
use crate::settings::PoolOptions;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

pub(super) fn open(path: &Path, options: PoolOptions) -> Result<Pool, DbError> {
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
    let pool = r2d2::Pool::builder()
        .max_size(options.size)
        .connection_timeout(options.connect_timeout)
        .build(Manager::sqlite(path.to_string_lossy().into_owned()))?;
    let mut conn = pool.get()?;
    let Conn::Sqlite(inner) = &mut *conn else {
        return Err(DbError::Setup("expected a SQLite connection".into()));
    };
    inner
        .batch_execute("PRAGMA journal_mode = WAL;")
        .map_err(|e| DbError::Setup(e.to_string()))?;
    inner
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| DbError::Setup(e.to_string()))?;
    // SQLite copies the database file's mode to the -wal/-shm files it creates; files left by an
    // older version (or a looser umask) are tightened too.
    for suffix in ["-wal", "-shm"] {
        let mut side = path.to_path_buf().into_os_string();
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
