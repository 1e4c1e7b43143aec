//! `GET /feed/{id}/odata/Issues`: the entity set, streamed. Pages hold [`DEFAULT_PAGE_SIZE`] rows
//! (large, since each page restarts the Jira pipeline; memory does not depend on it)
//! (or what `Prefer: odata.maxpagesize` asks, echoed in `Preference-Applied`) and end with an
//! absolute `@odata.nextLink` carrying a signed `$skiptoken`. `$count=true` is counted once, on
//! the first page, and carried in the token.

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderValue;
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::{ENTITY_SET, ODATA_JSON, builder, resolve, service_root};
use crate::datasources::store::DataSource;
use crate::feed::FeedState;
use crate::feed::cursor::CursorCodec;
use crate::feed::error::{FeedError, Format};
use crate::feed::export::{self, Resume, Row};
use crate::feed::paging::{Page, request_fingerprint};
use crate::feed::query::{Params, parse_options, prepare};
use crate::feed::source;
use crate::feed::stream::{self, Encoder, ExportLabel, json_keys, json_object};
use crate::state::AppState;
use crate::tokens::auth::{TokenAuthError, TokenOwner};

/// Rows per page unless the client prefers fewer (or more, up to [`MAX_PAGE_SIZE`]).
pub const DEFAULT_PAGE_SIZE: u64 = 50_000;
pub const MAX_PAGE_SIZE: u64 = 200_000;

