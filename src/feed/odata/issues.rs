//! `GET /feed/{id}/odata/Issues`: the entity set, streamed. Pages hold [`DEFAULT_PAGE_SIZE`] rows
//! (large, since each page restarts the Jira pipeline; memory does not depend on it)
//! (or what `Prefer: odata.maxpagesize` asks, echoed in `Preference-Applied`) and end with an
//! absolute `@odata.nextLink` carrying a signed `$skiptoken`. `$count=true` is counted once, on
//! the first page, and carried in the token.

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderValue;
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::count::count_rows;
use super::{ENTITY_SET, ODATA_JSON, builder, service_root};
use crate::feed::FeedState;
use crate::feed::export::{Resume, Row};
use crate::feed::paging::NextLink;
use crate::feed::request::{FeedQuery, OData, Rejection};
use crate::feed::stream::{Encoder, JsonRows};
use crate::state::AppState;

/// Rows per page unless the client prefers fewer (or more, up to [`MAX_PAGE_SIZE`]).
pub const DEFAULT_PAGE_SIZE: u64 = 50_000;
pub const MAX_PAGE_SIZE: u64 = 200_000;

#[get("/feed/{id}/odata/Issues")]
pub async fn issues(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    query: FeedQuery<OData>,
    request: HttpRequest,
) -> Result<HttpResponse, Rejection<OData>> {
    entity_set(&state, &feed, &query, &request, ENTITY_SET).await
}

/// `GET /feed/{id}/odata/{EntitySet}`: any table of the data source.
#[get("/feed/{id}/odata/{table}")]
pub async fn table_entity_set(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    query: FeedQuery<OData>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Rejection<OData>> {
    entity_set(&state, &feed, &query, &request, &path.1).await
}

async fn entity_set(
    state: &web::Data<AppState>,
    feed: &FeedState,
    query: &FeedQuery<OData>,
    request: &HttpRequest,
    table: &str,
) -> Result<HttpResponse, Rejection<OData>> {
    // The export slot is held from the first Jira call (`$count=true` included).
    let open = query.open(state, feed).await?;
    let options = &query.options;
    let prepared = query.prepare_table(&open, options, table, state.clock.now())?;
    let (page_size, preferred) = page_size(request);
    // `Issues` keeps its own endpoint name, so cursors issued before tables existed still work.
    let endpoint = if table == ENTITY_SET {
        "odata".to_owned()
    } else {
        format!("odata/{table}")
    };
    let page = query.page(feed, &endpoint, options.skiptoken.as_deref(), page_size)?;
    let count = match (options.count, page.count) {
        (false, _) => None,
        (true, Some(known)) => Some(known),
        (true, None) => Some(count_rows(state, feed, query, &open, table, "$count").await?),
    };
    let plan = open.plan_table_page(feed, &prepared, &page);
    let root = service_root(state, query.data_source.id);
    let selected = prepared.names();
    let context = match &options.select {
        None => format!("{root}/$metadata#{table}"),
        Some(_) => format!("{root}/$metadata#{table}({})", selected.join(",")),
    };
    let others = query.params.encode_without(&["$skiptoken"]);
    let next_base = if others.is_empty() {
        format!("{root}/{table}?$skiptoken=")
    } else {
        format!("{root}/{table}?{others}&$skiptoken=")
    };
    let encoder = ODataEncoder {
        context,
        count,
        rows: JsonRows::new(&selected),
        next: NextLink::new(next_base, page, feed.cursors.clone()),
    };
    let mut head = builder(StatusCode::OK, ODATA_JSON);
    if let Some(applied) = preferred {
        head.insert_header(("Preference-Applied", format!("odata.maxpagesize={applied}")));
    }
    Ok(query.stream(state, open.permit, plan, encoder, head).await)
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
    rows: JsonRows,
    next: NextLink,
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
        self.rows.write(rows, out);
    }

    fn tail(&mut self, resume: Option<Resume>, out: &mut Vec<u8>) {
        out.push(b']');
        if let Some(link) = self.next.json(resume, self.rows.written(), self.count) {
            out.extend_from_slice(b",\"@odata.nextLink\":");
            out.extend_from_slice(&link);
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
