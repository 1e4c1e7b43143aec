//! `GET /app/datasources/{id}/delete` asks for confirmation naming the data source (the
//! no-JavaScript path; with JavaScript a dialog asks instead); `POST` deletes it and shows the
//! list. Ids that are not the user's own answer 404, exactly like ids that do not exist.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use crate::datasources::pages::edit::owned;
use crate::datasources::pages::list::{SourceRow, render_list};

use crate::datasources::store;
use crate::db;
use crate::error::AppError;
use crate::ids::DataSourceId;
use crate::pages::session::JiraUser;
use crate::pages::shared::{Banner, actor};
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "datasource_delete.html")]
struct ConfirmDeletePage {
    layout: Layout,
    source: SourceRow,
}

#[get("/app/datasources/{id}/delete")]
pub async fn confirm(
    user: JiraUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let source = owned(&state, &user, &path).await?;
    let layout = Layout::new(&state, &user, "Delete data source", Nav::DataSources)?;
    let page = ConfirmDeletePage {
        layout,
        source: SourceRow::new(&source),
    };
    Ok(page.layout.respond(StatusCode::OK, &page)?)
}

#[post("/app/datasources/{id}/delete")]
pub async fn delete(
    user: JiraUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id: DataSourceId = path.parse()?;
    let actor = actor(&user, &req);
    let now = state.clock.now();
    let deleted = db::run(&state.pool, move |conn| {
        store::delete(conn, &actor, id.get(), now)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    tracing::info!(
        tenant.client_key = %user.tenant.client_key.as_str(),
        data_source.id = deleted.id,
        "data source deleted"
    );
    let message = format!(
        "Data source “{}” was deleted. BI tools that used its feed URLs can no longer read it.",
        deleted.name
    );
    render_list(
        &state,
        &user,
        StatusCode::OK,
        Some(Banner::success(message)),
    )
    .await
}
