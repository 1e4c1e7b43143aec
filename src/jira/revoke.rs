//! Revoking the saved Jira API token. With JavaScript the tab asks in a `<dialog>`; without it the
//! Revoke link opens this confirmation page. Either way the POST deletes only the signed-in
//! user's own row: the session decides whose token it is, the request cannot name another.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use crate::db;
use crate::jira::tab::{Status, TAB_PATH, load_status};
use crate::jira::token_store;
use crate::pages::session::JiraUser;
use crate::pages::shared::actor;
use crate::pages::tokens::TokenTab;
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "tokens_jira_revoke.html")]
struct RevokePage {
    layout: Layout,
    tab: TokenTab,
    status: Status,
}

#[get("/app/tokens/jira/revoke")]
pub async fn confirm(
    user: JiraUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let layout = Layout::new(&state, &user, "Revoke Jira API token", Nav::Tokens)?;
    let status = load_status(&state, &user).await?;
    if !status.is_saved() {
        return Ok(HttpResponse::SeeOther()
            .insert_header(("Location", layout.link(TAB_PATH)))
            .finish());
    }
    let page = RevokePage {
        layout,
        tab: TokenTab::Jira,
        status,
    };
    Ok(page.layout.respond(StatusCode::OK, &page)?)
}

#[post("/app/tokens/jira/revoke")]
pub async fn revoke(
    user: JiraUser,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let owner = actor(&user, &req);
    let now = state.clock.now();
    let deleted = db::run(&state.pool, move |conn| {
        token_store::delete(conn, &owner, now)
    })
    .await?;
    if deleted {
        tracing::info!(
            tenant.client_key = user.tenant.client_key.as_str(),
            user.account_id = user.account_id.as_str(),
            "Jira API token revoked"
        );
    }
    let layout = Layout::new(&state, &user, "Jira API Token", Nav::Tokens)?;
    let target = if deleted {
        format!("{TAB_PATH}?revoked=1")
    } else {
        TAB_PATH.to_owned()
    };
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", layout.link(&target)))
        .finish())
}