#[get("/feed/{id}/odata/Issues")]
pub async fn issues(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    owner: Result<TokenOwner, TokenAuthError>,
    id: web::Path<String>,
    request: HttpRequest,
) -> HttpResponse {
    let (owner, data_source) = match resolve(&state, owner, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match serve(&state, &feed, &owner, &data_source, &request).await {
        Ok(response) => response,
        Err(err) => err.response(Format::OData),
    }
}

async fn serve(
    state: &web::Data<AppState>,
    feed: &FeedState,
    owner: &TokenOwner,
    data_source: &DataSource,
    request: &HttpRequest,
) -> Result<HttpResponse, FeedError> {
    let params = Params::parse(request.query_string());
    let options = parse_options(&params, Format::OData)?;
    // Held from the first Jira call (`$count=true` included) to the end of the streamed body.
    let permit = feed
        .limits
        .try_acquire(owner.tenant.id, owner.account_id.as_str())?;
    let access = source::jira_access(state, owner).await?;
    let columns = source::columns(state, feed, owner, &access, data_source).await?;
    let prepared = prepare(&data_source.jql, &columns, &options)?;
    let (page_size, preferred) = page_size(request);
    let page = Page::resolve(
        &feed.cursors,
        options.skiptoken.as_deref(),
        request_fingerprint("odata", data_source, &options),
        &options,
        page_size,
    )?;
    let (site, creds) = &access;
    let count = match (options.count, page.count) {
        (false, _) => None,
        (true, Some(known)) => Some(known),
        (true, None) => {
            let counting = prepare(&data_source.jql, &columns, &options.for_count())?;
            let plan = counting.plan(site, creds, None, 0, None, feed.tuning);
            let jira = state.jira.with_fresh_stats();
            match export::count(&jira, &plan).await {
                Ok((count, stats)) => {
                    tracing::info!(
                        datasource.id = data_source.id,
                        export.rows = count,
                        jira.requests = stats.requests,
                        jira.retries = stats.retries,
                        "counted issues for $count"
                    );
                    Some(count)
                }
                Err(export::ExportError::Jira(err)) => {
                    return Err(source::jira_failed(state, owner, creds, err).await);
                }
                Err(err) => return Err(err.into()),
            }
        }
    };
    let plan = prepared.plan(
        site,
        creds,
        page.start.clone(),
        page.skip,
        Some(page.limit),
        feed.tuning,
    );
    let root = service_root(state, data_source.id);
    let selected: Vec<&str> = prepared.output.columns().iter().map(|c| c.name()).collect();
    let context = match &options.select {
        None => format!("{root}/$metadata#{ENTITY_SET}"),
        Some(_) => format!("{root}/$metadata#{ENTITY_SET}({})", selected.join(",")),
    };
    let others = params.encode_without(&["$skiptoken"]);
    let next_base = if others.is_empty() {
        format!("{root}/{ENTITY_SET}?")
    } else {
        format!("{root}/{ENTITY_SET}?{others}&")
    };
    let encoder = ODataEncoder {
        context,
        count,
        keys: json_keys(&selected),
        rows: 0,
        next_base,
        page,
        codec: feed.cursors.clone(),
    };
    let events = stream::start(
        state,
        owner,
        ExportLabel {
            data_source_id: data_source.id,
            format: Format::OData,
        },
        plan,
        permit,
    );
    let mut response = builder(StatusCode::OK, ODATA_JSON);
    if let Some(applied) = preferred {
        response.insert_header(("Preference-Applied", format!("odata.maxpagesize={applied}")));
    }
    Ok(stream::respond(events, encoder, response, Format::OData).await)
}

/// The page size, and whether it came from `Prefer: odata.maxpagesize=N`.
fn page_size(request: &HttpRequest) -> (u64, Option<u64>) {
    let preferred = request
        .headers()
        .get_all("Prefer")
        .filter_map(|value: &HeaderValue| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|preference| {
            let (name, value) = preference.split_once('=')?;
            let name = name.trim();
            (name.eq_ignore_ascii_case("odata.maxpagesize")
                || name.eq_ignore_ascii_case("maxpagesize"))
            .then(|| value.trim().trim_matches('"').parse::<u64>().ok())
            .flatten()
        })
        .find(|size| *size > 0)
        .map(|size| size.min(MAX_PAGE_SIZE));
    (preferred.unwrap_or(DEFAULT_PAGE_SIZE), preferred)
}

struct ODataEncoder {
    context: String,
    count: Option<u64>,
    keys: Vec<Vec<u8>>,
    rows: u64,
    /// `{root}/Issues?<other options>&` — the token is appended.
    next_base: String,
    page: Page,
    codec: CursorCodec,
}

impl Encoder for ODataEncoder {
    fn head(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"@odata.context\":");
        out.extend_from_slice(&serde_json::to_vec(&self.context).unwrap_or_default());
        if let Some(count) = self.count {
            out.extend_from_slice(format!(",\"@odata.count\":{count}").as_bytes());
        }
        out.extend_from_slice(b",\"value\":[");
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
        out.push(b']');
        if let Some(cursor) = self.page.next(resume, self.rows, self.count) {
            let link = format!(
                "{}$skiptoken={}",
                self.next_base,
                self.codec.encode(&cursor)
            );
            out.extend_from_slice(b",\"@odata.nextLink\":");
            out.extend_from_slice(&serde_json::to_vec(&link).unwrap_or_default());
        }
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn prefer_maxpagesize_is_honoured_within_bounds() {
        let size = |prefer: Option<&str>| {
            let mut request = TestRequest::default();
            if let Some(prefer) = prefer {
                request = request.insert_header(("Prefer", prefer));
            }
            page_size(&request.to_http_request())
        };
        assert_eq!(size(None), (DEFAULT_PAGE_SIZE, None));
        assert_eq!(size(Some("odata.maxpagesize=50")), (50, Some(50)));
        assert_eq!(
            size(Some("return=minimal, odata.maxpagesize=\"7\"")),
            (7, Some(7))
        );
        assert_eq!(
            size(Some("maxpagesize=9000000")),
            (MAX_PAGE_SIZE, Some(MAX_PAGE_SIZE))
        );
        assert_eq!(size(Some("odata.maxpagesize=0")), (DEFAULT_PAGE_SIZE, None));
    }
}
