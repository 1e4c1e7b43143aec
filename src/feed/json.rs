//! `GET /feed/{id}/json`: pages of rows for scripts and a Looker Studio connector:
//! `{"columns":[{"name","type"}],"rows":[{…}],"next":"<absolute url>"|null}`. `limit` sets the
//! page size (default 1,000, at most 10,000), `cursor` is the opaque position from `next`; the
//! same `$select`, `$filter`, `$orderby`, `$top` and `$skip` as the other feeds apply.

use actix_web::http::StatusCode;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde_json::json;

use super::FeedState;
use super::cursor::CursorCodec;
use super::error::{FeedError, Format};
use super::export::{Resume, Row};
use super::paging::{Page, request_fingerprint};
use super::query::{Params, parse_options, prepare};
use super::source;
use super::stream::{self, Encoder, ExportLabel, json_keys, json_object};
use crate::state::AppState;
use crate::tokens::auth::{TokenAuthError, TokenOwner};

pub const DEFAULT_LIMIT: u64 = 1_000;
pub const MAX_LIMIT: u64 = 10_000;

#[get("/feed/{id}/json")]
pub async fn json(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    owner: Result<TokenOwner, TokenAuthError>,
    id: web::Path<String>,
    request: HttpRequest,
) -> HttpResponse {
    match serve(&state, &feed, owner, &id, &request).await {
        Ok(response) => response,
        Err(err) => err.response(Format::Json),
    }
}

async fn serve(
    state: &web::Data<AppState>,
    feed: &FeedState,
    owner: Result<TokenOwner, TokenAuthError>,
    raw_id: &str,
    request: &HttpRequest,
) -> Result<HttpResponse, FeedError> {
    let owner = owner?;
    let data_source = source::data_source(state, &owner, source::parse_id(raw_id)?).await?;
    let params = Params::parse(request.query_string());
    let options = parse_options(&params, Format::Json)?;
    let limit = match params.get("limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                FeedError::bad_request(format!(
                    "limit must be a whole number from 1 to {MAX_LIMIT}, not '{raw}'."
                ))
            })?,
    };
    let page = Page::resolve(
        &feed.cursors,
        params.get("cursor"),
        request_fingerprint("json", &data_source, &options),
        &options,
        limit,
    )?;
    // Held from the first Jira call to the end of the streamed body.
    let permit = feed
        .limits
        .try_acquire(owner.tenant.id, owner.account_id.as_str())?;
    let access = source::jira_access(state, &owner).await?;
    let columns = source::columns(state, feed, &owner, &access, &data_source).await?;
    let prepared = prepare(&data_source.jql, &columns, &options)?;
    let (site, creds) = &access;
    let plan = prepared.plan(
        site,
        creds,
        page.start.clone(),
        page.skip,
        Some(page.limit),
        feed.tuning,
    );
    let described: Vec<serde_json::Value> = prepared
        .output
        .columns()
        .iter()
        .map(|c| json!({"name": c.name(), "type": c.edm_type().as_str()}))
        .collect();
    let names: Vec<&str> = prepared.output.columns().iter().map(|c| c.name()).collect();
    let others = params.encode_without(&["cursor"]);
    let base = format!(
        "{}/feed/{}/json?{}",
        state.settings.base_url_str().trim_end_matches('/'),
        data_source.id,
        if others.is_empty() {
            String::new()
        } else {
            format!("{others}&")
        }
    );
    let encoder = JsonEncoder {
        columns: serde_json::Value::Array(described).to_string(),
        keys: json_keys(&names),
        rows: 0,
        next_base: base,
        page,
        codec: feed.cursors.clone(),
    };
    let events = stream::start(
        state,
        &owner,
        ExportLabel {
            data_source_id: data_source.id,
            format: Format::Json,
        },
        plan,
        permit,
    );
    let mut response = HttpResponse::build(StatusCode::OK);
    response
        .content_type("application/json")
        .insert_header((CACHE_CONTROL, "no-store"));
    Ok(stream::respond(events, encoder, response, Format::Json).await)
}

struct JsonEncoder {
    columns: String,
    keys: Vec<Vec<u8>>,
    rows: u64,
    next_base: String,
    page: Page,
    codec: CursorCodec,
}

impl Encoder for JsonEncoder {
    fn head(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"columns\":");
        out.extend_from_slice(self.columns.as_bytes());
        out.extend_from_slice(b",\"rows\":[");
    }

    fn rows(&mut self, rows: &[Row], out: &mut Vec<u8>) {
        for row in rows {
            if self.rows > 0 {
                out.push(b',');
            }
            json_object(&self.keys, row, out);
            self.rows += 1;
        }
    }

    fn tail(&mut self, resume: Option<Resume>, out: &mut Vec<u8>) {
        out.extend_from_slice(b"],\"next\":");
        match self.page.next(resume, self.rows, None) {
            Some(cursor) => {
                let link = format!("{}cursor={}", self.next_base, self.codec.encode(&cursor));
                out.extend_from_slice(&serde_json::to_vec(&link).unwrap_or_default());
            }
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }
}
