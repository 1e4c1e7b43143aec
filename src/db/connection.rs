//! The one connection type every store function takes: SQLite or PostgreSQL behind diesel's
//! `MultiConnection` derive, so each query is written once and runs on either backend. The
//! derive's generated items (`MultiBackend`, rows, bind collector) live in this module.

use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;

#[derive(diesel::MultiConnection)]
pub enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}
