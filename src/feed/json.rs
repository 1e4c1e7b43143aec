//! `GET /feed/{id}/json`: pages of rows for scripts and a Looker Studio connector:
//! `{"columns":[{"name","type"}],"rows":[{…}],"next":"<absolute url>"|null}`. `limit` sets the
//! page size (default 1,000, at most 10,000), `cursor` is the opaque position from `next`; the
//! same `$select`, `$filter`, `$orderby`, `$top` and `$skip` as the other feeds apply.

use actix_web::http::StatusCode;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, get, web};
use serde_json::json;

use super::FeedState;
use super::error::FeedError;
use super::export::{Resume, Row};
use super::paging::NextLink;
use super::query::Params;
use super::request::{FeedQuery, Json, Rejection};
use super::stream::{Encoder, JsonRows};
use super::tables::catalog::ISSUES;
use crate::state::AppState;

pub const DEFAULT_LIMIT: u64 = 1_000;
pub const MAX_LIMIT: u64 = 10_000;

#[get("/feed/{id}/json")]
pub async fn json(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    query: FeedQuery<Json>,
) -> Result<HttpResponse, Rejection<Json>> {
    table_json(&state, &feed, &query, ISSUES).await
}

/// `GET /feed/{id}/json/{table}`: any table of the data source (`Issues` too).
#[get("/feed/{id}/json/{table}")]
pub async fn json_table(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    query: FeedQuery<Json>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Rejection<Json>> {
    table_json(&state, &feed, &query, &path.1).await
}

async fn table_json(
    state: &web::Data<AppState>,
    feed: &FeedState,
    query: &FeedQuery<Json>,
    table: &str,
) -> Result<HttpResponse, Rejection<Json>> {
    let limit = limit(&query.params)?;
    // `Issues` keeps its own endpoint name, so cursors issued before tables existed still work.
    let (endpoint, path) = if table == ISSUES {
        ("json".to_owned(), "json".to_owned())
    } else {
        (format!("json/{table}"), format!("json/{table}"))
    };
    let page = query.page(feed, &endpoint, query.params.get("cursor"), limit)?;
    let open = query.open(state, feed).await?;
    let prepared = query.prepare_table(&open, &query.options, table, state.clock.now())?;
    let plan = open.plan_table_page(feed, &prepared, &page);
    let described: Vec<serde_json::Value> = prepared
        .columns
        .iter()
        .map(|(name, edm_type)| json!({"name": name, "type": edm_type.as_str()}))
        .collect();
    let names = prepared.names();
    let others = query.params.encode_without(&["cursor"]);
    let base = format!(
        "{}/feed/{}/{path}?{}cursor=",
        state.settings.base_url_str().trim_end_matches('/'),
        query.data_source.id,
        if others.is_empty() {
            String::new()
        } else {
            format!("{others}&")
        }
    );
    let encoder = JsonEncoder {
        columns: serde_json::Value::Array(described).to_string(),
        rows: JsonRows::new(&names),
        next: NextLink::new(base, page, feed.cursors.clone()),
    };
    let mut head = HttpResponse::build(StatusCode::OK);
    head.content_type("application/json")
        .insert_header((CACHE_CONTROL, "no-store"));
    Ok(query.stream(state, open.permit, plan, encoder, head).await)
}

/// The page size `limit` asks for.
fn limit(params: &Params) -> Result<u64, FeedError> {
    match params.get("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(raw) => raw
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                FeedError::bad_request(format!(
                    "limit must be a whole number from 1 to {MAX_LIMIT}, not '{raw}'."
                ))
            }),
    }
}

struct JsonEncoder {
    columns: String,
    rows: JsonRows,
    next: NextLink,
}

impl Encoder for JsonEncoder {
    fn head(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"columns\":");
        out.extend_from_slice(self.columns.as_bytes());
        out.extend_from_slice(b",\"rows\":[");
    }

    fn rows(&mut self, rows: &[Row], out: &mut Vec<u8>) {
        self.rows.write(rows, out);
    }

    fn tail(&mut self, resume: Option<Resume>, out: &mut Vec<u8>) {
        out.extend_from_slice(b"],\"next\":");
        match self.next.json(resume, self.rows.written(), None) {
            Some(link) => out.extend_from_slice(&link),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }
}
