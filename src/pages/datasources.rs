//! Data sources page: the user's data sources and where to start.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use askama::Template;

use crate::connect::auth::JiraUser;
use crate::pages::{Layout, Nav, PageError};
use crate::startup::AppState;

#[derive(Template)]
#[template(path = "datasources.html")]
struct DataSourcesPage {
    layout: Layout,
}

#[get("/app/datasources")]
pub async fn list(user: JiraUser, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let layout = Layout::new(&state, &user, "Data sources", Nav::DataSources)?;
    let page = DataSourcesPage { layout };
    Ok(page.layout.respond(StatusCode::OK, &page)?)
}
