//! Endpoints BI tools call, and the export machinery behind them. Every handler here takes a
//! [`crate::tokens::auth::TokenOwner`], so a request without a valid access token is answered 401
//! before any data is touched.
//!
//! Pure parts (unit-tested beside their code): [`columns`] (issue JSON → typed cells),
//! [`filter`] (`$filter`), [`jql`] (pushdown), [`cursor`] (signed paging tokens), [`csv_format`],
//! [`query`] (shared options). The engine is [`export`]; [`request`] is how every endpoint starts
//! (owner, data source, options, Jira access); [`source`] finds the data source and
//! the owner's Jira access; [`limits`] bounds how many exports run at once; [`stream`] turns an
//! export into a response body; [`odata`], [`csv`] and [`json`] are the endpoints.

pub mod columns;
pub mod csv;
pub mod csv_format;
pub mod cursor;
pub mod error;
pub mod export;
pub mod field_cache;
pub mod filter;
pub mod jql;
pub mod json;
pub mod limits;
pub mod odata;
pub mod paging;
pub mod query;
pub mod request;
pub mod source;
pub mod stream;
pub mod tables;
pub mod whoami;

use cursor::CursorCodec;
use export::Tuning;
use field_cache::FieldCache;
use limits::ExportLimits;

/// What the feeds share across requests (registered as its own `web::Data`).
#[derive(Debug)]
pub struct FeedState {
    pub cursors: CursorCodec,
    pub fields: FieldCache,
    pub tuning: Tuning,
    /// Concurrent exports per user and in total (`EXPORTS_PER_USER`, `EXPORTS_TOTAL`).
    pub limits: ExportLimits,
}

impl FeedState {
    pub fn new(cursor_key: [u8; 32], limits: ExportLimits) -> Self {
        Self {
            cursors: CursorCodec::new(cursor_key),
            fields: FieldCache::default(),
            tuning: Tuning::default(),
            limits,
        }
    }
}
