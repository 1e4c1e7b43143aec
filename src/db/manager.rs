//! The r2d2 connection manager: opens the backend `DATABASE_URL` names (never guessing it from
//! the string, as diesel's generic `establish` would) and prepares each new connection: SQLite's
//! pragmas, PostgreSQL's statement timeout.

use std::time::Duration;

use diesel::connection::{Connection, SimpleConnection};
use diesel::pg::PgConnection;
use diesel::r2d2::{Error, R2D2Connection};
use diesel::sqlite::SqliteConnection;

use crate::db::connection::Conn;

/// How long a writer waits for SQLite's lock before giving up.
const BUSY_TIMEOUT_MS: u32 = 10_000;

#[derive(Debug)]
enum Target {
    Sqlite(String),
    /// The URL with `connect_timeout` set; kept out of `Debug` (it may hold a password).
    Postgres {
        url: crate::crypto::SecretString,
        statement_timeout: Duration,
    },
}

/// The pool every handler and store call draws from.
pub type Pool = r2d2::Pool<Manager>;

#[derive(Debug)]
pub struct Manager {
    target: Target,
}

impl Manager {
    pub(super) fn sqlite(path: String) -> Self {
        Self {
            target: Target::Sqlite(path),
        }
    }

    pub(super) fn postgres(url: String, statement_timeout: Duration) -> Self {
        Self {
            target: Target::Postgres {
                url: crate::crypto::SecretString::new(url),
                statement_timeout,
            },
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = Error;

    fn connect(&self) -> Result<Conn, Error> {
        match &self.target {
            Target::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path).map_err(Error::ConnectionError)?;
                conn.batch_execute(&format!(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; PRAGMA synchronous = NORMAL;"
                ))
                .map_err(Error::QueryError)?;
                Ok(Conn::Sqlite(conn))
            }
            Target::Postgres {
                url,
                statement_timeout,
            } => {
                let mut conn =
                    PgConnection::establish(url.expose()).map_err(Error::ConnectionError)?;
                conn.batch_execute(&format!(
                    "SET statement_timeout = {}; SET lock_timeout = {};",
                    statement_timeout.as_millis(),
                    statement_timeout.as_millis()
                ))
                .map_err(Error::QueryError)?;
                Ok(Conn::Postgres(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), Error> {
        conn.ping().map_err(Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.is_broken()
    }
}
