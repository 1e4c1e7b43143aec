//! How every feed request starts, in one place and always in the same order: the access token's
//! owner, the owner's data source `{id}` (anyone else's is "not found"), the query options, and —
//! once the endpoint has checked what only it knows — an export permit, the owner's Jira access
//! and the data source's columns. The handlers then show only what is particular to their format.
//!
//! The extractors are typed by format ([`OData`], [`Csv`], [`Json`]), so an error is always
//! written the way that format's clients read errors: a handler returns `Result<_, Rejection<F>>`
//! and `?` on a [`FeedError`] picks the right shape.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use time::OffsetDateTime;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError, web};

use super::FeedState;
use super::columns::ColumnSet;
use super::error::{FeedError, Format};
use super::export::{ExportPlan, Resume};
use super::limits::ExportPermit;
use super::paging::{Page, request_fingerprint};
use super::query::{FeedOptions, Params, Prepared, parse_options, prepare};
use super::source;
use super::stream::{self, Encoder, ExportLabel};
use super::tables::catalog::{self, TableKind};
use super::tables::prepare::PreparedFeed;
use crate::datasources::store::DataSource;
use crate::jira::client::{JiraCredentials, JiraField, JiraSite};
use crate::state::AppState;
use crate::tokens::auth::TokenOwner;

/// The kind of client an endpoint serves, as a type (see the module docs).
pub trait FeedFormat: 'static {
    const FORMAT: Format;
}

/// OData v4 (Power BI, Excel, Tableau).
#[derive(Debug)]
pub enum OData {}
/// The CSV file.
#[derive(Debug)]
pub enum Csv {}
/// The paged JSON feed.
#[derive(Debug)]
pub enum Json {}

impl FeedFormat for OData {
    const FORMAT: Format = Format::OData;
}
impl FeedFormat for Csv {
    const FORMAT: Format = Format::Csv;
}
impl FeedFormat for Json {
    const FORMAT: Format = Format::Json;
}

/// A feed error on its way to an `F` client.
pub struct Rejection<F> {
    error: FeedError,
    format: PhantomData<F>,
}

impl<F> From<FeedError> for Rejection<F> {
    fn from(error: FeedError) -> Self {
        Self {
            error,
            format: PhantomData,
        }
    }
}

impl<F> fmt::Debug for Rejection<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl<F> fmt::Display for Rejection<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.error.message)
    }
}

impl<F: FeedFormat> ResponseError for Rejection<F> {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.error.status
    }

    fn error_response(&self) -> HttpResponse {
        self.error.response(F::FORMAT)
    }
}

type Extracting<T, F> = Pin<Box<dyn Future<Output = Result<T, Rejection<F>>>>>;

/// The access token's owner and their data source `{id}`.
pub struct OwnedSource<F> {
    pub owner: TokenOwner,
    pub data_source: DataSource,
    format: PhantomData<F>,
}

impl<F: FeedFormat> FromRequest for OwnedSource<F> {
    type Error = Rejection<F>;
    type Future = Extracting<Self, F>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let owner = TokenOwner::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let raw_id = req.match_info().get("id").unwrap_or_default().to_owned();
        Box::pin(async move {
            let owner = owner.await.map_err(FeedError::from)?;
            let state = state.ok_or_else(|| FeedError::internal("application state missing"))?;
            let id = source::parse_id(&raw_id)?;
            let data_source = source::data_source(&state, &owner, id).await?;
            Ok(Self {
                owner,
                data_source,
                format: PhantomData,
            })
        })
    }
}

/// An owned data source and what the query string asks of it: the endpoints that read issues.
pub struct FeedQuery<F> {
    pub owner: TokenOwner,
    pub data_source: DataSource,
    /// The whole query string, for the format's own parameters (`bom`, `limit`, `cursor`).
    pub params: Params,
    pub options: FeedOptions,
    format: PhantomData<F>,
}

impl<F: FeedFormat> FromRequest for FeedQuery<F> {
    type Error = Rejection<F>;
    type Future = Extracting<Self, F>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let source = OwnedSource::<F>::from_request(req, payload);
        let params = Params::parse(req.query_string());
        Box::pin(async move {
            let OwnedSource {
                owner, data_source, ..
            } = source.await?;
            let options = parse_options(&params, F::FORMAT)?;
            Ok(Self {
                owner,
                data_source,
                params,
                options,
                format: PhantomData,
            })
        })
    }
}

