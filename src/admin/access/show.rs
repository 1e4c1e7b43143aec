//! `GET /app/admin/access`: the current choice, the chosen groups and people (with Remove), and
//! two searches ([`people_search`]) that ask Jira and offer matches to add. Also renders
//! the tab after the POSTs, with their banner or a field's error.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use crate::admin::guard::JiraAdmin;
use crate::admin::tabs::AdminTab;
use crate::app_access::policy::{AccessPolicy, Grant, PrincipalKind};
use crate::app_access::store;
use crate::db;
use crate::pages::people_search::{self, Picker, Searches};
use crate::pages::shared::Banner;
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;

pub const PATH: &str = "/app/admin/access";

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
    pub searches: Searches,
}

#[derive(Template)]
#[template(path = "admin_access.html")]
struct AccessPage {
    layout: Layout,
    tab: AdminTab,
    restricted: bool,
    grants: Vec<GrantRow>,
    outcome: Outcome,
    picker: Picker,
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
        picker: Picker {
            search_path: PATH.to_owned(),
            add_path: "/app/admin/access/add".to_owned(),
            add_word: "Add",
            group_heading: "Add a group",
            user_heading: "Add a person",
            owner_path: None,
        },
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
    let searches = people_search::run(&state, &admin.user().tenant, req.query_string()).await;
    let outcome = Outcome {
        status: searches
            .refused()
            .then_some(StatusCode::UNPROCESSABLE_ENTITY),
        searches,
        ..Outcome::default()
    };
    render(&admin, &state, outcome).await
}
