//! OData v4 for Power BI, Excel and Tableau: one entity set `Issues` of a flat `Issue` type, per
//! data source, at `/feed/{id}/odata`. One file per endpoint; this module holds what they share:
//! absolute URLs and the headers (exactly one `OData-Version: 4.0`; Power Query breaks on a
//! duplicated one). Authentication and lookup are [`crate::feed::request`]'s, typed [`OData`]
//! so their errors are OData-shaped.

pub mod count;
pub mod issues;
pub mod metadata;
pub mod service;

use actix_web::http::StatusCode;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, HttpResponseBuilder};

use crate::state::AppState;

pub use super::request::OData;

pub use super::error::ODATA_JSON;

/// The namespace of the CSDL schema.
pub const NAMESPACE: &str = "JiraBI";
pub const ENTITY_TYPE: &str = "Issue";
pub const ENTITY_SET: &str = "Issues";

/// The service root of data source `id`: `{BASE_URL}/feed/{id}/odata` (absolute, since Excel and
/// Power BI reject relative context URLs and next links).
pub fn service_root(state: &AppState, id: i64) -> String {
    format!(
        "{}/feed/{id}/odata",
        state.settings.base_url_str().trim_end_matches('/')
    )
}

/// A response with the OData headers.
pub fn builder(status: StatusCode, content_type: &str) -> HttpResponseBuilder {
    let mut builder = HttpResponse::build(status);
    builder
        .insert_header(("OData-Version", "4.0"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .content_type(content_type);
    builder
}
