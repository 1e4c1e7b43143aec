//! Opening a PostgreSQL database: the pool (with libpq's `connect_timeout` and the session's
//! statement timeout), then migrations from `migrations/postgres`. Several instances may start
//! at once: diesel's migration harness runs each migration in a transaction, and an advisory
//! lock makes the other instances wait for the first one instead of racing it.

use diesel::RunQueryDsl;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::db::connection::Conn;
use crate::db::error::DbError;
use crate::db::manager::{Manager, Pool};
use crate::settings::PoolOptions;
use crate::settings::PostgresUrl;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Advisory-lock key held while migrating ("jbc-migr" in ASCII).
const MIGRATION_LOCK: i64 = 0x6a62_632d_6d69_6772;

pub(super) fn open(url: &PostgresUrl, options: PoolOptions) -> Result<Pool, DbError> {
    let unreachable = |reason: String| DbError::Unreachable {
        url: url.to_string(),
        reason: one_line(&reason),
    };
    let seconds = options.connect_timeout.as_secs().max(1);
    let manager = Manager::postgres(
        url.with_param("connect_timeout", &seconds.to_string()),
        options.statement_timeout,
    );
    // Opening one connection first gives libpq's own reason ("connection refused", "password
    // authentication failed") instead of r2d2's timeout.
    r2d2::ManageConnection::connect(&manager).map_err(|e| unreachable(e.to_string()))?;
    let pool = r2d2::Pool::builder()
        .max_size(options.size)
        .connection_timeout(options.connect_timeout)
        .build(manager)
        .map_err(|e| unreachable(e.to_string()))?;
    let mut conn = pool.get().map_err(|e| unreachable(e.to_string()))?;
    let Conn::Postgres(inner) = &mut *conn else {
        return Err(DbError::Setup("expected a PostgreSQL connection".into()));
    };
    let setup = |e: &dyn std::fmt::Display| DbError::Setup(one_line(&e.to_string()));
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .execute(inner)
        .map_err(|e| setup(&e))?;
    let migrated = inner.run_pending_migrations(MIGRATIONS).map(|_| ());
    let unlocked =
        diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(inner);
    migrated.map_err(|e| setup(&e))?;
    unlocked.map_err(|e| setup(&e))?;
    Ok(pool)
}

/// libpq's messages span lines ("…failed: Connection refused\n\tIs the server running…").
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
