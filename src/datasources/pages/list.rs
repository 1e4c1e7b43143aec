//! `GET /app/datasources`: the user's data sources, the way to create one, and "Shared with me".
//! Reads the database, and asks Jira only for the user's groups when something on the site is
//! shared with a group; without a usable Jira API token it shows the call to action instead of
//! the Create button.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use askama::Template;

use crate::datasources::access;
use crate::datasources::domain::{IssueMode, MAX_DATA_SOURCES_PER_USER};
use crate::datasources::pages::sharing::sharing_path;
use crate::datasources::pages::{
    NEW_PATH, TokenProblem, UserJira, delete_path, edit_path, show_path,
};
use crate::datasources::store::shares::SharedSource;
use crate::datasources::store::{self, DataSource};
use crate::db;
use crate::error::AppError;
use crate::pages::session::JiraUser;
use crate::pages::shared::{Banner, format_unix_utc};
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;

/// Long queries are cut in the list; the data source page shows them whole.
const JQL_PREVIEW_CHARS: usize = 120;

/// How the list (and the confirmation page) describe a data source.
pub(crate) struct SourceRow {
    pub id: i64,
    pub name: String,
    pub issues: String,
    pub extra_fields: usize,
    pub updated: String,
    pub show_path: String,
    pub edit_path: String,
    pub delete_path: String,
    pub sharing_path: String,
}

/// "Projects ALPHA, OPS" or the JQL, shortened.
pub(crate) fn describe_issues(source: &DataSource) -> String {
    match source.mode {
        IssueMode::Projects => format!("Projects: {}", source.project_keys.join(", ")),
        IssueMode::Jql => {
            let flat = source.jql.split_whitespace().collect::<Vec<_>>().join(" ");
            if flat.chars().count() > JQL_PREVIEW_CHARS {
                let cut: String = flat.chars().take(JQL_PREVIEW_CHARS).collect();
                format!("{cut}…")
            } else {
                flat
            }
        }
    }
}

impl SourceRow {
    pub(crate) fn new(source: &DataSource) -> Self {
        Self {
            id: source.id,
            name: source.name.clone(),
            issues: describe_issues(source),
            extra_fields: source.fields.len(),
            updated: format_unix_utc(source.updated_at),
            show_path: show_path(source.id),
            edit_path: edit_path(source.id),
            delete_path: delete_path(source.id),
            sharing_path: sharing_path(source.id),
        }
    }
}

/// A data source shared with the user, as "Shared with me" lists it.
struct SharedRow {
    name: String,
    owner: String,
    issues: String,
    updated: String,
    show_path: String,
}

impl SharedRow {
    fn new(shared: &SharedSource) -> Self {
        Self {
            name: shared.source.name.clone(),
            owner: shared.owner_name.clone(),
            issues: describe_issues(&shared.source),
            updated: format_unix_utc(shared.source.updated_at),
            show_path: show_path(shared.source.id),
        }
    }
}

#[derive(Template)]
#[template(path = "datasources.html")]
struct ListPage {
    layout: Layout,
    sources: Vec<SourceRow>,
    shared: Vec<SharedRow>,
    /// Why "Shared with me" could not be listed (Jira could not tell the user's groups).
    shared_error: Option<String>,
    banner: Option<Banner>,
    token_problem: Option<TokenProblem>,
    at_limit: bool,
    max_sources: usize,
    new_path: &'static str,
}

/// Renders the list for `user` with their current data sources.
pub(crate) async fn render_list(
    state: &AppState,
    user: &JiraUser,
    status: StatusCode,
    banner: Option<Banner>,
) -> Result<HttpResponse, PageError> {
    let (tenant_id, account_id) = (user.tenant.id, user.account_id.clone());
    let sources = db::run(&state.pool, move |conn| {
        store::list(conn, tenant_id, account_id.as_str())
    })
    .await?;
    let (shared, shared_error) =
        match access::shared_with_me(&state.pool, &state.jira_app, &user.tenant, &user.account_id)
            .await
        {
            Ok(shared) => (shared.iter().map(SharedRow::new).collect(), None),
            Err(err @ AppError::Unavailable { .. }) => (Vec::new(), Some(err.to_string())),
            Err(err) => return Err(err.into()),
        };
    let token_problem = UserJira::connect(state, user).await?.err();
    let layout = Layout::new(state, user, "Data sources", Nav::DataSources)?;
    let page = ListPage {
        layout,
        at_limit: sources.len() >= MAX_DATA_SOURCES_PER_USER,
        sources: sources.iter().map(SourceRow::new).collect(),
        shared,
        shared_error,
        banner,
        token_problem,
        max_sources: MAX_DATA_SOURCES_PER_USER,
        new_path: NEW_PATH,
    };
    Ok(page.layout.respond(status, &page)?)
}

#[get("/app/datasources")]
pub async fn list(user: JiraUser, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    render_list(&state, &user, StatusCode::OK, None).await
}
