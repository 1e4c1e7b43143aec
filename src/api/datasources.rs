//! `GET /api/datasources` and `GET /api/datasources/{id}`: the caller's own data sources, each
//! with its tables, their columns and feed URLs, so a connector can offer a picker and a schema
//! without knowing the feed formats. One file per endpoint; [`description`] holds what both
//! return and the one list of tables that a richer data model extends.

pub mod description;
pub mod list;
pub mod show;

use actix_web::web;

/// Registers `GET /api/datasources` and `GET /api/datasources/{id}` (TokenOwner extractor).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list::list).service(show::show);
}
