//! `GET /app/tokens/access/{id}/revoke` asks for confirmation naming the label (the no-JavaScript
//! path; with JavaScript the list opens a dialog instead); `POST` revokes and shows the list.
//! Ids that are not the user's own answer 404, exactly like ids that do not exist.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use crate::db;
use crate::error::AppError;
use crate::ids::AccessTokenId;
use crate::pages::session::JiraUser;
use crate::pages::shared::{Banner, actor};
use crate::pages::tokens::TokenTab;
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;
use crate::tokens::pages::{TabView, TokenRowView, render_tab};
use crate::tokens::store;

#[derive(Template)]
#[template(path = "tokens_access_revoke.html")]
struct ConfirmRevokePage {
    layout: Layout,
    tab: TokenTab,
    token: TokenRowView,
}

#[get("/app/tokens/access/{id}/revoke")]
pub async fn confirm(
    user: JiraUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id: AccessTokenId = path.parse()?;
    let tenant_id = user.tenant.id;
    let account_id = user.account_id.clone();
    let token = db::run(&state.pool, move |conn| {
        store::find_owned(conn, tenant_id, &account_id, id.get())
    })
    .await?
    .ok_or(AppError::NotFound)?;
    let layout = Layout::new(&state, &user, "Revoke access token", Nav::Tokens)?;
    let page = ConfirmRevokePage {
        layout,
        tab: TokenTab::Access,
        token: TokenRowView::new(&token, state.clock.now()),
    };
    Ok(page.layout.respond(StatusCode::OK, &page)?)
}

#[post("/app/tokens/access/{id}/revoke")]
pub async fn revoke(
    user: JiraUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id: AccessTokenId = path.parse()?;
    let actor = actor(&user, &req);
    let now = state.clock.now();
    let revoked = db::run(&state.pool, move |conn| {
        store::revoke(conn, &actor, id.get(), now)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    tracing::info!(
        tenant.client_key = %user.tenant.client_key.as_str(),
        token.id = %revoked.token_id,
        "access token revoked"
    );
    let message = format!(
        "Token “{}” was revoked. BI tools that used it can no longer sign in.",
        revoked.label
    );
    render_tab(
        &state,
        &user,
        TabView::fresh(StatusCode::OK)?.with_banner(Banner::success(message)),
    )
    .await
}
