//! `GET /app/admin/access`: the current choice, the chosen groups and people (with Remove), and
//! two searches (`find_group`, `find_user`) that ask Jira and offer matches to add. Also renders
//! the tab after the POSTs, with their banner or a field's error.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use crate::admin::guard::JiraAdmin;
use crate::admin::tabs::AdminTab;
use crate::app_access::policy::{AccessPolicy, Grant, PrincipalKind};
use crate::app_access::store;
use crate::connect::qsh;
use crate::db;
use crate::jira::app::{JiraGroup, JiraPerson};
use crate::pages::shared::Banner;
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;

pub const PATH: &str = "/app/admin/access";

/// Longest search Jira is asked for.
pub const MAX_SEARCH_CHARS: usize = 100;

/// A search box's state: what was typed, its error, and what Jira found.
pub struct Search<T> {
    pub typed: String,
    pub error: Option<String>,
    pub searched: bool,
    pub found: Vec<T>,
}

impl<T> Default for Search<T> {
    fn default() -> Self {
        Self {
            typed: String::new(),
            error: None,
            searched: false,
            found: Vec::new(),
        }
    }
}

/// A chosen group or person as listed.
pub struct GrantRow {
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub id: String,
    pub name: String,
}

impl GrantRow {
    fn new(grant: &Grant) -> Self {
        Self {
            kind: grant.kind.as_str(),
            kind_label: match grant.kind {
                PrincipalKind::Group => "Group",
                PrincipalKind::User => "Person",
            },
            id: grant.id.clone(),
            name: grant.name.clone(),
        }
    }
}

/// What the page shows besides the stored policy (a POST's outcome).
#[derive(Default)]
pub struct Outcome {
    pub status: Option<StatusCode>,
    pub banner: Option<Banner>,
    pub mode_error: Option<String>,
    pub group_search: Search<JiraGroup>,
    pub user_search: Search<JiraPerson>,
}

#[derive(Template)]
#[template(path = "admin_access.html")]
struct AccessPage {
    layout: Layout,
    tab: AdminTab,
    restricted: bool,
    grants: Vec<GrantRow>,
    outcome: Outcome,
}

/// The query's `name` parameter, if present.
fn param(query: &str, name: &str) -> Option<String> {
    qsh::parse_params(query)
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// Checks a typed search: `Err` with the field's message when it cannot be sent to Jira.
pub fn search_text(raw: &str) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err("Type part of a name to search for.".to_owned());
    }
    if text.chars().count() > MAX_SEARCH_CHARS {
        return Err(format!(
            "Type at most {MAX_SEARCH_CHARS} characters of the name."
        ));
    }
    if text.chars().any(char::is_control) {
        return Err("Use letters, digits, spaces and punctuation only.".to_owned());
    }
    Ok(text.to_owned())
}

/// Runs the searches the query asks for.
async fn searches(admin: &JiraAdmin, state: &AppState, query: &str, outcome: &mut Outcome) {
    let tenant = &admin.user().tenant;
    if let Some(raw) = param(query, "find_group") {
        outcome.group_search.typed.clone_from(&raw);
        match search_text(&raw) {
            Err(message) => outcome.group_search.error = Some(message),
            Ok(text) => match state.jira_app.find_groups(tenant, &text).await {
                Ok(found) => {
                    outcome.group_search.searched = true;
                    outcome.group_search.found = found;
                }
                Err(err) => {
                    outcome.group_search.error =
                        Some(crate::error::AppError::from(err).to_string());
                }
            },
        }
    }
    if let Some(raw) = param(query, "find_user") {
        outcome.user_search.typed.clone_from(&raw);
        match search_text(&raw) {
            Err(message) => outcome.user_search.error = Some(message),
            Ok(text) => match state.jira_app.find_users(tenant, &text).await {
                Ok(found) => {
                    outcome.user_search.searched = true;
                    outcome.user_search.found = found;
                }
                Err(err) => {
                    outcome.user_search.error = Some(crate::error::AppError::from(err).to_string());
                }
            },
        }
    }
}

/// Renders the tab with `outcome` over the stored policy.
pub async fn render(
    admin: &JiraAdmin,
    state: &AppState,
    outcome: Outcome,
) -> Result<HttpResponse, PageError> {
    let user = admin.user();
    let tenant_id = user.tenant.id;
    let policy: AccessPolicy =
        db::run(&state.pool, move |conn| store::load(conn, tenant_id)).await?;
    let page = AccessPage {
        layout: Layout::new(state, user, "Who may use the app", Nav::Admin)?,
        tab: AdminTab::Access,
        restricted: policy.restricted,
        grants: policy.grants.iter().map(GrantRow::new).collect(),
        outcome,
    };
    let status = page.outcome.status.unwrap_or(StatusCode::OK);
    Ok(page.layout.respond(status, &page)?)
}

#[get("/app/admin/access")]
pub async fn show(
    admin: JiraAdmin,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let mut outcome = Outcome::default();
    searches(&admin, &state, req.query_string(), &mut outcome).await;
    if outcome.group_search.error.is_some() || outcome.user_search.error.is_some() {
        outcome.status = Some(StatusCode::UNPROCESSABLE_ENTITY);
    }
    render(&admin, &state, outcome).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_are_trimmed_bounded_and_printable() {
        assert_eq!(search_text("  data "), Ok("data".to_owned()));
        assert!(search_text("   ").is_err());
        assert!(search_text(&"x".repeat(MAX_SEARCH_CHARS)).is_ok());
        assert!(search_text(&"x".repeat(MAX_SEARCH_CHARS + 1)).is_err());
        assert!(search_text("a\u{0}b").is_err());
    }
}
