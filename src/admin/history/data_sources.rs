//! `GET /app/admin/history/data-sources`: for a Jira administrator, who created, changed,
//! deleted, shared or handed over which data source and when, filterable by user and date,
//! paged, with a CSV download. It shows definitions' names only, never data.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;

use crate::admin::guard::JiraAdmin;
use crate::admin::history::filter::HistoryFilter;
use crate::admin::history::load;
use crate::admin::history::view::HistorySection;
use crate::admin::tabs::AdminTab;
use crate::audit::Area;
use crate::db;
use crate::pages::people_names;
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;

pub const PATH: &str = "/app/admin/history/data-sources";
pub const CSV_PATH: &str = "/app/admin/history/data-sources.csv";

#[derive(Template)]
#[template(path = "admin_data_sources_history.html")]
struct DataSourcesHistoryPage {
    layout: Layout,
    tab: AdminTab,
    history: HistorySection,
}

#[get("/app/admin/history/data-sources")]
pub async fn data_sources_history(
    admin: JiraAdmin,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let user = admin.user();
    let filter = HistoryFilter::from_query(req.query_string());
    let now = state.clock.now();
    let tenant_id = user.tenant.id;
    let history = {
        let filter = filter.clone();
        db::run(&state.pool, move |conn| {
            load::page(conn, tenant_id, Area::DataSources, &filter, now)
        })
        .await?
    };
    let mut history = HistorySection::new(PATH, CSV_PATH, filter, history);
    history.name_people(&people_names::names_of(&state, &user.tenant, history.account_ids()).await);
    let page = DataSourcesHistoryPage {
        layout: Layout::new(&state, user, "Data sources history", Nav::Admin)?,
        tab: AdminTab::DataSourcesHistory,
        history,
    };
    Ok(page.layout.respond(StatusCode::OK, &page)?)
}