impl<F: FeedFormat> FeedQuery<F> {
    /// Takes an export slot (held from the first Jira call to the end of the streamed body),
    /// then the owner's Jira access and the data source's columns.
    pub async fn open(&self, state: &AppState, feed: &FeedState) -> Result<OpenFeed, FeedError> {
        let permit = feed
            .limits
            .try_acquire(self.owner.tenant.id, self.owner.account_id.as_str())?;
        let access = source::jira_access(state, &self.owner).await?;
        let fields = source::site_fields(state, feed, &self.owner, &access).await?;
        let columns = ColumnSet::build(&fields, &self.data_source.fields);
        let (site, creds) = access;
        Ok(OpenFeed {
            permit,
            site,
            creds,
            columns,
            fields,
        })
    }

    /// The page `token` (a paging cursor of `endpoint`, bound to this data source and these
    /// options) points at, or the first one; at most `page_size` rows.
    pub fn page(
        &self,
        feed: &FeedState,
        endpoint: &str,
        token: Option<&str>,
        page_size: u64,
    ) -> Result<Page, FeedError> {
        Page::resolve(
            &feed.cursors,
            token,
            request_fingerprint(endpoint, &self.data_source, &self.options),
            &self.options,
            page_size,
        )
    }

    /// Checks `options` against the data source's columns and composes its JQL.
    pub fn prepare(&self, open: &OpenFeed, options: &FeedOptions) -> Result<Prepared, FeedError> {
        prepare(&self.data_source.jql, &open.columns, options)
    }

    /// Checks `options` against the columns of the data source's table `table` (404 when it
    /// has no such table) and composes its JQL; `now` is when time in status is measured to.
    pub fn prepare_table(
        &self,
        open: &OpenFeed,
        options: &FeedOptions,
        table: &str,
        now: OffsetDateTime,
    ) -> Result<PreparedFeed, FeedError> {
        let kind = catalog::resolve(&self.data_source, &open.columns, &open.fields, table)
            .ok_or_else(FeedError::not_found)?;
        match kind {
            TableKind::Issues => Ok(PreparedFeed::issues(&self.prepare(open, options)?)),
            kind => PreparedFeed::extra(&self.data_source.jql, &kind, &open.fields, options, now),
        }
    }

    /// Starts the export of `plan` (releasing `permit` when it ends) and answers with its rows,
    /// written by `encoder` after `head`'s status and headers.
    pub async fn stream(
        &self,
        state: &web::Data<AppState>,
        permit: ExportPermit,
        plan: ExportPlan,
        encoder: impl Encoder,
        head: HttpResponseBuilder,
    ) -> HttpResponse {
        let label = ExportLabel {
            data_source_id: self.data_source.id,
            format: F::FORMAT,
        };
        let events = stream::start(state, &self.owner, label, plan, permit);
        stream::respond(events, encoder, head, F::FORMAT).await
    }
}

/// A feed ready to read Jira.
pub struct OpenFeed {
    pub permit: ExportPermit,
    pub site: JiraSite,
    pub creds: JiraCredentials,
    pub columns: ColumnSet,
    /// The site's field catalogue as the owner sees it.
    pub fields: Arc<Vec<JiraField>>,
}

impl OpenFeed {
    /// The export of `prepared` from `start` (the first page when `None`), passing over `skip`
    /// rows and stopping after `limit`.
    pub fn plan(
        &self,
        feed: &FeedState,
        prepared: &Prepared,
        start: Option<Resume>,
        skip: u64,
        limit: Option<u64>,
    ) -> ExportPlan {
        prepared.plan(&self.site, &self.creds, start, skip, limit, feed.tuning)
    }

    /// The export of `prepared` for one `page`.
    pub fn plan_page(&self, feed: &FeedState, prepared: &Prepared, page: &Page) -> ExportPlan {
        let start = page.start.clone();
        self.plan(feed, prepared, start, page.skip, Some(page.limit))
    }

    /// The export of a table request from `start`, passing over `skip` rows, up to `limit`.
    pub fn plan_table(
        &self,
        feed: &FeedState,
        prepared: &PreparedFeed,
        start: Option<Resume>,
        skip: u64,
        limit: Option<u64>,
    ) -> ExportPlan {
        prepared.plan(&self.site, &self.creds, start, skip, limit, feed.tuning)
    }

    /// The export of a table request for one `page`.
    pub fn plan_table_page(
        &self,
        feed: &FeedState,
        prepared: &PreparedFeed,
        page: &Page,
    ) -> ExportPlan {
        let start = page.start.clone();
        self.plan_table(feed, prepared, start, page.skip, Some(page.limit))
    }
}
