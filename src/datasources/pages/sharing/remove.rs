//! `POST /app/datasources/{id}/sharing/remove`: stops sharing the data source with one group or
//! person. Their feeds answer 404 from their next request.

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::{Outcome, render};
use crate::app_access::policy::PrincipalKind;
use crate::datasources::pages::edit::owned;
use crate::datasources::store::shares;
use crate::db;
use crate::error::AppError;
use crate::pages::PageError;
use crate::pages::form_body::read_form;
use crate::pages::session::JiraUser;
use crate::pages::shared::{Banner, actor};
use crate::state::AppState;

#[post("/app/datasources/{id}/sharing/remove")]
pub async fn remove(
    user: JiraUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let source = owned(&state, &user, &path).await?;
    let fields = read_form(&req, payload)
        .await
        .map_err(|_| AppError::NotFound)?;
    let Some(kind) = PrincipalKind::parse(fields.field("kind").typed().trim()) else {
        return Err(AppError::NotFound.into());
    };
    let principal = fields.field("id").typed().trim().to_owned();
    let actor = actor(&user, &req);
    let now = state.clock.now();
    let id = source.id;
    let removed = db::run(&state.pool, move |conn| {
        shares::unshare(conn, &actor, id, kind, &principal, now)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    let banner = Banner::success(format!(
        "“{}” is no longer shared with {}. Their BI tools stop getting its data from their next \
         refresh.",
        source.name, removed.name
    ));
    render(&state, &user, &source, Outcome::done(banner)).await
}
