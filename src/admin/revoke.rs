//! `GET /app/admin/tokens/{id}/revoke` asks a Jira administrator to confirm revoking a user's
//! access token (naming owner and label); `POST` revokes it and shows the tokens history. Only
//! tokens of the administrator's own site exist here: any other id is 404. Administrators never
//! see a secret and nothing here creates a token.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use crate::admin::guard::JiraAdmin;
use crate::admin::history::tokens::{self as tokens_tab, SiteTokenView};
use crate::admin::tabs::AdminTab;
use crate::db;
use crate::error::AppError;
use crate::ids::AccessTokenId;
use crate::pages::shared::{Banner, actor};
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;
use crate::tokens::store::site::{find_on_site, revoke_as_admin};

#[derive(Template)]
#[template(path = "admin_token_revoke.html")]
struct ConfirmPage {
    layout: Layout,
    tab: AdminTab,
    token: SiteTokenView,
}

#[get("/app/admin/tokens/{id}/revoke")]
pub async fn confirm(
    admin: JiraAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id: AccessTokenId = path.parse()?;
    let user = admin.user();
    let tenant_id = user.tenant.id;
    let now = state.clock.now();
    let token = db::run(&state.pool, move |conn| {
        find_on_site(conn, tenant_id, id.get())
    })
    .await?
    .ok_or(AppError::NotFound)?;
    let page = ConfirmPage {
        layout: Layout::new(&state, user, "Revoke access token", Nav::Admin)?,
        tab: AdminTab::TokensHistory,
        token: SiteTokenView::new(&token, now),
    };
    Ok(page.layout.respond(StatusCode::OK, &page)?)
}

#[post("/app/admin/tokens/{id}/revoke")]
pub async fn revoke(
    admin: JiraAdmin,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id: AccessTokenId = path.parse()?;
    let actor = actor(admin.user(), &req);
    let now = state.clock.now();
    let revoked = db::run(&state.pool, move |conn| {
        revoke_as_admin(conn, &actor, id.get(), now)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    tracing::info!(
        tenant.client_key = %admin.user().tenant.client_key.as_str(),
        token.id = %revoked.token.token_id,
        "access token revoked by a Jira administrator"
    );
    let message = format!(
        "Token “{}” of {} was revoked. BI tools that used it can no longer sign in; the owner \
         sees this in their History.",
        revoked.token.label, revoked.owner
    );
    tokens_tab::render(&admin, &state, "", Some(Banner::success(message))).await
}
